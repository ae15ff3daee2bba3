/*
 * libshim/shim.h -- what the files of libshim/ share with each other.
 * (The descriptor is in thread.h, the park layer in park.h.)
 */
#ifndef SHIM_SHIM_H
#define SHIM_SHIM_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <time.h>

#include "compat/glibc/tcb.h"
#include "common/visibility.h"

struct shim_thread;

/* init.c: one-time set-up on the first call that needs it (creating a
 * thread).  Idempotent; 0 or an errno value.  On a host glibc whose layout
 * libshim does not recognise it prints "libshim: ..." and exits(127). */
SHIM_HIDDEN int shim_init(void);
SHIM_HIDDEN pid_t shim_pid(void);

/* fork.c: register libshim's fork handlers (from shim_init). */
SHIM_HIDDEN void shim_fork_init(void);
/* ...and what it calls in the files that own a lock. */
SHIM_HIDDEN void attr_fork_prepare(void);
SHIM_HIDDEN void attr_fork_parent(void);
SHIM_HIDDEN void attr_fork_child(void);
SHIM_HIDDEN void sem_fork_prepare(void);
SHIM_HIDDEN void sem_fork_parent(void);
SHIM_HIDDEN void sem_fork_child(void);

/* cancel.c: install the SIGCANCEL handler (from shim_init): cancellation
 * and set*id requests both arrive through it. */
SHIM_HIDDEN void shim_cancel_signal_init(void);

/* setxid.c: run a set*id request delivered to this thread; false if the
 * signal was not one. */
SHIM_HIDDEN bool shim_setxid_signal(const siginfo_t *si);

/* self.c */
SHIM_HIDDEN void shim_set_self(struct shim_thread *td);

/* thread.c: the list of live threads, for fork, set*id and statistics. */
SHIM_HIDDEN void shim_thread_list(struct shim_thread *td);
SHIM_HIDDEN void shim_thread_unlist(struct shim_thread *td);
SHIM_HIDDEN void shim_threads_lock(void);
SHIM_HIDDEN void shim_threads_unlock(void);
SHIM_HIDDEN struct shim_thread *shim_threads_first(void); /* locked */
/* Whether libshim has created any thread (set*id need not broadcast). */
SHIM_HIDDEN bool shim_threads_exist(void);

/* key.c: run TSD destructors as POSIX says (up to
 * PTHREAD_DESTRUCTOR_ITERATIONS rounds). */
SHIM_HIDDEN void shim_tsd_run_destructors(struct shim_thread *td);

/* The calling thread's priority if it runs under SCHED_FIFO or SCHED_RR,
 * else 0 (sched.c; a system call). */
SHIM_HIDDEN int shim_rt_priority(void);

/*
 * The -1/errno convention of the libc-style calls (sem_*, the file and
 * cancellation-point wrappers), in one place: r from a raw call or a
 * compat/lwp.h one that returns a count or -errno (-4095..-1, the range
 * glibc tests), as -1 with errno set, else unchanged.  shim_fail: the
 * same for a positive errno.
 */
static inline long shim_errno_ret(long r)
{
	if ((unsigned long)r > -4096ul) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

static inline int shim_fail(int err)
{
	return (int)shim_errno_ret(-err);
}

/* Validating a caller's timeout: EINVAL unless 0 <= tv_nsec < 1e9. */
static inline bool shim_timespec_valid(const struct timespec *ts)
{
	return ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L;
}

/* A deadline before the epoch has passed: the kernel refuses one
 * (EINVAL), glibc and POSIX time out at once, and so does libshim. */
static inline bool shim_deadline_passed(const struct timespec *abstime)
{
	return abstime != NULL && abstime->tv_sec < 0;
}

/* Only these two clocks may be waited on (pthread_*_clock*). */
static inline bool shim_clock_valid(clockid_t c)
{
	return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC;
}

/* stats.c: counters printed at exit when SHIM_STATS=1. */
struct shim_stats {
	_Atomic unsigned long threads_created;
	_Atomic unsigned long parks;
};
SHIM_HIDDEN extern struct shim_stats shim_stats;

#endif
