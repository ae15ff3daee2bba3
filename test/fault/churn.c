/*
 * test/fault/churn.c -- thread churn must not leak.
 *
 *   churn [--joins N] [--detached M]
 *
 * N threads are created and joined (in batches, so several are alive at
 * once) and then M detached ones run (half made detached by their
 * attribute, half by pthread_detach).  Every thread does what real
 * threads do with per-thread state that the thread library must set up
 * and tear down: malloc and free in several size classes (the tcache,
 * an arena, an mmap'd block), a block handed back to the joiner to free,
 * stdio on a shared FILE and on one of its own, and thread-specific data
 * whose destructor frees a block.
 *
 * What a leak would grow is measured once the process is warm (after a
 * fifth of each part: the allocator's arenas and the library's caches
 * have reached their size) and again at the end of each part:
 * resident memory (/proc/self/statm), lines of /proc/self/maps and open
 * file descriptors.  The last two must stay flat (a few lines of slack);
 * memory may grow by at most RSS_SLACK_KIB, which is a few bytes per
 * thread over the run.  malloc may use two arenas only: glibc makes up to
 * 8 per core as contention comes and goes, and their heaps, not any
 * thread library, moved the map count by up to 24 lines between runs
 * (under glibc alone too).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

#define BATCH 8
#define MAX_LIVE_DETACHED 32
#define RSS_SLACK_KIB 4096
#define MAPS_SLACK 16

static long opt_joins = 100000, opt_detached = 20000;
static atomic_long threads_made;
static pthread_key_t key;
static FILE *shared_out;
static atomic_int live_detached;

static void tsd_free(void *p)
{
	free(p);
}

/* The per-thread state a real thread leaves behind; returns a block
 * for whoever joins it to free. */
static void *work(long n)
{
	static const size_t sizes[] = { 24, 200, 3000, 40000, 300000 };
	void *keep = NULL;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char *p = malloc(sizes[i]);
		CHECK(p != NULL, "malloc(%zu)", sizes[i]);
		if (p == NULL)
			continue;
		memset(p, (int)i, sizes[i] < 4096 ? sizes[i] : 4096);
		if (i == 1)
			keep = p;
		else
			free(p);
	}
	void *tsd = malloc(64);
	CHECK0(pthread_setspecific(key, tsd));
	CHECK(pthread_getspecific(key) == tsd, "pthread_getspecific");

	char line[64];
	snprintf(line, sizeof line, "thread %ld\n", n);
	CHECK(fputs(line, shared_out) >= 0, "fputs");
	if (n % 16 == 0) {
		/* A FILE of its own: its buffer and descriptor must go. */
		FILE *f = fopen("/dev/null", "we");
		CHECK(f != NULL, "fopen: %s", strerror(errno));
		if (f != NULL) {
			fprintf(f, "%s", line);
			fclose(f);
		}
	}
	return keep;
}

static void *joined(void *arg)
{
	return work((long)(intptr_t)arg);
}

static void *detached(void *arg)
{
	free(work((long)(intptr_t)arg));
	atomic_fetch_sub(&live_detached, 1);
	return NULL;
}

static void check_flat(const char *when, const struct footprint *base,
		       const struct footprint *now)
{
	footprint_print(when, now);
	CHECK(now->fds == base->fds, "%s: %d open fds, %d before", when,
	      now->fds, base->fds);
	CHECK(now->maps <= base->maps + MAPS_SLACK,
	      "%s: %d lines in /proc/self/maps, %d before", when, now->maps,
	      base->maps);
	CHECK(now->rss_kib <= base->rss_kib + RSS_SLACK_KIB,
	      "%s: resident %ld KiB, %ld KiB before", when, now->rss_kib,
	      base->rss_kib);
}

static void create_and_join(long from, long to)
{
	for (long n = from; n < to; n += BATCH) {
		pthread_t t[BATCH];
		int made = 0;
		for (int i = 0; i < BATCH && n + i < to; i++) {
			int e = pthread_create(&t[made], NULL, joined,
					       (void *)(intptr_t)(n + i));
			CHECK(e == 0, "pthread_create: %s", fault_errname(e));
			made += e == 0;
		}
		for (int i = 0; i < made; i++) {
			void *block;
			CHECK0(pthread_join(t[i], &block));
			free(block);
		}
		atomic_fetch_add(&threads_made, made);
		atomic_fetch_add(&fault_progress, 1);
	}
}

/* Threads of this process the kernel still has. */
static int tasks(void)
{
	return count_entries("/proc/self/task");
}

static void run_detached(long m)
{
	int tasks_before = tasks();
	pthread_attr_t attr;
	CHECK0(pthread_attr_init(&attr));
	CHECK0(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED));
	for (long n = 0; n < m; n++) {
		while (atomic_load(&live_detached) >= MAX_LIVE_DETACHED)
			sched_yield();
		atomic_fetch_add(&live_detached, 1);
		pthread_t t;
		bool by_attr = n % 2;
		int e = pthread_create(&t, by_attr ? &attr : NULL, detached,
				       (void *)(intptr_t)n);
		CHECK(e == 0, "pthread_create: %s", fault_errname(e));
		if (e != 0) {
			atomic_fetch_sub(&live_detached, 1);
			continue;
		}
		if (!by_attr)
			CHECK0(pthread_detach(t));
		atomic_fetch_add(&threads_made, 1);
		atomic_fetch_add(&fault_progress, 1);
	}
	pthread_attr_destroy(&attr);
	while (atomic_load(&live_detached) > 0)
		usleep(1000);
	/* Past its last line of user code a detached thread still has a
	 * few instructions to run before its memory can go: wait until the
	 * kernel has reaped them all (on a loaded machine, with the other
	 * tests running beside this one, that can take a while). */
	for (int ms = 0; ms < 10000 && tasks() > tasks_before; ms++)
		usleep(1000);
	CHECK(tasks() <= tasks_before, "detached threads still there after 10 s");
	/* Both libraries trim their stack caches when a thread is made, not
	 * when one dies: make one, so what is measured is the steady state,
	 * not the cache's state after a burst on a loaded machine. */
	pthread_t t;
	void *kept;
	CHECK0(pthread_create(&t, NULL, joined, (void *)0));
	CHECK0(pthread_join(t, &kept));
	free(kept);
	atomic_fetch_add(&threads_made, 1);
}

int main(int argc, char **argv)
{
	mallopt(M_ARENA_MAX, 2); /* see the top */
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--joins"))
			opt_joins = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--detached"))
			opt_detached = atol(argv[i + 1]);
		else
			argc = 0;
	}
	if (argc % 2 == 0 || opt_joins < 5 * BATCH || opt_detached < 0) {
		fprintf(stderr, "usage: churn [--joins N] [--detached M]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	shared_out = fopen("/dev/null", "we");
	CHECK0(pthread_key_create(&key, tsd_free));
	watchdog_start(10);

	watchdog_phase("warm-up");
	long warm = opt_joins / 5;
	create_and_join(0, warm);
	run_detached(opt_detached / 5);
	struct footprint base, now;
	footprint_take(&base);
	footprint_print("after warm-up", &base);

	watchdog_phase("joins");
	uint64_t t0 = fault_now_ns(CLOCK_MONOTONIC);
	create_and_join(warm, opt_joins);
	printf("%ld joined threads in %.1f s\n", opt_joins,
	       (double)(fault_now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	footprint_take(&now);
	check_flat("after the joins", &base, &now);

	watchdog_phase("detached");
	t0 = fault_now_ns(CLOCK_MONOTONIC);
	run_detached(opt_detached - opt_detached / 5);
	printf("%ld detached threads in %.1f s\n", opt_detached,
	       (double)(fault_now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	footprint_take(&now);
	check_flat("after the detached", &base, &now);

	CHECK0(pthread_key_delete(key));
	fclose(shared_out);
	fault_exit(atomic_load(&threads_made));
}
