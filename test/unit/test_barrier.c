/* libshim/barrier.c: barriers and their attributes. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

static void test_attr(void **state)
{
	(void)state;
	pthread_barrierattr_t a;
	int ps = -1;
	assert_int_equal(pthread_barrierattr_init(&a), 0);
	assert_int_equal(pthread_barrierattr_getpshared(&a, &ps), 0);
	assert_int_equal(ps, PTHREAD_PROCESS_PRIVATE);
	assert_int_equal(pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
	assert_int_equal(pthread_barrierattr_getpshared(&a, &ps), 0);
	assert_int_equal(ps, PTHREAD_PROCESS_SHARED);
	assert_int_equal(pthread_barrierattr_setpshared(&a, 5), EINVAL);
	assert_int_equal(pthread_barrierattr_getpshared(&a, &ps), 0);
	assert_int_equal(ps, PTHREAD_PROCESS_SHARED);
	assert_int_equal(pthread_barrierattr_destroy(&a), 0);
}

static void test_init_errors(void **state)
{
	(void)state;
	pthread_barrier_t b;
	assert_int_equal(pthread_barrier_init(&b, NULL, 0), EINVAL);
	/* glibc's limit: counts from UINT_MAX / 2 up are refused. */
	assert_int_equal(pthread_barrier_init(&b, NULL, UINT_MAX / 2), EINVAL);
	assert_int_equal(pthread_barrier_init(&b, NULL, UINT_MAX), EINVAL);
	assert_int_equal(pthread_barrier_init(&b, NULL, UINT_MAX / 2 - 1), 0);
	assert_int_equal(pthread_barrier_destroy(&b), 0);
}

static void test_count_one_is_always_serial(void **state)
{
	(void)state;
	pthread_barrier_t b;
	assert_int_equal(pthread_barrier_init(&b, NULL, 1), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(pthread_barrier_wait(&b),
				 PTHREAD_BARRIER_SERIAL_THREAD);
	assert_int_equal(pthread_barrier_destroy(&b), 0);
}

/*
 * Rounds: N threads, count N, thousands of rounds back to back.  Before
 * each wait a thread publishes the round it is in; after the wait every
 * thread must have published at least that round (nobody got through
 * early), and exactly one thread per round is the serial one.  Threads
 * re-enter at once, so the next round always starts while the previous
 * one's waiters are still waking up.
 */
#define ROUND_THREADS 12
#define ROUNDS 3000

struct rounds {
	pthread_barrier_t bar;
	_Atomic int reached[ROUND_THREADS];
	_Atomic int serial[ROUNDS];
	_Atomic int early;     /* a thread passed before all arrived */
	_Atomic int bad_ret;   /* a return value other than 0 or SERIAL */
};

struct rounds_arg {
	struct rounds *r;
	int id;
};

static void *rounds_worker(void *p)
{
	struct rounds_arg *a = p;
	struct rounds *r = a->r;
	for (int round = 1; round <= ROUNDS; round++) {
		r->reached[a->id] = round;
		int ret = pthread_barrier_wait(&r->bar);
		if (ret == PTHREAD_BARRIER_SERIAL_THREAD)
			r->serial[round - 1]++;
		else if (ret != 0)
			r->bad_ret++;
		for (int j = 0; j < ROUND_THREADS; j++)
			if (r->reached[j] < round)
				r->early++;
	}
	return NULL;
}

static void test_rounds_one_serial_each_immediate_reuse(void **state)
{
	(void)state;
	struct rounds *r = calloc(1, sizeof *r);
	assert_non_null(r);
	assert_int_equal(pthread_barrier_init(&r->bar, NULL, ROUND_THREADS), 0);
	pthread_t t[ROUND_THREADS];
	struct rounds_arg args[ROUND_THREADS];
	for (int i = 0; i < ROUND_THREADS; i++) {
		args[i] = (struct rounds_arg){ r, i };
		assert_int_equal(pthread_create(&t[i], NULL, rounds_worker, &args[i]), 0);
	}
	for (int i = 0; i < ROUND_THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(r->early, 0);
	assert_int_equal(r->bad_ret, 0);
	for (int i = 0; i < ROUNDS; i++)
		assert_int_equal(r->serial[i], 1);
	assert_int_equal(pthread_barrier_destroy(&r->bar), 0);
	free(r);
}

/*
 * More threads than the count: 16 threads through a barrier of 4.  The
 * threads draw tickets for a fixed total of waits (a multiple of the
 * count; with a fixed number of waits per thread, a thread that fell
 * behind could legitimately be left alone at the end).  Each completed
 * round has exactly one serial thread, so the serial returns must number
 * the waits divided by the count, and nobody may be left stranded.
 */
#define OVER_THREADS 16
#define OVER_COUNT 4
#define OVER_WAITS 8000

struct over {
	pthread_barrier_t bar;
	_Atomic int tickets;
	_Atomic int serials;
	_Atomic int zeros;
};

static void *over_worker(void *p)
{
	struct over *o = p;
	while (o->tickets++ < OVER_WAITS) {
		int ret = pthread_barrier_wait(&o->bar);
		if (ret == PTHREAD_BARRIER_SERIAL_THREAD)
			o->serials++;
		else if (ret == 0)
			o->zeros++;
	}
	return NULL;
}

static void test_more_threads_than_count(void **state)
{
	(void)state;
	static struct over o;
	assert_int_equal(pthread_barrier_init(&o.bar, NULL, OVER_COUNT), 0);
	pthread_t t[OVER_THREADS];
	for (int i = 0; i < OVER_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, over_worker, &o), 0);
	for (int i = 0; i < OVER_THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(o.serials, OVER_WAITS / OVER_COUNT);
	assert_int_equal(o.zeros, OVER_WAITS - OVER_WAITS / OVER_COUNT);
	assert_int_equal(pthread_barrier_destroy(&o.bar), 0);
}

/*
 * Destroy right after the round, while the other waiters may still be on
 * their way out, then re-initialise the same memory at once for the next
 * round.  A destroy that returned before the leavers were gone would let
 * them write into the new barrier's state, which then never balances:
 * a later destroy or round hangs.
 */
#define REUSE_ITERS 300
#define REUSE_WORKERS 3

static void *reuse_worker(void *p)
{
	pthread_barrier_wait(p);
	return NULL;
}

static void test_destroy_right_after_round_then_reuse(void **state)
{
	(void)state;
	pthread_barrier_t *b = malloc(sizeof *b);
	assert_non_null(b);
	pthread_t prev[REUSE_WORKERS];
	for (int it = 0; it < REUSE_ITERS; it++) {
		pthread_t t[REUSE_WORKERS];
		assert_int_equal(pthread_barrier_init(b, NULL, REUSE_WORKERS + 1), 0);
		for (int i = 0; i < REUSE_WORKERS; i++)
			assert_int_equal(pthread_create(&t[i], NULL, reuse_worker, b), 0);
		/* Join the previous round's threads only now: they overlap
		 * with this round's use of the same memory. */
		if (it > 0)
			for (int i = 0; i < REUSE_WORKERS; i++)
				assert_int_equal(pthread_join(prev[i], NULL), 0);
		int ret = pthread_barrier_wait(b);
		assert_true(ret == 0 || ret == PTHREAD_BARRIER_SERIAL_THREAD);
		assert_int_equal(pthread_barrier_destroy(b), 0);
		memset(b, 0x5a, sizeof *b);
		memcpy(prev, t, sizeof t);
	}
	for (int i = 0; i < REUSE_WORKERS; i++)
		assert_int_equal(pthread_join(prev[i], NULL), 0);
	free(b);
}

/* White box: the arrivals of the current round are the low half of the
 * barrier's first 64-bit word (libshim/barrier.c). */
static uint32_t arrived(pthread_barrier_t *b)
{
	uint64_t w = __atomic_load_n((uint64_t *)b, __ATOMIC_ACQUIRE);
	return (uint32_t)w;
}

/* Destroying a barrier with a thread blocked in an unfinished round is
 * refused (glibc would wait for ever); the round still completes. */
static void test_destroy_with_blocked_waiter_is_ebusy(void **state)
{
	(void)state;
	static pthread_barrier_t b;
	assert_int_equal(pthread_barrier_init(&b, NULL, 2), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, reuse_worker, &b), 0);
	while (arrived(&b) == 0)
		usleep(1000);
	assert_int_equal(pthread_barrier_destroy(&b), EBUSY);
	int ret = pthread_barrier_wait(&b);
	assert_true(ret == 0 || ret == PTHREAD_BARRIER_SERIAL_THREAD);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(pthread_barrier_destroy(&b), 0);
}

/*
 * A process-shared barrier in MAP_SHARED memory, between this process
 * and a fork child: each publishes its round before waiting and checks
 * the other's after; one serial return per round across both processes.
 */
#define SHARED_ROUNDS 2000

struct shared_rounds {
	pthread_barrier_t bar;
	_Atomic int reached[2];
	_Atomic int serials;
	_Atomic int early;
};

static void shared_rounds_run(struct shared_rounds *s, int me)
{
	for (int round = 1; round <= SHARED_ROUNDS; round++) {
		s->reached[me] = round;
		if (pthread_barrier_wait(&s->bar) == PTHREAD_BARRIER_SERIAL_THREAD)
			s->serials++;
		if (s->reached[!me] < round)
			s->early++;
	}
}

static void test_process_shared_across_fork(void **state)
{
	(void)state;
	struct shared_rounds *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(s != MAP_FAILED);
	pthread_barrierattr_t a;
	pthread_barrierattr_init(&a);
	pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	assert_int_equal(pthread_barrier_init(&s->bar, &a, 2), 0);
	pthread_barrierattr_destroy(&a);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		shared_rounds_run(s, 1);
		_exit(0);
	}
	shared_rounds_run(s, 0);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(s->serials, SHARED_ROUNDS);
	assert_int_equal(s->early, 0);
	assert_int_equal(pthread_barrier_destroy(&s->bar), 0);
	munmap(s, sizeof *s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attr),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_count_one_is_always_serial),
		cmocka_unit_test(test_rounds_one_serial_each_immediate_reuse),
		cmocka_unit_test(test_more_threads_than_count),
		cmocka_unit_test(test_destroy_right_after_round_then_reuse),
		cmocka_unit_test(test_destroy_with_blocked_waiter_is_ebusy),
		cmocka_unit_test(test_process_shared_across_fork),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
