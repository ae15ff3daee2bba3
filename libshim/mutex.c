/*
 * libshim/mutex.c -- pthread_mutex_* and pthread_mutexattr_*.
 *
 * A process-private mutex is one word with two bits (parking_lot's
 * RawMutex): MUTEX_LOCKED, and MUTEX_PARKED, "threads may be parked on
 * this mutex's address".  The waiting threads live in the park layer's
 * queue for the address (park.c), so the mutex needs no queue and no
 * allocation, and an all-zero pthread_mutex_t is an unlocked mutex.
 *
 *  - Lock: one CAS 0 -> LOCKED, inline.  Otherwise the slow path spins
 *    for a short while as long as nobody is parked (spinning helps only
 *    while the holder is running and no queue has formed), then sets
 *    PARKED and parks, validating "still LOCKED|PARKED" under the bucket
 *    lock.  An unlock that has cleared the word before we park makes that
 *    validation fail: no wake-up is lost (see park.c).
 *  - Only an ADAPTIVE_NP mutex spins (mutex_spins), and only in pause
 *    rounds (shim_spin_pause, ~1 us), never the sched_yield phase of the
 *    other objects: a mutex holder re-takes the lock at once, so with
 *    more threads than cores a yield mostly runs another waiter, which
 *    spins and yields back.  4 threads hammering one std::mutex on 2
 *    cores made 60-70k sched_yield calls (as many context switches) per
 *    4M acquisitions, and the runs took longer the more they made.  The
 *    pause rounds alone, for every type, still cost that program
 *    1.03-1.16x the time of parking at once (medians of four sets of
 *    7-25 alternating runs: the spinner's loads take the line from the
 *    holder), and bench_mutex's contended rows gained nothing from them
 *    (doc/performance-targets.md, fifth pass): so the other types park
 *    at once, as glibc's do.
 *  - Unlock: one exchange with 0, inline (an exchange, as glibc's
 *    lll_unlock: a CAS LOCKED -> 0 cost ~1 ns more per lock+unlock).  If
 *    PARKED was set, the slow path unparks one thread.
 *  - One woken thread at a time (glibc's lll_lock protocol, Go's
 *    mutexWoken): that unlock leaves PARKED clear even when threads
 *    remain queued, and gives the woken thread MUTEX_TOKEN_RETAKE; it sets
 *    PARKED again itself, taking the mutex with it or parking again.
 *    Until it runs, the running threads' unlocks are the fast path and
 *    wake nobody.  Keeping PARKED set instead woke a second waiter at the
 *    very next unlock, a third at the one after: with more threads than
 *    cores and a holder that re-takes the mutex at once, every waiter was
 *    soon awake, on both CPUs, moving the mutex's cache line with each
 *    acquisition and parking again (4 threads with one std::mutex on 2
 *    cores: 45-65k context switches and 130k futex calls per 16M
 *    acquisitions, twice the CPU time of glibc's run, where the waiters
 *    stay asleep and one thread runs at a time).  A condvar waiter woken
 *    from the mutex's queue gets the token too (mutex_wait_reacquire).
 *    The woken thread carries the others' wake-up: as in glibc, a thread
 *    that leaves pthread_mutex_lock between its wake-up and its next CAS
 *    (an asynchronous cancellation, a longjmp out of a signal handler)
 *    leaves the others asleep until the next thread parks.
 *  - Fairness: an unlocked mutex may be taken by a running thread before
 *    the thread just woken gets there (barging); that keeps the lock hot
 *    but could starve the woken thread.  A lock call that is still
 *    waiting MUTEX_STARVING_NS after its first park parks again with
 *    PARK_STARVING: the park layer queues it ahead of the others, and the
 *    unlock that dequeues it (r.starving) sets the word LOCKED again (if
 *    no running thread has taken it since the exchange) and hands
 *    the mutex directly to it (PARK_TOKEN_HANDOFF), so every waiter gets
 *    its turn within about that time (Go's sync.Mutex starvation mode).
 *    The hand-off is kept for starving waiters only, not made on the park
 *    layer's timer (be_fair, ~every 0.1 ms) as before: a mutex handed to
 *    a thread that is still asleep stays unusable until the scheduler
 *    runs it, the running threads park meanwhile, and every unlock then
 *    has a sleeper to wake -- the convoy the rwlock had (rwlock.c).
 *  - Why PARKED may be stale, and why that is harmless: a waiter that
 *    times out clears PARKED only if it was the last one queued, under the
 *    bucket lock; a condvar broadcast sets PARKED when it moves waiters
 *    onto the mutex's queue; a thread woken with MUTEX_TOKEN_RETAKE sets
 *    it whether or not the others are still queued.  A set PARKED with
 *    nobody queued costs one slow unlock, which finds nobody.
 *
 * Types (glibc's __kind encoding): NORMAL/DEFAULT and ADAPTIVE take the
 * fast paths and do not check the owner (relocking deadlocks, as in
 * glibc), though every type records it in __owner, as glibc's do.  RECURSIVE and ERRORCHECK record the owner's tid in __owner and
 * the depth in __count, and report EDEADLK/EPERM/EAGAIN as glibc does.
 *
 * A PTHREAD_PROCESS_SHARED mutex cannot use the park layer, whose queues
 * are private to this process: its word is a futex-style 0 (free), 1
 * (held), 2 (held, maybe sleepers) and waiters sleep with
 * lwp_wait_addr(shared=true) on the word itself, which works for any
 * process that maps it (mmap MAP_SHARED, across fork).
 *
 * Robust, PI and PP mutexes follow glibc's protocols, one file each
 * (mutex_robust.c, mutex_pi.c, mutex_pp.c); none of their kinds is basic
 * (kind_is_basic), so the fast and slow paths here are untouched by them:
 * mutex_protocol is reached only where those paths would have reported
 * EINVAL.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "compat/lwp.h"
#include "libshim/mutex.h"
#include "libshim/mutex_impl.h"
#include "libshim/park.h"
#include "libshim/profile.h"
#include "libshim/shim.h"
#include "libshim/thread.h"
#include "libshim/vg.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* How long a lock call waits, from its first park, before it asks the
 * unlocker for a hand-off (PARK_STARVING): see "Fairness" above. */
#define MUTEX_STARVING_NS 1000000u

/* The process-shared word. */
enum { PS_FREE, PS_HELD, PS_SLEEPERS };

/* The fast paths apply: NORMAL or ADAPTIVE, process-private. */
static bool kind_is_plain(int kind)
{
	int t = kind & ~KIND_ELISION_FLAGS;
	return t == PTHREAD_MUTEX_NORMAL || t == PTHREAD_MUTEX_ADAPTIVE_NP;
}

/* ---- process-private word ---------------------------------------- */

static bool private_validate(void *ctx)
{
	struct shim_mutex *m = ctx;
	return atomic_load_explicit(&m->m_lock, memory_order_relaxed) ==
	       (MUTEX_LOCKED | MUTEX_PARKED);
}

static void private_timed_out(void *ctx, bool was_last)
{
	struct shim_mutex *m = ctx;
	/* Under the bucket lock, so no thread can be queueing meanwhile. */
	if (was_last)
		atomic_fetch_and_explicit(&m->m_lock, ~MUTEX_PARKED,
					  memory_order_relaxed);
}

/* Has this lock call waited long enough to ask for a hand-off
 * (PARK_STARVING)?  *since: its first park, 0 before it. */
static bool private_starving(uint64_t *since)
{
	uint64_t now = park_now_ns();
	if (*since == 0) {
		*since = now;
		return false;
	}
	return now - *since >= MUTEX_STARVING_NS;
}

/* retake: MUTEX_PARKED if the caller was woken with MUTEX_TOKEN_RETAKE
 * (it must take the mutex with PARKED set), else 0. */
NOINLINE static int private_lock_slow(struct shim_mutex *m,
				      const struct timespec *abstime,
				      clockid_t clock, int retake)
{
	if (abstime != NULL && !shim_timespec_valid(abstime))
		return EINVAL; /* only now: the call would block */
	bool spin = mutex_spins(m);
	unsigned spins = 0;
	uint64_t since = 0;
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	for (;;) {
		if (!(s & MUTEX_LOCKED)) {
			/* Keep PARKED: the queue is someone else's to drain. */
			if (atomic_compare_exchange_weak_explicit(
				    &m->m_lock, &s, s | MUTEX_LOCKED | retake,
				    memory_order_acquire, memory_order_relaxed))
				return 0;
			continue;
		}
		if (!(s & MUTEX_PARKED)) {
			if (spin && shim_spin_pause(&spins)) {
				s = atomic_load_explicit(&m->m_lock,
							 memory_order_relaxed);
				continue;
			}
			if (!atomic_compare_exchange_weak_explicit(
				    &m->m_lock, &s, s | MUTEX_PARKED,
				    memory_order_relaxed, memory_order_relaxed))
				continue;
		}
		unsigned flags = PARK_ASYNC_CANCEL | PARK_KIND(PROF_MUTEX);
		if (private_starving(&since))
			flags |= PARK_STARVING;
		uintptr_t token = PARK_TOKEN_NORMAL;
		int r = park_wait(m, private_validate, NULL, private_timed_out,
				  m, abstime, clock, flags, &token);
		if (r == 0 && token == PARK_TOKEN_HANDOFF)
			return 0; /* the unlocker left it LOCKED for us */
		if (r == ETIMEDOUT)
			return ETIMEDOUT;
		retake = r == 0 && token == MUTEX_TOKEN_RETAKE ? MUTEX_PARKED
							       : 0;
		spins = 0;
		s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	}
}

static int private_lock(struct shim_mutex *m, const struct timespec *abstime,
			clockid_t clock)
{
	int c = 0;
	if (atomic_compare_exchange_strong_explicit(&m->m_lock, &c,
						    MUTEX_LOCKED,
						    memory_order_acquire,
						    memory_order_relaxed))
		return 0;
	return private_lock_slow(m, abstime, clock, 0);
}

static bool private_trylock(struct shim_mutex *m)
{
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	while (!(s & MUTEX_LOCKED))
		if (atomic_compare_exchange_weak_explicit(
			    &m->m_lock, &s, s | MUTEX_LOCKED,
			    memory_order_acquire, memory_order_relaxed))
			return true;
	return false;
}

/* The unlock has cleared the word already; running threads may have
 * taken the mutex since. */
static uintptr_t private_unpark(void *ctx, struct park_unpark_result r)
{
	struct shim_mutex *m = ctx;
	if (r.unparked && r.starving) {
		/* Hand off, unless a running thread took it meanwhile: then
		 * the starving thread, still first in the queue, is woken to
		 * compete and parks again there. */
		int c = 0;
		if (atomic_compare_exchange_strong_explicit(
			    &m->m_lock, &c,
			    MUTEX_LOCKED | (r.have_more ? MUTEX_PARKED : 0),
			    memory_order_relaxed, memory_order_relaxed))
			return PARK_TOKEN_HANDOFF;
	}
	/* The others stay asleep until the woken thread has either taken
	 * the mutex or parked again, either way setting PARKED back. */
	return r.unparked && r.have_more ? MUTEX_TOKEN_RETAKE
					 : PARK_TOKEN_NORMAL;
}

NOINLINE static void private_unlock_slow(struct shim_mutex *m)
{
	park_unpark_one(m, private_unpark, m);
}

/* Unlocking a mutex that is not locked leaves it so (glibc's NORMAL
 * unlock); a PARKED bit found there still wakes a waiter, which at worst
 * finds the mutex free. */
static ALWAYS_INLINE void private_unlock(struct shim_mutex *m)
{
	if (atomic_exchange_explicit(&m->m_lock, 0, memory_order_release) &
	    MUTEX_PARKED)
		private_unlock_slow(m);
}

/* ---- process-shared word ----------------------------------------- */

static int shared_lock(struct shim_mutex *m, const struct timespec *abstime,
		       clockid_t clock)
{
	int c = PS_FREE;
	if (atomic_compare_exchange_strong_explicit(&m->m_lock, &c, PS_HELD,
						    memory_order_acquire,
						    memory_order_relaxed))
		return 0;
	if (abstime != NULL && !shim_timespec_valid(abstime))
		return EINVAL;
	bool spin = mutex_spins(m);
	unsigned spins = 0;
	while (spin && shim_spin(&spins)) {
		c = PS_FREE;
		if (atomic_load_explicit(&m->m_lock, memory_order_relaxed) ==
			    PS_FREE &&
		    atomic_compare_exchange_strong_explicit(
			    &m->m_lock, &c, PS_HELD, memory_order_acquire,
			    memory_order_relaxed))
			return 0;
	}
	/* Taking it as PS_SLEEPERS, even when found free, keeps the wake-up
	 * chain going for whoever else sleeps on the word. */
	while (atomic_exchange_explicit(&m->m_lock, PS_SLEEPERS,
					memory_order_acquire) != PS_FREE) {
		int s = PS_SLEEPERS;
		int r = mutex_word_wait(m, &s, PS_SLEEPERS, NULL, abstime,
					clock, true);
		if (r != 0)
			return r;
	}
	return 0;
}

static bool shared_trylock(struct shim_mutex *m)
{
	int c = PS_FREE;
	return atomic_compare_exchange_strong_explicit(
		&m->m_lock, &c, PS_HELD, memory_order_acquire,
		memory_order_relaxed);
}

static void shared_unlock(struct shim_mutex *m)
{
	if (atomic_exchange_explicit(&m->m_lock, PS_FREE,
				     memory_order_release) == PS_SLEEPERS)
		lwp_wake_addr(&m->m_lock, 1, true);
}

/* ---- the word of either kind ------------------------------------- */

static int word_lock(struct shim_mutex *m, int kind,
		     const struct timespec *abstime, clockid_t clock)
{
	if (kind & MUTEX_KIND_PSHARED)
		return shared_lock(m, abstime, clock);
	return private_lock(m, abstime, clock);
}

static void word_unlock(struct shim_mutex *m, int kind)
{
	if (kind & MUTEX_KIND_PSHARED)
		shared_unlock(m);
	else
		private_unlock(m);
}

static bool word_locked(struct shim_mutex *m, int kind)
{
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	return (kind & MUTEX_KIND_PSHARED) ? s != PS_FREE
					   : (s & MUTEX_LOCKED) != 0;
}

/* ---- ownership --------------------------------------------------- */

/* Every type records its holder in __owner, as glibc's do (debuggers and
 * glibc's pretty printers show it); only recursive and errorcheck ones
 * check it.  On the reference Xeon the plain store between the lock's and
 * the unlock's locked instructions also makes an uncontended lock+unlock
 * cheaper, not dearer: 15.6 ns with it, 18.5 without, in a loop of the
 * two alone (a store to another cache line does not do it). */
static void take_ownership(struct shim_mutex *m, int type, pid_t self)
{
	atomic_store_explicit(&m->m_owner, self, memory_order_relaxed);
	if (type == PTHREAD_MUTEX_RECURSIVE)
		m->m_count = 1;
}

/* ---- waiting on the word (process-shared, robust, PP) ------------ */

int mutex_word_wait(struct shim_mutex *m, int *s, int marked, unsigned *spins,
		    const struct timespec *abstime, clockid_t clock,
		    bool shared)
{
	if (abstime != NULL && !shim_timespec_valid(abstime))
		return EINVAL;
	if (*s != marked) {
		if (spins != NULL && shim_spin(spins)) {
			*s = atomic_load_explicit(&m->m_lock,
						  memory_order_relaxed);
			return EAGAIN;
		}
		if (!atomic_compare_exchange_weak_explicit(
			    &m->m_lock, s, marked, memory_order_relaxed,
			    memory_order_relaxed))
			return EAGAIN;
		*s = marked;
	}
	int r = shim_word_wait(&m->m_lock, marked, abstime, clock, shared);
	*s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	return r;
}

/* ---- the protocols outside kind_is_basic ------------------------- */

/* glibc's __pthread_mutex_lock_full and its kin: robust, PI and PP
 * mutexes; NULL for anything else (a destroyed mutex too). */
static const struct mutex_protocol *mutex_protocol(int kind)
{
	if (kind_is_robust(kind))
		return &mutex_robust;
	if (kind_is_pi(kind))
		return (kind & MUTEX_KIND_ROBUST) ? &mutex_pi_robust : &mutex_pi;
	if (kind_is_pp(kind))
		return &mutex_pp;
	return NULL;
}

NOINLINE static int full_lock(struct shim_mutex *m, int kind,
			      const struct timespec *abstime, clockid_t clock)
{
	const struct mutex_protocol *p = mutex_protocol(kind);
	return p != NULL ? p->lock(m, kind, abstime, clock) : EINVAL;
}

NOINLINE static int full_trylock(struct shim_mutex *m, int kind)
{
	const struct mutex_protocol *p = mutex_protocol(kind);
	return p != NULL ? p->trylock(m, kind) : EINVAL;
}

NOINLINE static int full_unlock(struct shim_mutex *m, int kind)
{
	const struct mutex_protocol *p = mutex_protocol(kind);
	return p != NULL ? p->unlock(m, kind) : EINVAL;
}

/* ---- lock, trylock, unlock --------------------------------------- */

NOINLINE static int mutex_lock_slow(struct shim_mutex *m,
				    const struct timespec *abstime,
				    clockid_t clock)
{
	int kind = load_kind(m);
	if (!kind_is_basic(kind))
		return full_lock(m, kind, abstime, clock);
	int type = kind_type(kind);
	pid_t self = shim_tid();
	if (type_tracks_owner(type) && load_owner(m) == self)
		return type == PTHREAD_MUTEX_ERRORCHECK ? EDEADLK : recurse(m);
	int r = word_lock(m, kind, abstime, clock);
	if (r == 0)
		take_ownership(m, type, self);
	return r;
}

static ALWAYS_INLINE int mutex_trylock(struct shim_mutex *m);

/* The diagnostics' view of a mutex (profile.h).  The exported calls hand
 * over to these out of line, so that their fast paths keep no frame. */
static int diag_try(void *m)
{
	return mutex_trylock(m);
}

static int diag_block(void *m, const struct timespec *abstime, clockid_t clock)
{
	return mutex_lock_slow(m, abstime, clock);
}

SHIM_EXPORT int pthread_mutex_lock(pthread_mutex_t *pm)
{
	struct shim_mutex *m = shim_mutex(pm);
	if (diag_on())
		return diag_lock(m, PROF_MUTEX, diag_try, diag_block, NULL,
				 CLOCK_REALTIME);
	int c = 0;
	if (__builtin_expect(kind_is_plain(load_kind(m)), 1) &&
	    atomic_compare_exchange_strong_explicit(&m->m_lock, &c,
						    MUTEX_LOCKED,
						    memory_order_acquire,
						    memory_order_relaxed)) {
		atomic_store_explicit(&m->m_owner, shim_tid(),
				      memory_order_relaxed);
		return 0;
	}
	return mutex_lock_slow(m, NULL, CLOCK_REALTIME);
}

SHIM_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *pm, clockid_t clock,
				       const struct timespec *abstime)
{
	if (!shim_clock_valid(clock))
		return EINVAL;
	if (diag_on())
		return diag_lock(shim_mutex(pm), PROF_MUTEX, diag_try,
				 diag_block, abstime, clock);
	return mutex_lock_slow(shim_mutex(pm), abstime, clock);
}

SHIM_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *pm,
				       const struct timespec *abstime)
{
	return pthread_mutex_clocklock(pm, CLOCK_REALTIME, abstime);
}

static ALWAYS_INLINE int mutex_trylock(struct shim_mutex *m)
{
	int kind = load_kind(m);
	if (!kind_is_basic(kind))
		return full_trylock(m, kind);
	int type = kind_type(kind);
	pid_t self = shim_tid();
	/* glibc: EBUSY, not EDEADLK, for an errorcheck relock. */
	if (type_tracks_owner(type) && load_owner(m) == self)
		return type == PTHREAD_MUTEX_RECURSIVE ? recurse(m) : EBUSY;
	bool got = (kind & MUTEX_KIND_PSHARED) ? shared_trylock(m)
					       : private_trylock(m);
	if (!got)
		return EBUSY;
	take_ownership(m, type, self);
	return 0;
}

NOINLINE static int diag_trylock(struct shim_mutex *m)
{
	int r = mutex_trylock(m);
	if (r == 0 || r == EOWNERDEAD)
		diag_trylocked(m, PROF_MUTEX);
	return r;
}

SHIM_EXPORT int pthread_mutex_trylock(pthread_mutex_t *pm)
{
	if (diag_on())
		return diag_trylock(shim_mutex(pm));
	return mutex_trylock(shim_mutex(pm));
}

NOINLINE static int mutex_unlock_slow(struct shim_mutex *m)
{
	int kind = load_kind(m);
	if (!kind_is_basic(kind))
		return full_unlock(m, kind);
	int e = mutex_unlock_check(m, kind_type(kind));
	if (e != MUTEX_RELEASE_NOW)
		return e;
	atomic_store_explicit(&m->m_owner, 0, memory_order_relaxed);
	word_unlock(m, kind);
	return 0;
}

static ALWAYS_INLINE int mutex_unlock(struct shim_mutex *m)
{
	if (__builtin_expect(kind_is_plain(load_kind(m)), 1)) {
		atomic_store_explicit(&m->m_owner, 0, memory_order_relaxed);
		private_unlock(m);
		return 0;
	}
	return mutex_unlock_slow(m);
}

NOINLINE static int diag_then_unlock(struct shim_mutex *m)
{
	diag_unlock(m, PROF_MUTEX);
	return mutex_unlock(m);
}

SHIM_EXPORT int pthread_mutex_unlock(pthread_mutex_t *pm)
{
	if (diag_on())
		return diag_then_unlock(shim_mutex(pm));
	return mutex_unlock(shim_mutex(pm));
}

/* ---- condition variable support (mutex.h) ------------------------ */

int mutex_wait_check(struct shim_mutex *m, unsigned *depth)
{
	int kind = load_kind(m);
	if (!kind_is_basic(kind) && mutex_protocol(kind) == NULL)
		return EINVAL;
	*depth = 0;
	int type = kind_type(kind);
	/* The checks of glibc's unlock: every robust or PI type checks the
	 * word, NORMAL and ADAPTIVE of the others do not check. */
	if ((kind & (MUTEX_KIND_ROBUST | MUTEX_KIND_PI))
		    ? !word_held_by_caller(m)
		    : type_tracks_owner(type) && load_owner(m) != shim_tid())
		return EPERM;
	if (type == PTHREAD_MUTEX_RECURSIVE)
		*depth = m->m_count;
	return 0;
}

void mutex_wait_release(struct shim_mutex *m)
{
	/* Counted before the release, so that a destroy that finds the
	 * mutex free finds the waiter here (see pthread_mutex_destroy). */
	atomic_fetch_add_explicit(&m->m_nusers, 1, memory_order_relaxed);
	int kind = load_kind(m);
	if (!kind_is_basic(kind)) {
		mutex_protocol(kind)->release(m, kind);
		return;
	}
	m->m_count = 0;
	atomic_store_explicit(&m->m_owner, 0, memory_order_relaxed);
	word_unlock(m, kind);
}

int mutex_wait_reacquire(struct shim_mutex *m, unsigned depth,
			 uintptr_t token)
{
	int kind = load_kind(m);
	int type = kind_type(kind);
	if (!kind_is_basic(kind)) {
		/* Never handed off: condvars do not requeue onto these. */
		int r = full_lock(m, kind, NULL, CLOCK_REALTIME);
		if ((r == 0 || r == EOWNERDEAD) &&
		    type == PTHREAD_MUTEX_RECURSIVE)
			m->m_count = depth;
		atomic_fetch_sub_explicit(&m->m_nusers, 1,
					  memory_order_relaxed);
		return r;
	}
	if (token == MUTEX_TOKEN_RETAKE) /* only a private mutex's unpark */
		private_lock_slow(m, NULL, CLOCK_REALTIME, MUTEX_PARKED);
	else if (token != PARK_TOKEN_HANDOFF)
		word_lock(m, kind, NULL, CLOCK_REALTIME);
	atomic_fetch_sub_explicit(&m->m_nusers, 1, memory_order_relaxed);
	atomic_store_explicit(&m->m_owner, shim_tid(), memory_order_relaxed);
	if (type == PTHREAD_MUTEX_RECURSIVE)
		m->m_count = depth;
	return 0;
}

/* ---- init, destroy ---------------------------------------------- */

SHIM_EXPORT int pthread_mutex_init(pthread_mutex_t *pm,
				   const pthread_mutexattr_t *attr)
{
	int a = attr != NULL ? attr_value(attr) : PTHREAD_MUTEX_NORMAL;
	int protocol = (a & ATTR_PROTOCOL_MASK) >> ATTR_PROTOCOL_SHIFT;
	/* glibc has no robust priority-protection mutex. */
	if ((a & ATTR_ROBUST) && protocol != PTHREAD_PRIO_NONE &&
	    protocol != PTHREAD_PRIO_INHERIT)
		return ENOTSUP;
	struct shim_mutex *m = shim_mutex(pm);
	/* All of it, as glibc: arm64's object is 8 bytes past the fields. */
	memset(pm, 0, sizeof *pm);
	int kind = a & ~ATTR_FLAG_BITS;
	if (a & ATTR_ROBUST)
		kind |= MUTEX_KIND_ROBUST | MUTEX_KIND_PSHARED;
	if (a & ATTR_PSHARED)
		kind |= MUTEX_KIND_PSHARED;
	if (protocol == PTHREAD_PRIO_INHERIT)
		kind |= MUTEX_KIND_PI;
	if (protocol == PTHREAD_PRIO_PROTECT) {
		kind |= MUTEX_KIND_PP;
		int c = (a & ATTR_CEILING_MASK) >> ATTR_CEILING_SHIFT;
		/* Never set: the lowest SCHED_FIFO priority, as glibc. */
		if (c == 0)
			c = sched_get_priority_min(SCHED_FIFO);
		atomic_store_explicit(&m->m_lock, c << PP_CEILING_SHIFT,
				      memory_order_relaxed);
	}
	atomic_store_explicit(&m->m_kind, kind, memory_order_relaxed);
	vg_init(m, PROF_MUTEX, kind_type(kind) == PTHREAD_MUTEX_RECURSIVE);
	return 0;
}

SHIM_EXPORT int pthread_mutex_destroy(pthread_mutex_t *pm)
{
	struct shim_mutex *m = shim_mutex(pm);
	int kind = load_kind(m);
	/* glibc destroys a held robust mutex, leaving it on its owner's
	 * robust list; refused here, as for any other held mutex. */
	const struct mutex_protocol *p = mutex_protocol(kind);
	if (kind_is_basic(kind) ? word_locked(m, kind)
				: p != NULL && p->locked(m))
		return EBUSY;
	/* Free, but a condition variable's waiter will take it back: EBUSY
	 * too, as glibc's __nusers count says (not for a robust mutex,
	 * which glibc does not check). */
	if (!(kind & MUTEX_KIND_ROBUST) &&
	    atomic_load_explicit(&m->m_nusers, memory_order_relaxed) != 0)
		return EBUSY;
	vg_destroy(m, PROF_MUTEX);
	/* As glibc: later use of the destroyed mutex answers EINVAL, and
	 * pthread_mutex_init may bring it back. */
	atomic_store_explicit(&m->m_kind, -1, memory_order_relaxed);
	return 0;
}

/* The double-underscore names old binaries bind (libpthread exported
 * them for years). */
SHIM_ALIAS(pthread_mutex_init, __pthread_mutex_init);
SHIM_ALIAS(pthread_mutex_destroy, __pthread_mutex_destroy);
SHIM_ALIAS(pthread_mutex_lock, __pthread_mutex_lock);
SHIM_ALIAS(pthread_mutex_trylock, __pthread_mutex_trylock);
SHIM_ALIAS(pthread_mutex_unlock, __pthread_mutex_unlock);
