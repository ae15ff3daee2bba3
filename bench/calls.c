/*
 * bench/calls.c -- the calls a program makes all the time and expects to be
 * nearly free: pthread_once after the first call, pthread_getspecific,
 * pthread_self.  Each is called through a volatile function pointer:
 * pthread_self is declared __attribute__((const)) and would otherwise be
 * hoisted out of the loop, and the same indirect call for all three keeps
 * them comparable (about 1 ns of each number is that call).
 */
#include "bench.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;

static void init_once(void)
{
	once_runs++;
}

static void time_once(void)
{
	int (*volatile call)(pthread_once_t *, void (*)(void)) = pthread_once;
	int failures = 0;
	double ns;

	if (!bench_wanted("calls.once"))
		return;
	BENCH_PER_OP(ns, BENCH_ON_CPU, failures += call(&once, init_once) != 0);
	if (failures || once_runs != 1)
		bench_fail("calls.once: %d failures, init ran %d times", failures, once_runs);
	bench_metric("calls.once", ns, "ns", false);
}

static void time_getspecific(void)
{
	void *(*volatile call)(pthread_key_t) = pthread_getspecific;
	pthread_key_t key;
	int value, wrong = 0;
	double ns;

	if (!bench_wanted("calls.getspecific"))
		return;
	if (pthread_key_create(&key, NULL) != 0 || pthread_setspecific(key, &value) != 0)
		bench_fail("calls.getspecific: cannot create and set a key");
	BENCH_PER_OP(ns, BENCH_ON_CPU, wrong += call(key) != &value);
	if (wrong)
		bench_fail("calls.getspecific: %d calls returned the wrong value", wrong);
	pthread_key_delete(key);
	bench_metric("calls.getspecific", ns, "ns", false);
}

static void time_self(void)
{
	pthread_t (*volatile call)(void) = pthread_self;
	pthread_t first = pthread_self();
	int wrong = 0;
	double ns;

	if (!bench_wanted("calls.self"))
		return;
	BENCH_PER_OP(ns, BENCH_ON_CPU, wrong += !pthread_equal(call(), first));
	if (wrong)
		bench_fail("calls.self: %d calls returned another thread", wrong);
	bench_metric("calls.self", ns, "ns", false);
}

int main(int argc, char **argv)
{
	bench_init(argc, argv);
	bench_report_impl("pthread_getspecific", (void *)pthread_getspecific);
	bench_idle_thread_start();
	time_once();
	time_getspecific();
	time_self();
	bench_idle_thread_stop();
	return 0;
}
