/*
 * libshim/spinwait.h -- how every object spins before it parks.
 */
#ifndef SHIM_SPINWAIT_H
#define SHIM_SPINWAIT_H

#include <sched.h>
#include <stdbool.h>

#include "arch.h"

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
 * (mutex.c).
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

#endif
