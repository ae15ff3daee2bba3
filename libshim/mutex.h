/*
 * libshim/mutex.h -- the mutex as the other objects see it: the layout
 * over glibc's pthread_mutex_t and what a condition variable needs to
 * release and re-take the mutex around its wait (cond.c).
 */
#ifndef SHIM_MUTEX_H
#define SHIM_MUTEX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "libshim/spinwait.h"
#include "common/visibility.h"
#include "object_layout.h"

/* glibc's struct __pthread_mutex_s, field for field (object_layout.h). */
struct shim_mutex {
	_Atomic int m_lock;      /* __lock: MUTEX_* bits, 0/1/2 if pshared,
				    tid and futex bits if robust or PI,
				    ceiling and 0/1/2 if PP */
	unsigned m_count;        /* __count: recursion depth (recursive) */
	_Atomic int m_owner;     /* __owner: the holder's tid (every
				    type) or a robust mutex's state */
	_Atomic unsigned m_nusers; /* __nusers: threads in a condition wait
				    with it (glibc's counts its holders
				    too); destroy answers EBUSY */
	_Atomic int m_kind;      /* __kind: glibc's encoding, see mutex.c */
	short m_spins;           /* __spins */
	short m_elision;         /* __elision */
	void *m_list[2];         /* __list: __prev, __next (robust list) */
};
/* arm64's glibc has one int __spins for __spins and __elision (neither
 * used here) and pads pthread_mutex_t to 48 bytes: the fields used sit
 * at the same offsets there. */
_Static_assert(offsetof(struct shim_mutex, m_lock) == GLIBC_MUTEX_OFF_LOCK &&
	       offsetof(struct shim_mutex, m_count) == GLIBC_MUTEX_OFF_COUNT &&
	       offsetof(struct shim_mutex, m_owner) == GLIBC_MUTEX_OFF_OWNER &&
	       offsetof(struct shim_mutex, m_nusers) ==
		       GLIBC_MUTEX_OFF_NUSERS &&
	       offsetof(struct shim_mutex, m_kind) == GLIBC_MUTEX_OFF_KIND &&
	       offsetof(struct shim_mutex, m_spins) == GLIBC_MUTEX_OFF_SPINS &&
	       offsetof(struct shim_mutex, m_list) == GLIBC_MUTEX_OFF_LIST,
	       "glibc's __pthread_mutex_s fields");
_Static_assert(sizeof(struct shim_mutex) <= GLIBC_SIZEOF_MUTEX &&
	       _Alignof(struct shim_mutex) <= GLIBC_ALIGNOF_MUTEX,
	       "struct shim_mutex fits pthread_mutex_t");

/* Lock word of a process-private mutex. */
#define MUTEX_LOCKED 1 /* held */
#define MUTEX_PARKED 2 /* threads may be parked on the mutex's address */

/* The token of a waiter woken while others stay queued: the unlock left
 * PARKED clear, and the woken thread must set it again (mutex.c). */
#define MUTEX_TOKEN_RETAKE ((uintptr_t)2)

/* __kind bits (glibc's PTHREAD_MUTEX_PSHARED_BIT,
 * PTHREAD_MUTEX_ROBUST_NORMAL_NP, PTHREAD_MUTEX_PRIO_INHERIT_NP and
 * PTHREAD_MUTEX_PRIO_PROTECT_NP). */
#define MUTEX_KIND_PSHARED 128
#define MUTEX_KIND_ROBUST  16
#define MUTEX_KIND_PI      32
#define MUTEX_KIND_PP      64

static inline struct shim_mutex *shim_mutex(pthread_mutex_t *m)
{
	return (struct shim_mutex *)m;
}

/*
 * Whether m's waiters sleep on its lock word instead of in the park
 * queue for its address, so that a condition variable must not requeue
 * its waiters onto m: process-shared mutexes; robust ones (which glibc,
 * and so libshim, marks process-shared whatever the attribute says,
 * since the kernel wakes their waiters with a shared futex wake);
 * priority-inheritance ones, whose waiters the kernel queues; and
 * priority-protection ones, whose waiters sleep on the word as glibc's do.
 */
static inline bool mutex_waits_outside_park(struct shim_mutex *m)
{
	return atomic_load_explicit(&m->m_kind, memory_order_relaxed) &
	       (MUTEX_KIND_PSHARED | MUTEX_KIND_ROBUST | MUTEX_KIND_PI |
		MUTEX_KIND_PP);
}

/*
 * For a condition variable wait.  mutex_wait_check: may the caller wait
 * with m?  0, EPERM (a recursive, errorcheck, robust or priority-
 * inheritance mutex it does not own, as glibc reports) or EINVAL (not a
 * valid mutex); on 0, *depth is what mutex_wait_reacquire must restore.
 * mutex_wait_release unlocks m completely, whatever the recursion depth
 * (a robust mutex left inconsistent becomes unrecoverable, as by
 * pthread_mutex_unlock).
 * mutex_wait_reacquire takes it again; token: what the wait's park_wait
 * received if it ended in a wake-up (else PARK_TOKEN_NORMAL), which may be
 * m's unlocker's: PARK_TOKEN_HANDOFF, it gave m to us, so we already hold
 * it; MUTEX_TOKEN_RETAKE, we must take it with PARKED set.  It returns
 * 0, or what pthread_cond_wait must then return, as glibc's does: for a robust
 * mutex EOWNERDEAD (held, its owner died meanwhile) or ENOTRECOVERABLE
 * (not held); for a priority-protection mutex the error of a lock that
 * failed (EINVAL: the ceiling is now below the caller's priority; EPERM:
 * the caller may not be raised to it), m then not held.
 */
SHIM_HIDDEN int mutex_wait_check(struct shim_mutex *m, unsigned *depth);
SHIM_HIDDEN void mutex_wait_release(struct shim_mutex *m);
SHIM_HIDDEN int mutex_wait_reacquire(struct shim_mutex *m, unsigned depth,
				     uintptr_t token);

/*
 * For pthread_setschedparam, pthread_setschedprio and
 * pthread_getschedparam on the calling thread (sched.c), while it holds
 * priority-protection mutexes: the kernel then shows its raised priority,
 * and these keep the thread's own.  mutex_pp_setsched: -1 if it holds
 * none (the caller sets the kernel's value), else 0 or the errno of
 * running at max(prio, the highest ceiling held).  mutex_pp_getsched:
 * false if it holds none, else the thread's own policy and priority.
 */
SHIM_HIDDEN int mutex_pp_setsched(int policy, int prio);
SHIM_HIDDEN bool mutex_pp_getsched(int *policy, int *prio);

#endif
