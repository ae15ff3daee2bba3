/*
 * libshim/park.h -- the park layer: address-keyed wait queues over the
 * per-thread lwp_park/lwp_unpark token (the ParkingLot design of WebKit's
 * WTF and Rust's parking_lot).
 *
 * Every blocking wait of every process-private synchronisation object goes
 * through park_wait(); nothing else in libshim sleeps, except where the
 * kernel must see the sleeper: process-shared, robust and priority-protect
 * objects use lwp_wait_addr on their own word, priority-inheritance
 * mutexes lwp_pi_lock (design.md, "The park layer").
 *
 * A key is any address; by convention the address of the object waited on.
 * Each key hashes to a bucket holding a small lock and a queue of parked
 * threads, in wake-up order: realtime priority first, then arrival.  The
 * queue node lives in park_wait_self's stack frame: nothing is allocated
 * on the wait path.
 *
 * Callbacks run with the key's bucket lock held (all but park_wait's
 * before_sleep, which runs after it is dropped).  They must be short, must
 * not block, and must not call into the park layer.
 */
#ifndef SHIM_PARK_H
#define SHIM_PARK_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/visibility.h"
#include "libshim/thread.h"

/* park_wait flags. */
#define PARK_CANCELLABLE 1u /* a cancellation point: see ECANCELED below */
#define PARK_INTERRUPTIBLE 2u /* a signal handler ends the wait: EINTR */
#define PARK_ASYNC_CANCEL 4u  /* an asynchronous cancellation may act here */
/* The caller has waited too long already (a mutex locker woken before
 * that lost the lock each time): queue it ahead of the waiters of its
 * priority that do not say so, and tell its unparker (r.starving), who
 * may then hand it the object. */
#define PARK_STARVING 8u

/* Token values with a meaning to every caller; others are per-object. */
#define PARK_TOKEN_NORMAL  ((uintptr_t)0)
#define PARK_TOKEN_HANDOFF ((uintptr_t)1) /* ownership was handed to you */

/*
 * park_wait(key, validate, before_sleep, timed_out, ctx, abstime, clock,
 *           flags, token)
 *
 *  1. Locks key's bucket and calls validate(ctx).  If it returns false,
 *     unlocks and returns EAGAIN.  Because unpark_* take the same bucket
 *     lock, a waker that changed the state validate reads either ran before
 *     validate (validate sees it) or runs after the thread is queued (the
 *     waker finds it): no wake-up can be lost.
 *  2. Enqueues the caller (in wake-up order, above), unlocks, calls before_sleep(ctx) if
 *     non-NULL (no bucket lock held: this is where a condvar releases its
 *     mutex), then sleeps on the caller's lwp token.
 *  3. Returns 0 when an unpark_* call dequeued the caller; *token (if
 *     non-NULL) receives the token that unpark passed.
 *     Returns ETIMEDOUT when abstime (clock: CLOCK_REALTIME or
 *     CLOCK_MONOTONIC; NULL: none) passed first; timed_out(ctx, was_last)
 *     then runs under the bucket lock, was_last telling whether no other
 *     thread remains queued on key.
 *     With PARK_INTERRUPTIBLE, returns EINTR (dequeued, timed_out called)
 *     when a signal handler ran and the kernel did not restart the sleep,
 *     as glibc's sem_wait does; timed_out(ctx, was_last) runs as for a
 *     timeout.
 *     With PARK_ASYNC_CANCEL (the caller copes with a waiter that leaves
 *     early, as after a timeout), a thread in asynchronous cancellation mode
 *     that is cancelled while it waits leaves the queue (timed_out runs)
 *     and acts on the cancellation there: park_wait does not return.  (A
 *     SIGCANCEL that lands inside the park layer never unwinds there: that
 *     would leave a queue node on a dead stack, or a bucket lock held.)
 *     With PARK_CANCELLABLE, returns ECANCELED when the thread has a pending
 *     cancellation it must act on (it was dequeued first).
 *  A thread that a requeue moved to another key was chosen by a wake-up
 *  already: if its deadline passes or a cancellation comes while it waits
 *  on the new key, it leaves that queue and returns 0 (token NORMAL), so
 *  the wake-up that moved it is not lost; timed_out is not called.
 *  Otherwise signals never make it return early, and never lose a wake-up.
 */
SHIM_HIDDEN int park_wait_self(struct shim_thread *self, const void *key,
			       bool (*validate)(void *ctx),
			       void (*before_sleep)(void *ctx),
			       void (*timed_out)(void *ctx, bool was_last),
			       void *ctx, const struct timespec *abstime,
			       clockid_t clock, unsigned flags,
			       uintptr_t *token);

/*
 * Every object's blocking call reaches the park layer here, and the
 * thread is adopted here, on the caller's side, before the park layer is
 * entered: adoption (self.c) may mmap and takes the thread list's lock, a
 * libshim mutex that may itself park, so it must never run inside the
 * park layer (park.c cannot call shim_self: it is poisoned there).  A
 * thread that cannot be adopted (no memory for a descriptor) gets EAGAIN
 * and its caller retries, spinning.  park_wait_self is the layer itself:
 * self must be the calling thread's own descriptor.
 */
static inline int park_wait(const void *key, bool (*validate)(void *ctx),
			    void (*before_sleep)(void *ctx),
			    void (*timed_out)(void *ctx, bool was_last),
			    void *ctx, const struct timespec *abstime,
			    clockid_t clock, unsigned flags, uintptr_t *token)
{
	struct shim_thread *self = shim_self();
	if (self == NULL)
		return EAGAIN;
	return park_wait_self(self, key, validate, before_sleep, timed_out,
			      ctx, abstime, clock, flags, token);
}

/* Is the calling thread inside the park layer (a bucket lock held or being
 * taken, or queued)?  The SIGCANCEL handler must not unwind it there. */
SHIM_HIDDEN bool park_busy(void);

/* What park_unpark_one's callback learns. */
struct park_unpark_result {
	bool unparked;  /* a thread was dequeued (it is woken after callback) */
	bool have_more; /* threads remain queued on key */
	bool be_fair;   /* the eventual-fairness timer fired: hand off now */
	bool starving;  /* the dequeued thread parked with PARK_STARVING */
};

/* CLOCK_MONOTONIC in ns: the fairness timer's clock, for callers that
 * time their own waits (PARK_STARVING). */
SHIM_HIDDEN uint64_t park_now_ns(void);

/*
 * Dequeue the first thread parked on key (if any), call callback(ctx, r)
 * under the bucket lock (it returns the token to give the thread; it may be
 * NULL), then wake the thread.  Returns true if a thread was woken.
 */
SHIM_HIDDEN bool park_unpark_one(const void *key,
				 uintptr_t (*callback)(void *ctx,
						       struct park_unpark_result r),
				 void *ctx);

/*
 * park_unpark_one with no callback, safe in a signal handler (sem_post):
 * if the calling thread is inside a bucket critical section (the handler
 * interrupted it there), the unpark is recorded and runs as soon as that
 * thread leaves its last bucket lock.  Returns true if it woke a thread
 * now.  (More than 16 unparks deferred at once run at once, unsafely.)
 */
SHIM_HIDDEN bool park_unpark_one_async_safe(const void *key);

/*
 * Wake every thread parked on key with token.  Returns how many.  If
 * callback is not NULL, callback(ctx, count) runs under the bucket lock
 * once they are dequeued and before any is woken.
 */
SHIM_HIDDEN unsigned park_unpark_all(const void *key, uintptr_t token,
				     void (*callback)(void *ctx,
						      unsigned count),
				     void *ctx);

/* What park_unpark_requeue's validate decides. */
enum park_requeue_op {
	PARK_REQUEUE_ABORT,           /* do nothing */
	PARK_UNPARK_ONE,              /* wake the first, leave the rest */
	PARK_REQUEUE_ONE,             /* move the first, wake none */
	PARK_UNPARK_ONE_REQUEUE_REST, /* wake the first, move the rest */
	PARK_REQUEUE_ALL,             /* move all, wake none */
};

/*
 * Atomically (under both buckets' locks) let validate(ctx) choose an op,
 * then move threads parked on from to the tail of to's queue; callback(ctx,
 * op, n_unparked, n_requeued, have_more) runs under the locks before any
 * wake-up, also when nothing was done (have_more: threads remain parked on
 * from).  validate is not asked when nobody waits on from.  Returns the number
 * of threads woken.  Used by condition variables: a signalled or broadcast
 * waiter queues on the mutex instead of waking only to find it taken.
 */
SHIM_HIDDEN unsigned park_unpark_requeue(
	const void *from, const void *to,
	enum park_requeue_op (*validate)(void *ctx),
	void (*callback)(void *ctx, enum park_requeue_op op, unsigned unparked,
			 unsigned requeued, bool have_more),
	void *ctx);

/* In a fork child: every queued thread is gone; empty all queues and
 * reset the bucket locks (their holders may be gone too). */
SHIM_HIDDEN void park_after_fork(void);

#endif
