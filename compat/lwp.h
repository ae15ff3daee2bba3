/*
 * compat/lwp.h -- the whole operating-system interface libshim's portable
 * layers use.  Shaped after NetBSD's _lwp_* calls so that a port is a new
 * folder beside compat/linux/, not a rewrite.
 *
 * Contract common to every call:
 *  - Functions return 0 or a positive errno value; they never touch errno.
 *  - None of them allocates memory or takes a lock; all are async-signal-safe.
 *  - "Spurious" returns are allowed where stated: callers re-check their own
 *    condition in a loop, exactly as with _lwp_park(2).
 */
#ifndef SHIM_COMPAT_LWP_H
#define SHIM_COMPAT_LWP_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>
#include <ucontext.h>

#include "common/visibility.h"

/*
 * Per-LWP park slot, embedded in the owning thread's descriptor.
 * The wake-up token: LWP_TOKEN_NONE, LWP_TOKEN_SET (an unpark arrived and
 * was not yet consumed) or LWP_TOKEN_SLEEPING (the owner is, or is about to
 * be, asleep in the kernel).  Only lwp_park/lwp_unpark touch it.
 */
typedef struct lwp_parker {
	_Atomic int token;
} lwp_parker_t;

/*
 * lwp_create(uc, flags, tidp): start a new LWP in this address space.
 *  - The LWP begins with the register state of uc->uc_mcontext: rip, rsp
 *    and the argument registers named by arch_mcontext_init().  Nothing else
 *    of *uc is used; *uc may be reused as soon as lwp_create returns.
 *  - It starts with every signal blocked (its entry code installs the mask
 *    it runs with) and with the thread pointer arch_mcontext_init named.
 *  - The kernel LWP id is stored in *tidp before lwp_create returns, and
 *    *tidp is cleared to 0 with a wake-up (see lwp_wait_gone) once the LWP
 *    has exited and will never touch its stack again.
 *  - flags: reserved, pass 0.
 * Returns 0, EAGAIN (no resources) or another errno from the kernel.
 */
SHIM_HIDDEN int lwp_create(const ucontext_t *uc, unsigned flags, pid_t *tidp);

/* Terminate the calling LWP (not the process).  Never returns. */
SHIM_HIDDEN _Noreturn void lwp_exit(void);

/* The calling LWP's kernel id. */
SHIM_HIDDEN pid_t lwp_self(void);

/* Send sig to LWP tid of this process.  0, ESRCH, EINVAL or EPERM. */
SHIM_HIDDEN int lwp_kill(pid_t tid, int sig);

/*
 * lwp_park(self, abstime, clock): sleep until a wake-up token is posted to
 * self, abstime passes (abstime NULL: no deadline) or a signal arrives.
 *  - self must be the caller's own parker.
 *  - An lwp_unpark that happened before this call makes it return 0 at once:
 *    the token is remembered, so no wake-up is lost between a caller's
 *    decision to sleep and the sleep itself (the race the seed leaves open).
 *  - Returns 0 when a token was consumed, ETIMEDOUT, EINTR (a signal
 *    handler ran and the kernel did not restart the sleep: the same rules
 *    as glibc's futex waits) or EAGAIN (spurious wake-up); no token is
 *    consumed in the last three cases.
 *  - clock: CLOCK_REALTIME or CLOCK_MONOTONIC; abstime must be normalised.
 */
SHIM_HIDDEN int lwp_park(lwp_parker_t *self, const struct timespec *abstime,
			 clockid_t clock);

/*
 * lwp_unpark(target): post a wake-up token to target; wakes it if asleep.
 * At most one token is held: two unparks before a park are one wake-up.
 * = lwp_unpark_post, then lwp_unpark_wake if it said so.
 *
 * The two halves exist for the park layer: post writes the target's token
 * word, so it must run while the target is known to exist (under the lock
 * that keeps the target waiting); wake only names the address to the
 * kernel, writes no memory, and is harmless once the target's memory is
 * gone or reused (at worst a spurious wake-up of whoever waits there).
 */
SHIM_HIDDEN void lwp_unpark(lwp_parker_t *target);
/* Post the token; true if the target may be asleep and needs a wake. */
SHIM_HIDDEN bool lwp_unpark_post(lwp_parker_t *target);
SHIM_HIDDEN void lwp_unpark_wake(lwp_parker_t *target);

/*
 * Address waits, for what cannot use a process-private park queue
 * (PTHREAD_PROCESS_SHARED objects, named semaphores) and for the park
 * layer's own bucket locks.  lwp_wait_addr sleeps while *addr == expected;
 * it returns 0 (woken, possibly spuriously), EAGAIN (*addr != expected),
 * ETIMEDOUT or EINTR.  lwp_wake_addr wakes up to n sleepers and returns
 * how many it woke.  shared: the address may be mapped by other processes.
 */
SHIM_HIDDEN int lwp_wait_addr(const _Atomic int *addr, int expected,
			      const struct timespec *abstime, clockid_t clock,
			      bool shared);
SHIM_HIDDEN int lwp_wake_addr(const _Atomic int *addr, int n, bool shared);

/*
 * Wait until the kernel has cleared *tidp (set up by lwp_create): the LWP is
 * gone and its stack is free.  Called after the exiting thread has already
 * said it is exiting, so this waits for its last few instructions only.
 */
SHIM_HIDDEN void lwp_wait_gone(pid_t *tidp);

#endif
