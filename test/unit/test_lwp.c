/* compat/linux: the LWP primitives and the wake-up token. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <cmocka.h>

#include "testutil.h"

#include "compat/lwp.h"

static void test_unpark_before_park_is_not_lost(void **state)
{
	(void)state;
	lwp_parker_t p = {0};
	lwp_unpark(&p);
	lwp_unpark(&p); /* two unparks are one token */
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, 2000);
	assert_int_equal(lwp_park(&p, &dl, CLOCK_MONOTONIC), 0);
	dl = deadline_in(CLOCK_MONOTONIC, 20);
	assert_int_equal(lwp_park(&p, &dl, CLOCK_MONOTONIC), ETIMEDOUT);
}

static void test_park_times_out_on_both_clocks(void **state)
{
	(void)state;
	lwp_parker_t p = {0};
	clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};
	for (int i = 0; i < 2; i++) {
		struct timespec dl = deadline_in(clocks[i], 30), now;
		int r;
		do
			r = lwp_park(&p, &dl, clocks[i]);
		while (r == EINTR || r == EAGAIN);
		assert_int_equal(r, ETIMEDOUT);
		clock_gettime(clocks[i], &now);
		assert_true(now.tv_sec > dl.tv_sec ||
			    (now.tv_sec == dl.tv_sec && now.tv_nsec >= dl.tv_nsec));
	}
}

static lwp_parker_t waiter;
static _Atomic int woke;

static void *parker_thread(void *arg)
{
	(void)arg;
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, 10000);
	int r;
	do
		r = lwp_park(&waiter, &dl, CLOCK_MONOTONIC);
	while (r == EINTR || r == EAGAIN);
	woke = r == 0 ? 1 : -1;
	return NULL;
}

static void test_unpark_wakes_sleeper(void **state)
{
	(void)state;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, parker_thread, NULL), 0);
	usleep(50000); /* let it fall asleep: the kernel path */
	lwp_unpark(&waiter);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(woke, 1);
}

static void test_wait_addr(void **state)
{
	(void)state;
	_Atomic int word = 5;
	assert_int_equal(lwp_wait_addr(&word, 4, NULL, CLOCK_MONOTONIC, false),
			 EAGAIN);
	struct timespec dl = deadline_in(CLOCK_REALTIME, 20);
	assert_int_equal(lwp_wait_addr(&word, 5, &dl, CLOCK_REALTIME, true),
			 ETIMEDOUT);
	assert_int_equal(lwp_wake_addr(&word, 1, false), 0);
}

static void test_self_and_kill(void **state)
{
	(void)state;
	assert_int_equal(lwp_self(), (pid_t)syscall(SYS_gettid));
	assert_int_equal(lwp_kill(lwp_self(), 0), 0);
	assert_int_equal(lwp_kill(0x7ffffff0, 0), ESRCH);
	assert_int_equal(lwp_kill(lwp_self(), 1000), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unpark_before_park_is_not_lost),
		cmocka_unit_test(test_park_times_out_on_both_clocks),
		cmocka_unit_test(test_unpark_wakes_sleeper),
		cmocka_unit_test(test_wait_addr),
		cmocka_unit_test(test_self_and_kill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
