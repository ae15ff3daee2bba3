/*
 * libshim/mutex.h -- the mutex as the other objects see it: the layout
 * over glibc's pthread_mutex_t and what a condition variable needs to
 * release and re-take the mutex around its wait (cond.c).
 */
#ifndef SHIM_MUTEX_H
#define SHIM_MUTEX_H

#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdatomic.h>

#include "arch/x86_64/arch.h"
#include "libshim/visibility.h"

/* glibc's struct __pthread_mutex_s on x86_64, field for field. */
struct shim_mutex {
	_Atomic int m_lock;      /* __lock: MUTEX_* bits, or 0/1/2 if pshared */
	unsigned m_count;        /* __count: recursion depth (recursive) */
	_Atomic int m_owner;     /* __owner: tid (recursive, errorcheck) */
	unsigned m_nusers;       /* __nusers: unused, kept zero */
	_Atomic int m_kind;      /* __kind: glibc's encoding, see mutex.c */
	short m_spins;           /* __spins */
	short m_elision;         /* __elision */
	void *m_list[2];         /* __list: robust list linkage */
};
_Static_assert(sizeof(struct shim_mutex) == sizeof(pthread_mutex_t),
	       "pthread_mutex_t layout");

/* Lock word of a process-private mutex. */
#define MUTEX_LOCKED 1 /* held */
#define MUTEX_PARKED 2 /* threads may be parked on the mutex's address */

/* __kind bit: process-shared (glibc's PTHREAD_MUTEX_PSHARED_BIT). */
#define MUTEX_KIND_PSHARED 128

static inline struct shim_mutex *shim_mutex(pthread_mutex_t *m)
{
	return (struct shim_mutex *)m;
}

static inline bool mutex_is_pshared(struct shim_mutex *m)
{
	return atomic_load_explicit(&m->m_kind, memory_order_relaxed) &
	       MUTEX_KIND_PSHARED;
}

/*
 * For a condition variable wait.  mutex_wait_check: may the caller wait
 * with m?  0, EPERM (a recursive or errorcheck mutex it does not own, as
 * glibc reports) or EINVAL (not a valid mutex); on 0, *depth is what
 * mutex_wait_reacquire must restore.  mutex_wait_release unlocks m
 * completely, whatever the recursion depth.  mutex_wait_reacquire takes
 * it again; handed_off: an unlocker gave m to us (PARK_TOKEN_HANDOFF), so
 * we already hold it.
 */
SHIM_HIDDEN int mutex_wait_check(struct shim_mutex *m, unsigned *depth);
SHIM_HIDDEN void mutex_wait_release(struct shim_mutex *m);
SHIM_HIDDEN void mutex_wait_reacquire(struct shim_mutex *m, unsigned depth,
				      bool handed_off);

/*
 * Bounded spinning before parking (as parking_lot's SpinWait): a few
 * rounds of exponentially longer pause loops, then a few sched_yield
 * calls, which let the holder run when there are more threads than cores.
 * Returns false once spinning is no longer worth it.
 */
static inline bool shim_spin(unsigned *round)
{
	if (*round >= 10)
		return false;
	++*round;
	if (*round <= 3) {
		for (unsigned i = 0; i < (1u << *round); i++)
			arch_spin_pause();
	} else {
		sched_yield();
	}
	return true;
}

#endif
