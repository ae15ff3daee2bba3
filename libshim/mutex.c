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
 *  - Unlock: one CAS LOCKED -> 0, inline.  If PARKED is set, the slow path
 *    unparks one thread; the callback, still under the bucket lock, writes
 *    the new word: PARKED if threads remain queued, else 0.
 *  - Fairness: an unlocked mutex may be taken by a running thread before
 *    the thread just woken gets there (barging); that keeps the lock hot
 *    but could starve the woken thread.  When the park layer's fairness
 *    timer fires (be_fair, ~every 0.5 ms) the unlocker leaves the word
 *    LOCKED and hands the mutex directly to the woken thread
 *    (PARK_TOKEN_HANDOFF), so every waiter eventually gets its turn.
 *  - Why PARKED may be stale, and why that is harmless: a waiter that
 *    times out clears PARKED only if it was the last one queued, under the
 *    bucket lock; a condvar broadcast sets PARKED when it moves waiters
 *    onto the mutex's queue.  A set PARKED with nobody queued costs one
 *    slow unlock, which finds nobody and clears it.
 *
 * Types (glibc's __kind encoding): NORMAL/DEFAULT and ADAPTIVE take the
 * fast paths and do not check the owner (relocking deadlocks, as in
 * glibc).  RECURSIVE and ERRORCHECK record the owner's tid in __owner and
 * the depth in __count, and report EDEADLK/EPERM/EAGAIN as glibc does.
 *
 * A PTHREAD_PROCESS_SHARED mutex cannot use the park layer, whose queues
 * are private to this process: its word is a futex-style 0 (free), 1
 * (held), 2 (held, maybe sleepers) and waiters sleep with
 * lwp_wait_addr(shared=true) on the word itself, which works for any
 * process that maps it (mmap MAP_SHARED, across fork).
 *
 * Robust, priority-inheritance and priority-protection mutexes are not
 * implemented: the attribute calls store and report them as glibc does,
 * and pthread_mutex_init refuses them with ENOTSUP, glibc's answer on a
 * system without the feature.  So no robust or PP mutex ever exists, and
 * pthread_mutex_consistent and pthread_mutex_[gs]etprioceiling answer
 * EINVAL, as glibc does for any other mutex.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "compat/lwp.h"
#include "libshim/mutex.h"
#include "libshim/park.h"
#include "libshim/profile.h"
#include "libshim/shim.h"
#include "libshim/thread.h"

#define NOINLINE __attribute__((noinline))

/* __kind (glibc nptl/pthreadP.h). */
#define KIND_TYPE_MASK     3   /* PTHREAD_MUTEX_NORMAL .. ADAPTIVE_NP */
#define KIND_ROBUST        16
#define KIND_PRIO_INHERIT  32
#define KIND_PRIO_PROTECT  64
#define KIND_ELISION_FLAGS (256 | 512) /* elision hints: no meaning here */

/* The pthread_mutexattr_t word (glibc's struct pthread_mutexattr). */
#define ATTR_PROTOCOL_SHIFT 28
#define ATTR_PROTOCOL_MASK  0x30000000
#define ATTR_CEILING_SHIFT  12
#define ATTR_CEILING_MASK   0x00fff000
#define ATTR_ROBUST         0x40000000
#define ATTR_PSHARED        ((int)0x80000000)
#define ATTR_FLAG_BITS \
	(ATTR_ROBUST | ATTR_PSHARED | ATTR_PROTOCOL_MASK | ATTR_CEILING_MASK)
#define ATTR_NO_ELISION     512

/*
 * glibc's old names for some calls.  <pthread.h> turns several of them
 * into macros or redirects, so they are defined under another C name and
 * given the exported symbol name with an asm label.
 */
#define NP_ALIAS(target, cname, symbol)                                   \
	extern __typeof(target) cname __asm__(symbol) SHIM_EXPORT         \
		__attribute__((alias(#target), copy(target)))

/* The process-shared word. */
enum { PS_FREE, PS_HELD, PS_SLEEPERS };

static int *attr_word(pthread_mutexattr_t *a)
{
	return (int *)a;
}

static int attr_value(const pthread_mutexattr_t *a)
{
	return *(const int *)a;
}

/* A kind this file implements: a type, optionally process-shared, with
 * elision hints ignored.  A destroyed mutex (kind -1) is not one. */
static bool kind_valid(int kind)
{
	return (kind & ~(KIND_TYPE_MASK | MUTEX_KIND_PSHARED |
			 KIND_ELISION_FLAGS)) == 0;
}

static int kind_type(int kind)
{
	return kind & KIND_TYPE_MASK;
}

static bool type_tracks_owner(int type)
{
	return type == PTHREAD_MUTEX_RECURSIVE ||
	       type == PTHREAD_MUTEX_ERRORCHECK;
}

static int load_kind(struct shim_mutex *m)
{
	return atomic_load_explicit(&m->m_kind, memory_order_relaxed);
}

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

NOINLINE static int private_lock_slow(struct shim_mutex *m,
				      const struct timespec *abstime,
				      clockid_t clock)
{
	if (abstime != NULL && !shim_timespec_valid(abstime))
		return EINVAL; /* only now: the call would block */
	unsigned spins = 0;
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	for (;;) {
		if (!(s & MUTEX_LOCKED)) {
			/* Keep PARKED: the queue is someone else's to drain. */
			if (atomic_compare_exchange_weak_explicit(
				    &m->m_lock, &s, s | MUTEX_LOCKED,
				    memory_order_acquire, memory_order_relaxed))
				return 0;
			continue;
		}
		if (!(s & MUTEX_PARKED)) {
			if (shim_spin(&spins)) {
				s = atomic_load_explicit(&m->m_lock,
							 memory_order_relaxed);
				continue;
			}
			if (!atomic_compare_exchange_weak_explicit(
				    &m->m_lock, &s, s | MUTEX_PARKED,
				    memory_order_relaxed, memory_order_relaxed))
				continue;
		}
		uintptr_t token = PARK_TOKEN_NORMAL;
		int r = park_wait(m, private_validate, NULL, private_timed_out,
				  m, abstime, clock, PARK_KIND(PROF_MUTEX),
				  &token);
		if (r == 0 && token == PARK_TOKEN_HANDOFF)
			return 0; /* the unlocker left it LOCKED for us */
		if (r == ETIMEDOUT)
			return ETIMEDOUT;
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
	return private_lock_slow(m, abstime, clock);
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

static uintptr_t private_unpark(void *ctx, struct park_unpark_result r)
{
	struct shim_mutex *m = ctx;
	if (r.unparked && r.be_fair) {
		/* Hand off: the word stays LOCKED, now for the woken thread. */
		if (!r.have_more)
			atomic_store_explicit(&m->m_lock, MUTEX_LOCKED,
					      memory_order_relaxed);
		return PARK_TOKEN_HANDOFF;
	}
	/* Under the bucket lock nobody else can change the word now:
	 * lockers see LOCKED|PARKED and queue behind this lock. */
	atomic_store_explicit(&m->m_lock, r.have_more ? MUTEX_PARKED : 0,
			      memory_order_release);
	return PARK_TOKEN_NORMAL;
}

NOINLINE static void private_unlock_slow(struct shim_mutex *m)
{
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	for (;;) {
		if (!(s & MUTEX_LOCKED))
			return; /* not locked: glibc's NORMAL unlock is a no-op */
		if (s & MUTEX_PARKED)
			break;
		/* A timed-out waiter cleared PARKED meanwhile. */
		if (atomic_compare_exchange_weak_explicit(
			    &m->m_lock, &s, 0, memory_order_release,
			    memory_order_relaxed))
			return;
	}
	park_unpark_one(m, private_unpark, m);
}

static void private_unlock(struct shim_mutex *m)
{
	int c = MUTEX_LOCKED;
	if (!atomic_compare_exchange_strong_explicit(&m->m_lock, &c, 0,
						     memory_order_release,
						     memory_order_relaxed))
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
	unsigned spins = 0;
	while (shim_spin(&spins)) {
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
		if (abstime != NULL && abstime->tv_sec < 0)
			return ETIMEDOUT;
		if (lwp_wait_addr(&m->m_lock, PS_SLEEPERS, abstime, clock,
				  true) == ETIMEDOUT)
			return ETIMEDOUT;
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

/* ---- ownership (recursive, errorcheck) --------------------------- */

static pid_t load_owner(struct shim_mutex *m)
{
	return atomic_load_explicit(&m->m_owner, memory_order_relaxed);
}

static void take_ownership(struct shim_mutex *m, int type, pid_t self)
{
	atomic_store_explicit(&m->m_owner, self, memory_order_relaxed);
	if (type == PTHREAD_MUTEX_RECURSIVE)
		m->m_count = 1;
}

/* A recursive relock by the owner: one level deeper. */
static int recurse(struct shim_mutex *m)
{
	if (m->m_count + 1 == 0)
		return EAGAIN;
	m->m_count++;
	return 0;
}

/* ---- lock, trylock, unlock --------------------------------------- */

NOINLINE static int mutex_lock_slow(struct shim_mutex *m,
				    const struct timespec *abstime,
				    clockid_t clock)
{
	int kind = load_kind(m);
	if (!kind_valid(kind))
		return EINVAL;
	int type = kind_type(kind);
	if (!type_tracks_owner(type))
		return word_lock(m, kind, abstime, clock);

	pid_t self = shim_tid();
	if (load_owner(m) == self)
		return type == PTHREAD_MUTEX_ERRORCHECK ? EDEADLK : recurse(m);
	int r = word_lock(m, kind, abstime, clock);
	if (r == 0)
		take_ownership(m, type, self);
	return r;
}

SHIM_EXPORT int pthread_mutex_lock(pthread_mutex_t *pm)
{
	struct shim_mutex *m = shim_mutex(pm);
	int c = 0;
	if (__builtin_expect(kind_is_plain(load_kind(m)), 1) &&
	    atomic_compare_exchange_strong_explicit(&m->m_lock, &c,
						    MUTEX_LOCKED,
						    memory_order_acquire,
						    memory_order_relaxed))
		return 0;
	return mutex_lock_slow(m, NULL, CLOCK_REALTIME);
}

SHIM_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *pm, clockid_t clock,
				       const struct timespec *abstime)
{
	if (!shim_clock_valid(clock))
		return EINVAL;
	return mutex_lock_slow(shim_mutex(pm), abstime, clock);
}

SHIM_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *pm,
				       const struct timespec *abstime)
{
	return mutex_lock_slow(shim_mutex(pm), abstime, CLOCK_REALTIME);
}

SHIM_EXPORT int pthread_mutex_trylock(pthread_mutex_t *pm)
{
	struct shim_mutex *m = shim_mutex(pm);
	int kind = load_kind(m);
	if (!kind_valid(kind))
		return EINVAL;
	int type = kind_type(kind);
	pid_t self = 0;
	if (type_tracks_owner(type)) {
		self = shim_tid();
		/* glibc: EBUSY, not EDEADLK, for an errorcheck relock. */
		if (load_owner(m) == self)
			return type == PTHREAD_MUTEX_RECURSIVE ? recurse(m)
							       : EBUSY;
	}
	bool got = (kind & MUTEX_KIND_PSHARED) ? shared_trylock(m)
					       : private_trylock(m);
	if (!got)
		return EBUSY;
	if (self != 0)
		take_ownership(m, type, self);
	return 0;
}

NOINLINE static int mutex_unlock_slow(struct shim_mutex *m)
{
	int kind = load_kind(m);
	if (!kind_valid(kind))
		return EINVAL;
	int type = kind_type(kind);
	if (type_tracks_owner(type)) {
		if (load_owner(m) != shim_tid())
			return EPERM;
		if (type == PTHREAD_MUTEX_RECURSIVE && --m->m_count != 0)
			return 0;
		atomic_store_explicit(&m->m_owner, 0, memory_order_relaxed);
	}
	word_unlock(m, kind);
	return 0;
}

SHIM_EXPORT int pthread_mutex_unlock(pthread_mutex_t *pm)
{
	struct shim_mutex *m = shim_mutex(pm);
	int c = MUTEX_LOCKED;
	if (__builtin_expect(kind_is_plain(load_kind(m)), 1) &&
	    atomic_compare_exchange_strong_explicit(&m->m_lock, &c, 0,
						    memory_order_release,
						    memory_order_relaxed))
		return 0;
	return mutex_unlock_slow(m);
}

/* ---- condition variable support (mutex.h) ------------------------ */

int mutex_wait_check(struct shim_mutex *m, unsigned *depth)
{
	int kind = load_kind(m);
	if (!kind_valid(kind))
		return EINVAL;
	*depth = 0;
	int type = kind_type(kind);
	if (!type_tracks_owner(type))
		return 0;
	if (load_owner(m) != shim_tid())
		return EPERM;
	if (type == PTHREAD_MUTEX_RECURSIVE)
		*depth = m->m_count;
	return 0;
}

void mutex_wait_release(struct shim_mutex *m)
{
	int kind = load_kind(m);
	if (type_tracks_owner(kind_type(kind))) {
		m->m_count = 0;
		atomic_store_explicit(&m->m_owner, 0, memory_order_relaxed);
	}
	word_unlock(m, kind);
}

void mutex_wait_reacquire(struct shim_mutex *m, unsigned depth,
			  bool handed_off)
{
	int kind = load_kind(m);
	if (!handed_off)
		word_lock(m, kind, NULL, CLOCK_REALTIME);
	int type = kind_type(kind);
	if (type_tracks_owner(type)) {
		atomic_store_explicit(&m->m_owner, shim_tid(),
				      memory_order_relaxed);
		if (type == PTHREAD_MUTEX_RECURSIVE)
			m->m_count = depth;
	}
}

/* ---- init, destroy and the robust/PP calls ----------------------- */

SHIM_EXPORT int pthread_mutex_init(pthread_mutex_t *pm,
				   const pthread_mutexattr_t *attr)
{
	int a = attr != NULL ? attr_value(attr) : PTHREAD_MUTEX_NORMAL;
	if (a & (ATTR_ROBUST | ATTR_PROTOCOL_MASK))
		return ENOTSUP; /* see the top of this file */
	struct shim_mutex *m = shim_mutex(pm);
	memset(m, 0, sizeof *m);
	int kind = a & ~ATTR_FLAG_BITS;
	if (a & ATTR_PSHARED)
		kind |= MUTEX_KIND_PSHARED;
	atomic_store_explicit(&m->m_kind, kind, memory_order_relaxed);
	return 0;
}

SHIM_EXPORT int pthread_mutex_destroy(pthread_mutex_t *pm)
{
	struct shim_mutex *m = shim_mutex(pm);
	int kind = load_kind(m);
	if (kind_valid(kind) && word_locked(m, kind))
		return EBUSY;
	/* As glibc: later use of the destroyed mutex answers EINVAL, and
	 * pthread_mutex_init may bring it back. */
	atomic_store_explicit(&m->m_kind, -1, memory_order_relaxed);
	return 0;
}

SHIM_EXPORT int pthread_mutex_consistent(pthread_mutex_t *pm)
{
	(void)pm; /* only a robust mutex whose owner died can be made so */
	return EINVAL;
}

NP_ALIAS(pthread_mutex_consistent, consistent_np,
	 "pthread_mutex_consistent_np");

SHIM_EXPORT int pthread_mutex_getprioceiling(const pthread_mutex_t *pm,
					     int *prioceiling)
{
	(void)pm, (void)prioceiling; /* not a PRIO_PROTECT mutex */
	return EINVAL;
}

SHIM_EXPORT int pthread_mutex_setprioceiling(pthread_mutex_t *pm,
					     int prioceiling, int *old)
{
	(void)pm, (void)prioceiling, (void)old; /* as above */
	return EINVAL;
}

/* ---- pthread_mutexattr_* ----------------------------------------- */

SHIM_EXPORT int pthread_mutexattr_init(pthread_mutexattr_t *attr)
{
	memset(attr, 0, sizeof *attr);
	*attr_word(attr) = PTHREAD_MUTEX_NORMAL;
	return 0;
}

SHIM_EXPORT int pthread_mutexattr_destroy(pthread_mutexattr_t *attr)
{
	(void)attr;
	return 0;
}

SHIM_EXPORT int pthread_mutexattr_settype(pthread_mutexattr_t *attr,
					  int type)
{
	if (type < PTHREAD_MUTEX_NORMAL || type > PTHREAD_MUTEX_ADAPTIVE_NP)
		return EINVAL;
	/* glibc marks an explicit NORMAL so (it cannot tell it from
	 * DEFAULT otherwise); kept for objects that compare kinds. */
	if (type == PTHREAD_MUTEX_NORMAL)
		type |= ATTR_NO_ELISION;
	int *w = attr_word(attr);
	*w = (*w & ATTR_FLAG_BITS) | type;
	return 0;
}

NP_ALIAS(pthread_mutexattr_settype, setkind_np,
	 "pthread_mutexattr_setkind_np");

SHIM_EXPORT int pthread_mutexattr_gettype(const pthread_mutexattr_t *attr,
					  int *type)
{
	*type = attr_value(attr) & ~ATTR_FLAG_BITS & ~ATTR_NO_ELISION;
	return 0;
}

NP_ALIAS(pthread_mutexattr_gettype, getkind_np,
	 "pthread_mutexattr_getkind_np");

SHIM_EXPORT int pthread_mutexattr_setpshared(pthread_mutexattr_t *attr,
					     int pshared)
{
	int *w = attr_word(attr);
	if (pshared == PTHREAD_PROCESS_PRIVATE)
		*w &= ~ATTR_PSHARED;
	else if (pshared == PTHREAD_PROCESS_SHARED)
		*w |= ATTR_PSHARED;
	else
		return EINVAL;
	return 0;
}

SHIM_EXPORT int pthread_mutexattr_getpshared(const pthread_mutexattr_t *attr,
					     int *pshared)
{
	*pshared = (attr_value(attr) & ATTR_PSHARED) ? PTHREAD_PROCESS_SHARED
						     : PTHREAD_PROCESS_PRIVATE;
	return 0;
}

SHIM_EXPORT int pthread_mutexattr_setprotocol(pthread_mutexattr_t *attr,
					      int protocol)
{
	if (protocol != PTHREAD_PRIO_NONE && protocol != PTHREAD_PRIO_INHERIT &&
	    protocol != PTHREAD_PRIO_PROTECT)
		return EINVAL;
	int *w = attr_word(attr);
	*w = (*w & ~ATTR_PROTOCOL_MASK) | (protocol << ATTR_PROTOCOL_SHIFT);
	return 0;
}

SHIM_EXPORT int pthread_mutexattr_getprotocol(const pthread_mutexattr_t *attr,
					      int *protocol)
{
	*protocol = (attr_value(attr) & ATTR_PROTOCOL_MASK) >>
		    ATTR_PROTOCOL_SHIFT;
	return 0;
}

SHIM_EXPORT int pthread_mutexattr_setprioceiling(pthread_mutexattr_t *attr,
						 int prioceiling)
{
	int lo = sched_get_priority_min(SCHED_FIFO);
	int hi = sched_get_priority_max(SCHED_FIFO);
	int field = ATTR_CEILING_MASK >> ATTR_CEILING_SHIFT;
	if (prioceiling < lo || prioceiling > hi ||
	    (prioceiling & field) != prioceiling)
		return EINVAL;
	int *w = attr_word(attr);
	*w = (*w & ~ATTR_CEILING_MASK) | (prioceiling << ATTR_CEILING_SHIFT);
	return 0;
}

SHIM_EXPORT int
pthread_mutexattr_getprioceiling(const pthread_mutexattr_t *attr,
				 int *prioceiling)
{
	int c = (attr_value(attr) & ATTR_CEILING_MASK) >> ATTR_CEILING_SHIFT;
	/* Never set: glibc reports the lowest SCHED_FIFO priority. */
	if (c == 0)
		c = sched_get_priority_min(SCHED_FIFO);
	*prioceiling = c;
	return 0;
}

SHIM_EXPORT int pthread_mutexattr_setrobust(pthread_mutexattr_t *attr,
					    int robust)
{
	int *w = attr_word(attr);
	if (robust == PTHREAD_MUTEX_STALLED)
		*w &= ~ATTR_ROBUST;
	else if (robust == PTHREAD_MUTEX_ROBUST)
		*w |= ATTR_ROBUST;
	else
		return EINVAL;
	return 0;
}

NP_ALIAS(pthread_mutexattr_setrobust, setrobust_np,
	 "pthread_mutexattr_setrobust_np");

SHIM_EXPORT int pthread_mutexattr_getrobust(const pthread_mutexattr_t *attr,
					    int *robust)
{
	*robust = (attr_value(attr) & ATTR_ROBUST) ? PTHREAD_MUTEX_ROBUST
						   : PTHREAD_MUTEX_STALLED;
	return 0;
}

NP_ALIAS(pthread_mutexattr_getrobust, getrobust_np,
	 "pthread_mutexattr_getrobust_np");
