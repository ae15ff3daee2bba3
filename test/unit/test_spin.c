/* libshim/spin.c: spin locks. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static void test_trylock_and_unlock(void **state)
{
	(void)state;
	pthread_spinlock_t l;
	assert_int_equal(pthread_spin_init(&l, PTHREAD_PROCESS_PRIVATE), 0);
	assert_int_equal(pthread_spin_trylock(&l), 0);
	assert_int_equal(pthread_spin_trylock(&l), EBUSY);
	assert_int_equal(pthread_spin_unlock(&l), 0);
	assert_int_equal(pthread_spin_lock(&l), 0);
	assert_int_equal(pthread_spin_trylock(&l), EBUSY);
	assert_int_equal(pthread_spin_unlock(&l), 0);
	assert_int_equal(pthread_spin_trylock(&l), 0);
	assert_int_equal(pthread_spin_unlock(&l), 0);
	assert_int_equal(pthread_spin_destroy(&l), 0);
	/* glibc accepts any pshared value; so do we. */
	assert_int_equal(pthread_spin_init(&l, PTHREAD_PROCESS_SHARED), 0);
	assert_int_equal(pthread_spin_init(&l, 12345), 0);
	assert_int_equal(pthread_spin_trylock(&l), 0);
}

static void test_all_zero_is_unlocked(void **state)
{
	(void)state;
	static pthread_spinlock_t zero;
	assert_int_equal(pthread_spin_trylock(&zero), 0);
	assert_int_equal(pthread_spin_unlock(&zero), 0);
	assert_int_equal(pthread_spin_lock(&zero), 0);
	assert_int_equal(pthread_spin_unlock(&zero), 0);
}

#define SPIN_THREADS 8
#define SPIN_ITERS 200000

struct spin_shared {
	pthread_spinlock_t lock;
	long counter;      /* plain: only the lock protects it */
	int inside;        /* plain: 1 while someone holds the lock */
	_Atomic int overlaps;
	_Atomic int go;
};

static void *spin_worker(void *arg)
{
	struct spin_shared *s = arg;
	while (!s->go)
		sched_yield();
	for (int i = 0; i < SPIN_ITERS; i++) {
		if (i & 1) {
			pthread_spin_lock(&s->lock);
		} else {
			while (pthread_spin_trylock(&s->lock) != 0)
				;
		}
		if (s->inside)
			s->overlaps++;
		s->inside = 1;
		/* A read-modify-write the compiler must not merge across
		 * iterations: the lock is what makes it exclusive. */
		long c = *(volatile long *)&s->counter;
		*(volatile long *)&s->counter = c + 1;
		s->inside = 0;
		pthread_spin_unlock(&s->lock);
	}
	return NULL;
}

static void test_mutual_exclusion(void **state)
{
	(void)state;
	static struct spin_shared s;
	pthread_spin_init(&s.lock, PTHREAD_PROCESS_PRIVATE);
	pthread_t t[SPIN_THREADS];
	for (int i = 0; i < SPIN_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, spin_worker, &s), 0);
	s.go = 1;
	for (int i = 0; i < SPIN_THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(s.overlaps, 0);
	assert_int_equal(s.counter, (long)SPIN_THREADS * SPIN_ITERS);
	assert_int_equal(pthread_spin_trylock(&s.lock), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trylock_and_unlock),
		cmocka_unit_test(test_all_zero_is_unlocked),
		cmocka_unit_test(test_mutual_exclusion),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
