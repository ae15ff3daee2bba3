/*
 * libshim/profile.h -- the diagnostics' hooks in the objects and the park
 * layer: the contention profiler (SHIM_STATS), the lock-order detector
 * (SHIM_LOCKDEP) and the thread dump (SHIM_DUMP).  See profile.c.
 */
#ifndef SHIM_PROFILE_H
#define SHIM_PROFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "compat/lwp.h"
#include "common/visibility.h"

/* What kind of object a park key or a lock is; objects pass PARK_KIND(k)
 * in park_wait's flags so a thread dump can say what a thread waits on. */
enum prof_kind {
	PROF_NONE, PROF_MUTEX, PROF_COND, PROF_RWLOCK_RD, PROF_RWLOCK_WR,
	PROF_SEM, PROF_BARRIER, PROF_JOIN, PROF_ONCE, PROF_SPIN,
	PROF_KINDS
};
#define PARK_KIND(k)      ((unsigned)(k) << 8)
#define PARK_KIND_OF(fl)  (((fl) >> 8) & 0xffu)

/* Which diagnostics follow the locks: set before main (constructors in
 * stats.c, lockdep.c, dump.c), read-only after.  0 is the normal case, and
 * then every hook below is one load and an untaken branch. */
SHIM_HIDDEN extern unsigned shim_diag;
#define DIAG_PROFILE 1u /* count acquisitions and waits (SHIM_STATS) */
#define DIAG_HOLD    2u /* ... and hold times (SHIM_STATS=hold) */
#define DIAG_LOCKDEP 4u /* check lock order (SHIM_LOCKDEP) */
#define DIAG_DUMP    8u /* know who holds what and waits where (SHIM_DUMP) */

static inline bool diag_on(void)
{
	return __builtin_expect(shim_diag != 0, 0);
}

/*
 * A blocking acquisition of obj, with the diagnostics on: try(obj) first
 * (as a trylock: 0 or EOWNERDEAD when it got the lock, EBUSY or an error
 * when not); if that fails, lock(obj, abstime, clock), the object's own
 * blocking path, timed from here to its return.  An acquisition that try
 * did not get is a contended one.  Returns what the one that ran returned.
 */
typedef int (*diag_try_fn)(void *obj);
typedef int (*diag_lock_fn)(void *obj, const struct timespec *abstime,
			    clockid_t clock);
SHIM_HIDDEN int diag_lock(void *obj, unsigned kind, diag_try_fn try,
			  diag_lock_fn lock, const struct timespec *abstime,
			  clockid_t clock);
/* A trylock of obj succeeded. */
SHIM_HIDDEN void diag_trylocked(const void *obj, unsigned kind);
/* obj is about to be unlocked by the calling thread. */
SHIM_HIDDEN void diag_unlock(const void *obj);

/* A condition variable wait: wait(cond, mutex, abstime, clock) is the
 * condvar's own; the mutex leaves the caller's held set while it waits. */
typedef int (*diag_cond_wait_fn)(void *cond, void *mutex,
				 const struct timespec *abstime,
				 clockid_t clock);
SHIM_HIDDEN int diag_cond_wait(void *cond, void *mutex,
			       const struct timespec *abstime, clockid_t clock,
			       diag_cond_wait_fn wait);
/* A signal (all: broadcast) of cond; had_waiters: someone was waiting. */
SHIM_HIDDEN void diag_cond_signal(const void *cond, bool all,
				  bool had_waiters);

/* park_wait's: the caller is about to sleep on key / has woken. */
SHIM_HIDDEN void diag_park_begin(const void *key, unsigned kind);
SHIM_HIDDEN void diag_park_end(void);
/* The park layer's sleep with the diagnostics on (dump.c): lwp_park, but
 * a sleep with no deadline wakes after SHIM_DUMP's deadlock=MS to look for
 * a deadlock, and then returns EAGAIN (a spurious wake-up). */
SHIM_HIDDEN int dump_park(lwp_parker_t *self, const struct timespec *abstime,
			  clockid_t clock);

/* In a fork child. */
SHIM_HIDDEN void profile_fork_child(void);

#endif
