/*
 * test_ring.c -- the lost-wake-up stress: a token goes round a ring of 16
 * threads, each hand-off through the receiver's own mutex and condvar.
 * Exactly one thread can move at any time, so one lost wake-up stops the
 * ring for good: the test then hangs and meson's timeout fails it.
 * (The seed lost the wake-up that came between releasing the lock and
 * parking; with 2 cores and 16 threads that window is hit constantly.)
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define RING 16
#define HANDOFFS 200000L

struct station {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool has_token;
	long received;
} __attribute__((aligned(64)));

static struct station ring[RING];

static void pass(struct station *to)
{
	pthread_mutex_lock(&to->m);
	to->has_token = true;
	pthread_cond_signal(&to->c);
	pthread_mutex_unlock(&to->m);
}

static void *station_run(void *arg)
{
	intptr_t i = (intptr_t)arg;
	struct station *me = &ring[i], *next = &ring[(i + 1) % RING];
	long rounds = HANDOFFS / RING;
	for (long r = 0; r < rounds; r++) {
		pthread_mutex_lock(&me->m);
		while (!me->has_token)
			pthread_cond_wait(&me->c, &me->m);
		me->has_token = false;
		me->received++;
		pthread_mutex_unlock(&me->m);
		pass(next);
	}
	return NULL;
}

static void run_ring(int mutex_type)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, mutex_type);
	for (int i = 0; i < RING; i++) {
		pthread_mutex_init(&ring[i].m, &a);
		pthread_cond_init(&ring[i].c, NULL);
		ring[i].has_token = false;
		ring[i].received = 0;
	}
	pthread_t t[RING];
	for (intptr_t i = 0; i < RING; i++)
		assert_int_equal(pthread_create(&t[i], NULL, station_run,
						(void *)i),
				 0);
	pass(&ring[0]);
	for (int i = 0; i < RING; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	long total = 0;
	for (int i = 0; i < RING; i++) {
		assert_int_equal(ring[i].received, HANDOFFS / RING);
		total += ring[i].received;
	}
	assert_int_equal(total, HANDOFFS / RING * RING);
	/* The last station passed the token back to the first one. */
	assert_true(ring[0].has_token);
}

static void test_ring_normal(void **state)
{
	(void)state;
	run_ring(PTHREAD_MUTEX_NORMAL);
}

static void test_ring_errorcheck(void **state)
{
	(void)state;
	run_ring(PTHREAD_MUTEX_ERRORCHECK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_normal),
		cmocka_unit_test(test_ring_errorcheck),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
