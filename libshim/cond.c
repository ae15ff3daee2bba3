/*
 * libshim/cond.c -- pthread_cond_* and pthread_condattr_*.
 *
 * A process-private condition variable is parking_lot's Condvar: waiters
 * park on the condvar's address, and the condvar itself holds one word,
 * c_mutex, the mutex its waiters use (or COND_MIXED when they use several
 * or a process-shared one, or NULL when nobody waits).
 *
 *  - Wait: park_wait validates by recording the mutex in c_mutex (under
 *    the bucket lock), queues the thread, and only then, in before_sleep,
 *    releases the mutex.  A signaller must see the predicate change that
 *    the waiter saw unchanged, so it runs after the waiter's unlock; the
 *    waiter is queued by then.  No signal is lost.
 *  - Signal: c_mutex == NULL means no waiter: return without a lock.
 *    Otherwise, if the mutex is locked (the signaller usually holds it),
 *    the first waiter is moved onto the mutex's queue rather than woken
 *    to find the mutex taken; if it is free, the waiter is woken.  The
 *    callback clears c_mutex when it took the last waiter.
 *  - Broadcast: waking every waiter only to have all but one go back to
 *    sleep on the mutex is a stampede.  Instead park_unpark_requeue wakes
 *    one and moves the others onto the mutex's queue, setting the mutex's
 *    PARKED bit so that its unlocks wake them one by one (if the mutex is
 *    locked now, all are moved and none woken).
 *  - A moved waiter is woken by a mutex unlock, possibly with the mutex
 *    handed to it (PARK_TOKEN_HANDOFF), in which case it already owns it.
 *  - The last waiter to leave the queue clears c_mutex: the signal or
 *    broadcast that dequeues it, or the waiter itself when it times out
 *    or is cancelled, all under the bucket lock where waiters record it.
 *    A wake that dequeues nobody leaves c_mutex alone: when a private
 *    condvar in shared memory is misused across processes (POSIX leaves
 *    that undefined; with glibc it works well enough), the other process
 *    finds an empty queue, and clearing the record there would make this
 *    process's own signals skip its waiters for ever.  A stale record (a
 *    waiter queued meanwhile, woken by a wake that saw the old one) is
 *    only ever compared, never followed: the park layer does not call a
 *    requeue's validate when nobody waits on the condvar.
 *  - After a broadcast, woken and moved waiters never touch the condvar
 *    again, so it may be destroyed at once, as POSIX allows.
 *  - A moved waiter was chosen by a signal or broadcast: if its deadline
 *    passes or it is cancelled while it waits for the mutex, the park layer
 *    ends its wait as a wake-up, so no signal is lost to the waiters still
 *    on the condvar (POSIX: a cancelled waiter must not consume a signal
 *    meant for another); the cancellation stays pending.
 *  - Waiting with a recursive mutex releases it completely and restores
 *    the depth afterwards.
 *  - A timed wait whose deadline has already passed returns ETIMEDOUT
 *    without releasing the mutex (see cond_wait).
 *
 * Cancellation: the wait parks with PARK_CANCELLABLE.  On ECANCELED the
 * waiter re-takes the mutex (cleanup handlers run with it held, as POSIX
 * requires) and acts on the cancellation.  A waiter that was signalled is
 * not cancelled by the same wait: it returns normally and so does not eat
 * a signal meant for another thread.
 *
 * A PTHREAD_PROCESS_SHARED condvar cannot use the park queues: it is a
 * sequence number on the object.  A waiter reads it, releases the mutex and
 * sleeps with lwp_wait_addr(shared) while it is unchanged; signal and
 * broadcast bump it and wake one or all.  A count of sleepers lets them
 * skip the system call when nobody waits.
 *
 * Layout: 48 bytes as glibc's; all zero is a default condvar.  The clock
 * and process-shared flags sit where glibc keeps them (__wrefs bits 1
 * and 0), and the attribute word is glibc's (bit 0 pshared, bit 1 clock).
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "compat/lwp.h"
#include "libshim/mutex.h"
#include "libshim/park.h"
#include "libshim/profile.h"
#include "libshim/shim.h"
#include "libshim/spinwait.h"
#include "libshim/thread.h"
#include "object_layout.h"

struct shim_cond {
	_Atomic(struct shim_mutex *) c_mutex; /* process-private waiters */
	_Atomic unsigned c_seq;               /* process-shared: sequence */
	_Atomic unsigned c_sleepers;          /* process-shared: waiters */
	unsigned c_unused[5];
	unsigned c_flags;                     /* glibc's __wrefs: COND_* */
	unsigned c_unused2[2];
};
_Static_assert(sizeof(struct shim_cond) == GLIBC_SIZEOF_COND &&
	       _Alignof(struct shim_cond) <= GLIBC_ALIGNOF_COND,
	       "pthread_cond_t layout");
_Static_assert(offsetof(struct shim_cond, c_flags) == GLIBC_COND_OFF_WREFS,
	       "__wrefs");

#define COND_SHARED    1u /* glibc's __PTHREAD_COND_SHARED_MASK */
#define COND_MONOTONIC 2u /* glibc's __PTHREAD_COND_CLOCK_MONOTONIC_MASK */

/* c_mutex: waiters use different mutexes, or a process-shared one. */
#define COND_MIXED ((struct shim_mutex *)1)

/* The pthread_condattr_t word. */
#define CATTR_SHARED      1
#define CATTR_CLOCK_SHIFT 1

static struct shim_cond *shim_cond(pthread_cond_t *c)
{
	return (struct shim_cond *)c;
}

static clockid_t cond_clock(const struct shim_cond *c)
{
	return (c->c_flags & COND_MONOTONIC) ? CLOCK_MONOTONIC
					     : CLOCK_REALTIME;
}

/* ---- process-private --------------------------------------------- */

struct waiter {
	struct shim_cond *c;
	struct shim_mutex *m;
};

static bool wait_validate(void *ctx)
{
	struct waiter *w = ctx;
	struct shim_mutex *mine =
		mutex_waits_outside_park(w->m) ? COND_MIXED : w->m;
	struct shim_mutex *cur =
		atomic_load_explicit(&w->c->c_mutex, memory_order_relaxed);
	if (cur == NULL)
		atomic_store_explicit(&w->c->c_mutex, mine,
				      memory_order_relaxed);
	else if (cur != mine)
		atomic_store_explicit(&w->c->c_mutex, COND_MIXED,
				      memory_order_relaxed);
	return true;
}

static void wait_release_mutex(void *ctx)
{
	mutex_wait_release(((struct waiter *)ctx)->m);
}

/* Timed out or cancelled, under the bucket lock: the last one out clears
 * the record. */
static void wait_left(void *ctx, bool was_last)
{
	struct waiter *w = ctx;
	if (was_last)
		atomic_store_explicit(&w->c->c_mutex, NULL,
				      memory_order_relaxed);
}

static int private_wait(struct shim_cond *c, struct shim_mutex *m,
			unsigned depth, const struct timespec *abstime,
			clockid_t clock)
{
	struct waiter w = { c, m };
	uintptr_t token = PARK_TOKEN_NORMAL;
	int r = park_wait(c, wait_validate, wait_release_mutex, wait_left, &w,
			  abstime, clock,
			  PARK_CANCELLABLE | PARK_KIND(PROF_COND), &token);
	if (r == EAGAIN)
		return 0; /* never queued, mutex still held: a spurious wake */
	/* A robust mutex whose owner died reports it here, as with glibc. */
	int e = mutex_wait_reacquire(m, depth,
				     r == 0 ? token : PARK_TOKEN_NORMAL);
	if (r == ECANCELED)
		shim_testcancel();
	if (e != 0)
		return e;
	return r == ETIMEDOUT ? ETIMEDOUT : 0;
}

static uintptr_t signal_unparked(void *ctx, struct park_unpark_result r)
{
	struct shim_cond *c = ctx;
	if (r.unparked && !r.have_more)
		atomic_store_explicit(&c->c_mutex, NULL, memory_order_relaxed);
	return PARK_TOKEN_NORMAL;
}

/* Broadcast to waiters that use several mutexes: nobody is left. */
static void all_unparked(void *ctx, unsigned count)
{
	struct shim_cond *c = ctx;
	if (count != 0)
		atomic_store_explicit(&c->c_mutex, NULL, memory_order_relaxed);
}

struct requeue {
	struct shim_cond *c;
	struct shim_mutex *m; /* the mutex the waiters were seen to use */
	bool retry;           /* they use another one now */
};

/* Set the mutex's PARKED bit if it is locked; false if it is not. */
static bool mark_parked_if_locked(struct shim_mutex *m)
{
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	do {
		if (!(s & MUTEX_LOCKED))
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
		&m->m_lock, &s, s | MUTEX_PARKED, memory_order_relaxed,
		memory_order_relaxed));
	return true;
}

/* Is the record still the mutex we saw?  If not, retry with the new one
 * (or stop: nobody waits any more). */
static bool requeue_still_valid(struct requeue *q)
{
	struct shim_mutex *cur =
		atomic_load_explicit(&q->c->c_mutex, memory_order_relaxed);
	if (cur == q->m)
		return true;
	q->retry = cur != NULL;
	return false;
}

/* Signal: while the mutex is locked (usually by the signaller) a woken
 * waiter could only go back to sleep on it, or spin; move it onto the
 * mutex's queue instead, and the unlock wakes it, often handing it the
 * mutex. */
static enum park_requeue_op signal_validate(void *ctx)
{
	struct requeue *q = ctx;
	if (!requeue_still_valid(q))
		return PARK_REQUEUE_ABORT;
	return mark_parked_if_locked(q->m) ? PARK_REQUEUE_ONE : PARK_UNPARK_ONE;
}

/* Broadcast: all of them; one woken now if the mutex is free. */
static enum park_requeue_op broadcast_validate(void *ctx)
{
	struct requeue *q = ctx;
	if (!requeue_still_valid(q))
		return PARK_REQUEUE_ABORT;
	if (mark_parked_if_locked(q->m))
		return PARK_REQUEUE_ALL;
	return PARK_UNPARK_ONE_REQUEUE_REST;
}

static void requeue_moved(void *ctx, enum park_requeue_op op,
			  unsigned unparked, unsigned requeued, bool have_more)
{
	struct requeue *q = ctx;
	(void)op;
	/* Under the condvar's bucket lock, where waiters record c_mutex:
	 * taking the last waiter makes the record stale, so clear it. */
	if (unparked + requeued != 0 && !have_more)
		atomic_store_explicit(&q->c->c_mutex, NULL,
				      memory_order_relaxed);
	/* Under the mutex's bucket lock too: its unlock will see the bit
	 * (already set by validate when the mutex was locked). */
	if (requeued != 0)
		atomic_fetch_or_explicit(&q->m->m_lock, MUTEX_PARKED,
					 memory_order_relaxed);
}

static void private_wake(struct shim_cond *c, bool all)
{
	for (;;) {
		/* A waiter's record is ordered before its mutex unlock, and a
		 * signaller that must wake it ran after that unlock. */
		struct shim_mutex *m =
			atomic_load_explicit(&c->c_mutex, memory_order_acquire);
		if (m == NULL)
			return;
		if (m == COND_MIXED) {
			/* Cannot requeue onto several mutexes: wake. */
			if (all)
				park_unpark_all(c, PARK_TOKEN_NORMAL,
						all_unparked, c);
			else
				park_unpark_one(c, signal_unparked, c);
			return;
		}
		struct requeue q = { c, m, false };
		park_unpark_requeue(c, m, all ? broadcast_validate
					      : signal_validate,
				    requeue_moved, &q);
		if (!q.retry)
			return;
	}
}

/* ---- process-shared ---------------------------------------------- */

static int shared_wait(struct shim_cond *c, struct shim_mutex *m,
		       unsigned depth, const struct timespec *abstime,
		       clockid_t clock)
{
	shim_testcancel();
	/* Count ourselves before reading the sequence: a signaller bumps
	 * the sequence before it reads the count, so either it sees us or
	 * we see its bump (both sequentially consistent). */
	atomic_fetch_add(&c->c_sleepers, 1);
	unsigned seq = atomic_load(&c->c_seq);
	mutex_wait_release(m);
	int r = shim_word_wait((_Atomic int *)&c->c_seq, (int)seq, abstime,
			       clock, true);
	/* EINTR and spurious returns are spurious wake-ups, which POSIX
	 * allows; SIGCANCEL is one, acted on below. */
	atomic_fetch_sub(&c->c_sleepers, 1);
	int e = mutex_wait_reacquire(m, depth, PARK_TOKEN_NORMAL);
	/* A cancelled waiter must not consume a signal meant for another
	 * (POSIX).  If the sequence moved while we slept, the kernel's wake
	 * may have picked us: pass one on (at worst a spurious wake-up). */
	if (shim_cancel_due() && atomic_load(&c->c_seq) != seq)
		lwp_wake_addr((_Atomic int *)&c->c_seq, 1, true);
	shim_testcancel();
	return e != 0 ? e : r;
}

static void shared_wake(struct shim_cond *c, int n)
{
	atomic_fetch_add(&c->c_seq, 1);
	if (atomic_load(&c->c_sleepers) != 0)
		lwp_wake_addr((_Atomic int *)&c->c_seq, n, true);
}

/* ---- the calls --------------------------------------------------- */

static bool deadline_passed(const struct timespec *abstime, clockid_t clock)
{
	struct timespec now;
	clock_gettime(clock, &now);
	return now.tv_sec > abstime->tv_sec ||
	       (now.tv_sec == abstime->tv_sec && now.tv_nsec >= abstime->tv_nsec);
}

static int cond_wait(pthread_cond_t *pc, pthread_mutex_t *pm,
		     const struct timespec *abstime, clockid_t clock)
{
	struct shim_cond *c = shim_cond(pc);
	struct shim_mutex *m = shim_mutex(pm);
	unsigned depth;
	int e = mutex_wait_check(m, &depth);
	if (e != 0)
		return e;
	/* A deadline already past (a thread polling with a stale one, or
	 * re-waiting after a spurious wake-up): glibc releases the mutex and
	 * takes it straight back, and whoever waits for it seldom gets in
	 * between.  Here the fairness timer could hand it to that waiter and
	 * hold this thread up behind it for nothing, so keep it: the outcome
	 * is one of those glibc's release allows. */
	if (abstime != NULL && deadline_passed(abstime, clock)) {
		shim_testcancel();
		return ETIMEDOUT;
	}
	if (c->c_flags & COND_SHARED)
		return shared_wait(c, m, depth, abstime, clock);
	return private_wait(c, m, depth, abstime, clock);
}

/* The diagnostics' view of a wait (profile.h). */
static int diag_wait(void *c, void *m, const struct timespec *abstime,
		     clockid_t clock)
{
	return cond_wait(c, m, abstime, clock);
}

static int cond_wait_call(pthread_cond_t *c, pthread_mutex_t *m,
			  const struct timespec *abstime, clockid_t clock)
{
	if (diag_on())
		return diag_cond_wait(c, m, abstime, clock, diag_wait);
	return cond_wait(c, m, abstime, clock);
}

/* Is anyone waiting (a snapshot, for the diagnostics)? */
static bool cond_has_waiters(struct shim_cond *c)
{
	if (c->c_flags & COND_SHARED)
		return atomic_load(&c->c_sleepers) != 0;
	return atomic_load_explicit(&c->c_mutex, memory_order_relaxed) != NULL;
}

SHIM_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	return cond_wait_call(c, m, NULL, CLOCK_REALTIME);
}

SHIM_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
				       const struct timespec *abstime)
{
	if (!shim_timespec_valid(abstime))
		return EINVAL;
	return cond_wait_call(c, m, abstime, cond_clock(shim_cond(c)));
}

SHIM_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m,
				       clockid_t clock,
				       const struct timespec *abstime)
{
	if (!shim_timespec_valid(abstime) || !shim_clock_valid(clock))
		return EINVAL;
	return cond_wait_call(c, m, abstime, clock);
}

SHIM_EXPORT int pthread_cond_signal(pthread_cond_t *pc)
{
	struct shim_cond *c = shim_cond(pc);
	if (diag_on())
		diag_cond_signal(c, false, cond_has_waiters(c));
	if (c->c_flags & COND_SHARED)
		shared_wake(c, 1);
	else
		private_wake(c, false);
	return 0;
}

SHIM_EXPORT int pthread_cond_broadcast(pthread_cond_t *pc)
{
	struct shim_cond *c = shim_cond(pc);
	if (diag_on())
		diag_cond_signal(c, true, cond_has_waiters(c));
	if (c->c_flags & COND_SHARED)
		shared_wake(c, INT_MAX);
	else
		private_wake(c, true);
	return 0;
}

SHIM_EXPORT int pthread_cond_init(pthread_cond_t *pc,
				  const pthread_condattr_t *attr)
{
	struct shim_cond *c = shim_cond(pc);
	memset(c, 0, sizeof *c);
	int a = attr != NULL ? *(const int *)attr : 0;
	if (a & CATTR_SHARED)
		c->c_flags |= COND_SHARED;
	if (((a >> CATTR_CLOCK_SHIFT) & 1) == CLOCK_MONOTONIC)
		c->c_flags |= COND_MONOTONIC;
	return 0;
}

SHIM_EXPORT int pthread_cond_destroy(pthread_cond_t *pc)
{
	(void)pc; /* woken waiters never touch the condvar again */
	return 0;
}

/* ---- pthread_condattr_* ------------------------------------------ */

SHIM_EXPORT int pthread_condattr_init(pthread_condattr_t *attr)
{
	memset(attr, 0, sizeof *attr); /* private, CLOCK_REALTIME */
	return 0;
}

SHIM_EXPORT int pthread_condattr_destroy(pthread_condattr_t *attr)
{
	(void)attr;
	return 0;
}

SHIM_EXPORT int pthread_condattr_setclock(pthread_condattr_t *attr,
					  clockid_t clock)
{
	if (!shim_clock_valid(clock))
		return EINVAL;
	int *w = (int *)attr;
	*w = (*w & ~(1 << CATTR_CLOCK_SHIFT)) | (clock << CATTR_CLOCK_SHIFT);
	return 0;
}

SHIM_EXPORT int pthread_condattr_getclock(const pthread_condattr_t *attr,
					  clockid_t *clock)
{
	*clock = (*(const int *)attr >> CATTR_CLOCK_SHIFT) & 1;
	return 0;
}

SHIM_EXPORT int pthread_condattr_setpshared(pthread_condattr_t *attr,
					    int pshared)
{
	int *w = (int *)attr;
	if (pshared == PTHREAD_PROCESS_PRIVATE)
		*w &= ~CATTR_SHARED;
	else if (pshared == PTHREAD_PROCESS_SHARED)
		*w |= CATTR_SHARED;
	else
		return EINVAL;
	return 0;
}

SHIM_EXPORT int pthread_condattr_getpshared(const pthread_condattr_t *attr,
					    int *pshared)
{
	*pshared = (*(const int *)attr & CATTR_SHARED) ? PTHREAD_PROCESS_SHARED
						       : PTHREAD_PROCESS_PRIVATE;
	return 0;
}
