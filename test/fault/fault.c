/*
 * test/fault/fault.c -- the helpers of fault.h.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

atomic_int fault_failures;
atomic_ulong fault_progress;

static _Atomic(const char *) phase = "start";
static unsigned stall_limit_s;

uint64_t fault_now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct timespec fault_ts_after(clockid_t clock, uint64_t ns)
{
	uint64_t t = fault_now_ns(clock) + ns;
	return (struct timespec){ .tv_sec = (time_t)(t / 1000000000u),
				  .tv_nsec = (long)(t % 1000000000u) };
}

const char *fault_errname(int e)
{
	static __thread char buf[16];
	if (e == 0)
		return "0";
	const char *n = strerrorname_np(e);
	if (n != NULL)
		return n;
	snprintf(buf, sizeof buf, "%d", e);
	return buf;
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -1;
	int n = 0, c;
	while ((c = getc_unlocked(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return -1;
	int n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

void footprint_take(struct footprint *f)
{
	long size = 0, resident = 0;
	FILE *s = fopen("/proc/self/statm", "re");
	if (s != NULL) {
		if (fscanf(s, "%ld %ld", &size, &resident) != 2)
			resident = 0;
		fclose(s);
	}
	f->rss_kib = resident * (sysconf(_SC_PAGESIZE) / 1024);
	f->maps = count_lines("/proc/self/maps");
	/* Less the directory's own descriptor. */
	f->fds = count_entries("/proc/self/fd") - 1;
}

void footprint_print(const char *label, const struct footprint *f)
{
	printf("footprint %s: rss %ld KiB, maps %d, fds %d\n", label,
	       f->rss_kib, f->maps, f->fds);
	fflush(stdout);
}

static void *watchdog(void *arg)
{
	unsigned long last = atomic_load(&fault_progress);
	unsigned still = 0;
	for (;;) {
		struct timespec one = { 1, 0 };
		while (clock_nanosleep(CLOCK_MONOTONIC, 0, &one, &one) == EINTR)
			continue;
		unsigned long now = atomic_load(&fault_progress);
		still = now == last ? still + 1 : 0;
		last = now;
		if (still >= stall_limit_s) {
			/* dprintf: stdio's lock may be held by a stuck thread */
			dprintf(2, "STALL: no progress for %u s in phase '%s'\n",
				still, atomic_load(&phase));
			_exit(3);
		}
	}
	return arg;
}

void watchdog_start(unsigned stall_s)
{
	stall_limit_s = stall_s;
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	int e = pthread_create(&t, &a, watchdog, NULL);
	pthread_attr_destroy(&a);
	if (e != 0) {
		fprintf(stderr, "watchdog: pthread_create: %s\n", strerror(e));
		exit(2);
	}
}

void watchdog_phase(const char *name)
{
	atomic_store(&phase, name);
	atomic_fetch_add(&fault_progress, 1);
}

void fault_exit(long threads_made)
{
	int n = atomic_load(&fault_failures);
	printf("threads made: %ld\n", threads_made);
	if (n != 0)
		printf("%d check(s) failed\n", n);
	fflush(stdout);
	exit(n == 0 ? 0 : 1);
}
