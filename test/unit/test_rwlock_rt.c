/*
 * test_rwlock_rt.c -- rwlocks and realtime readers (libshim/rwlock.c): a
 * realtime reader passes waiting writers it outranks, and only those
 * (POSIX's rule for SCHED_FIFO and SCHED_RR).
 *
 * Raising priorities needs root; the test skips when SCHED_FIFO is
 * refused.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "priotest.h"
#include "testutil.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_rwlock_realtime_readers,
					  back_to_other),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
