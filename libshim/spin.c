/*
 * libshim/spin.c -- spin locks.
 *
 * A spin lock is the one object in libshim that never parks: a caller
 * that finds it held burns its CPU until the holder lets go.  That is what
 * the interface promises, and what a program choosing it wants: it holds
 * the lock for a handful of instructions and would rather lose a few
 * hundred cycles than pay for a sleep and a wake-up.  (It is also why a
 * spin lock is a poor choice when threads outnumber CPUs: a waiter may
 * spin through its whole time slice while the holder is preempted.  That
 * trade is the program's to make, not ours.)
 *
 * The word is 0 when free and 1 when held, so an all-zero lock is a free
 * one.  (glibc's x86_64 assembly uses 1 for free and counts down; the
 * representation is private to the implementation, since every spin lock
 * operation of a program goes through libshim.  A spin lock in memory
 * shared with a process running plain glibc is therefore not supported.)
 *
 * Acquisition is test-and-test-and-set.  A waiter spins reading the word,
 * which keeps the cache line shared among all waiters while the holder
 * works, and tries the atomic exchange only once it has seen the lock
 * free; spinning on the exchange itself would bounce the line between
 * every waiter's cache on every iteration and slow the holder down.  The
 * pause in the read loop lets a hyper-thread sibling run and stops the
 * CPU from flooding the memory pipeline with speculative loads.
 *
 * Like glibc, none of this checks for misuse: a thread that locks twice
 * spins forever, an unlock by a non-holder frees the lock, and the
 * process-shared attribute needs nothing (the word is the whole state).
 */
#include <errno.h>
#include <pthread.h>

#include "arch.h"
#include "libshim/profile.h"
#include "common/visibility.h"
#include "libshim/vg.h"

SHIM_EXPORT int pthread_spin_init(pthread_spinlock_t *lock, int pshared)
{
	(void)pshared;
	/* Relaxed: nobody may use the lock before init returns; the program
	 * publishes it (a thread's creation, its own barrier). */
	__atomic_store_n(lock, 0, __ATOMIC_RELAXED);
	return 0;
}

SHIM_EXPORT int pthread_spin_destroy(pthread_spinlock_t *lock)
{
	(void)lock;
	return 0;
}

static int spin_lock(void *lock, const struct timespec *abstime,
		     clockid_t clock)
{
	(void)abstime;
	(void)clock;
	/* Acquire: the critical section cannot move above the exchange. */
	while (__atomic_exchange_n((int *)lock, 1, __ATOMIC_ACQUIRE) != 0) {
		while (__atomic_load_n((int *)lock, __ATOMIC_RELAXED) != 0)
			arch_spin_pause();
	}
	return 0;
}

static int spin_trylock(void *lock)
{
	/* Read first: a failing trylock in a polling loop then leaves the
	 * holder's cache line alone. */
	if (__atomic_load_n((int *)lock, __ATOMIC_RELAXED) != 0 ||
	    __atomic_exchange_n((int *)lock, 1, __ATOMIC_ACQUIRE) != 0)
		return EBUSY;
	return 0;
}

SHIM_EXPORT int pthread_spin_lock(pthread_spinlock_t *lock)
{
	if (diag_on())
		return diag_lock((void *)lock, PROF_SPIN, spin_trylock,
				 spin_lock, NULL, CLOCK_MONOTONIC);
	return spin_lock((void *)lock, NULL, CLOCK_MONOTONIC);
}

/* With the diagnostics on (profile.h), out of line: the fast paths keep
 * no frame. */
__attribute__((noinline)) static int diag_trylock(pthread_spinlock_t *lock)
{
	int r = spin_trylock((void *)lock);
	if (r == 0)
		diag_trylocked((void *)lock, PROF_SPIN);
	return r;
}

SHIM_EXPORT int pthread_spin_trylock(pthread_spinlock_t *lock)
{
	if (diag_on())
		return diag_trylock(lock);
	return spin_trylock((void *)lock);
}

static int spin_unlock(pthread_spinlock_t *lock)
{
	/* Release: the critical section's writes are visible to the next
	 * holder before it can see the lock free. */
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
	return 0;
}

__attribute__((noinline)) static int diag_then_unlock(pthread_spinlock_t *lock)
{
	diag_unlock((void *)lock, PROF_SPIN);
	return spin_unlock(lock);
}

SHIM_EXPORT int pthread_spin_unlock(pthread_spinlock_t *lock)
{
	if (diag_on())
		return diag_then_unlock(lock);
	return spin_unlock(lock);
}
