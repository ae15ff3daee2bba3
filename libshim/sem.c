/*
 * libshim/sem.c -- POSIX semaphores: the object and its waits (sem_init;
 * sem_open's named ones, in sem_named.c, are the same object in a file).
 *
 * Layout.  A semaphore is one 64-bit word, s_data, holding the value in
 * its low half and the number of registered waiters in its high half,
 * followed by an int saying whether it is process-shared.  This is glibc's
 * own x86_64 layout, including the encoding of the shared flag (0 private,
 * 128 shared): a named or process-shared semaphore may be mapped by a
 * process that runs plain glibc, and the two then speak the same
 * protocol -- value and waiter count in one word, the futex on the value
 * half, a post waking one sleeper when the waiter count is non-zero.  An
 * all-zero sem_t is a private semaphore with value 0.
 *
 * Posting is a compare-and-swap that adds one to the value (refusing at
 * SEM_VALUE_MAX with EOVERFLOW); waiting is a compare-and-swap that takes
 * one from a non-zero value.  Only when the value is zero does a waiter
 * register itself, adding one to the waiter half, and sleep; the post that
 * finds the waiter half non-zero wakes one sleeper.  Registration and the
 * post are read-modify-writes of the same word, so a post either sees the
 * registration (and wakes) or comes before it (and the waiter sees the
 * value it left).  A woken waiter takes a unit and deregisters in one
 * swap, or sleeps again if another thread took the unit first.  A waiter
 * that times out, is interrupted or is cancelled just deregisters; the
 * value it did not take stays for the next thread.
 *
 * Sleeping.  A private semaphore parks on its own address through the
 * park layer, validating under the bucket lock that the value is still
 * zero, and a post unparks one thread queued on the address.  A shared
 * semaphore, unnamed in shared memory or named, sleeps in the kernel on
 * the value half of s_data itself (lwp_wait_addr with shared set), which
 * is also what lets it interoperate with glibc.
 *
 * Before registering, a waiter spins briefly while the value is zero and
 * nobody is registered.  In semaphore ping-pong the partner's post usually
 * lands within those few hundred cycles, and taking it on the spot beats
 * a sleep and a wake-up by an order of magnitude (musl does the same).
 * With registered waiters the spin is skipped: the unit will go to them.
 *
 * Errors are glibc's: EINVAL for a value above SEM_VALUE_MAX, a bad
 * tv_nsec (checked before anything else, even when the semaphore could be
 * taken at once, as glibc does) or an unsupported clock; EAGAIN from
 * sem_trywait; ETIMEDOUT; EOVERFLOW from sem_post.  sem_wait and
 * sem_timedwait are cancellation points that test for cancellation on
 * entry even when they do not block; all three waits are cancellation
 * points while they sleep.  A shared wait returns EINTR when a signal
 * handler interrupts it, exactly as glibc's does (the kernel restarts an
 * untimed wait after an SA_RESTART handler and fails a timed one).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "arch.h"
#include "compat/lwp.h"
#include "libshim/park.h"
#include "libshim/profile.h"
#include "libshim/spinwait.h"
#include "libshim/shim.h"
#include "libshim/thread.h"
#include "common/visibility.h"
#include "libshim/vg.h"
#include "object_layout.h"

struct sem {
	_Atomic uint64_t s_data; /* value | waiters << SEM_WAITERS_SHIFT */
	int s_shared;            /* 0 or SEM_SHARED, as glibc */
};

_Static_assert(sizeof(struct sem) <= GLIBC_SIZEOF_SEM, "struct sem fits sem_t");
_Static_assert(_Alignof(struct sem) <= GLIBC_ALIGNOF_SEM, "sem_t alignment");
_Static_assert(offsetof(struct sem, s_data) == GLIBC_SEM_OFF_DATA &&
	       offsetof(struct sem, s_shared) == GLIBC_SEM_OFF_PRIVATE,
	       "glibc's struct new_sem");

#define SEM_SHARED 128 /* glibc's value for a process-shared semaphore */
#define SEM_WAITERS_SHIFT 32
#define SEM_ONE_WAITER ((uint64_t)1 << SEM_WAITERS_SHIFT)

static struct sem *sem_of(sem_t *s)
{
	return (struct sem *)s;
}

static uint32_t sem_value(uint64_t d)
{
	return (uint32_t)d;
}

static uint32_t sem_waiters(uint64_t d)
{
	return (uint32_t)(d >> SEM_WAITERS_SHIFT);
}

/* The value half as the kernel sees it (little-endian: offset 0). */
static const _Atomic int *sem_value_word(struct sem *sem)
{
	return (const _Atomic int *)&sem->s_data;
}

SHIM_EXPORT int sem_init(sem_t *s, int pshared, unsigned value)
{
	if (value > SEM_VALUE_MAX)
		return shim_fail(EINVAL);
	struct sem *sem = sem_of(s);
	atomic_store_explicit(&sem->s_data, value, memory_order_relaxed);
	sem->s_shared = pshared ? SEM_SHARED : 0;
	vg_init(sem, PROF_SEM, value);
	return 0;
}

SHIM_EXPORT int sem_destroy(sem_t *s)
{
	vg_destroy(sem_of(s), PROF_SEM);
	return 0;
}

SHIM_EXPORT int sem_getvalue(sem_t *restrict s, int *restrict sval)
{
	*sval = (int)sem_value(
		atomic_load_explicit(&sem_of(s)->s_data, memory_order_relaxed));
	return 0;
}

SHIM_EXPORT int sem_post(sem_t *s)
{
	struct sem *sem = sem_of(s);
	vg_release(sem, PROF_SEM);
	uint64_t d = atomic_load_explicit(&sem->s_data, memory_order_relaxed);
	do {
		if (sem_value(d) == SEM_VALUE_MAX)
			return shim_fail(EOVERFLOW);
		/* Release: what the poster wrote is visible to the taker. */
	} while (!atomic_compare_exchange_weak_explicit(&sem->s_data, &d, d + 1,
							memory_order_release,
							memory_order_relaxed));
	if (sem_waiters(d) == 0)
		return 0;
	if (sem->s_shared)
		lwp_wake_addr(sem_value_word(sem), 1, true);
	else
		park_unpark_one_async_safe(sem); /* sem_post: signal-safe */
	return 0;
}

/* Take a unit if there is one.  Never fails spuriously: the weak swap is
 * retried for as long as the value is non-zero. */
static bool sem_take(struct sem *sem)
{
	uint64_t d = atomic_load_explicit(&sem->s_data, memory_order_relaxed);
	while (sem_value(d) != 0) {
		/* Acquire: pairs with the post that made the unit. */
		if (atomic_compare_exchange_weak_explicit(
			    &sem->s_data, &d, d - 1, memory_order_acquire,
			    memory_order_relaxed))
			return true;
	}
	return false;
}

/* Under the bucket lock: queue only while there is nothing to take. */
static bool sem_empty(void *ctx)
{
	struct sem *sem = ctx;
	return sem_value(atomic_load_explicit(&sem->s_data,
					      memory_order_relaxed)) == 0;
}

/* Sleep once: 0 (woken, maybe spuriously), EAGAIN (the value moved),
 * ETIMEDOUT, EINTR (a signal handler ran, as with glibc) or ECANCELED (a
 * cancellation is pending). */
static int sem_sleep(struct sem *sem, const struct timespec *abstime,
		     clockid_t clock)
{
	if (sem->s_shared)
		return lwp_wait_addr(sem_value_word(sem), 0, abstime, clock,
				     true);
	return park_wait(sem, sem_empty, NULL, NULL, sem, abstime, clock,
			 PARK_CANCELLABLE | PARK_INTERRUPTIBLE |
				 PARK_KIND(PROF_SEM), NULL);
}

/* Whether sem_spin should stop: a unit to take, or registered waiters
 * that the next unit goes to anyway. */
static bool sem_spin_over(struct sem *sem)
{
	uint64_t d = atomic_load_explicit(&sem->s_data, memory_order_relaxed);
	return sem_value(d) != 0 || sem_waiters(d) != 0;
}

/*
 * Poll at every pause for about as long as shim_spin's pause rounds last,
 * then yield as shim_spin does.  Polling at every pause, not after 2, 4
 * and 8, is what catches a poster on another CPU within a cache-line
 * transfer: semaphore ping-pong across CPUs went from 0.5-1.4 to 3-8 M
 * round trips/s (bench_sem), where checking after each round left the
 * waiter pausing or in sched_yield (~0.4 us here) when the unit came.  A
 * mutex keeps the exponential rounds: many spinners polling a word every
 * locker writes would bounce its cache line.  Yielding lets a poster on
 * the same CPU run; a longer pause phase only delays that (32 pauses:
 * same-CPU ping-pong 330 -> 255 k/s).
 */
#define SEM_SPIN_PAUSES 16

static void sem_spin(struct sem *sem)
{
	for (unsigned i = 0; i < SEM_SPIN_PAUSES; i++) {
		if (sem_spin_over(sem))
			return;
		arch_spin_pause();
	}
	unsigned round = SHIM_SPIN_PAUSE_ROUNDS;
	do {
		if (sem_spin_over(sem))
			return;
	} while (shim_spin(&round));
}

/* Register, sleep until a unit is taken or the wait ends, deregister.
 * 0, ETIMEDOUT, EINTR or ECANCELED. */
static int sem_wait_slow(struct sem *sem, const struct timespec *abstime,
			 clockid_t clock)
{
	uint64_t d = (atomic_fetch_add_explicit(&sem->s_data, SEM_ONE_WAITER,
						memory_order_relaxed) +
		      SEM_ONE_WAITER);
	for (;;) {
		if (sem_value(d) != 0) {
			/* Take a unit and deregister in one step. */
			if (atomic_compare_exchange_weak_explicit(
				    &sem->s_data, &d, d - 1 - SEM_ONE_WAITER,
				    memory_order_acquire, memory_order_relaxed))
				return 0;
			continue;
		}
		int err = sem_sleep(sem, abstime, clock);
		if (err == ETIMEDOUT || err == EINTR || err == ECANCELED) {
			atomic_fetch_sub_explicit(&sem->s_data, SEM_ONE_WAITER,
						  memory_order_relaxed);
			return err;
		}
		d = atomic_load_explicit(&sem->s_data, memory_order_relaxed);
	}
}

/* The common body of the three waits, after their argument checks. */
static int sem_wait_common(struct sem *sem, const struct timespec *abstime,
			   clockid_t clock)
{
	if (sem_take(sem))
		return 0;
	if (shim_deadline_passed(abstime))
		return shim_fail(ETIMEDOUT);
	for (;;) {
		sem_spin(sem);
		if (sem_take(sem))
			return 0;
		/* About to block: a cancellation that arrived meanwhile is
		 * acted on before registering, which leaves a shared wait's
		 * signal only the few instructions up to the system call to
		 * arrive unseen. */
		shim_testcancel();
		int err = sem_wait_slow(sem, abstime, clock);
		if (err == 0)
			return 0;
		/* Not registered any more: acting on a cancellation here
		 * leaves the semaphore as if we had never waited.  A shared
		 * wait learns of one only as EINTR (the request's signal). */
		if (err == ECANCELED || err == EINTR)
			shim_testcancel();
		if (err != ECANCELED)
			return shim_fail(err);
	}
}

/* The diagnostics' view of a semaphore (profile.h). */
static int diag_try(void *sem)
{
	return sem_take(sem) ? 0 : EBUSY;
}

static int diag_block(void *sem, const struct timespec *abstime,
		      clockid_t clock)
{
	return sem_wait_common(sem, abstime, clock);
}

static int sem_wait_call(struct sem *sem, const struct timespec *abstime,
			 clockid_t clock)
{
	if (diag_on())
		return diag_lock(sem, PROF_SEM, diag_try, diag_block, abstime,
				 clock);
	return sem_wait_common(sem, abstime, clock);
}

SHIM_EXPORT int sem_wait(sem_t *s)
{
	shim_testcancel();
	return sem_wait_call(sem_of(s), NULL, CLOCK_REALTIME);
}

SHIM_EXPORT int sem_timedwait(sem_t *restrict s,
			      const struct timespec *restrict abstime)
{
	if (!shim_timespec_valid(abstime))
		return shim_fail(EINVAL);
	shim_testcancel();
	return sem_wait_call(sem_of(s), abstime, CLOCK_REALTIME);
}

SHIM_EXPORT int sem_clockwait(sem_t *restrict s, clockid_t clock,
			      const struct timespec *restrict abstime)
{
	if (!shim_clock_valid(clock) || !shim_timespec_valid(abstime))
		return shim_fail(EINVAL);
	return sem_wait_call(sem_of(s), abstime, clock);
}

/* With the diagnostics on (profile.h), out of line: the fast path keeps
 * no frame. */
__attribute__((noinline)) static int diag_trywait(struct sem *sem)
{
	if (!sem_take(sem))
		return shim_fail(EAGAIN);
	diag_trylocked(sem, PROF_SEM);
	return 0;
}

SHIM_EXPORT int sem_trywait(sem_t *s)
{
	if (diag_on())
		return diag_trywait(sem_of(s));
	return sem_take(sem_of(s)) ? 0 : shim_fail(EAGAIN);
}
