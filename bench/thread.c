/*
 * bench/thread.c -- the cost of threads themselves.
 *
 *   thread.spawn1000          create 1000 threads that all stay alive, until
 *                             the last one has started running (ms);
 *   thread.spawn1000.rss      the growth of the process's peak resident set
 *                             (VmHWM) per live thread (KiB): stacks touched,
 *                             descriptors, guard pages are not counted;
 *   thread.join1000           release and join all of them (ms);
 *   thread.create_join        one pthread_create + pthread_join of a thread
 *                             that returns at once, in a loop (us): read
 *                             against floor.clone_wait.
 *
 * spawn1000 runs first so that VmHWM before it is the start-up footprint, not
 * a peak left behind by an earlier measurement.  Its threads block in read(2)
 * on a pipe, a wait that does not involve the library under test; closing the
 * pipe releases them all at once.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SPAWN = 1000 };

static int release_pipe[2];
static _Atomic int started;

static void *blocked_main(void *arg)
{
	char byte;

	atomic_fetch_add_explicit(&started, 1, memory_order_relaxed);
	while (read(release_pipe[0], &byte, 1) < 0 && errno == EINTR)
		;
	return arg;
}

/* VmHWM from /proc/self/status, in KiB. */
static long peak_rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		bench_fail("open /proc/self/status: %s", strerror(errno));
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(f);
	if (kib < 0)
		bench_fail("no VmHWM in /proc/self/status");
	return kib;
}

static void spawn1000(void)
{
	static pthread_t threads[SPAWN];

	if (!bench_wanted("thread.spawn1000"))
		return;
	if (pipe(release_pipe) != 0)
		bench_fail("pipe: %s", strerror(errno));
	long rss_before = peak_rss_kib();
	double t0 = bench_now();
	for (int i = 0; i < SPAWN; i++)
		threads[i] = bench_spawn(blocked_main, (void *)(intptr_t)i);
	while (atomic_load_explicit(&started, memory_order_relaxed) < SPAWN)
		usleep(100);
	double t_started = bench_now();
	long rss_alive = peak_rss_kib();
	close(release_pipe[1]);
	for (int i = 0; i < SPAWN; i++)
		if (bench_join(threads[i]) != (void *)(intptr_t)i)
			bench_fail("thread.join1000: thread %d returned the wrong value", i);
	double t_joined = bench_now();
	close(release_pipe[0]);
	bench_metric("thread.spawn1000", (t_started - t0) * 1e3, "ms", false);
	bench_metric("thread.spawn1000.rss", (double)(rss_alive - rss_before) / SPAWN, "KiB", false);
	bench_metric("thread.join1000", (t_joined - t_started) * 1e3, "ms", false);
}

static void *return_arg(void *arg)
{
	return arg;
}

static void create_join(void)
{
	double ns;
	uint64_t wrong = 0, token = 0;

	if (!bench_wanted("thread.create_join"))
		return;
	BENCH_PER_OP(ns, BENCH_WALL, token++;
		     wrong += bench_join(bench_spawn(return_arg, (void *)token)) != (void *)token);
	if (wrong)
		bench_fail("thread.create_join: %llu joins returned the wrong value",
			   (unsigned long long)wrong);
	bench_metric("thread.create_join", ns / 1e3, "us", false);
}

int main(int argc, char **argv)
{
	bench_init(argc, argv);
	bench_report_impl("pthread_create", (void *)pthread_create);
	spawn1000();
	create_join();
	return 0;
}
