/*
 * test/fault/fault.h -- what the fault programs share: failure counting,
 * clocks, the process footprint, a stall watchdog and error names.
 *
 * The programs are ordinary glibc programs (never linked to libshim);
 * run_fault.py runs them under LD_PRELOAD=libshim.so and, where a glibc
 * baseline matters, once more without it.  Each checks itself and exits
 * 0 only when every check held, so a program is judged the same way on
 * either library.
 */
#ifndef FAULT_H
#define FAULT_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

extern atomic_int fault_failures;

/* Report a failed check on stderr and count it; the program carries on
 * so that one run shows every broken check. */
#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "FAIL %s:%d: ", __func__,         \
				__LINE__);                                \
			fprintf(stderr, __VA_ARGS__);                     \
			fputc('\n', stderr);                              \
			atomic_fetch_add(&fault_failures, 1);             \
		}                                                         \
	} while (0)

/* A return value must be 0: report the error by name otherwise. */
#define CHECK0(call)                                                      \
	do {                                                              \
		int e_ = (call);                                          \
		CHECK(e_ == 0, "%s: %s", #call, fault_errname(e_));       \
	} while (0)

uint64_t fault_now_ns(clockid_t clock);
struct timespec fault_ts_after(clockid_t clock, uint64_t ns);

/* "EINVAL" for EINVAL, "0" for 0, the number for anything unknown. */
const char *fault_errname(int e);

/* What a leak grows: resident pages, lines of /proc/self/maps, open fds. */
struct footprint {
	long rss_kib;
	int maps;
	int fds;
};
void footprint_take(struct footprint *f);

/* Entries of a directory, "." and ".." aside (-1 if it cannot be read):
 * /proc/self/fd, /proc/self/task. */
int count_entries(const char *dir);
void footprint_print(const char *label, const struct footprint *f);

/*
 * The stall watchdog: a thread that wakes once a second and, when the
 * progress counter has not moved for `stall_s` seconds, names the phase
 * and exits the process with status 3.  It only sleeps in the kernel, so
 * a deadlock inside the thread library cannot stop it.
 */
extern atomic_ulong fault_progress;
void watchdog_start(unsigned stall_s);
void watchdog_phase(const char *name);

/* Print "threads made: N" and leave with 0 when no check failed. */
_Noreturn void fault_exit(long threads_made);

#endif
