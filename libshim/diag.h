/*
 * libshim/diag.h -- what the diagnostics (profile.c, lockdep.c, dump.c)
 * share: each thread's record of the locks it holds and of what it waits
 * for, kept in static TLS so that no hook allocates or needs a thread
 * descriptor (a descriptor may have to be allocated, and a lock call from
 * inside malloc must not call malloc).
 */
#ifndef SHIM_DIAG_H
#define SHIM_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "libshim/profile.h"
#include "common/visibility.h"

#define DIAG_HELD_MAX   16 /* locks one thread is known to hold at once */
#define DIAG_FRAMES_MAX 16 /* frames kept of any call stack */

struct diag_held {
	const void *obj;
	unsigned kind;
	void *row;         /* the profiler's row, so unlock need not look */
	uint64_t since_ns; /* taken at (hold times only) */
};

struct diag_thread {
	unsigned nheld;      /* entries in held[], innermost last */
	unsigned overflow;   /* acquisitions beyond held[] not recorded */
	struct diag_held held[DIAG_HELD_MAX];
	/* What the thread is blocked on, for the thread dump: the object
	 * and kind while in a lock call that did not get the lock at once,
	 * or a park key; parked_since while asleep in the park layer.  Other
	 * threads read these racily: a dump is a snapshot. */
	_Atomic(const void *) wait_obj;
	_Atomic unsigned wait_kind;
	_Atomic uint64_t wait_since_ns;
	_Atomic bool parked;
	bool park_named; /* the park layer wrote wait_obj (a bare park) */
	bool inside;     /* in the diagnostics' own code: hooks stand aside */
	/* A backtrace the thread took of itself when a dump asked. */
	_Atomic int bt_state;
	unsigned bt_n;
	uintptr_t bt[DIAG_FRAMES_MAX];
};

/* The calling thread's record (initial-exec TLS: every thread has one). */
SHIM_HIDDEN extern __thread struct diag_thread diag_self
	__attribute__((tls_model("initial-exec")));

SHIM_HIDDEN uint64_t diag_now(void);
/* A zeroed table of the diagnostics, mapped once; NULL if it cannot be. */
SHIM_HIDDEN void *diag_map(size_t bytes);

/* profile.c: what SHIM_STATS asked for (stats.c parses it). */
enum prof_sort {
	SORT_WAIT, SORT_CONTENDED, SORT_ACQ, SORT_MAX, SORT_AVG, SORT_HOLD,
	SORT_CHANGES,
};
struct prof_opts {
	unsigned top;    /* rows per table */
	unsigned min;    /* rows with fewer contended acquisitions hidden */
	unsigned frames; /* call-site frames */
	enum prof_sort sort;
	bool hold;
};
/* Map the tables and switch counting on; false if they cannot be had. */
SHIM_HIDDEN bool profile_start(const struct prof_opts *o);
SHIM_HIDDEN void profile_report(int fd);

/* lockdep.c: obj (kind) is about to be taken by the calling thread, which
 * holds what diag_self says.  In a fork child, lockdep_fork_child. */
SHIM_HIDDEN void lockdep_acquire(const void *obj, unsigned kind);
SHIM_HIDDEN void lockdep_fork_child(void);

/* The kind's name in reports. */
SHIM_HIDDEN const char *diag_kind_name(unsigned kind);

#endif
