/* libshim/c11.c: the C11 <threads.h> API over libshim's pthreads. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "libshim/thread.h"

static int return_arg(void *arg)
{
	return (int)(intptr_t)arg;
}

static int exit_with_arg(void *arg)
{
	thrd_exit((int)(intptr_t)arg);
}

static _Atomic thrd_t seen_self;
static int record_self(void *arg)
{
	(void)arg;
	seen_self = thrd_current();
	return 0;
}

static void test_create_join_results(void **state)
{
	(void)state;
	static const int values[] = { 0, 1, 42, -5, INT32_MAX, INT32_MIN };
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		thrd_t t;
		int res = 12345;
		assert_int_equal(thrd_create(&t, return_arg,
					     (void *)(intptr_t)values[i]),
				 thrd_success);
		assert_int_equal(thrd_join(t, &res), thrd_success);
		assert_int_equal(res, values[i]);

		res = 12345;
		assert_int_equal(thrd_create(&t, exit_with_arg,
					     (void *)(intptr_t)values[i]),
				 thrd_success);
		assert_int_equal(thrd_join(t, &res), thrd_success);
		assert_int_equal(res, values[i]);
	}
	thrd_t t;
	assert_int_equal(thrd_create(&t, return_arg, NULL), thrd_success);
	assert_int_equal(thrd_join(t, NULL), thrd_success);
}

static void test_current_equal_detach(void **state)
{
	(void)state;
	thrd_t me = thrd_current();
	assert_true(thrd_equal(me, thrd_current()));
	assert_true(thrd_equal(me, (thrd_t)pthread_self()));
	thrd_t t;
	assert_int_equal(thrd_create(&t, record_self, NULL), thrd_success);
	assert_int_equal(thrd_join(t, NULL), thrd_success);
	assert_true(thrd_equal(seen_self, t));
	assert_false(thrd_equal(seen_self, me));

	/* Joining oneself is EDEADLK in pthreads: thrd_error here. */
	assert_int_equal(thrd_join(me, NULL), thrd_error);

	assert_int_equal(thrd_create(&t, return_arg, NULL), thrd_success);
	assert_int_equal(thrd_detach(t), thrd_success);
	usleep(20000);
	thrd_yield();
}

static void test_sleep(void **state)
{
	(void)state;
	struct timespec d = { 0, 20 * 1000000 }, rem = { 9, 9 };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(thrd_sleep(&d, &rem), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		  (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 19);
	struct timespec bad = { 0, -1 };
	assert_int_equal(thrd_sleep(&bad, NULL), -2);
}

static void test_mutex_kinds_and_errors(void **state)
{
	(void)state;
	mtx_t m;
	assert_int_equal(mtx_init(&m, mtx_plain), thrd_success);
	assert_int_equal(mtx_trylock(&m), thrd_success);
	assert_int_equal(mtx_trylock(&m), thrd_busy);
	assert_int_equal(mtx_unlock(&m), thrd_success);
	assert_int_equal(mtx_lock(&m), thrd_success);
	assert_int_equal(mtx_unlock(&m), thrd_success);
	mtx_destroy(&m);

	assert_int_equal(mtx_init(&m, mtx_plain | mtx_recursive), thrd_success);
	assert_int_equal(mtx_lock(&m), thrd_success);
	assert_int_equal(mtx_lock(&m), thrd_success);
	assert_int_equal(mtx_trylock(&m), thrd_success);
	assert_int_equal(mtx_unlock(&m), thrd_success);
	assert_int_equal(mtx_unlock(&m), thrd_success);
	assert_int_equal(mtx_unlock(&m), thrd_success);
	mtx_destroy(&m);

	assert_int_equal(mtx_init(&m, mtx_timed), thrd_success);
	assert_int_equal(mtx_lock(&m), thrd_success);
	struct timespec dl = deadline_in(CLOCK_REALTIME, 30);
	assert_int_equal(mtx_timedlock(&m, &dl), thrd_timedout);
	assert_int_equal(mtx_unlock(&m), thrd_success);
	dl = deadline_in(CLOCK_REALTIME, 30);
	assert_int_equal(mtx_timedlock(&m, &dl), thrd_success);
	assert_int_equal(mtx_unlock(&m), thrd_success);
	mtx_destroy(&m);

	/* glibc: an unknown type makes a plain (normal) mutex. */
	assert_int_equal(mtx_init(&m, 99), thrd_success);
	assert_int_equal(mtx_trylock(&m), thrd_success);
	assert_int_equal(mtx_trylock(&m), thrd_busy);
	assert_int_equal(mtx_unlock(&m), thrd_success);
	mtx_destroy(&m);
}

/* A condition variable with a predicate, signalled from another thread. */
struct flagbox {
	mtx_t m;
	cnd_t c;
	int flag;
};

static int raise_flag(void *arg)
{
	struct flagbox *b = arg;
	thrd_sleep(&(struct timespec){ 0, 10 * 1000000 }, NULL);
	mtx_lock(&b->m);
	b->flag = 1;
	cnd_signal(&b->c);
	mtx_unlock(&b->m);
	return 0;
}

static void test_condition(void **state)
{
	(void)state;
	struct flagbox b = { .flag = 0 };
	assert_int_equal(mtx_init(&b.m, mtx_plain), thrd_success);
	assert_int_equal(cnd_init(&b.c), thrd_success);

	assert_int_equal(mtx_lock(&b.m), thrd_success);
	struct timespec dl = deadline_in(CLOCK_REALTIME, 20);
	assert_int_equal(cnd_timedwait(&b.c, &b.m, &dl), thrd_timedout);

	thrd_t t;
	assert_int_equal(thrd_create(&t, raise_flag, &b), thrd_success);
	while (!b.flag)
		assert_int_equal(cnd_wait(&b.c, &b.m), thrd_success);
	assert_int_equal(mtx_unlock(&b.m), thrd_success);
	assert_int_equal(thrd_join(t, NULL), thrd_success);

	assert_int_equal(cnd_signal(&b.c), thrd_success);
	assert_int_equal(cnd_broadcast(&b.c), thrd_success);
	cnd_destroy(&b.c);
	mtx_destroy(&b.m);
}

static tss_t dtor_key;
static _Atomic intptr_t dtor_saw;
static void tss_dtor(void *v)
{
	dtor_saw = (intptr_t)v;
}

static int set_tss(void *arg)
{
	if (tss_get(dtor_key) != NULL)
		return 1;
	if (tss_set(dtor_key, arg) != thrd_success)
		return 2;
	return tss_get(dtor_key) == arg ? 0 : 3;
}

static void test_tss(void **state)
{
	(void)state;
	assert_int_equal(tss_create(&dtor_key, tss_dtor), thrd_success);
	assert_null(tss_get(dtor_key));
	assert_int_equal(tss_set(dtor_key, (void *)5), thrd_success);
	assert_ptr_equal(tss_get(dtor_key), (void *)5);

	thrd_t t;
	int res = -1;
	assert_int_equal(thrd_create(&t, set_tss, (void *)77), thrd_success);
	assert_int_equal(thrd_join(t, &res), thrd_success);
	assert_int_equal(res, 0);
	assert_int_equal(dtor_saw, 77);
	assert_ptr_equal(tss_get(dtor_key), (void *)5); /* ours unchanged */
	assert_int_equal(tss_set(dtor_key, NULL), thrd_success);
	tss_delete(dtor_key);

	/* A key that was never created (beyond PTHREAD_KEYS_MAX). */
	assert_int_equal(tss_set((tss_t)SHIM_KEYS_MAX + 5, (void *)1),
			 thrd_error);
}

#define ONCE_THREADS 8
static once_flag c11_once = ONCE_FLAG_INIT;
static _Atomic int c11_once_runs;
static void c11_once_routine(void)
{
	c11_once_runs++;
	thrd_sleep(&(struct timespec){ 0, 5 * 1000000 }, NULL);
}

static int call_it(void *arg)
{
	(void)arg;
	call_once(&c11_once, c11_once_routine);
	return c11_once_runs;
}

static void test_call_once(void **state)
{
	(void)state;
	thrd_t t[ONCE_THREADS];
	for (int i = 0; i < ONCE_THREADS; i++)
		assert_int_equal(thrd_create(&t[i], call_it, NULL), thrd_success);
	for (int i = 0; i < ONCE_THREADS; i++) {
		int res = 0;
		assert_int_equal(thrd_join(t[i], &res), thrd_success);
		assert_int_equal(res, 1); /* the routine had finished */
	}
	call_once(&c11_once, c11_once_routine);
	assert_int_equal(c11_once_runs, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_join_results),
		cmocka_unit_test(test_current_equal_detach),
		cmocka_unit_test(test_sleep),
		cmocka_unit_test(test_mutex_kinds_and_errors),
		cmocka_unit_test(test_condition),
		cmocka_unit_test(test_tss),
		cmocka_unit_test(test_call_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
