/*
 * test_prio.c -- priority-inheritance and priority-protection mutexes
 * (libshim/mutex.c).
 *
 * PI: glibc's layout, the lock word (owner tid, FUTEX_WAITERS), lock,
 * trylock and deadlines on both clocks, every type's errors, deadlock
 * through two mutexes, the owner's boost while a real-time thread waits,
 * contention, condition variables, robust PI owner death, and process-
 * shared PI across fork, against libshim and against plain glibc.
 * PP: glibc's layout, the ceiling calls, the thread's priority raised to
 * the ceiling while it holds the mutex and restored after (nested and
 * out of order), each type's errors, a thread that may not be raised,
 * contention, condition variables, and glibc on the same process-shared
 * mutex.
 * rwlocks: a realtime reader passes waiting writers it outranks, and only
 * those (POSIX's rule for SCHED_FIFO and SCHED_RR).
 * Wake-up order: realtime waiters of a mutex, a semaphore and a condition
 * variable are woken highest priority first.
 *
 * Raising priorities needs root (CI and the development machine run as
 * root); the tests that need it skip when SCHED_FIFO is refused.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "libshim/mutex.h"
#include "testutil.h"

#define KIND_PI 32
#define KIND_PP 64
#define CEILING_SHIFT 19
#define CEILING_MASK 0xfff80000u
#define INCONSISTENT INT_MAX

static const int types[] = { PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_RECURSIVE,
			     PTHREAD_MUTEX_ERRORCHECK,
			     PTHREAD_MUTEX_ADAPTIVE_NP };

typedef int (*init_fn)(pthread_mutex_t *, const pthread_mutexattr_t *);
typedef int (*mutex_fn)(pthread_mutex_t *);

/* glibc's own functions, as a program without libshim calls them. */
static void *glibc_fn(const char *name)
{
	void *f = dlvsym(RTLD_NEXT, name, "GLIBC_2.2.5");
	assert_non_null(f);
	return f;
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void make_attr(pthread_mutexattr_t *a, int protocol, int type,
		      bool robust, bool pshared, int ceiling)
{
	assert_int_equal(pthread_mutexattr_init(a), 0);
	assert_int_equal(pthread_mutexattr_settype(a, type), 0);
	assert_int_equal(pthread_mutexattr_setprotocol(a, protocol), 0);
	if (robust)
		assert_int_equal(pthread_mutexattr_setrobust(
					 a, PTHREAD_MUTEX_ROBUST),
				 0);
	if (pshared)
		assert_int_equal(pthread_mutexattr_setpshared(
					 a, PTHREAD_PROCESS_SHARED),
				 0);
	if (ceiling != 0)
		assert_int_equal(pthread_mutexattr_setprioceiling(a, ceiling),
				 0);
}

static void init_pi(pthread_mutex_t *m, int type, bool robust, bool pshared)
{
	pthread_mutexattr_t a;
	make_attr(&a, PTHREAD_PRIO_INHERIT, type, robust, pshared, 0);
	assert_int_equal(pthread_mutex_init(m, &a), 0);
}

static void init_pp(pthread_mutex_t *m, int type, bool pshared, int ceiling)
{
	pthread_mutexattr_t a;
	make_attr(&a, PTHREAD_PRIO_PROTECT, type, false, pshared, ceiling);
	assert_int_equal(pthread_mutex_init(m, &a), 0);
}

static int lock_word(pthread_mutex_t *m)
{
	return __atomic_load_n(&m->__data.__lock, __ATOMIC_ACQUIRE);
}

/* The priority the scheduler runs tid at: -1 - rt_priority for a real-
 * time (or boosted) thread, 20 + nice otherwise. */
static long kernel_prio(pid_t tid)
{
	return task_stat_field(tid, 18);
}

/* Wait until tid sleeps with FUTEX_WAITERS in m's word. */
static void wait_until_queued(pthread_mutex_t *m, _Atomic pid_t *tid)
{
	while (atomic_load(tid) == 0 || !(lock_word(m) & FUTEX_WAITERS) ||
	       !thread_asleep(atomic_load(tid)))
		usleep(1000);
}

static int my_prio(void)
{
	struct sched_param p;
	assert_int_equal(sched_getparam(0, &p), 0);
	return p.sched_priority;
}

static int set_sched(int policy, int prio)
{
	struct sched_param p = { .sched_priority = prio };
	return pthread_setschedparam(pthread_self(), policy, &p);
}

/* The PP tests run the main thread at SCHED_FIFO; skip where refused. */
static void fifo_or_skip(int prio)
{
	if (set_sched(SCHED_FIFO, prio) != 0)
		skip();
}

static int back_to_other(void **state)
{
	(void)state;
	return set_sched(SCHED_OTHER, 0);
}

/* A thread that holds m until told to let go. */
struct holder {
	pthread_mutex_t *m;
	_Atomic int state; /* 0 starting, 1 holding, 2 release */
	pthread_t t;
};

static void *hold(void *arg)
{
	struct holder *h = arg;
	if (pthread_mutex_lock(h->m) != 0)
		return (void *)1;
	atomic_store(&h->state, 1);
	while (atomic_load(&h->state) != 2)
		usleep(1000);
	return (void *)(intptr_t)pthread_mutex_unlock(h->m);
}

/* ...or until told to exit, still holding it (a robust one). */
static void *hold_and_die(void *arg)
{
	struct holder *h = arg;
	if (pthread_mutex_lock(h->m) != 0)
		return (void *)1;
	atomic_store(&h->state, 1);
	while (atomic_load(&h->state) != 2)
		usleep(1000);
	return NULL;
}

static void hold_with(struct holder *h, pthread_mutex_t *m,
		      void *(*fn)(void *))
{
	h->m = m;
	atomic_store(&h->state, 0);
	assert_int_equal(pthread_create(&h->t, NULL, fn, h), 0);
	while (atomic_load(&h->state) != 1)
		usleep(1000);
}

static void hold_start(struct holder *h, pthread_mutex_t *m)
{
	hold_with(h, m, hold);
}

static void hold_end(struct holder *h)
{
	void *r;
	atomic_store(&h->state, 2);
	assert_int_equal(pthread_join(h->t, &r), 0);
	assert_null(r);
}

/* ---- layout -------------------------------------------------------- */

static void test_kind_as_glibc(void **state)
{
	(void)state;
	init_fn glibc_init = glibc_fn("pthread_mutex_init");
	for (unsigned i = 0; i < 4; i++)
		for (int v = 0; v < 8; v++) {
			bool robust = v & 1, pshared = v & 2, pp = v & 4;
			if (pp && robust)
				continue;
			pthread_mutexattr_t a;
			make_attr(&a, pp ? PTHREAD_PRIO_PROTECT
					 : PTHREAD_PRIO_INHERIT,
				  types[i], robust, pshared, pp ? 42 : 0);
			pthread_mutex_t mine, theirs;
			memset(&mine, 0xa5, sizeof mine);
			memset(&theirs, 0x5a, sizeof theirs);
			assert_int_equal(pthread_mutex_init(&mine, &a), 0);
			assert_int_equal(glibc_init(&theirs, &a), 0);
			assert_memory_equal(&mine, &theirs, sizeof mine);
			assert_true(mine.__data.__kind &
				    (pp ? KIND_PP : KIND_PI));
		}
	pthread_mutex_t m;
	init_pp(&m, PTHREAD_MUTEX_NORMAL, false, 0);
	assert_int_equal(lock_word(&m),
			 sched_get_priority_min(SCHED_FIFO) << CEILING_SHIFT);
	init_pp(&m, PTHREAD_MUTEX_NORMAL, false, 42);
	assert_int_equal(lock_word(&m), 42 << CEILING_SHIFT);
	/* No robust priority protection, as glibc. */
	pthread_mutexattr_t a;
	make_attr(&a, PTHREAD_PRIO_PROTECT, PTHREAD_MUTEX_NORMAL, true, false,
		  0);
	assert_int_equal(pthread_mutex_init(&m, &a), ENOTSUP);
}

/* ---- PI ------------------------------------------------------------ */

static void test_pi_lock_unlock(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 4; i++)
		for (int v = 0; v < 4; v++) {
			bool robust = v & 1, pshared = v & 2;
			pthread_mutex_t m;
			init_pi(&m, types[i], robust, pshared);
			assert_int_equal(pthread_mutex_lock(&m), 0);
			assert_int_equal(lock_word(&m), gettid_());
			assert_int_equal(m.__data.__owner, gettid_());
			assert_int_equal(m.__data.__count, 1);
			assert_int_equal(in_thread(mutex_trylock_op, &m), EBUSY);
			assert_int_equal(in_thread(mutex_unlock_op, &m), EPERM);
			assert_int_equal(pthread_mutex_destroy(&m), EBUSY);
			assert_int_equal(pthread_mutex_unlock(&m), 0);
			assert_int_equal(lock_word(&m), 0);
			assert_int_equal(m.__data.__owner, 0);
			/* EPERM for every type, NORMAL too, as glibc. */
			assert_int_equal(pthread_mutex_unlock(&m), EPERM);

			assert_int_equal(pthread_mutex_trylock(&m), 0);
			assert_int_equal(lock_word(&m), gettid_());
			assert_int_equal(pthread_mutex_unlock(&m), 0);
			for (int c = 0; c < 2; c++) {
				clockid_t clock = c ? CLOCK_MONOTONIC
						    : CLOCK_REALTIME;
				struct timespec d = deadline_in(clock, 1000);
				assert_int_equal(pthread_mutex_clocklock(
							 &m, clock, &d),
						 0);
				assert_int_equal(pthread_mutex_unlock(&m), 0);
			}
			struct timespec d = deadline_in(CLOCK_REALTIME, 1000);
			assert_int_equal(pthread_mutex_timedlock(&m, &d), 0);
			assert_int_equal(pthread_mutex_unlock(&m), 0);
			/* Not checked when the mutex is free, as glibc. */
			struct timespec bad = { 0, 1000000000L };
			assert_int_equal(pthread_mutex_timedlock(&m, &bad), 0);
			assert_int_equal(pthread_mutex_unlock(&m), 0);
			int c;
			assert_int_equal(pthread_mutex_getprioceiling(&m, &c),
					 EINVAL);
			assert_int_equal(pthread_mutex_setprioceiling(&m, 5,
								      &c),
					 EINVAL);
			assert_int_equal(pthread_mutex_destroy(&m), 0);
			assert_int_equal(pthread_mutex_lock(&m), EINVAL);
		}
}

struct timed {
	pthread_mutex_t *m;
	clockid_t clock;
	struct timespec abstime;
	_Atomic pid_t tid;
};

static void *timed_locker(void *arg)
{
	struct timed *t = arg;
	atomic_store(&t->tid, gettid_());
	int r = pthread_mutex_clocklock(t->m, t->clock, &t->abstime);
	if (r == 0)
		r = pthread_mutex_unlock(t->m);
	return (void *)(intptr_t)r;
}

static void test_pi_deadlines(void **state)
{
	(void)state;
	pthread_mutex_t m;
	init_pi(&m, PTHREAD_MUTEX_NORMAL, false, false);
	struct holder h;
	hold_start(&h, &m);
	for (int c = 0; c < 2; c++) {
		clockid_t clock = c ? CLOCK_MONOTONIC : CLOCK_REALTIME;
		struct timespec start, d = deadline_in(clock, 60);
		clock_gettime(clock, &start);
		assert_int_equal(pthread_mutex_clocklock(&m, clock, &d),
				 ETIMEDOUT);
		long ms = ms_since(clock, &start);
		assert_true(ms >= 55 && ms < 2000);
	}
	struct timespec d = deadline_in(CLOCK_REALTIME, 60);
	assert_int_equal(pthread_mutex_timedlock(&m, &d), ETIMEDOUT);
	/* The kernel checks a deadline it must wait for: EINVAL for one out
	 * of range, a negative one too (glibc's answers). */
	struct timespec bad = { 0, 1000000000L }, neg = { -1, 0 };
	assert_int_equal(pthread_mutex_timedlock(&m, &bad), EINVAL);
	assert_int_equal(pthread_mutex_timedlock(&m, &neg), EINVAL);
	assert_int_equal(pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &neg),
			 EINVAL);
	d = deadline_in(CLOCK_REALTIME, 60);
	assert_int_equal(pthread_mutex_clocklock(&m, CLOCK_PROCESS_CPUTIME_ID,
						 &d),
			 EINVAL);
	assert_int_equal(pthread_mutex_trylock(&m), EBUSY);

	/* A waiter sets FUTEX_WAITERS and gets the mutex from the kernel at
	 * unlock, before its deadline. */
	for (int c = 0; c < 2; c++) {
		struct timed t = { &m, c ? CLOCK_MONOTONIC : CLOCK_REALTIME,
				   { 0, 0 }, 0 };
		t.abstime = deadline_in(t.clock, 10000);
		pthread_t w;
		assert_int_equal(pthread_create(&w, NULL, timed_locker, &t),
				 0);
		wait_until_queued(&m, &t.tid);
		hold_end(&h);
		void *r;
		assert_int_equal(pthread_join(w, &r), 0);
		assert_null(r);
		assert_int_equal(lock_word(&m), 0);
		hold_start(&h, &m);
	}
	hold_end(&h);
}

static void test_pi_errors(void **state)
{
	(void)state;
	for (int robust = 0; robust < 2; robust++) {
		pthread_mutex_t m;
		init_pi(&m, PTHREAD_MUTEX_ERRORCHECK, robust, false);
		assert_int_equal(pthread_mutex_lock(&m), 0);
		assert_int_equal(pthread_mutex_lock(&m), EDEADLK);
		/* EDEADLK from trylock too, as glibc's PI trylock. */
		assert_int_equal(pthread_mutex_trylock(&m), EDEADLK);
		struct timespec d = deadline_in(CLOCK_REALTIME, 1000);
		assert_int_equal(pthread_mutex_timedlock(&m, &d), EDEADLK);
		assert_int_equal(pthread_mutex_unlock(&m), 0);
		assert_int_equal(pthread_mutex_unlock(&m), EPERM);

		init_pi(&m, PTHREAD_MUTEX_RECURSIVE, robust, false);
		for (unsigned n = 1; n <= 3; n++) {
			assert_int_equal(n == 2 ? pthread_mutex_trylock(&m)
						: pthread_mutex_lock(&m),
					 0);
			assert_int_equal(m.__data.__count, n);
		}
		assert_int_equal(in_thread(mutex_unlock_op, &m), EPERM);
		unsigned depth = m.__data.__count;
		m.__data.__count = UINT_MAX;
		assert_int_equal(pthread_mutex_lock(&m), EAGAIN);
		assert_int_equal(pthread_mutex_trylock(&m), EAGAIN);
		m.__data.__count = depth;
		for (unsigned n = 0; n < 3; n++) {
			assert_int_equal(lock_word(&m), gettid_());
			assert_int_equal(pthread_mutex_unlock(&m), 0);
		}
		assert_int_equal(lock_word(&m), 0);
		assert_int_equal(pthread_mutex_unlock(&m), EPERM);

		/* NORMAL relocked: the kernel's EDEADLK; glibc waits for
		 * the deadline (for ever without one). */
		init_pi(&m, PTHREAD_MUTEX_NORMAL, robust, false);
		assert_int_equal(pthread_mutex_lock(&m), 0);
		assert_int_equal(pthread_mutex_trylock(&m), EBUSY);
		struct timespec start;
		clock_gettime(CLOCK_MONOTONIC, &start);
		d = deadline_in(CLOCK_MONOTONIC, 50);
		assert_int_equal(pthread_mutex_clocklock(&m, CLOCK_MONOTONIC,
							 &d),
				 ETIMEDOUT);
		assert_true(ms_since(CLOCK_MONOTONIC, &start) >= 45);
		assert_int_equal(pthread_mutex_unlock(&m), 0);
	}
}

/* Two errorcheck PI mutexes taken in opposite orders: the kernel sees
 * the cycle; errorcheck reports it (glibc fails an assertion). */
struct abba {
	pthread_mutex_t a, b;
	_Atomic pid_t tid;
};

static void *lock_b_then_a(void *arg)
{
	struct abba *x = arg;
	if (pthread_mutex_lock(&x->b) != 0)
		return (void *)1;
	atomic_store(&x->tid, gettid_());
	int r = pthread_mutex_lock(&x->a);
	if (r == 0)
		r = pthread_mutex_unlock(&x->a);
	if (pthread_mutex_unlock(&x->b) != 0)
		return (void *)2;
	return (void *)(intptr_t)r;
}

static void test_pi_deadlock_chain(void **state)
{
	(void)state;
	struct abba x = { .tid = 0 };
	init_pi(&x.a, PTHREAD_MUTEX_ERRORCHECK, false, false);
	init_pi(&x.b, PTHREAD_MUTEX_ERRORCHECK, false, false);
	assert_int_equal(pthread_mutex_lock(&x.a), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, lock_b_then_a, &x), 0);
	wait_until_queued(&x.a, &x.tid);
	assert_int_equal(pthread_mutex_lock(&x.b), EDEADLK);
	assert_int_equal(pthread_mutex_unlock(&x.a), 0);
	void *r;
	assert_int_equal(pthread_join(t, &r), 0);
	assert_null(r);
}

/* The point of PI: a real-time waiter lends its priority to the owner. */
struct rt_waiter {
	pthread_mutex_t *m;
	_Atomic pid_t tid;
	int sched_error;
};

static void *rt_lock(void *arg)
{
	struct rt_waiter *w = arg;
	w->sched_error = set_sched(SCHED_FIFO, 30);
	atomic_store(&w->tid, gettid_());
	if (w->sched_error != 0)
		return NULL;
	int r = pthread_mutex_lock(w->m);
	if (r == 0)
		r = pthread_mutex_unlock(w->m);
	return (void *)(intptr_t)r;
}

static void test_pi_boosts_owner(void **state)
{
	(void)state;
	for (int pshared = 0; pshared < 2; pshared++) {
		pthread_mutex_t m;
		init_pi(&m, PTHREAD_MUTEX_NORMAL, false, pshared);
		long own = kernel_prio(gettid_());
		assert_true(own >= 0); /* SCHED_OTHER: 20 + nice */
		assert_int_equal(pthread_mutex_lock(&m), 0);
		struct rt_waiter w = { &m, 0, 0 };
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, rt_lock, &w), 0);
		while (atomic_load(&w.tid) == 0)
			usleep(1000);
		if (w.sched_error != 0) {
			pthread_mutex_unlock(&m);
			pthread_join(t, NULL);
			skip();
		}
		wait_until_queued(&m, &w.tid);
		/* -1 - 30: running at the waiter's SCHED_FIFO 30. */
		assert_int_equal(kernel_prio(gettid_()), -31);
		assert_int_equal(pthread_mutex_unlock(&m), 0);
		assert_int_equal(kernel_prio(gettid_()), own);
		void *r;
		assert_int_equal(pthread_join(t, &r), 0);
		assert_null(r);
	}
}

#define THREADS 8

struct counter {
	pthread_mutex_t m;
	long n;
	int rounds; /* per thread */
};

static void *bump(void *arg)
{
	struct counter *c = arg;
	for (int i = 0; i < c->rounds; i++) {
		int r;
		if (i % 3 == 0) {
			while ((r = pthread_mutex_trylock(&c->m)) == EBUSY)
				sched_yield();
		} else if (i % 3 == 1) {
			struct timespec d = deadline_in(CLOCK_MONOTONIC, 10000);
			r = pthread_mutex_clocklock(&c->m, CLOCK_MONOTONIC, &d);
		} else {
			r = pthread_mutex_lock(&c->m);
		}
		if (r != 0)
			return (void *)1;
		c->n++;
		if (pthread_mutex_unlock(&c->m) != 0)
			return (void *)2;
	}
	return NULL;
}

static void contend(struct counter *c)
{
	pthread_t t[THREADS];
	c->n = 0;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, bump, c), 0);
	for (int i = 0; i < THREADS; i++) {
		void *r;
		assert_int_equal(pthread_join(t[i], &r), 0);
		assert_null(r);
	}
	assert_int_equal(c->n, (long)THREADS * c->rounds);
}

static void test_pi_contention(void **state)
{
	(void)state;
	struct counter c = { .rounds = 20000 };
	init_pi(&c.m, PTHREAD_MUTEX_NORMAL, false, false);
	contend(&c);
	assert_int_equal(lock_word(&c.m), 0);
	init_pi(&c.m, PTHREAD_MUTEX_RECURSIVE, true, true);
	contend(&c);
	assert_int_equal(lock_word(&c.m), 0);
}

struct cv {
	pthread_mutex_t m;
	pthread_cond_t c;
	int flag;
	int depth;
};

static void *cv_signaller(void *arg)
{
	struct cv *x = arg;
	/* Taking the mutex proves the waiter released it completely. */
	if (pthread_mutex_lock(&x->m) != 0)
		return (void *)1;
	x->flag = 1;
	pthread_cond_signal(&x->c);
	return (void *)(intptr_t)pthread_mutex_unlock(&x->m);
}

/* Wait on a condition variable with x->m held x->depth times. */
static void cv_round_trip(struct cv *x)
{
	pthread_cond_init(&x->c, NULL);
	x->flag = 0;
	for (int i = 0; i < x->depth; i++)
		assert_int_equal(pthread_mutex_lock(&x->m), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, cv_signaller, x), 0);
	while (!x->flag)
		assert_int_equal(pthread_cond_wait(&x->c, &x->m), 0);
	assert_int_equal(x->m.__data.__owner, gettid_());
	assert_int_equal(x->m.__data.__count, (unsigned)x->depth);
	for (int i = 0; i < x->depth; i++)
		assert_int_equal(pthread_mutex_unlock(&x->m), 0);
	void *r;
	assert_int_equal(pthread_join(t, &r), 0);
	assert_null(r);
	/* Not held: EPERM, as glibc's unlock inside the wait says. */
	assert_int_equal(pthread_cond_wait(&x->c, &x->m), EPERM);
}

static void test_pi_cond(void **state)
{
	(void)state;
	struct cv x;
	init_pi(&x.m, PTHREAD_MUTEX_NORMAL, false, false);
	/* Its waiters are the kernel's: a condition variable must never
	 * move its own onto the mutex's park queue. */
	assert_true(mutex_is_pshared(shim_mutex(&x.m)));
	x.depth = 1;
	cv_round_trip(&x);
	assert_int_equal(lock_word(&x.m), 0);
	init_pi(&x.m, PTHREAD_MUTEX_RECURSIVE, true, false);
	x.depth = 3;
	cv_round_trip(&x);
	assert_int_equal(lock_word(&x.m), 0);
}

/* ---- PI + robust ----------------------------------------------------- */

static struct robust_list_head *kernel_head(void)
{
	struct robust_list_head *h;
	size_t len;
	assert_int_equal(syscall(SYS_get_robust_list, 0, &h, &len), 0);
	return h;
}

static void *robust_node(pthread_mutex_t *m)
{
	return &m->__data.__list.__next;
}

struct blocked {
	pthread_mutex_t *m;
	_Atomic pid_t tid;
};

static void *blocked_locker(void *arg)
{
	struct blocked *b = arg;
	atomic_store(&b->tid, gettid_());
	int r = pthread_mutex_lock(b->m);
	if (r == EOWNERDEAD)
		r = pthread_mutex_consistent(b->m);
	if (r == 0)
		r = pthread_mutex_unlock(b->m);
	return (void *)(intptr_t)r;
}

static void test_pi_robust_owner_death(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		pthread_mutex_t m;
		init_pi(&m, types[i], true, false);

		/* Listed while held, marked as a PI futex (bit 0). */
		struct robust_list_head *h = kernel_head();
		assert_int_equal(pthread_mutex_lock(&m), 0);
		assert_ptr_equal(h->list.next,
				 (char *)robust_node(&m) + 1);
		assert_ptr_equal(h->list_op_pending, NULL);
		assert_int_equal(pthread_mutex_unlock(&m), 0);
		assert_ptr_equal(h->list.next, &h->list);

		/* The owner returns holding it. */
		assert_int_equal(in_thread(mutex_lock_op, &m), 0);
		assert_true(lock_word(&m) & FUTEX_OWNER_DIED);
		assert_int_equal(pthread_mutex_lock(&m), EOWNERDEAD);
		assert_int_equal(lock_word(&m), gettid_());
		assert_int_equal(m.__data.__owner, INCONSISTENT);
		assert_int_equal(pthread_mutex_consistent(&m), 0);
		assert_int_equal(pthread_mutex_unlock(&m), 0);
		assert_int_equal(pthread_mutex_lock(&m), 0);
		assert_int_equal(pthread_mutex_unlock(&m), 0);

		/* Found by trylock; not made consistent: unrecoverable. */
		assert_int_equal(in_thread(mutex_lock_op, &m), 0);
		assert_int_equal(pthread_mutex_trylock(&m), EOWNERDEAD);
		assert_int_equal(pthread_mutex_unlock(&m), 0);
		assert_int_equal(pthread_mutex_lock(&m), ENOTRECOVERABLE);
		assert_int_equal(pthread_mutex_trylock(&m), ENOTRECOVERABLE);
		assert_int_equal(lock_word(&m), 0);

		/* A waiter asleep in the kernel when the owner dies. */
		init_pi(&m, types[i], true, false);
		struct holder o;
		hold_with(&o, &m, hold_and_die);
		struct blocked b = { &m, 0 };
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, blocked_locker, &b),
				 0);
		wait_until_queued(&m, &b.tid);
		hold_end(&o); /* it exits without unlocking */
		void *r;
		assert_int_equal(pthread_join(t, &r), 0);
		assert_null(r);
		assert_int_equal(pthread_mutex_lock(&m), 0);
		assert_int_equal(pthread_mutex_unlock(&m), 0);
	}
}

/* ---- PI across processes ------------------------------------------- */

struct shared {
	pthread_mutex_t m;
	long counter;
	_Atomic int locked;
};

static struct shared *shared_area(void)
{
	struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(s != MAP_FAILED);
	return s;
}

static void wait_child(pid_t pid)
{
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

#define FORK_ROUNDS 20000

/* The child bumps with lock/unlock (libshim's or glibc's), the parent
 * with two threads of libshim. */
static void *shim_bumps(void *arg)
{
	struct shared *s = arg;
	for (int i = 0; i < FORK_ROUNDS; i++) {
		if (pthread_mutex_lock(&s->m) != 0)
			return (void *)1;
		s->counter++;
		if (pthread_mutex_unlock(&s->m) != 0)
			return (void *)1;
	}
	return NULL;
}

/* free_word: the lock word of the mutex when nobody holds it. */
static void bump_across_fork(struct shared *s, mutex_fn lock,
			     mutex_fn unlock, int free_word)
{
	s->counter = 0;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < FORK_ROUNDS; i++) {
			if (lock(&s->m) != 0)
				_exit(1);
			s->counter++;
			if (unlock(&s->m) != 0)
				_exit(2);
		}
		_exit(0);
	}
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, shim_bumps, s), 0);
	for (int i = 0; i < 2; i++) {
		void *r;
		assert_int_equal(pthread_join(t[i], &r), 0);
		assert_null(r);
	}
	wait_child(pid);
	assert_int_equal(s->counter, 3L * FORK_ROUNDS);
	assert_int_equal(lock_word(&s->m), free_word);
}

static void test_pi_pshared_fork(void **state)
{
	(void)state;
	struct shared *s = shared_area();
	init_pi(&s->m, PTHREAD_MUTEX_ERRORCHECK, false, true);
	bump_across_fork(s, pthread_mutex_lock, pthread_mutex_unlock, 0);

	/* A robust one whose owning process is killed. */
	init_pi(&s->m, PTHREAD_MUTEX_NORMAL, true, true);
	pid_t pid = fork_holder(&s->m, pthread_mutex_lock, &s->locked);
	assert_int_equal(pthread_mutex_trylock(&s->m), EBUSY);
	int st;
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(pthread_mutex_lock(&s->m), EOWNERDEAD);
	assert_int_equal(pthread_mutex_consistent(&s->m), 0);
	assert_int_equal(pthread_mutex_unlock(&s->m), 0);
	munmap(s, sizeof *s);
}

static void test_pi_glibc_interop(void **state)
{
	(void)state;
	mutex_fn g_lock = glibc_fn("pthread_mutex_lock");
	mutex_fn g_unlock = glibc_fn("pthread_mutex_unlock");
	assert_ptr_not_equal(g_lock, pthread_mutex_lock);
	struct shared *s = shared_area();
	init_pi(&s->m, PTHREAD_MUTEX_NORMAL, false, true);
	bump_across_fork(s, g_lock, g_unlock, 0);
	init_pi(&s->m, PTHREAD_MUTEX_RECURSIVE, true, true);
	bump_across_fork(s, g_lock, g_unlock, 0);

	/* A libshim owner dies; glibc finds it so. */
	pid_t pid = fork_holder(&s->m, pthread_mutex_lock, &s->locked);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(g_lock(&s->m) == EOWNERDEAD ? 0 : 1);
	wait_child(pid);
	/* ...and the glibc process died holding it in turn. */
	assert_int_equal(pthread_mutex_lock(&s->m), EOWNERDEAD);
	assert_int_equal(pthread_mutex_consistent(&s->m), 0);
	assert_int_equal(pthread_mutex_unlock(&s->m), 0);
	munmap(s, sizeof *s);
}

/* ---- PP ------------------------------------------------------------ */

static void test_pp_ceiling_calls(void **state)
{
	(void)state;
	pthread_mutex_t m;
	int c = -1, old = -1;
	for (unsigned i = 0; i < 4; i++) {
		init_pp(&m, types[i], false, 42);
		assert_int_equal(pthread_mutex_getprioceiling(&m, &c), 0);
		assert_int_equal(c, 42);
		assert_int_equal(pthread_mutex_setprioceiling(&m, 50, &old),
				 0);
		assert_int_equal(old, 42);
		assert_int_equal(lock_word(&m), 50 << CEILING_SHIFT);
		assert_int_equal(pthread_mutex_setprioceiling(&m, 51, &old),
				 0);
		assert_int_equal(old, 50);
		assert_int_equal(pthread_mutex_getprioceiling(&m, &c), 0);
		assert_int_equal(c, 51);
		/* Ranges as pthread_mutexattr_setprioceiling. */
		assert_int_equal(pthread_mutex_setprioceiling(&m, 0, &old),
				 EINVAL);
		assert_int_equal(pthread_mutex_setprioceiling(&m, 100, &old),
				 EINVAL);
		assert_int_equal(pthread_mutex_setprioceiling(&m, -1, &old),
				 EINVAL);
		assert_int_equal(pthread_mutex_getprioceiling(&m, &c), 0);
		assert_int_equal(c, 51);
		assert_int_equal(pthread_mutex_destroy(&m), 0);
		assert_int_equal(pthread_mutex_getprioceiling(&m, &c), EINVAL);
	}
}

/* SCHED_OTHER cannot take a priority: glibc's PP lock fails EINVAL. */
static void test_pp_needs_realtime(void **state)
{
	(void)state;
	pthread_mutex_t m;
	init_pp(&m, PTHREAD_MUTEX_NORMAL, false, 10);
	/* Every attempt (glibc's second one "succeeds", unraised). */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_mutex_lock(&m), EINVAL);
		assert_int_equal(pthread_mutex_trylock(&m), EINVAL);
		assert_int_equal(lock_word(&m), 10 << CEILING_SHIFT);
	}
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
}

static void test_pp_raises_priority(void **state)
{
	(void)state;
	fifo_or_skip(10);
	int old;
	for (unsigned i = 0; i < 4; i++)
		for (int pshared = 0; pshared < 2; pshared++) {
			pthread_mutex_t m;
			init_pp(&m, types[i], pshared, 50);
			assert_int_equal(pthread_mutex_lock(&m), 0);
			assert_int_equal(my_prio(), 50);
			assert_int_equal(sched_getscheduler(0), SCHED_FIFO);
			assert_int_equal(lock_word(&m),
					 (50 << CEILING_SHIFT) | 1);
			assert_int_equal(m.__data.__owner, gettid_());
			assert_int_equal(pthread_mutex_destroy(&m), EBUSY);
			assert_int_equal(pthread_mutex_unlock(&m), 0);
			assert_int_equal(my_prio(), 10);
			assert_int_equal(lock_word(&m), 50 << CEILING_SHIFT);
			assert_int_equal(pthread_mutex_trylock(&m), 0);
			assert_int_equal(my_prio(), 50);
			assert_int_equal(pthread_mutex_unlock(&m), 0);
			struct timespec d = deadline_in(CLOCK_MONOTONIC, 1000);
			assert_int_equal(pthread_mutex_clocklock(
						 &m, CLOCK_MONOTONIC, &d),
					 0);
			assert_int_equal(my_prio(), 50);
			assert_int_equal(pthread_mutex_unlock(&m), 0);
			assert_int_equal(my_prio(), 10);
			/* A ceiling below the caller's priority: EINVAL. */
			assert_int_equal(pthread_mutex_setprioceiling(&m, 5,
								      &old),
					 0);
			assert_int_equal(pthread_mutex_lock(&m), EINVAL);
			assert_int_equal(pthread_mutex_trylock(&m), EINVAL);
			assert_int_equal(my_prio(), 10);
			/* Equal to it: nothing to raise. */
			assert_int_equal(pthread_mutex_setprioceiling(&m, 10,
								      &old),
					 0);
			assert_int_equal(pthread_mutex_lock(&m), 0);
			assert_int_equal(my_prio(), 10);
			assert_int_equal(pthread_mutex_unlock(&m), 0);
		}
}

static void test_pp_nested(void **state)
{
	(void)state;
	fifo_or_skip(10);
	pthread_mutex_t a, b, c;
	init_pp(&a, PTHREAD_MUTEX_NORMAL, false, 30);
	init_pp(&b, PTHREAD_MUTEX_ERRORCHECK, true, 60);
	init_pp(&c, PTHREAD_MUTEX_RECURSIVE, false, 30);

	/* In order. */
	assert_int_equal(pthread_mutex_lock(&a), 0);
	assert_int_equal(my_prio(), 30);
	assert_int_equal(pthread_mutex_lock(&b), 0);
	assert_int_equal(my_prio(), 60);
	assert_int_equal(pthread_mutex_unlock(&b), 0);
	assert_int_equal(my_prio(), 30);
	assert_int_equal(pthread_mutex_unlock(&a), 0);
	assert_int_equal(my_prio(), 10);

	/* Out of order, and two at one ceiling. */
	assert_int_equal(pthread_mutex_lock(&a), 0);
	assert_int_equal(pthread_mutex_lock(&c), 0);
	assert_int_equal(pthread_mutex_lock(&c), 0);
	assert_int_equal(pthread_mutex_lock(&b), 0);
	assert_int_equal(pthread_mutex_unlock(&a), 0);
	assert_int_equal(my_prio(), 60);
	assert_int_equal(pthread_mutex_unlock(&b), 0);
	assert_int_equal(my_prio(), 30);
	assert_int_equal(pthread_mutex_unlock(&c), 0);
	assert_int_equal(my_prio(), 30); /* c is still held once */
	assert_int_equal(pthread_mutex_unlock(&c), 0);
	assert_int_equal(my_prio(), 10);

	/* A held recursive one's new ceiling counts at once (glibc). */
	assert_int_equal(pthread_mutex_lock(&c), 0);
	int old;
	assert_int_equal(pthread_mutex_setprioceiling(&c, 70, &old), 0);
	assert_int_equal(old, 30);
	assert_int_equal(my_prio(), 70);
	assert_int_equal(lock_word(&c), (70 << CEILING_SHIFT) | 1);
	assert_int_equal(pthread_mutex_setprioceiling(&c, 20, &old), 0);
	assert_int_equal(old, 70);
	assert_int_equal(my_prio(), 20);
	assert_int_equal(pthread_mutex_unlock(&c), 0);
	assert_int_equal(my_prio(), 10);

	/* The thread's own priority, changed while it holds nothing, is
	 * what the next unlock restores. */
	assert_int_equal(set_sched(SCHED_RR, 15), 0);
	assert_int_equal(pthread_mutex_lock(&b), 0);
	assert_int_equal(my_prio(), 60);
	assert_int_equal(sched_getscheduler(0), SCHED_RR);
	assert_int_equal(pthread_mutex_unlock(&b), 0);
	assert_int_equal(my_prio(), 15);
}

static void test_pp_errors(void **state)
{
	(void)state;
	fifo_or_skip(10);
	pthread_mutex_t m;
	init_pp(&m, PTHREAD_MUTEX_ERRORCHECK, false, 40);
	assert_int_equal(pthread_mutex_unlock(&m), EPERM);
	assert_int_equal(pthread_mutex_lock(&m), 0);
	assert_int_equal(pthread_mutex_lock(&m), EDEADLK);
	/* EDEADLK from trylock and setprioceiling too, as glibc. */
	assert_int_equal(pthread_mutex_trylock(&m), EDEADLK);
	int old;
	assert_int_equal(pthread_mutex_setprioceiling(&m, 45, &old), EDEADLK);
	assert_int_equal(in_thread(mutex_unlock_op, &m), EPERM);
	assert_int_equal(my_prio(), 40);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(pthread_mutex_unlock(&m), EPERM);
	assert_int_equal(my_prio(), 10);

	init_pp(&m, PTHREAD_MUTEX_RECURSIVE, false, 40);
	assert_int_equal(pthread_mutex_lock(&m), 0);
	assert_int_equal(pthread_mutex_trylock(&m), 0);
	assert_int_equal(m.__data.__count, 2);
	m.__data.__count = UINT_MAX;
	assert_int_equal(pthread_mutex_lock(&m), EAGAIN);
	m.__data.__count = 2;
	assert_int_equal(in_thread(mutex_unlock_op, &m), EPERM);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(my_prio(), 40);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(my_prio(), 10);
	assert_int_equal(pthread_mutex_unlock(&m), EPERM);

	/* NORMAL does not check, as glibc: an unlocked one unlocks, and
	 * the priority is left alone. */
	init_pp(&m, PTHREAD_MUTEX_NORMAL, false, 40);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(my_prio(), 10);
	assert_int_equal(lock_word(&m), 40 << CEILING_SHIFT);

	/* Busy, timed out and bad deadlines leave the priority as it was
	 * (glibc stays raised after a timeout). */
	struct holder h;
	hold_start(&h, &m);
	assert_int_equal(pthread_mutex_trylock(&m), EBUSY);
	assert_int_equal(my_prio(), 10);
	struct timespec d = deadline_in(CLOCK_REALTIME, 50);
	assert_int_equal(pthread_mutex_timedlock(&m, &d), ETIMEDOUT);
	assert_int_equal(my_prio(), 10);
	d = deadline_in(CLOCK_MONOTONIC, 50);
	assert_int_equal(pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &d),
			 ETIMEDOUT);
	struct timespec bad = { 0, -1 }, neg = { -1, 0 };
	assert_int_equal(pthread_mutex_timedlock(&m, &bad), EINVAL);
	assert_int_equal(pthread_mutex_timedlock(&m, &neg), ETIMEDOUT);
	assert_int_equal(my_prio(), 10);
	assert_int_equal(lock_word(&m) & ~CEILING_MASK, 2);
	hold_end(&h);
	assert_int_equal(lock_word(&m), 40 << CEILING_SHIFT);
	/* Not checked when the mutex is free, as glibc. */
	assert_int_equal(pthread_mutex_timedlock(&m, &bad), 0);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
}

/* RLIMIT_RTPRIO 0 and no privilege: raising is refused, EPERM. */
static void test_pp_unprivileged(void **state)
{
	(void)state;
	fifo_or_skip(10);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit none = { 0, 0 };
		if (setrlimit(RLIMIT_RTPRIO, &none) != 0 ||
		    setuid(65534) != 0)
			_exit(10);
		pthread_mutex_t high, same;
		pthread_mutexattr_t a;
		pthread_mutexattr_init(&a);
		pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT);
		pthread_mutexattr_setprioceiling(&a, 50);
		pthread_mutex_init(&high, &a);
		pthread_mutexattr_setprioceiling(&a, 10);
		pthread_mutex_init(&same, &a);
		if (pthread_mutex_lock(&high) != EPERM ||
		    pthread_mutex_trylock(&high) != EPERM)
			_exit(11);
		if (pthread_mutex_lock(&same) != 0 || my_prio() != 10 ||
		    pthread_mutex_unlock(&same) != 0)
			_exit(12);
		_exit(0);
	}
	wait_child(pid);
}

struct pp_bumper {
	struct counter *c;
	int prio;
};

static void *pp_bump(void *arg)
{
	struct pp_bumper *b = arg;
	if (set_sched(SCHED_FIFO, b->prio) != 0)
		return (void *)3;
	void *r = bump(b->c);
	if (r == NULL && my_prio() != b->prio)
		return (void *)4;
	return r;
}

static void test_pp_contention(void **state)
{
	(void)state;
	fifo_or_skip(1);
	struct counter c = { .rounds = 2000 };
	init_pp(&c.m, PTHREAD_MUTEX_ERRORCHECK, false, 3);
	pthread_t t[THREADS];
	struct pp_bumper b[THREADS];
	for (int i = 0; i < THREADS; i++) {
		b[i] = (struct pp_bumper){ &c, 1 + i % 2 };
		assert_int_equal(pthread_create(&t[i], NULL, pp_bump, &b[i]),
				 0);
	}
	/* New ceilings while they contend: every sleeper is woken and
	 * retakes the word at the new ceiling. */
	for (int i = 0; i < 20; i++) {
		int old;
		assert_int_equal(pthread_mutex_setprioceiling(
					 &c.m, 3 + (i + 1) % 2, &old),
				 0);
		assert_int_equal(old, 3 + i % 2);
		usleep(1000);
	}
	for (int i = 0; i < THREADS; i++) {
		void *r;
		assert_int_equal(pthread_join(t[i], &r), 0);
		assert_null(r);
	}
	assert_int_equal(c.n, (long)THREADS * c.rounds);
	assert_int_equal(lock_word(&c.m) & ~CEILING_MASK, 0);
}

struct watched {
	struct cv *x;
	_Atomic pid_t tid;
	long prio_while_waiting;
};

static void *watch_and_signal(void *arg)
{
	struct watched *w = arg;
	/* Taking the mutex proves the waiter released it. */
	if (pthread_mutex_lock(&w->x->m) != 0)
		return (void *)1;
	/* The waiter lowers itself just after it frees the word. */
	for (int i = 0; i < 1000; i++) {
		w->prio_while_waiting = kernel_prio(atomic_load(&w->tid));
		if (w->prio_while_waiting == -1 - 10)
			break;
		usleep(1000);
	}
	w->x->flag = 1;
	pthread_cond_signal(&w->x->c);
	return (void *)(intptr_t)pthread_mutex_unlock(&w->x->m);
}

/* A condition wait releases the ceiling with the mutex. */
static void test_pp_cond(void **state)
{
	(void)state;
	fifo_or_skip(10);
	struct cv x;
	init_pp(&x.m, PTHREAD_MUTEX_RECURSIVE, false, 50);
	/* Its waiters sleep on the word, not in the park layer. */
	assert_true(mutex_is_pshared(shim_mutex(&x.m)));
	pthread_cond_init(&x.c, NULL);
	x.flag = 0;
	struct watched w = { &x, gettid_(), 0 };
	assert_int_equal(pthread_mutex_lock(&x.m), 0);
	assert_int_equal(pthread_mutex_lock(&x.m), 0);
	assert_int_equal(my_prio(), 50);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, watch_and_signal, &w), 0);
	while (!x.flag)
		assert_int_equal(pthread_cond_wait(&x.c, &x.m), 0);
	assert_int_equal(w.prio_while_waiting, -1 - 10);
	assert_int_equal(my_prio(), 50);
	assert_int_equal(x.m.__data.__count, 2);
	assert_int_equal(pthread_mutex_unlock(&x.m), 0);
	assert_int_equal(pthread_mutex_unlock(&x.m), 0);
	assert_int_equal(my_prio(), 10);
	void *r;
	assert_int_equal(pthread_join(t, &r), 0);
	assert_null(r);

	/* The ceiling fell below the waiter's priority meanwhile: the wait
	 * cannot retake it and says so, as glibc's. */
	x.flag = 0;
	struct timespec d = deadline_in(CLOCK_REALTIME, 20);
	assert_int_equal(pthread_mutex_lock(&x.m), 0);
	int old;
	assert_int_equal(pthread_mutex_setprioceiling(&x.m, 5, &old), 0);
	assert_int_equal(old, 50);
	assert_int_equal(pthread_cond_timedwait(&x.c, &x.m, &d), EINVAL);
	assert_int_equal(my_prio(), 10);
	assert_int_equal(lock_word(&x.m), 5 << CEILING_SHIFT);
}

static void test_pp_glibc_interop(void **state)
{
	(void)state;
	fifo_or_skip(10);
	mutex_fn g_lock = glibc_fn("pthread_mutex_lock");
	mutex_fn g_unlock = glibc_fn("pthread_mutex_unlock");
	struct shared *s = shared_area();
	init_pp(&s->m, PTHREAD_MUTEX_NORMAL, true, 20);
	/* The child is SCHED_FIFO 10 too (inherited across fork). */
	bump_across_fork(s, g_lock, g_unlock, 20 << CEILING_SHIFT);
	assert_int_equal(my_prio(), 10);
	munmap(s, sizeof *s);
}

/* ---- rwlock: realtime readers and waiting writers ------------------ */

struct rt_writer {
	pthread_rwlock_t *rw;
	_Atomic pid_t tid;
};

static void *rt_write(void *arg)
{
	struct rt_writer *w = arg;
	atomic_store(&w->tid, gettid_());
	int e = pthread_rwlock_wrlock(w->rw);
	if (e == 0)
		pthread_rwlock_unlock(w->rw);
	return (void *)(intptr_t)e;
}

struct rt_reader {
	pthread_rwlock_t *rw;
	int policy, prio;
	bool blocking; /* rdlock, else tryrdlock */
};

static void *rt_read(void *arg)
{
	struct rt_reader *r = arg;
	if (set_sched(r->policy, r->prio) != 0)
		return (void *)(intptr_t)-1;
	int e = r->blocking ? pthread_rwlock_rdlock(r->rw)
			    : pthread_rwlock_tryrdlock(r->rw);
	if (e == 0)
		pthread_rwlock_unlock(r->rw);
	return (void *)(intptr_t)e;
}

static int rt_read_in_thread(pthread_rwlock_t *rw, int policy, int prio,
			     bool blocking)
{
	struct rt_reader r = { rw, policy, prio, blocking };
	return in_thread(rt_read, &r);
}

static void test_rwlock_realtime_readers(void **state)
{
	(void)state;
	fifo_or_skip(10);
	pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	struct rt_writer w = { &rw, 0 };
	pthread_t wt;
	assert_int_equal(pthread_rwlock_rdlock(&rw), 0);
	/* The writer inherits SCHED_FIFO 10 and parks behind our share. */
	assert_int_equal(pthread_create(&wt, NULL, rt_write, &w), 0);
	while (atomic_load(&w.tid) == 0 || !thread_asleep(atomic_load(&w.tid)))
		usleep(1000);

	/* Outranking it: in, by trylock and by a blocking rdlock. */
	assert_int_equal(rt_read_in_thread(&rw, SCHED_FIFO, 20, false), 0);
	assert_int_equal(rt_read_in_thread(&rw, SCHED_RR, 11, true), 0);
	/* Equal, or not realtime: stopped, as any reader behind a writer. */
	assert_int_equal(rt_read_in_thread(&rw, SCHED_FIFO, 10, false), EBUSY);
	assert_int_equal(rt_read_in_thread(&rw, SCHED_OTHER, 0, false), EBUSY);

	/* Our share gone, the writer gets the lock. */
	assert_int_equal(pthread_rwlock_unlock(&rw), 0);
	void *res;
	assert_int_equal(pthread_join(wt, &res), 0);
	assert_int_equal((intptr_t)res, 0);
	/* Nobody waits: the record is gone with WWAIT. */
	assert_int_equal(rw.__data.__wrphase_futex, 0);
	assert_int_equal(pthread_rwlock_destroy(&rw), 0);
}

/* ---- wake-up order of realtime waiters ---------------------------- */

enum wait_on { ON_MUTEX, ON_SEM, ON_COND };

struct order {
	enum wait_on on;
	pthread_mutex_t m;
	pthread_cond_t c;
	sem_t sem;
	bool go; /* under m: the condition ON_COND waiters wait for */
	_Atomic int woken[3], nwoken;
};

struct order_waiter {
	struct order *o;
	int prio;
	_Atomic pid_t tid;
	int sched_error;
};

static void *order_wait(void *arg)
{
	struct order_waiter *w = arg;
	struct order *o = w->o;
	w->sched_error = set_sched(SCHED_FIFO, w->prio);
	atomic_store(&w->tid, gettid_());
	if (w->sched_error != 0)
		return NULL;
	if (o->on == ON_SEM) {
		sem_wait(&o->sem);
	} else {
		pthread_mutex_lock(&o->m);
		while (o->on == ON_COND && !o->go)
			pthread_cond_wait(&o->c, &o->m);
		o->go = false;
	}
	o->woken[atomic_fetch_add(&o->nwoken, 1)] = w->prio;
	if (o->on != ON_SEM)
		pthread_mutex_unlock(&o->m);
	return NULL;
}

/* Let one waiter go and wait until it has said so. */
static void release_one(struct order *o, int n)
{
	if (o->on == ON_SEM) {
		sem_post(&o->sem);
	} else if (o->on == ON_COND) {
		pthread_mutex_lock(&o->m);
		o->go = true;
		pthread_cond_signal(&o->c);
		pthread_mutex_unlock(&o->m);
	} else if (n == 0) {
		pthread_mutex_unlock(&o->m); /* each waiter passes it on */
	}
	while (atomic_load(&o->nwoken) <= n)
		usleep(1000);
}

static void test_wake_order_by_priority(void **state)
{
	(void)state;
	static const int prios[3] = { 10, 30, 20 }; /* the order they queue */
	for (enum wait_on on = ON_MUTEX; on <= ON_COND; on++) {
		struct order o = { .on = on };
		pthread_mutex_init(&o.m, NULL);
		pthread_cond_init(&o.c, NULL);
		sem_init(&o.sem, 0, 0);
		if (on == ON_MUTEX)
			pthread_mutex_lock(&o.m);
		struct order_waiter w[3];
		pthread_t t[3];
		for (int i = 0; i < 3; i++) {
			w[i] = (struct order_waiter){ .o = &o, .prio = prios[i] };
			assert_int_equal(pthread_create(&t[i], NULL, order_wait,
							&w[i]), 0);
			while (atomic_load(&w[i].tid) == 0 ||
			       (w[i].sched_error == 0 &&
				!thread_asleep(atomic_load(&w[i].tid))))
				usleep(1000);
			if (w[i].sched_error != 0)
				skip();
		}
		/* glibc's kernel futex queues wake by priority too; libshim's
		 * park queues used to wake 10, 30, 20. */
		for (int n = 0; n < 3; n++)
			release_one(&o, n);
		for (int i = 0; i < 3; i++)
			pthread_join(t[i], NULL);
		assert_int_equal(o.woken[0], 30);
		assert_int_equal(o.woken[1], 20);
		assert_int_equal(o.woken[2], 10);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_as_glibc),
		cmocka_unit_test(test_pi_lock_unlock),
		cmocka_unit_test(test_pi_deadlines),
		cmocka_unit_test(test_pi_errors),
		cmocka_unit_test(test_pi_deadlock_chain),
		cmocka_unit_test(test_pi_boosts_owner),
		cmocka_unit_test(test_pi_contention),
		cmocka_unit_test(test_pi_cond),
		cmocka_unit_test(test_pi_robust_owner_death),
		cmocka_unit_test(test_pi_pshared_fork),
		cmocka_unit_test(test_pi_glibc_interop),
		cmocka_unit_test(test_pp_ceiling_calls),
		cmocka_unit_test(test_pp_needs_realtime),
		cmocka_unit_test_teardown(test_pp_raises_priority,
					  back_to_other),
		cmocka_unit_test_teardown(test_pp_nested, back_to_other),
		cmocka_unit_test_teardown(test_pp_errors, back_to_other),
		cmocka_unit_test_teardown(test_pp_unprivileged, back_to_other),
		cmocka_unit_test_teardown(test_pp_contention, back_to_other),
		cmocka_unit_test_teardown(test_pp_cond, back_to_other),
		cmocka_unit_test_teardown(test_pp_glibc_interop,
					  back_to_other),
		cmocka_unit_test(test_wake_order_by_priority),
		cmocka_unit_test_teardown(test_rwlock_realtime_readers,
					  back_to_other),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
