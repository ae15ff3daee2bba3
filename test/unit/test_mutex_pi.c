/*
 * test_mutex_pi.c -- priority-inheritance mutexes (libshim/mutex.c), and
 * the layout of both priority protocols' mutexes.
 *
 * glibc's layout, the lock word (owner tid, FUTEX_WAITERS), lock,
 * trylock and deadlines on both clocks, every type's errors, deadlock
 * through two mutexes, the owner's boost while a real-time thread waits,
 * contention, condition variables, robust PI owner death, and process-
 * shared PI across fork, against libshim and against plain glibc.
 *
 * Raising priorities needs root (CI and the development machine run as
 * root); the tests that need it skip when SCHED_FIFO is refused.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
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
#include "priotest.h"
#include "testutil.h"

#define KIND_PI 32
#define KIND_PP 64
#define INCONSISTENT INT_MAX

typedef int (*init_fn)(pthread_mutex_t *, const pthread_mutexattr_t *);

static void init_pi(pthread_mutex_t *m, int type, bool robust, bool pshared)
{
	pthread_mutexattr_t a;
	make_attr(&a, PTHREAD_PRIO_INHERIT, type, robust, pshared, 0);
	assert_int_equal(pthread_mutex_init(m, &a), 0);
}

/* Wait until tid sleeps with FUTEX_WAITERS in m's word. */
static void wait_until_queued(pthread_mutex_t *m, _Atomic pid_t *tid)
{
	while (atomic_load(tid) == 0 || !(lock_word(m) & FUTEX_WAITERS) ||
	       !thread_asleep(atomic_load(tid)))
		usleep(1000);
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
	assert_true(mutex_waits_outside_park(shim_mutex(&x.m)));
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
	if (testutil_no_robust_lists())
		TESTUTIL_SKIP("no robust futex lists here (qemu-user: ENOSYS)");
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

static void test_pi_pshared_fork(void **state)
{
	(void)state;
	struct shared *s = shared_area();
	init_pi(&s->m, PTHREAD_MUTEX_ERRORCHECK, false, true);
	bump_across_fork(s, pthread_mutex_lock, pthread_mutex_unlock, 0);

	/* A robust one whose owning process is killed: without a robust
	 * list the kernel leaves the dead owner's tid in the word, and a
	 * lock waits for ever (glibc's does too). */
	if (testutil_no_robust_lists()) {
		munmap(s, sizeof *s);
		TESTUTIL_SKIP("no robust futex lists here (qemu-user: ENOSYS)");
	}
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
	if (testutil_no_robust_lists()) {
		munmap(s, sizeof *s);
		TESTUTIL_SKIP("no robust futex lists here (qemu-user: ENOSYS)");
	}
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
	};
	return testutil_status(cmocka_run_group_tests(tests, NULL, NULL));
}
