/*
 * libshim/spinwait.h -- how every object spins before it parks, and
 * how one sleeps on its own word instead (process-shared objects).
 */
#ifndef SHIM_SPINWAIT_H
#define SHIM_SPINWAIT_H

#include <errno.h>
#include <sched.h>
#include <stdbool.h>

#include "arch.h"
#include "compat/lwp.h"
#include "libshim/shim.h"

/*
 * Bounded spinning before parking (as parking_lot's SpinWait): a few
 * rounds of exponentially longer pause loops, then a few sched_yield
 * calls, which let the holder run when there are more threads than cores.
 * Returns false once spinning is no longer worth it.
 */
#define SHIM_SPIN_PAUSE_ROUNDS 3 /* 2 + 4 + 8 pauses, then the yields */

/*
 * The pause rounds alone, for a lock whose holder may take it again at
 * once: with more threads than cores, a waiter's sched_yield mostly runs
 * another waiter, not the holder, and each costs a context switch
 * (an ADAPTIVE_NP mutex in mutex.c, a writer in rwlock.c).
 */
static inline bool shim_spin_pause(unsigned *round)
{
	if (*round >= SHIM_SPIN_PAUSE_ROUNDS)
		return false;
	++*round;
	for (unsigned i = 0; i < (1u << *round); i++)
		arch_spin_pause();
	return true;
}

static inline bool shim_spin(unsigned *round)
{
	if (*round >= 10)
		return false;
	if (!shim_spin_pause(round)) {
		++*round;
		sched_yield();
	}
	return true;
}

/*
 * Sleep while *word == expected, until the deadline: 0 (woken, maybe
 * spuriously; the word may have moved, a signal handler may have run:
 * the caller looks again) or ETIMEDOUT.
 */
static inline int shim_word_wait(const _Atomic int *word, int expected,
				 const struct timespec *abstime,
				 clockid_t clock, bool shared)
{
	if (shim_deadline_passed(abstime))
		return ETIMEDOUT;
	return lwp_wait_addr(word, expected, abstime, clock, shared) ==
			       ETIMEDOUT
		       ? ETIMEDOUT
		       : 0;
}

#endif
