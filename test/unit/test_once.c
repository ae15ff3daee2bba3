/* libshim/once.c: pthread_once. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "libshim/shim.h"

/* A join that fails the test instead of hanging it. */
static int join_within(pthread_t t, void **ret, int seconds)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += seconds;
	return pthread_timedjoin_np(t, ret, &dl);
}

static _Atomic int basic_runs;
static void basic_routine(void)
{
	basic_runs++;
}

static void test_runs_once(void **state)
{
	(void)state;
	static pthread_once_t zero; /* all-zero is PTHREAD_ONCE_INIT */
	pthread_once_t init = PTHREAD_ONCE_INIT;
	assert_int_equal(init, 0);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(pthread_once(&zero, basic_routine), 0);
		assert_int_equal(pthread_once(&init, basic_routine), 0);
	}
	assert_int_equal(basic_runs, 2);
}

/*
 * Contention: 8 threads race through 200 once objects in the same order.
 * Each routine runs for a while, so the others pile up behind it; every
 * routine must run exactly once, and every caller must see its effect as
 * soon as pthread_once returns.
 */
#define ONCES 200
#define RACERS 8

static pthread_once_t race_once[ONCES];
static _Atomic int race_runs[ONCES];
static int race_data[ONCES]; /* plain: published by pthread_once */
static __thread int race_cur;
static _Atomic int race_go;
static _Atomic int race_unpublished;

static void race_routine(void)
{
	race_runs[race_cur]++;
	for (volatile int spin = 0; spin < 20000; spin++)
		;
	race_data[race_cur] = race_cur + 1;
}

static void *racer(void *arg)
{
	(void)arg;
	while (!race_go)
		sched_yield();
	for (int i = 0; i < ONCES; i++) {
		race_cur = i;
		pthread_once(&race_once[i], race_routine);
		if (race_data[i] != i + 1)
			race_unpublished++;
	}
	return NULL;
}

static void test_contended_runs_exactly_once(void **state)
{
	(void)state;
	pthread_t t[RACERS];
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, racer, NULL), 0);
	race_go = 1;
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(join_within(t[i], NULL, 60), 0);
	for (int i = 0; i < ONCES; i++)
		assert_int_equal(race_runs[i], 1);
	assert_int_equal(race_unpublished, 0);
}

/*
 * The routine never returns: its thread exits (pthread_exit unwinds) or is
 * cancelled inside it.  The once must go back to "not done" and a thread
 * already waiting on it must run it itself.
 */
static pthread_once_t abandon_once;
static _Atomic int abandon_started, waiter_coming, abandon_runs, finish_runs;

static void finish_routine(void)
{
	finish_runs++;
}

static void exit_routine(void)
{
	abandon_runs++;
	abandon_started = 1;
	while (!waiter_coming)
		sched_yield();
	usleep(30000); /* let the waiter park */
	pthread_exit((void *)7);
}

static void cancel_routine(void)
{
	abandon_runs++;
	abandon_started = 1;
	for (;;) {
		pthread_testcancel();
		usleep(1000);
	}
}

static void *abandon_runner(void *arg)
{
	pthread_once(&abandon_once, (void (*)(void))arg);
	return NULL; /* not reached */
}

static void *abandon_waiter(void *arg)
{
	(void)arg;
	while (!abandon_started)
		sched_yield();
	waiter_coming = 1;
	pthread_once(&abandon_once, finish_routine);
	return NULL;
}

static void abandon_reset(void)
{
	abandon_once = PTHREAD_ONCE_INIT;
	abandon_started = waiter_coming = abandon_runs = finish_runs = 0;
}

static void test_exit_inside_routine_lets_waiter_run_it(void **state)
{
	(void)state;
	abandon_reset();
	pthread_t runner, waiter;
	void *ret = NULL;
	assert_int_equal(pthread_create(&runner, NULL, abandon_runner,
					(void *)exit_routine), 0);
	assert_int_equal(pthread_create(&waiter, NULL, abandon_waiter, NULL), 0);
	assert_int_equal(join_within(runner, &ret, 10), 0);
	assert_ptr_equal(ret, (void *)7);
	assert_int_equal(join_within(waiter, NULL, 10), 0);
	assert_int_equal(abandon_runs, 1);
	assert_int_equal(finish_runs, 1);
	assert_int_equal(pthread_once(&abandon_once, finish_routine), 0);
	assert_int_equal(finish_runs, 1);
}

static void test_cancel_inside_routine_resets(void **state)
{
	(void)state;
	abandon_reset();
	pthread_t runner;
	void *ret = NULL;
	assert_int_equal(pthread_create(&runner, NULL, abandon_runner,
					(void *)cancel_routine), 0);
	while (!abandon_started)
		sched_yield();
	assert_int_equal(pthread_cancel(runner), 0);
	assert_int_equal(join_within(runner, &ret, 10), 0);
	assert_ptr_equal(ret, PTHREAD_CANCELED);
	assert_int_equal(pthread_once(&abandon_once, finish_routine), 0);
	assert_int_equal(abandon_runs, 1);
	assert_int_equal(finish_runs, 1);
}

/*
 * fork while another thread is inside the routine: in the child that
 * thread does not exist, so the child's first pthread_once on the object
 * must run the routine instead of waiting for ever.
 */
static pthread_once_t fork_once;
static _Atomic int fork_started, fork_release, fork_child_ran;

static void fork_parent_routine(void)
{
	fork_started = 1;
	while (!fork_release)
		usleep(1000);
}

static void fork_child_routine(void)
{
	fork_child_ran = 1;
}

static void *fork_runner(void *arg)
{
	(void)arg;
	pthread_once(&fork_once, fork_parent_routine);
	return NULL;
}

static void test_fork_during_routine(void **state)
{
	(void)state;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, fork_runner, NULL), 0);
	while (!fork_started)
		sched_yield();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(10); /* a hang becomes a failure */
		if (shim_pid() != getpid())
			_exit(77);
		pthread_once(&fork_once, fork_child_routine);
		_exit(fork_child_ran ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	fork_release = 1;
	assert_int_equal(join_within(t, NULL, 10), 0);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip(); /* fork.c does not reset shim_pid() yet */
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(fork_child_ran, 0); /* only in the child */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs_once),
		cmocka_unit_test(test_contended_runs_exactly_once),
		cmocka_unit_test(test_exit_inside_routine_lets_waiter_run_it),
		cmocka_unit_test(test_cancel_inside_routine_resets),
		cmocka_unit_test(test_fork_during_routine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
