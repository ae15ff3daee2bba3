/*
 * libshim/profile.h -- the contention profiler's hook in the park layer.
 * See profile.c.
 */
#ifndef SHIM_PROFILE_H
#define SHIM_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "libshim/visibility.h"

/* What kind of object a park key is; objects pass PARK_KIND(k) in
 * park_wait's flags so the report can say what it was. */
enum prof_kind {
	PROF_NONE, PROF_MUTEX, PROF_COND, PROF_RWLOCK_RD, PROF_RWLOCK_WR,
	PROF_SEM, PROF_BARRIER, PROF_JOIN, PROF_ONCE,
};
#define PARK_KIND(k)      ((unsigned)(k) << 8)
#define PARK_KIND_OF(fl)  (((fl) >> 8) & 0xffu)

/* Set once at start-up when SHIM_STATS asks for it; read-only after. */
SHIM_HIDDEN extern bool shim_profile_on;

/* Turn profiling on (at start-up, from stats.c). */
SHIM_HIDDEN void profile_start(void);
SHIM_HIDDEN uint64_t profile_now(void);
/* A thread that started waiting on key at start_ns has woken. */
SHIM_HIDDEN void profile_wait_done(const void *key, unsigned kind,
				   uint64_t start_ns);
/* In a fork child. */
SHIM_HIDDEN void profile_fork_child(void);
/* Print the top objects by total wait to fd (at exit). */
SHIM_HIDDEN void profile_report(int fd, unsigned top);

#endif
