/*
 * test_robust.c -- robust mutexes (libshim/mutex.c): glibc's layout and
 * robust list, owner death by thread return (joined or detached),
 * pthread_exit and SIGKILL of a process, EOWNERDEAD -> consistent, EOWNERDEAD -> unlock ->
 * ENOTRECOVERABLE, each type's errors, deadlines, contention, condition
 * variables, and interoperation with plain glibc on one process-shared
 * object.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "priotest.h"
#include "tcb_layout.h" /* GLIBC_BASE_VERSION */
#include "testutil.h"

extern int shim_consistent_np(pthread_mutex_t *)
	__asm__("pthread_mutex_consistent_np");

#define INCONSISTENT   INT_MAX
#define NOTRECOVERABLE (INT_MAX - 1)

static void init_robust(pthread_mutex_t *m, int type, bool pshared)
{
	pthread_mutexattr_t a;
	assert_int_equal(pthread_mutexattr_init(&a), 0);
	assert_int_equal(pthread_mutexattr_settype(&a, type), 0);
	assert_int_equal(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST),
			 0);
	if (pshared)
		assert_int_equal(pthread_mutexattr_setpshared(
					 &a, PTHREAD_PROCESS_SHARED),
				 0);
	assert_int_equal(pthread_mutex_init(m, &a), 0);
}

/* Owner death is reported by the kernel walking the dead thread's robust
 * list, which qemu-user does not keep (set_robust_list: ENOSYS). */
static void need_robust_lists(void)
{
	if (testutil_no_robust_lists())
		TESTUTIL_SKIP("no robust futex lists here (qemu-user: ENOSYS)");
}

/* The list the kernel was given; a test asking for it is skipped from
 * here on where there is none. */
static struct robust_list_head *kernel_head(void)
{
	need_robust_lists();
	struct robust_list_head *h;
	size_t len;
	assert_int_equal(syscall(SYS_get_robust_list, 0, &h, &len), 0);
	assert_int_equal(len, sizeof *h);
	return h;
}

static void *node_of(pthread_mutex_t *m)
{
	return &m->__data.__list.__next;
}

/* Run fn(arg) in a new thread; its int result. */
static void *consistent_it(void *m)
{
	return (void *)(intptr_t)pthread_mutex_consistent(m);
}

static void *lock_and_exit(void *m)
{
	pthread_exit((void *)(intptr_t)pthread_mutex_lock(m));
}

/* The dead thread's tid is gone from the word; only the bit is left. */
static void assert_owner_died(pthread_mutex_t *m)
{
	assert_int_equal(lock_word(m) & ~FUTEX_WAITERS, FUTEX_OWNER_DIED);
}

/* ---- layout -------------------------------------------------------- */

typedef int (*init_fn)(pthread_mutex_t *, const pthread_mutexattr_t *);

static void test_kind_as_glibc(void **state)
{
	(void)state;
	init_fn glibc_init =
		(init_fn)dlvsym(RTLD_NEXT, "pthread_mutex_init", GLIBC_BASE_VERSION);
	assert_non_null(glibc_init);
	for (unsigned i = 0; i < 4; i++) {
		for (int ps = 0; ps < 2; ps++) {
			pthread_mutex_t ours, theirs;
			memset(&theirs, 0x5a, sizeof theirs);
			init_robust(&ours, types[i], ps);
			pthread_mutexattr_t a;
			pthread_mutexattr_init(&a);
			pthread_mutexattr_settype(&a, types[i]);
			pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
			if (ps)
				pthread_mutexattr_setpshared(
					&a, PTHREAD_PROCESS_SHARED);
			assert_int_equal(glibc_init(&theirs, &a), 0);
			assert_memory_equal(&ours, &theirs, sizeof ours);
			/* robust bit and, private or not, the pshared bit */
			assert_int_equal(ours.__data.__kind & (16 | 128 | 3),
					 16 | 128 | types[i]);
		}
	}
	/* An explicit NORMAL: glibc's 16 | 128 | 512. */
	pthread_mutex_t m;
	init_robust(&m, PTHREAD_MUTEX_NORMAL, false);
	assert_int_equal(m.__data.__kind, 656);
}

static void test_robust_list(void **state)
{
	(void)state;
	need_robust_lists();
	pthread_mutex_t m[3];
	struct robust_list_head *h = kernel_head();
	void **head_prev = (void **)h - 1; /* glibc's robust_prev */
	pid_t self = gettid_();
	assert_ptr_equal(h->list.next, &h->list);
	assert_int_equal(h->futex_offset, -32);
	for (int i = 0; i < 3; i++) {
		init_robust(&m[i], types[i], i == 1);
		assert_int_equal(pthread_mutex_lock(&m[i]), 0);
		assert_int_equal(lock_word(&m[i]), self);
		assert_int_equal(m[i].__data.__owner, self);
		assert_null(h->list_op_pending);
	}
	/* Newest first; each __prev names the __next word before it. */
	assert_ptr_equal(h->list.next, node_of(&m[2]));
	assert_ptr_equal(m[2].__data.__list.__next, node_of(&m[1]));
	assert_ptr_equal(m[1].__data.__list.__next, node_of(&m[0]));
	assert_ptr_equal(m[0].__data.__list.__next, &h->list);
	assert_ptr_equal(m[2].__data.__list.__prev, &h->list);
	assert_ptr_equal(m[1].__data.__list.__prev, node_of(&m[2]));
	assert_ptr_equal(m[0].__data.__list.__prev, node_of(&m[1]));
	assert_ptr_equal(*head_prev, node_of(&m[0]));

	/* Out of the middle: both neighbours relinked. */
	assert_int_equal(pthread_mutex_unlock(&m[1]), 0);
	assert_int_equal(lock_word(&m[1]), 0);
	assert_null(m[1].__data.__list.__next);
	assert_ptr_equal(m[2].__data.__list.__next, node_of(&m[0]));
	assert_ptr_equal(m[0].__data.__list.__prev, node_of(&m[2]));
	assert_null(h->list_op_pending);
	/* A recursive relock does not list it twice. */
	assert_int_equal(pthread_mutex_lock(&m[1]), 0);
	assert_int_equal(pthread_mutex_lock(&m[1]), 0);
	assert_int_equal(pthread_mutex_unlock(&m[1]), 0);
	assert_ptr_equal(h->list.next, node_of(&m[1]));
	assert_int_equal(pthread_mutex_unlock(&m[1]), 0);
	assert_int_equal(pthread_mutex_unlock(&m[2]), 0);
	assert_int_equal(pthread_mutex_unlock(&m[0]), 0);
	assert_ptr_equal(h->list.next, &h->list);
	assert_ptr_equal(*head_prev, &h->list);
	assert_null(h->list_op_pending);
}

/* ---- owner death --------------------------------------------------- */

/* An owner that dies holding m: in_thread(mutex_lock_op, m) locks m in a
 * thread that then returns, and the kernel marks m FUTEX_OWNER_DIED. */

static void check_recovery(pthread_mutex_t *m, int type, int first)
{
	pid_t self = gettid_();
	assert_int_equal(first, EOWNERDEAD);
	assert_int_equal(lock_word(m) & FUTEX_TID_MASK, self);
	assert_int_equal(m->__data.__owner, INCONSISTENT);
	assert_int_equal(m->__data.__count, 1);
	assert_ptr_equal(kernel_head()->list.next, node_of(m));
	/* Still held: others are refused. */
	assert_int_equal(in_thread(mutex_trylock_op, m), EBUSY);
	assert_int_equal(in_thread(mutex_unlock_op, m), EPERM);
	assert_int_equal(pthread_mutex_consistent(m), 0);
	assert_int_equal(m->__data.__owner, self);
	assert_int_equal(pthread_mutex_consistent(m), EINVAL);
	assert_int_equal(pthread_mutex_unlock(m), 0);
	assert_int_equal(lock_word(m), 0);
	/* Usable again, by anyone (who dies holding it, again). */
	assert_int_equal(in_thread(mutex_trylock_op, m), 0);
	assert_int_equal(pthread_mutex_lock(m), EOWNERDEAD);
	assert_int_equal(pthread_mutex_consistent(m), 0);
	if (type == PTHREAD_MUTEX_RECURSIVE)
		assert_int_equal(pthread_mutex_lock(m), 0);
	else if (type == PTHREAD_MUTEX_ERRORCHECK)
		assert_int_equal(pthread_mutex_lock(m), EDEADLK);
	if (type == PTHREAD_MUTEX_RECURSIVE)
		assert_int_equal(pthread_mutex_unlock(m), 0);
	assert_int_equal(pthread_mutex_unlock(m), 0);
	assert_int_equal(pthread_mutex_lock(m), 0);
	assert_int_equal(pthread_mutex_unlock(m), 0);
	assert_int_equal(pthread_mutex_destroy(m), 0);
}

static void test_owner_returns(void **state)
{
	(void)state;
	need_robust_lists();
	for (unsigned i = 0; i < 4; i++) {
		pthread_mutex_t m;
		init_robust(&m, types[i], i & 1);
		assert_int_equal(in_thread(mutex_lock_op, &m), 0);
		assert_owner_died(&m);
		check_recovery(&m, types[i], pthread_mutex_lock(&m));
	}
}

static void test_owner_exits(void **state)
{
	(void)state;
	need_robust_lists();
	for (unsigned i = 0; i < 4; i++) {
		pthread_mutex_t m;
		init_robust(&m, types[i], !(i & 1));
		assert_int_equal(in_thread(lock_and_exit, &m), 0);
		assert_owner_died(&m);
		/* trylock, timedlock and clocklock report it too. */
		int r;
		struct timespec dl = deadline_in(CLOCK_MONOTONIC, 1000);
		switch (i) {
		case 0:
			r = pthread_mutex_trylock(&m);
			break;
		case 1:
			r = pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &dl);
			break;
		default:
			dl = deadline_in(CLOCK_REALTIME, 1000);
			r = pthread_mutex_timedlock(&m, &dl);
			break;
		}
		check_recovery(&m, types[i], r);
	}
}

struct detached_owner {
	pthread_mutex_t m;
	_Atomic int locked;
};

static void *lock_flag_and_return(void *arg)
{
	struct detached_owner *d = arg;
	if (pthread_mutex_lock(&d->m) == 0)
		atomic_store(&d->locked, 1);
	return NULL;
}

/* Detached owners, the second on the first one's recycled stack and TCB:
 * a locker asleep on the mutex is woken by each death. */
static void test_detached_owner_returns(void **state)
{
	(void)state;
	need_robust_lists();
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (int round = 0; round < 2; round++) {
		struct detached_owner d;
		memset(&d, 0, sizeof d);
		init_robust(&d.m, PTHREAD_MUTEX_NORMAL, false);
		pthread_t t;
		assert_int_equal(pthread_create(&t, &a, lock_flag_and_return,
						&d),
				 0);
		while (!atomic_load(&d.locked))
			usleep(100);
		assert_int_equal(pthread_mutex_lock(&d.m), EOWNERDEAD);
		assert_int_equal(pthread_mutex_consistent(&d.m), 0);
		assert_int_equal(pthread_mutex_unlock(&d.m), 0);
	}
}

static void *lock_thrice_and_return(void *m)
{
	for (int i = 0; i < 3; i++)
		if (pthread_mutex_lock(m) != 0)
			return (void *)1;
	return NULL;
}

static void test_recursive_owner_death_resets_count(void **state)
{
	(void)state;
	need_robust_lists();
	pthread_mutex_t m;
	init_robust(&m, PTHREAD_MUTEX_RECURSIVE, false);
	assert_int_equal(in_thread(lock_thrice_and_return, &m), 0);
	assert_int_equal(m.__data.__count, 3);
	assert_owner_died(&m);
	assert_int_equal(pthread_mutex_lock(&m), EOWNERDEAD);
	assert_int_equal(m.__data.__count, 1);
	assert_int_equal(pthread_mutex_consistent(&m), 0);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(lock_word(&m), 0);
	assert_int_equal(pthread_mutex_unlock(&m), EPERM);
}

/* A sleeping waiter is woken by the kernel when the owner dies. */
struct death_watch {
	pthread_mutex_t m;
	_Atomic pid_t waiter_tid[3];
	_Atomic int owner_go;  /* the owner may die now */
	_Atomic int recovered; /* how many waiters saw EOWNERDEAD */
	_Atomic int total;     /* how many got it at all */
};

static void *dying_owner(void *arg)
{
	struct death_watch *w = arg;
	if (pthread_mutex_lock(&w->m) != 0)
		return (void *)1;
	while (!atomic_load(&w->owner_go))
		usleep(1000);
	return NULL; /* holding it */
}

static void *death_waiter(void *arg)
{
	struct death_watch *w = arg;
	for (int i = 0; i < 3; i++) {
		pid_t none = 0;
		if (atomic_compare_exchange_strong(&w->waiter_tid[i], &none,
						   gettid_()))
			break;
	}
	int r = pthread_mutex_lock(&w->m);
	if (r == EOWNERDEAD) {
		atomic_fetch_add(&w->recovered, 1);
		r = pthread_mutex_consistent(&w->m);
	}
	if (r == 0) {
		atomic_fetch_add(&w->total, 1);
		r = pthread_mutex_unlock(&w->m);
	}
	return (void *)(intptr_t)r;
}

static void test_waiters_woken_by_death(void **state)
{
	(void)state;
	need_robust_lists();
	for (int ps = 0; ps < 2; ps++) {
		struct death_watch w;
		memset(&w, 0, sizeof w);
		init_robust(&w.m, PTHREAD_MUTEX_ERRORCHECK, ps);
		pthread_t owner, waiter[3];
		assert_int_equal(pthread_create(&owner, NULL, dying_owner, &w),
				 0);
		while (lock_word(&w.m) == 0)
			usleep(1000);
		for (int i = 0; i < 3; i++)
			assert_int_equal(pthread_create(&waiter[i], NULL,
							death_waiter, &w),
					 0);
		for (int i = 0; i < 3; i++)
			while (w.waiter_tid[i] == 0 || !thread_asleep(w.waiter_tid[i]))
				usleep(1000);
		assert_true(lock_word(&w.m) & FUTEX_WAITERS);
		atomic_store(&w.owner_go, 1);
		assert_int_equal(pthread_join(owner, NULL), 0);
		for (int i = 0; i < 3; i++) {
			void *r;
			assert_int_equal(pthread_join(waiter[i], &r), 0);
			assert_int_equal((int)(intptr_t)r, 0);
		}
		assert_int_equal(w.recovered, 1);
		assert_int_equal(w.total, 3);
		assert_int_equal(lock_word(&w.m), 0);
	}
}

/* ---- not recoverable ---------------------------------------------- */

static void test_not_recoverable(void **state)
{
	(void)state;
	need_robust_lists();
	for (unsigned i = 0; i < 4; i++) {
		pthread_mutex_t m;
		init_robust(&m, types[i], i & 1);
		assert_int_equal(in_thread(mutex_lock_op, &m), 0);
		assert_int_equal(pthread_mutex_lock(&m), EOWNERDEAD);
		assert_int_equal(pthread_mutex_unlock(&m), 0);
		assert_int_equal(m.__data.__owner, NOTRECOVERABLE);
		assert_int_equal(lock_word(&m), 0);
		assert_ptr_equal(kernel_head()->list.next, &kernel_head()->list);

		struct timespec dl = deadline_in(CLOCK_REALTIME, 1000);
		assert_int_equal(pthread_mutex_lock(&m), ENOTRECOVERABLE);
		assert_int_equal(pthread_mutex_trylock(&m), ENOTRECOVERABLE);
		assert_int_equal(pthread_mutex_timedlock(&m, &dl),
				 ENOTRECOVERABLE);
		assert_int_equal(in_thread(mutex_lock_op, &m), ENOTRECOVERABLE);
		assert_int_equal(in_thread(mutex_trylock_op, &m), ENOTRECOVERABLE);
		/* Each locker let go again (glibc's trylock does not). */
		assert_int_equal(lock_word(&m), 0);
		assert_int_equal(m.__data.__count, 0);
		assert_int_equal(pthread_mutex_unlock(&m), EPERM);
		assert_int_equal(pthread_mutex_consistent(&m), EINVAL);
		/* Only a new init brings it back. */
		assert_int_equal(pthread_mutex_destroy(&m), 0);
		init_robust(&m, types[i], i & 1);
		assert_int_equal(pthread_mutex_lock(&m), 0);
		assert_int_equal(pthread_mutex_unlock(&m), 0);
	}
}

static void test_recursive_inconsistent_depth(void **state)
{
	(void)state;
	need_robust_lists();
	pthread_mutex_t m;
	init_robust(&m, PTHREAD_MUTEX_RECURSIVE, false);
	assert_int_equal(in_thread(mutex_lock_op, &m), 0);
	assert_int_equal(pthread_mutex_lock(&m), EOWNERDEAD);
	assert_int_equal(pthread_mutex_lock(&m), 0);
	assert_int_equal(m.__data.__count, 2);
	/* glibc: one level down, still held, already unrecoverable. */
	assert_int_equal(pthread_mutex_unlock(&m), ENOTRECOVERABLE);
	assert_int_equal(in_thread(mutex_trylock_op, &m), EBUSY);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(pthread_mutex_lock(&m), ENOTRECOVERABLE);
}

/* ---- pthread_mutex_consistent ------------------------------------- */

static void test_consistent_errors(void **state)
{
	(void)state;
	pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER;
	assert_int_equal(pthread_mutex_consistent(&plain), EINVAL);
	pthread_mutex_t m;
	init_robust(&m, PTHREAD_MUTEX_NORMAL, false);
	assert_int_equal(pthread_mutex_consistent(&m), EINVAL);
	assert_int_equal(pthread_mutex_lock(&m), 0);
	assert_int_equal(pthread_mutex_consistent(&m), EINVAL);
	assert_int_equal(pthread_mutex_unlock(&m), 0);

	/* From here on the owner's death must be reported. */
	need_robust_lists();
	assert_int_equal(in_thread(mutex_lock_op, &m), 0);
	/* Inconsistent but nobody holds it yet. */
	assert_int_equal(pthread_mutex_consistent(&m), EINVAL);
	assert_int_equal(pthread_mutex_lock(&m), EOWNERDEAD);
	/* Only its holder may (glibc lets anyone: see mutex.c). */
	assert_int_equal(in_thread(consistent_it, &m), EINVAL);
	assert_int_equal(m.__data.__owner, INCONSISTENT);
	assert_int_equal(shim_consistent_np(&m), 0);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(pthread_mutex_lock(&m), 0);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
}

/* ---- each type's errors ------------------------------------------- */

static void test_errorcheck_errors(void **state)
{
	(void)state;
	pthread_mutex_t m;
	init_robust(&m, PTHREAD_MUTEX_ERRORCHECK, false);
	assert_int_equal(pthread_mutex_unlock(&m), EPERM);
	assert_int_equal(pthread_mutex_lock(&m), 0);
	assert_int_equal(pthread_mutex_lock(&m), EDEADLK);
	/* Robust: EDEADLK from trylock too, as glibc's. */
	assert_int_equal(pthread_mutex_trylock(&m), EDEADLK);
	struct timespec bad = { 0, -1 };
	assert_int_equal(pthread_mutex_timedlock(&m, &bad), EDEADLK);
	assert_int_equal(in_thread(mutex_unlock_op, &m), EPERM);
	assert_int_equal(in_thread(mutex_trylock_op, &m), EBUSY);
	assert_int_equal(pthread_mutex_destroy(&m), EBUSY);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(pthread_mutex_unlock(&m), EPERM);
	assert_int_equal(pthread_mutex_destroy(&m), 0);
	assert_int_equal(pthread_mutex_lock(&m), EINVAL);
}

static void test_recursive_errors(void **state)
{
	(void)state;
	pthread_mutex_t m;
	init_robust(&m, PTHREAD_MUTEX_RECURSIVE, true);
	assert_int_equal(pthread_mutex_unlock(&m), EPERM);
	assert_int_equal(pthread_mutex_lock(&m), 0);
	assert_int_equal(pthread_mutex_lock(&m), 0);
	assert_int_equal(pthread_mutex_trylock(&m), 0);
	struct timespec dl = deadline_in(CLOCK_REALTIME, 1000);
	assert_int_equal(pthread_mutex_timedlock(&m, &dl), 0);
	assert_int_equal(m.__data.__count, 4);
	assert_int_equal(in_thread(mutex_trylock_op, &m), EBUSY);
	assert_int_equal(in_thread(mutex_unlock_op, &m), EPERM);
	/* The count overflows to EAGAIN. */
	unsigned saved = m.__data.__count;
	m.__data.__count = UINT_MAX;
	assert_int_equal(pthread_mutex_lock(&m), EAGAIN);
	assert_int_equal(pthread_mutex_trylock(&m), EAGAIN);
	m.__data.__count = saved;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(lock_word(&m), 0);
	assert_int_equal(pthread_mutex_unlock(&m), EPERM);
}

static void test_normal_errors(void **state)
{
	(void)state;
	int plain[] = { PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ADAPTIVE_NP };
	for (int i = 0; i < 2; i++) {
		pthread_mutex_t m;
		init_robust(&m, plain[i], i);
		/* Unlike a plain NORMAL mutex, ownership is checked. */
		assert_int_equal(pthread_mutex_unlock(&m), EPERM);
		assert_int_equal(pthread_mutex_lock(&m), 0);
		assert_int_equal(pthread_mutex_trylock(&m), EBUSY);
		assert_int_equal(in_thread(mutex_trylock_op, &m), EBUSY);
		assert_int_equal(in_thread(mutex_unlock_op, &m), EPERM);
		/* A relock waits for itself: here, until the deadline. */
		struct timespec start;
		clock_gettime(CLOCK_MONOTONIC, &start);
		struct timespec dl = deadline_in(CLOCK_MONOTONIC, 50);
		assert_int_equal(pthread_mutex_clocklock(&m, CLOCK_MONOTONIC,
							 &dl),
				 ETIMEDOUT);
		assert_true(ms_since(CLOCK_MONOTONIC, &start) >= 45);
		struct timespec bad = { 0, 1000000000L };
		assert_int_equal(pthread_mutex_timedlock(&m, &bad), EINVAL);
		struct timespec past = { -1, 0 };
		assert_int_equal(pthread_mutex_timedlock(&m, &past), ETIMEDOUT);
		assert_int_equal(pthread_mutex_clocklock(&m, CLOCK_PROCESS_CPUTIME_ID,
							 &dl),
				 EINVAL);
		assert_null(kernel_head()->list_op_pending);
		assert_int_equal(pthread_mutex_destroy(&m), EBUSY);
		assert_int_equal(pthread_mutex_unlock(&m), 0);
		assert_int_equal(lock_word(&m), 0);
		assert_int_equal(pthread_mutex_destroy(&m), 0);
	}
}

/* ---- deadlines ----------------------------------------------------- */

struct timed {
	pthread_mutex_t *m;
	clockid_t clock;
	long waited_ms;
};

static void *timed_lock_other(void *arg)
{
	struct timed *t = arg;
	struct timespec start, dl;
	clock_gettime(t->clock, &start);
	dl = deadline_in(t->clock, 100);
	int r = t->clock == CLOCK_REALTIME
			? pthread_mutex_timedlock(t->m, &dl)
			: pthread_mutex_clocklock(t->m, t->clock, &dl);
	t->waited_ms = ms_since(t->clock, &start);
	return (void *)(intptr_t)r;
}

static void test_timed_lock_timeouts(void **state)
{
	(void)state;
	clockid_t clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC };
	for (unsigned i = 0; i < 4; i++) {
		pthread_mutex_t m;
		init_robust(&m, types[i], i & 1);
		assert_int_equal(pthread_mutex_lock(&m), 0);
		struct timed t = { &m, clocks[i & 1], 0 };
		assert_int_equal(in_thread(timed_lock_other, &t), ETIMEDOUT);
		assert_true(t.waited_ms >= 95);
		assert_true(t.waited_ms < 5000);
		/* Held as before; the waiter left FUTEX_WAITERS behind. */
		assert_int_equal(lock_word(&m) & FUTEX_TID_MASK, gettid_());
		assert_int_equal(pthread_mutex_unlock(&m), 0);
		assert_int_equal(lock_word(&m), 0);
		need_robust_lists();
		assert_int_equal(in_thread(timed_lock_other, &t), 0);
		/* ...and that thread returned holding it: it died. */
		assert_int_equal(pthread_mutex_trylock(&m), EOWNERDEAD);
		assert_int_equal(pthread_mutex_consistent(&m), 0);
		assert_int_equal(pthread_mutex_unlock(&m), 0);
	}
}

/* ---- contention ---------------------------------------------------- */

#define CONTENDERS 8
#define ROUNDS     4000

struct contended {
	pthread_mutex_t m;
	long counter;
	_Atomic int errors;
};

static void *contend(void *arg)
{
	struct contended *c = arg;
	for (int i = 0; i < ROUNDS; i++) {
		int r = i % 8 == 0 ? pthread_mutex_trylock(&c->m) : EBUSY;
		if (r == EBUSY)
			r = pthread_mutex_lock(&c->m);
		if (r != 0) {
			atomic_fetch_add(&c->errors, 1);
			continue;
		}
		long v = c->counter;
		if (i % 64 == 0)
			sched_yield(); /* be preempted while holding it */
		c->counter = v + 1;
		if (pthread_mutex_unlock(&c->m) != 0)
			atomic_fetch_add(&c->errors, 1);
	}
	return NULL;
}

static void test_contention(void **state)
{
	(void)state;
	for (unsigned k = 0; k < 4; k++) {
		struct contended c;
		memset(&c, 0, sizeof c);
		init_robust(&c.m, types[k], k & 1);
		pthread_t t[CONTENDERS];
		for (int i = 0; i < CONTENDERS; i++)
			assert_int_equal(pthread_create(&t[i], NULL, contend,
							&c),
					 0);
		for (int i = 0; i < CONTENDERS; i++)
			assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(c.errors, 0);
		assert_int_equal(c.counter, (long)CONTENDERS * ROUNDS);
		assert_int_equal(lock_word(&c.m) & ~FUTEX_WAITERS, 0);
		assert_int_equal(pthread_mutex_lock(&c.m), 0);
		assert_int_equal(pthread_mutex_unlock(&c.m), 0);
	}
}

/* ---- condition variables ------------------------------------------ */

struct cv_case {
	pthread_mutex_t m;
	pthread_cond_t cv;
	int ready;
	int woken;
	int depth;       /* recursion depth to wait with */
	_Atomic int waiting;
};

static void *cv_waiter(void *arg)
{
	struct cv_case *c = arg;
	for (int i = 0; i < c->depth; i++)
		if (pthread_mutex_lock(&c->m) != 0)
			return (void *)-1;
	atomic_fetch_add(&c->waiting, 1);
	while (!c->ready)
		if (pthread_cond_wait(&c->cv, &c->m) != 0)
			return (void *)-2;
	c->woken++;
	if (c->m.__data.__count != (unsigned)c->depth)
		return (void *)-3;
	for (int i = 0; i < c->depth; i++)
		if (pthread_mutex_unlock(&c->m) != 0)
			return (void *)-4;
	return NULL;
}

static void test_cond_wait(void **state)
{
	(void)state;
	for (int shared = 0; shared < 2; shared++) {
		struct cv_case c;
		memset(&c, 0, sizeof c);
		init_robust(&c.m, PTHREAD_MUTEX_RECURSIVE, shared);
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		if (shared)
			pthread_condattr_setpshared(&ca,
						    PTHREAD_PROCESS_SHARED);
		assert_int_equal(pthread_cond_init(&c.cv, &ca), 0);
		c.depth = 2;
		pthread_t t[4];
		for (int i = 0; i < 4; i++)
			assert_int_equal(pthread_create(&t[i], NULL, cv_waiter,
							&c),
					 0);
		while (c.waiting < 4)
			usleep(1000);
		/* Every waiter released it: we can take it. */
		assert_int_equal(pthread_mutex_lock(&c.m), 0);
		c.ready = 1;
		assert_int_equal(pthread_cond_broadcast(&c.cv), 0);
		assert_int_equal(pthread_mutex_unlock(&c.m), 0);
		for (int i = 0; i < 4; i++) {
			void *r;
			assert_int_equal(pthread_join(t[i], &r), 0);
			assert_null(r);
		}
		assert_int_equal(c.woken, 4);
		assert_int_equal(lock_word(&c.m) & ~FUTEX_WAITERS, 0);

		/* A timed wait returns with the mutex held. */
		assert_int_equal(pthread_mutex_lock(&c.m), 0);
		struct timespec dl = deadline_in(CLOCK_REALTIME, 20);
		assert_int_equal(pthread_cond_timedwait(&c.cv, &c.m, &dl),
				 ETIMEDOUT);
		assert_int_equal(lock_word(&c.m) & FUTEX_TID_MASK, gettid_());
		assert_ptr_equal(kernel_head()->list.next, node_of(&c.m));
		assert_int_equal(pthread_mutex_unlock(&c.m), 0);
		/* Not held: EPERM, as glibc. */
		assert_int_equal(pthread_cond_wait(&c.cv, &c.m), EPERM);
	}
}

/* The owner dies while a condvar waiter waits for the mutex. */
struct cv_death {
	pthread_mutex_t m;
	pthread_cond_t cv;
	_Atomic int waiting;
	int result;
	int owner;
};

static void *cv_death_waiter(void *arg)
{
	struct cv_death *d = arg;
	if (pthread_mutex_lock(&d->m) != 0)
		return (void *)1;
	atomic_store(&d->waiting, 1);
	d->result = pthread_cond_wait(&d->cv, &d->m);
	d->owner = d->m.__data.__owner;
	if (lock_word(&d->m) & FUTEX_TID_MASK) {
		pthread_mutex_consistent(&d->m);
		pthread_mutex_unlock(&d->m);
	}
	return NULL;
}

static void test_cond_wait_owner_died(void **state)
{
	(void)state;
	need_robust_lists();
	struct cv_death d;
	memset(&d, 0, sizeof d);
	init_robust(&d.m, PTHREAD_MUTEX_NORMAL, false);
	pthread_cond_init(&d.cv, NULL);
	pthread_t w;
	assert_int_equal(pthread_create(&w, NULL, cv_death_waiter, &d), 0);
	while (!d.waiting)
		usleep(1000);
	/* Taken once the waiter has released it, then left by a death. */
	assert_int_equal(in_thread(mutex_lock_op, &d.m), 0);
	assert_int_equal(pthread_cond_signal(&d.cv), 0);
	assert_int_equal(pthread_join(w, NULL), 0);
	/* The waiter got the mutex back, inconsistent. */
	assert_int_equal(d.owner, INCONSISTENT);
	assert_int_equal(d.result, EOWNERDEAD);
}

/* ---- processes ----------------------------------------------------- */

/* A struct shared whose mutex is robust and process-shared. */
static struct shared *robust_area(int type)
{
	struct shared *s = shared_area();
	init_robust(&s->m, type, true);
	return s;
}

static void kill_child(pid_t pid)
{
	int st;
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
}

struct blocked {
	struct shared *s;
	_Atomic pid_t tid;
};

static void *blocked_locker(void *arg)
{
	struct blocked *b = arg;
	atomic_store(&b->tid, gettid_());
	int r = pthread_mutex_lock(&b->s->m);
	if (r == EOWNERDEAD && pthread_mutex_consistent(&b->s->m) == 0 &&
	    pthread_mutex_unlock(&b->s->m) == 0)
		return NULL;
	return (void *)(intptr_t)(r ? r : -1);
}

static void test_pshared_sigkill(void **state)
{
	(void)state;
	need_robust_lists();
	for (unsigned i = 0; i < 4; i++) {
		struct shared *s = robust_area(types[i]);
		/* Found dead by a locker that comes later... */
		pid_t pid = fork_holder(&s->m, pthread_mutex_lock, &s->locked);
		assert_int_equal(pthread_mutex_trylock(&s->m), EBUSY);
		kill_child(pid);
		assert_owner_died(&s->m);
		check_recovery(&s->m, types[i], pthread_mutex_lock(&s->m));

		/* ...and by one asleep on it when the process dies. */
		init_robust(&s->m, types[i], true);
		pid = fork_holder(&s->m, pthread_mutex_lock, &s->locked);
		struct blocked b = { s, 0 };
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, blocked_locker, &b),
				 0);
		while (b.tid == 0 || !(lock_word(&s->m) & FUTEX_WAITERS) ||
		       !thread_asleep(b.tid))
			usleep(1000);
		kill_child(pid);
		void *r;
		assert_int_equal(pthread_join(t, &r), 0);
		assert_null(r);
		assert_int_equal(pthread_mutex_lock(&s->m), 0);
		assert_int_equal(pthread_mutex_unlock(&s->m), 0);
		munmap(s, sizeof *s);
	}
}

static void test_glibc_interop(void **state)
{
	(void)state;
	mutex_fn g_lock = glibc_fn("pthread_mutex_lock");
	mutex_fn g_unlock = glibc_fn("pthread_mutex_unlock");
	/* GLIBC_2.12 on x86_64; on arm64 every name older than its first
	 * release has that release's version. */
	mutex_fn g_consistent = (mutex_fn)dlvsym(
		RTLD_NEXT, "pthread_mutex_consistent", "GLIBC_2.12");
	if (g_consistent == NULL)
		g_consistent = glibc_fn("pthread_mutex_consistent");
	assert_ptr_not_equal(g_lock, pthread_mutex_lock);

	/* The owner deaths first, then both at once. */
	struct shared *s = robust_area(PTHREAD_MUTEX_ERRORCHECK);
	bool deaths = !testutil_no_robust_lists();
	pid_t pid;
	if (!deaths)
		goto both_at_once;
	/* A glibc process dies holding it; libshim recovers it. */
	pid = fork_holder(&s->m, g_lock, &s->locked);
	kill_child(pid);
	check_recovery(&s->m, PTHREAD_MUTEX_ERRORCHECK,
		       pthread_mutex_lock(&s->m));

	/* A libshim owner dies; glibc recovers it, and the list it leaves
	 * is the one glibc expects. */
	init_robust(&s->m, PTHREAD_MUTEX_RECURSIVE, true);
	kill_child(fork_holder(&s->m, pthread_mutex_lock, &s->locked));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int ok = g_lock(&s->m) == EOWNERDEAD &&
			 g_consistent(&s->m) == 0 && g_lock(&s->m) == 0 &&
			 g_unlock(&s->m) == 0 && g_unlock(&s->m) == 0 &&
			 g_unlock(&s->m) == EPERM;
		_exit(ok ? 0 : 1);
	}
	wait_child(pid);
	assert_int_equal(pthread_mutex_lock(&s->m), 0);
	assert_int_equal(pthread_mutex_unlock(&s->m), 0);

both_at_once:
	/* Both at once: each wakes the other's sleepers. */
	init_robust(&s->m, PTHREAD_MUTEX_RECURSIVE, true);
	bump_across_fork(s, g_lock, g_unlock, 0);
	munmap(s, sizeof *s);
	need_robust_lists(); /* where the deaths were not tried */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_as_glibc),
		cmocka_unit_test(test_robust_list),
		cmocka_unit_test(test_owner_returns),
		cmocka_unit_test(test_owner_exits),
		cmocka_unit_test(test_detached_owner_returns),
		cmocka_unit_test(test_recursive_owner_death_resets_count),
		cmocka_unit_test(test_waiters_woken_by_death),
		cmocka_unit_test(test_not_recoverable),
		cmocka_unit_test(test_recursive_inconsistent_depth),
		cmocka_unit_test(test_consistent_errors),
		cmocka_unit_test(test_errorcheck_errors),
		cmocka_unit_test(test_recursive_errors),
		cmocka_unit_test(test_normal_errors),
		cmocka_unit_test(test_timed_lock_timeouts),
		cmocka_unit_test(test_contention),
		cmocka_unit_test(test_cond_wait),
		cmocka_unit_test(test_cond_wait_owner_died),
		cmocka_unit_test(test_pshared_sigkill),
		cmocka_unit_test(test_glibc_interop),
	};
	return testutil_status(cmocka_run_group_tests(tests, NULL, NULL));
}
