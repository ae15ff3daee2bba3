/*
 * test_mutex_pp.c -- priority-protection mutexes (libshim/mutex.c).
 *
 * The ceiling calls, the thread's priority raised to the ceiling while it
 * holds the mutex and restored after (nested and out of order), each
 * type's errors, a thread that may not be raised, contention, condition
 * variables, and glibc on the same process-shared mutex.  (Their layout
 * is checked in test_mutex_pi.c.)
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
	long tried; /* trylock rounds that the trylock itself won */
};

/* bump's rounds at a priority of its own (priotest.h says why a trylock
 * round's retries are bounded: the main thread inside
 * pthread_mutex_setprioceiling holds the word unraised, as POSIX allows
 * and glibc does). */
static void *pp_bump(void *arg)
{
	struct pp_bumper *b = arg;
	if (set_sched(SCHED_FIFO, b->prio) != 0)
		return (void *)3;
	void *r = bump_counting(b->c, &b->tried);
	if (r != NULL)
		return r;
	return my_prio() == b->prio ? NULL : (void *)4;
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
		b[i] = (struct pp_bumper){ &c, 1 + i % 2, 0 };
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
	long tried = 0;
	for (int i = 0; i < THREADS; i++) {
		void *r;
		assert_int_equal(pthread_join(t[i], &r), 0);
		assert_null(r);
		tried += b[i].tried;
	}
	assert_int_equal(c.n, (long)THREADS * c.rounds);
	assert_true(tried > 0);
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
	assert_true(mutex_waits_outside_park(shim_mutex(&x.m)));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
