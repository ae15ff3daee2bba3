/*
 * bench/bench.c -- the shared harness (see bench.h for the contract).
 *
 * Output goes through stdio on one thread only (the measuring one), and is
 * flushed line by line: if a later measurement crashes, run.py still has the
 * earlier lines, although it discards the whole program's output for that peer
 * because a crash means the library is not trustworthy in that run.
 */
#include "bench.h"
#include "futex.h"

#include <dlfcn.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double bench_seconds = 0.25;

static regex_t selection;
static bool selection_set;

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-t seconds] [-m regex]\n", prog);
	exit(2);
}

void bench_init(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "t:m:")) != -1) {
		switch (opt) {
		case 't':
			bench_seconds = strtod(optarg, NULL);
			if (!(bench_seconds > 0 && bench_seconds < 60))
				usage(argv[0]);
			break;
		case 'm':
			if (regcomp(&selection, optarg, REG_EXTENDED | REG_NOSUB) != 0)
				bench_fail("bad regex '%s'", optarg);
			selection_set = true;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
}

bool bench_wanted(const char *name)
{
	return !selection_set || regexec(&selection, name, 0, NULL, 0) == 0;
}

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_clock(enum bench_clock clock)
{
	struct timespec ts;

	if (clock == BENCH_WALL)
		return bench_now();
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_metric(const char *name, double value, const char *unit, bool higher_is_better)
{
	printf("%s\t%.6g\t%s\t%d\n", name, value, unit, higher_is_better ? 1 : 0);
}

void bench_report_impl(const char *symbol, void *address)
{
	Dl_info info;

	/* musl's dladdr finds nothing in a static binary: that is the answer. */
	if (dladdr(address, &info) != 0 && info.dli_fname != NULL)
		printf("#impl\t%s\t%s\n", symbol, info.dli_fname);
	else
		printf("#impl\t%s\tstatic\n", symbol);
}

void bench_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("BENCH FAILED: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

pthread_t bench_spawn(void *(*fn)(void *), void *arg)
{
	pthread_t thread;
	int err = pthread_create(&thread, NULL, fn, arg);

	if (err != 0)
		bench_fail("pthread_create: %s", strerror(err));
	return thread;
}

void *bench_join(pthread_t thread)
{
	void *result;
	int err = pthread_join(thread, &result);

	if (err != 0)
		bench_fail("pthread_join: %s", strerror(err));
	return result;
}

void bench_gate_wait(bench_gate_t *gate)
{
	/* Acquire pairs with the release in bench_gate_open: whatever the
	 * measuring thread set up before opening is visible to the workers. */
	while (!atomic_load_explicit(&gate->open, memory_order_acquire))
		futex_wait(&gate->open, 0);
}

void bench_gate_open(bench_gate_t *gate)
{
	atomic_store_explicit(&gate->open, 1, memory_order_release);
	futex_wake(&gate->open, 1 << 30);
}

double bench_run_workers(int n, void *(*fn)(void *), void *args, size_t size,
			 bench_gate_t *gate, _Atomic int *stop)
{
	pthread_t threads[n];

	for (int i = 0; i < n; i++)
		threads[i] = bench_spawn(fn, (char *)args + (size_t)i * size);
	double t0 = bench_now();
	bench_gate_open(gate);
	bench_sleep_measurement();
	atomic_store_explicit(stop, 1, memory_order_relaxed);
	double elapsed = bench_now() - t0;
	for (int i = 0; i < n; i++)
		bench_join(threads[i]);
	return elapsed;
}

static int idle_pipe[2] = { -1, -1 };
static pthread_t idle_thread;

static void *idle_main(void *unused)
{
	char byte;

	/* Returns 0 (end of file) when bench_idle_thread_stop closes the pipe. */
	while (read(idle_pipe[0], &byte, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

void bench_idle_thread_start(void)
{
	if (pipe(idle_pipe) != 0)
		bench_fail("pipe: %s", strerror(errno));
	idle_thread = bench_spawn(idle_main, NULL);
}

void bench_idle_thread_stop(void)
{
	close(idle_pipe[1]);
	bench_join(idle_thread);
	close(idle_pipe[0]);
}

void bench_sleep_measurement(void)
{
	double end = bench_now() + bench_seconds;
	double left;

	/* nanosleep may return early on a signal; sleep again for the rest. */
	while ((left = end - bench_now()) > 0) {
		struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
		nanosleep(&ts, NULL);
	}
}
