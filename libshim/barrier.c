/*
 * libshim/barrier.c -- barriers.
 *
 * A barrier releases its waiters in rounds of b_count threads.  The whole
 * of a round's progress is one 64-bit word, b_state: the round number in
 * the high half and the number of threads that have arrived in the low
 * half.  A thread arrives with a compare-and-swap that adds one; the
 * thread whose arrival would make the count complete instead swaps in
 * (round + 1, 0 arrived), which at once releases the round and opens the
 * next.  Keeping both halves in one word is what makes immediate reuse
 * safe: a fast thread that leaves round n and enters round n+1 before the
 * other waiters of round n have woken changes only the arrival half, so
 * those waiters, which wait for the round half to move away from n, are
 * neither confused nor released twice; and a thread beyond the count that
 * arrives while the round is being completed sees either the old word
 * (its swap fails and it retries) or the new one (it is the first of the
 * next round), never a half-updated state.
 *
 * Exactly one thread per round, the one that completed it, returns
 * PTHREAD_BARRIER_SERIAL_THREAD.  Memory ordering: every arrival is a
 * release-acquire swap on the same word, so they form one release
 * sequence; the completing swap reads the last arrival and so
 * synchronises with all of them, and a waiter's acquire load of the new
 * round synchronises with the completing swap.  Whatever any participant
 * wrote before pthread_barrier_wait is visible to all of them after it.
 *
 * Waiting: a process-private barrier parks on its own address through the
 * park layer, validating under the bucket lock that the round has not
 * moved yet; the completing thread moves the round and then unparks every
 * thread queued on the address, so a waiter either sees the new round in
 * its validation or is already queued when the unpark comes.  A
 * process-shared barrier cannot use process-private queues: its waiters
 * sleep in the kernel on the round half of b_state itself (the 32-bit word
 * at offset 4 on little-endian x86_64), and the completing thread wakes
 * every sleeper on that word.  Signals never end a wait early: the loop
 * re-checks the round.
 *
 * Destruction.  POSIX lets a program destroy a barrier as soon as no
 * thread is blocked on it -- typically the serial thread destroys it the
 * moment it returns, while the round's other waiters have been released
 * but may still be reading b_state on their way out.  So every released
 * waiter is counted in b_leaving until its last access, and destroy waits
 * for the count to drain, as glibc's pthread_barrier_destroy waits for
 * its leavers.  The completing thread adds the round's count - 1 waiters
 * *before* its swap can release any of them, so the count never runs
 * behind the waiters it covers (if the swap then fails, the addition is
 * taken back).  Destroy marks the count with B_DESTROYING in the same
 * word, so the leaver that takes it to zero learns from its own
 * fetch-and-subtract that it must wake the destroyer, without reading the
 * barrier again after the decrement that may let destroy return.  What
 * remains after that decrement is a wake-up by address only (a park-layer
 * key or a kernel futex address), which at worst wakes a stranger
 * spuriously if the memory has already been reused; glibc's barrier has
 * the same property.
 *
 * Where glibc's destroy would wait for ever -- threads are blocked in a
 * round that is not complete, which POSIX calls undefined -- this one
 * returns EBUSY, as POSIX suggests, instead of hanging.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "compat/lwp.h"
#include "libshim/park.h"
#include "libshim/profile.h"
#include "common/visibility.h"
#include "libshim/vg.h"
#include "object_layout.h"

struct barrier {
	_Atomic uint64_t b_state; /* round << 32 | threads arrived */
	_Atomic int b_leaving;    /* released, not yet gone; | B_DESTROYING */
	unsigned b_count;         /* threads per round */
	bool b_shared;            /* PTHREAD_PROCESS_SHARED */
};

struct barrierattr {
	int ba_pshared; /* PTHREAD_PROCESS_*, as glibc's layout */
};

_Static_assert(sizeof(struct barrier) <= GLIBC_SIZEOF_BARRIER,
	       "struct barrier must fit in pthread_barrier_t");
_Static_assert(_Alignof(struct barrier) <= GLIBC_ALIGNOF_BARRIER,
	       "pthread_barrier_t is not aligned enough for struct barrier");
_Static_assert(sizeof(struct barrierattr) <= GLIBC_SIZEOF_BARRIERATTR,
	       "struct barrierattr must fit in pthread_barrierattr_t");

/* glibc refuses counts from UINT_MAX / 2 up (its arrival counter needs
 * the headroom); the same limit keeps programs portable between them. */
#define BARRIER_COUNT_LIMIT (UINT_MAX / 2)

/* Set in b_leaving while destroy waits for it to drain.  The number of
 * threads inside a barrier is bounded by the number of threads a process
 * can have (far below 2^30), so the count never reaches this bit. */
#define B_DESTROYING (1 << 30)

#define ROUND_SHIFT 32
#define ARRIVED_MASK 0xffffffffu

static struct barrier *barrier_of(pthread_barrier_t *b)
{
	return (struct barrier *)b;
}

static uint32_t round_of(uint64_t state)
{
	return (uint32_t)(state >> ROUND_SHIFT);
}

static uint32_t arrived_of(uint64_t state)
{
	return (uint32_t)(state & ARRIVED_MASK);
}

/* The round half of b_state as the kernel sees it, for shared waits. */
static const _Atomic int *round_word(struct barrier *bar)
{
	return (const _Atomic int *)((const char *)&bar->b_state + 4);
}

SHIM_EXPORT int pthread_barrier_init(pthread_barrier_t *barrier,
				     const pthread_barrierattr_t *attr,
				     unsigned count)
{
	if (count == 0 || count >= BARRIER_COUNT_LIMIT)
		return EINVAL;
	struct barrier *bar = barrier_of(barrier);
	const struct barrierattr *ba = (const struct barrierattr *)attr;
	atomic_store_explicit(&bar->b_state, 0, memory_order_relaxed);
	atomic_store_explicit(&bar->b_leaving, 0, memory_order_relaxed);
	bar->b_count = count;
	bar->b_shared = ba != NULL && ba->ba_pshared == PTHREAD_PROCESS_SHARED;
	vg_init(bar, PROF_BARRIER, count);
	return 0;
}

/* ---- waiting for the round to move ---- */

struct round_wait {
	struct barrier *bar;
	uint32_t round;
};

/* Under the bucket lock: queue only while the round is still ours. */
static bool round_unchanged(void *ctx)
{
	struct round_wait *rw = ctx;
	return round_of(atomic_load_explicit(
		       &rw->bar->b_state, memory_order_relaxed)) == rw->round;
}

static void wait_round_over(struct barrier *bar, bool shared, uint32_t round)
{
	struct round_wait rw = { bar, round };
	/* Acquire: pairs with the completing swap (see the essay). */
	while (round_of(atomic_load_explicit(&bar->b_state,
					     memory_order_acquire)) == round) {
		if (shared)
			lwp_wait_addr(round_word(bar), (int)round, NULL,
				      CLOCK_MONOTONIC, true);
		else
			park_wait(bar, round_unchanged, NULL, NULL, &rw, NULL,
				  CLOCK_MONOTONIC, PARK_KIND(PROF_BARRIER),
				  NULL);
	}
}

/* After the round moved: wake every waiter of the old one.  Uses the
 * address only, never the barrier's contents (see the essay). */
static void release_round(struct barrier *bar, bool shared)
{
	if (shared)
		lwp_wake_addr(round_word(bar), INT_MAX, true);
	else
		park_unpark_all(bar, PARK_TOKEN_NORMAL, NULL, NULL);
}

/* ---- counting the threads on their way out, for destroy ---- */

static void wake_destroyer(struct barrier *bar, bool shared)
{
	if (shared)
		lwp_wake_addr(&bar->b_leaving, INT_MAX, true);
	else
		park_unpark_all(&bar->b_leaving, PARK_TOKEN_NORMAL, NULL, NULL);
}

/* n threads have made their last access to the barrier.  The decrement
 * is the last access: what it returns says whether to wake a destroyer. */
static void barrier_left(struct barrier *bar, bool shared, int n)
{
	int old = atomic_fetch_sub_explicit(&bar->b_leaving, n,
					    memory_order_release);
	if (old - n == B_DESTROYING)
		wake_destroyer(bar, shared);
}

/*
 * The last arrival of round *s: count the round's waiters out before any
 * of them can be released, then move to the next round and wake them.
 * False if another thread arrived first (*s then holds the fresh state).
 */
static bool complete_round(struct barrier *bar, uint64_t *s, unsigned count,
			   bool shared)
{
	int waiters = (int)(count - 1);
	atomic_fetch_add_explicit(&bar->b_leaving, waiters,
				  memory_order_relaxed);
	uint64_t next = (uint64_t)(round_of(*s) + 1) << ROUND_SHIFT;
	if (!atomic_compare_exchange_strong_explicit(&bar->b_state, s, next,
						     memory_order_acq_rel,
						     memory_order_relaxed)) {
		barrier_left(bar, shared, waiters);
		return false;
	}
	if (waiters > 0)
		release_round(bar, shared);
	return true;
}

SHIM_EXPORT int pthread_barrier_wait(pthread_barrier_t *barrier)
{
	struct barrier *bar = barrier_of(barrier);
	/* Read before the round can complete: afterwards the serial thread
	 * may destroy the barrier while this thread still wakes its peers. */
	const unsigned count = bar->b_count;
	const bool shared = bar->b_shared;
	vg_release(bar, PROF_BARRIER);

	uint64_t s = atomic_load_explicit(&bar->b_state, memory_order_relaxed);
	for (;;) {
		if (arrived_of(s) == count - 1) {
			if (complete_round(bar, &s, count, shared)) {
				vg_acquire(bar, PROF_BARRIER);
				return PTHREAD_BARRIER_SERIAL_THREAD;
			}
		} else if (atomic_compare_exchange_strong_explicit(
				   &bar->b_state, &s, s + 1,
				   memory_order_acq_rel,
				   memory_order_relaxed)) {
			break;
		}
	}
	wait_round_over(bar, shared, round_of(s));
	barrier_left(bar, shared, 1);
	vg_acquire(bar, PROF_BARRIER);
	return 0;
}

/* Under the bucket lock: queue only while leavers remain. */
static bool leavers_remain(void *ctx)
{
	struct barrier *bar = ctx;
	return atomic_load_explicit(&bar->b_leaving, memory_order_relaxed) !=
	       B_DESTROYING;
}

SHIM_EXPORT int pthread_barrier_destroy(pthread_barrier_t *barrier)
{
	struct barrier *bar = barrier_of(barrier);
	if (arrived_of(atomic_load_explicit(&bar->b_state,
					    memory_order_relaxed)) != 0)
		return EBUSY;
	vg_destroy(bar, PROF_BARRIER);
	/* Acquire, here and below: the leavers' last reads happen before
	 * the caller reuses the memory. */
	int v = (atomic_fetch_or_explicit(&bar->b_leaving, B_DESTROYING,
					  memory_order_acquire) |
		 B_DESTROYING);
	while (v != B_DESTROYING) {
		if (bar->b_shared)
			lwp_wait_addr(&bar->b_leaving, v, NULL, CLOCK_MONOTONIC,
				      true);
		else
			park_wait(&bar->b_leaving, leavers_remain, NULL, NULL,
				  bar, NULL, CLOCK_MONOTONIC,
				  PARK_KIND(PROF_BARRIER), NULL);
		v = atomic_load_explicit(&bar->b_leaving, memory_order_acquire);
	}
	return 0;
}

/* ---- attributes ---- */

SHIM_EXPORT int pthread_barrierattr_init(pthread_barrierattr_t *attr)
{
	((struct barrierattr *)attr)->ba_pshared = PTHREAD_PROCESS_PRIVATE;
	return 0;
}

SHIM_EXPORT int pthread_barrierattr_destroy(pthread_barrierattr_t *attr)
{
	(void)attr;
	return 0;
}

SHIM_EXPORT int pthread_barrierattr_getpshared(
	const pthread_barrierattr_t *restrict attr, int *restrict pshared)
{
	*pshared = ((const struct barrierattr *)attr)->ba_pshared;
	return 0;
}

SHIM_EXPORT int pthread_barrierattr_setpshared(pthread_barrierattr_t *attr,
					       int pshared)
{
	if (pshared != PTHREAD_PROCESS_PRIVATE &&
	    pshared != PTHREAD_PROCESS_SHARED)
		return EINVAL;
	((struct barrierattr *)attr)->ba_pshared = pshared;
	return 0;
}
