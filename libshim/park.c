/*
 * libshim/park.c -- the park layer: address-keyed wait queues (park.h).
 *
 * Design (WebKit's WTF::ParkingLot, Rust's parking_lot_core).  A fixed
 * table of cache-line-sized buckets lives in .bss: nothing is allocated
 * and nothing is set up until the first wait.  A key (the address of the
 * object waited on) hashes to one bucket; the bucket holds a tiny lock and
 * a queue of the threads parked on every key that hashes there (in wake-up
 * order: realtime priority, then arrival; see queue_insert).  A parked
 * thread is represented by a node in park_wait's own stack frame, pointing
 * at the thread's lwp_park token (compat/lwp.h).  Objects keep no queue of
 * their own: a mutex is one word with a "somebody is parked" bit.
 *
 * A node is PN_QUEUED while on its bucket's queue.  An unparker removes
 * it under the bucket lock, posts the owner's token (lwp_unpark_post) and
 * only then marks it PN_TAKEN, still under the lock; after dropping the
 * lock it asks the kernel to wake the owner (lwp_unpark_wake) if it may be
 * asleep -- the split parking_lot makes with unpark_lock/unpark.
 *
 * Why no wake-up is lost (the seed's open race: "a wake-up between releasing
 * the lock and parking is lost"):
 *  1. The sleeper decides to sleep (validate) and enqueues itself in one
 *     critical section of the bucket lock.  A waker first changes the
 *     object's state, then takes the same bucket lock to look for
 *     sleepers.  Either the waker's change came first and validate sees
 *     it (park_wait returns EAGAIN), or the sleeper is already on the queue
 *     when the waker looks (the waker dequeues it).
 *  2. Between leaving the bucket lock and sleeping in the kernel the
 *     sleeper may be dequeued and its token posted.  lwp_park remembers a
 *     token posted before it is called and returns at once: the window
 *     that lost the seed's wake-up does not exist here.
 *  3. A condition variable's before_sleep unlocks the mutex only after the
 *     enqueue: a signal sent by whoever takes the mutex next finds the
 *     waiter queued.
 *
 * Why the stack node and the descriptor are safe:
 *  - The owner leaves park_wait only when its node is off every queue and
 *    no unparker will write the node or the descriptor again: either it
 *    removed the node itself under the bucket lock (timeout,
 *    cancellation, a signal: then nobody posts it a token), or it saw
 *    PN_TAKEN with acquire ordering.  The unparker's last write to the
 *    owner's memory (the token) comes before PN_TAKEN, and it reads
 *    pn_next and pn_parker before that too; all it does afterwards is
 *    lwp_unpark_wake, a system call that writes no memory and is harmless
 *    on an address that has gone away.
 *  - So a thread may carry a stray token out of park_wait (pthread_cancel
 *    posts one, the unparker's token may arrive after the owner saw
 *    PN_TAKEN).  A stray token only ends one later lwp_park early: every
 *    loop re-checks pn_state and parks again.
 *  - A consumed token with the node still PN_QUEUED is ambiguous (a stray
 *    token, or the unparker's with PN_TAKEN about to be stored): the owner
 *    settles it under the bucket lock, which the unparker holds from the
 *    post to the store.
 *
 * Signals: lwp_park returns EINTR on a signal; the loop re-checks the node
 * and parks again with the same absolute deadline, so a signal neither ends
 * the wait early nor stretches it.  PARK_CANCELLABLE waits also check the
 * thread's cancellation state before sleeping and after every wake-up.
 *
 * Timeouts: the owner re-locks the bucket (the bucket of the node's key of
 * the moment: a requeue may have moved it) and looks at pn_state.  Still
 * queued: it removes itself and runs timed_out under the lock.  Already
 * taken: an unparker won the race; the wait ends as a wake-up (the token
 * is that unparker's), so a wake-up a caller counted on is never dropped.
 * Cancellation leaves the queue the same way and also runs timed_out: a
 * departing waiter must clean up (e.g. a mutex's PARKED bit) whatever made
 * it leave.  An asynchronous cancellation must not unwind a thread that is
 * queued or holds a bucket lock: park_busy() tells the SIGCANCEL handler
 * so, and the wait itself leaves the queue first (PARK_ASYNC_CANCEL).
 *
 * Fairness: unparkers may "barge" (take the object again before the woken
 * thread runs), which is fast but can starve the woken thread.  Each bucket
 * carries a timer; when it has run out (every ~0.1 ms on average, a random
 * 0-0.2 ms) park_unpark_one reports be_fair and the object hands itself to
 * the woken thread directly (PARK_TOKEN_HANDOFF).  With 16 threads on 2
 * cores a 0-1 ms timer (parking_lot's) left the least lucky thread with as
 * little as 1/20th of the most lucky one's acquisitions; 0-0.2 ms keeps it
 * above 0.45 at the same throughput (bench_mutex, contended.short.t16).
 * A waiter may also say that it has waited too long already
 * (PARK_STARVING): it is queued ahead of the others of its priority and
 * its unparker is told (r.starving).  The mutex hands over only then, not
 * on the timer: a hand-off to a thread still asleep keeps the object
 * unusable until the scheduler runs it (mutex.c).
 *
 * The bucket lock is a three-state word (free, locked, locked with
 * sleepers): a short spin, then lwp_wait_addr.  Bucket critical sections
 * are a few dozen instructions, so the spin nearly always wins.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "arch.h"
#include "compat/lwp.h"
#include "libshim/park.h"
#include "libshim/profile.h"
#include "libshim/shim.h"
#include "libshim/thread.h"
#include "libshim/vg.h"

/* The park layer never adopts a thread (see park_wait in park.h): it is
 * handed the caller's descriptor.  Adoption may mmap and take the thread
 * list's lock, itself a parking mutex; inside a bucket critical section
 * or half-way through a wait, that would re-enter this layer. */
#pragma GCC poison shim_self shim_adopt

#define NOINLINE __attribute__((noinline))

#define PARK_BUCKET_BITS 10 /* 1024 buckets: 64 KiB of .bss */
#define BUCKET_SPINS 100
#define FAIR_PERIOD_NS 200000u /* the timer is random in [0, 0.2 ms) */

enum { PN_QUEUED, PN_TAKEN };
enum { BL_FREE, BL_LOCKED, BL_SLEEPERS };

struct park_node {
	struct park_node *pn_next;
	/* Written only with the bucket lock(s) of the old and new key held
	 * (requeue); read without a lock only to find which bucket to lock. */
	_Atomic(const void *) pn_key;
	lwp_parker_t *pn_parker;
	uintptr_t pn_token;
	_Atomic int pn_state;
	int pn_prio; /* realtime priority, 0 for none: the queue's order */
	bool pn_starving; /* PARK_STARVING: ahead of its priority's others */
};

struct park_bucket {
	_Atomic int pb_lock;
	uint32_t pb_seed;     /* xorshift state for the fairness timer */
	uint64_t pb_fair_at;  /* CLOCK_MONOTONIC ns: next fair hand-off */
	struct park_node *pb_head, *pb_tail;
} __attribute__((aligned(64)));

static struct park_bucket park_buckets[1u << PARK_BUCKET_BITS];

static struct park_bucket *bucket_of(const void *key)
{
	/* Fibonacci hashing: neighbouring objects land in distant buckets. */
	uint64_t h = (uint64_t)(uintptr_t)key * 0x9e3779b97f4a7c15ull;
	return &park_buckets[h >> (64 - PARK_BUCKET_BITS)];
}

NOINLINE static void bucket_lock_slow(struct park_bucket *b)
{
	for (int i = 0; i < BUCKET_SPINS; i++) {
		int c = BL_FREE;
		if (atomic_load_explicit(&b->pb_lock, memory_order_relaxed) ==
			    BL_FREE &&
		    atomic_compare_exchange_weak_explicit(
			    &b->pb_lock, &c, BL_LOCKED, memory_order_acquire,
			    memory_order_relaxed))
			return;
		arch_spin_pause();
	}
	/* Taking it as BL_SLEEPERS (even when we find it free) is what
	 * makes the holder's unlock wake the next sleeper. */
	while (atomic_exchange_explicit(&b->pb_lock, BL_SLEEPERS,
					memory_order_acquire) != BL_FREE)
		lwp_wait_addr(&b->pb_lock, BL_SLEEPERS, NULL, CLOCK_MONOTONIC,
			      false);
}

/*
 * Signal safety.  sem_post is async-signal-safe (POSIX), so a handler may
 * unpark while the thread it interrupted holds a bucket lock -- possibly
 * the very bucket it needs, or one that another thread holds while
 * waiting for ours (requeue).  Each thread counts the bucket locks it
 * holds or is taking; an unpark that finds its own thread inside a bucket
 * critical section is recorded and run when the count drops to zero.
 * The count is raised before the lock word is taken, so no instant exists
 * in which we hold a lock the count does not show.  Only this thread
 * (and its own signal handlers) touches these, hence signal fences.
 */
#define DEFERRED_MAX 16
static __thread unsigned held_buckets
	__attribute__((tls_model("initial-exec")));
static __thread unsigned n_deferred
	__attribute__((tls_model("initial-exec")));
static __thread const void *deferred[DEFERRED_MAX]
	__attribute__((tls_model("initial-exec")));

static void run_deferred(void);

/* Non-zero while this thread is in park_wait, queued or about to be (a
 * count: a signal handler may wait while the thread it interrupted does). */
static __thread unsigned in_wait __attribute__((tls_model("initial-exec")));

bool park_busy(void)
{
	return held_buckets != 0 || in_wait;
}

static void bucket_lock(struct park_bucket *b)
{
	held_buckets++;
	atomic_signal_fence(memory_order_seq_cst);
	int c = BL_FREE;
	if (!atomic_compare_exchange_strong_explicit(&b->pb_lock, &c,
						     BL_LOCKED,
						     memory_order_acquire,
						     memory_order_relaxed))
		bucket_lock_slow(b);
}

static void bucket_unlock(struct park_bucket *b)
{
	if (atomic_exchange_explicit(&b->pb_lock, BL_FREE,
				     memory_order_release) == BL_SLEEPERS)
		lwp_wake_addr(&b->pb_lock, 1, false);
	atomic_signal_fence(memory_order_seq_cst);
	if (--held_buckets == 0 && n_deferred != 0)
		run_deferred();
}

/* Both buckets, lower address first, so two requeues cannot deadlock. */
static void bucket_lock_two(struct park_bucket *a, struct park_bucket *b)
{
	if (a == b) {
		bucket_lock(a);
	} else if (a < b) {
		bucket_lock(a);
		bucket_lock(b);
	} else {
		bucket_lock(b);
		bucket_lock(a);
	}
}

static void bucket_unlock_two(struct park_bucket *a, struct park_bucket *b)
{
	bucket_unlock(a);
	if (b != a)
		bucket_unlock(b);
}

static const void *node_key(struct park_node *n)
{
	return atomic_load_explicit(&n->pn_key, memory_order_relaxed);
}

/* Lock the bucket n is queued in now.  Its key only changes under that
 * bucket's lock, so a key read again under the lock is stable. */
static struct park_bucket *bucket_lock_node(struct park_node *n)
{
	for (;;) {
		const void *key = node_key(n);
		struct park_bucket *b = bucket_of(key);
		bucket_lock(b);
		if (node_key(n) == key)
			return b;
		bucket_unlock(b);
	}
}

/*
 * Queue order is wake order: realtime priority first, highest first, as
 * POSIX asks of SCHED_FIFO and SCHED_RR waiters (and the kernel's futex
 * queues give glibc), then PARK_STARVING waiters, then first come, first
 * served.  Keys share a bucket, but ordering the whole bucket orders each
 * key's waiters.  A waiter of priority 0 that is not starving, the usual
 * case, joins at the tail without a walk.
 */
static bool queue_ahead(const struct park_node *p, const struct park_node *n)
{
	if (p->pn_prio != n->pn_prio)
		return p->pn_prio > n->pn_prio;
	return p->pn_starving || !n->pn_starving;
}

static void queue_insert(struct park_bucket *b, struct park_node *n)
{
	struct park_node *prev = b->pb_tail;
	if (prev != NULL && !queue_ahead(prev, n)) {
		prev = NULL;
		for (struct park_node *p = b->pb_head;
		     p != NULL && queue_ahead(p, n); p = p->pn_next)
			prev = p;
	}
	struct park_node **link = prev != NULL ? &prev->pn_next : &b->pb_head;
	n->pn_next = *link;
	*link = n;
	if (n->pn_next == NULL)
		b->pb_tail = n;
}

/* Unlink n, whose predecessor is prev (NULL: n is the head). */
static void queue_unlink(struct park_bucket *b, struct park_node *prev,
			 struct park_node *n)
{
	if (prev != NULL)
		prev->pn_next = n->pn_next;
	else
		b->pb_head = n->pn_next;
	if (b->pb_tail == n)
		b->pb_tail = prev;
}

static void queue_remove(struct park_bucket *b, struct park_node *n)
{
	struct park_node *prev = NULL;
	for (struct park_node *p = b->pb_head; p != n; p = p->pn_next)
		prev = p;
	queue_unlink(b, prev, n);
}

static bool queue_has_key(const struct park_node *from, const void *key)
{
	for (const struct park_node *p = from; p != NULL; p = p->pn_next)
		if (atomic_load_explicit(&p->pn_key, memory_order_relaxed) ==
		    key)
			return true;
	return false;
}

uint64_t park_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Has b's fairness timer run out?  If so, rearm it.  Bucket lock held. */
static bool bucket_fair_due(struct park_bucket *b)
{
	uint64_t now = park_now_ns();
	if (now < b->pb_fair_at)
		return false;
	uint32_t x = b->pb_seed ? b->pb_seed : (uint32_t)now | 1u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	b->pb_seed = x;
	b->pb_fair_at = now + x % FAIR_PERIOD_NS;
	return true;
}

/* The priority td waits by.  Asking the kernel costs two system calls,
 * so a thread asks at its first park and again only after libshim changed
 * its scheduling (shim_sched_changed); known is set before asking, so a
 * change that races the question is asked about next time.  A policy set
 * behind libshim's back (sched_setscheduler) after a thread's first park
 * is not seen until libshim changes it again. */
static int park_priority(struct shim_thread *td)
{
	if (!atomic_load_explicit(&td->td_prio_known, memory_order_relaxed)) {
		atomic_store_explicit(&td->td_prio_known, true,
				      memory_order_relaxed);
		td->td_park_prio = shim_rt_priority();
	}
	return td->td_park_prio;
}

/* Acquire: pairs with the release store of PN_TAKEN, after which the
 * unparker writes nothing of ours. */
static bool taken(struct park_node *n)
{
	return atomic_load_explicit(&n->pn_state, memory_order_acquire) ==
	       PN_TAKEN;
}

/* Under the bucket lock: post n's token, then mark n taken (release).
 * Read n first: it is its owner's again once PN_TAKEN is visible.
 * Returns whether the owner may be asleep and needs lwp_unpark_wake. */
static bool take(struct park_node *n)
{
	bool wake = lwp_unpark_post(n->pn_parker);
	atomic_store_explicit(&n->pn_state, PN_TAKEN, memory_order_release);
	return wake;
}

/* A cancellation this wait must leave for: at a cancellation point, or
 * in asynchronous mode where the caller allows it. */
static bool cancel_due(struct shim_thread *td, unsigned flags)
{
	unsigned c = shim_cancel_bits(td);
	if ((c & (TD_CANCEL_PENDING | TD_CANCEL_DISABLED |
		  TD_CANCEL_RUNNING)) != TD_CANCEL_PENDING)
		return false;
	return (flags & PARK_CANCELLABLE) ||
	       ((flags & PARK_ASYNC_CANCEL) && (c & TD_CANCEL_ASYNC));
}

/*
 * Sleep until an unparker takes n (0), the deadline passes (ETIMEDOUT) or
 * a cancellation is due (ECANCELED).  Returning non-zero, n may still be
 * queued: the caller settles that under the bucket lock.
 */
static int sleep_on_node(struct shim_thread *td, struct park_node *n,
			 const struct timespec *abstime, clockid_t clock,
			 unsigned flags)
{
	if (shim_deadline_passed(abstime))
		return ETIMEDOUT;
	for (;;) {
		if (taken(n))
			return 0;
		if (cancel_due(td, flags))
			return ECANCELED;
		int e = diag_on() ? dump_park(&td->td_parker, abstime, clock)
				  : lwp_park(&td->td_parker, abstime, clock);
		if (e == 0 && !taken(n)) {
			/* A stray token, or the unparker's with PN_TAKEN not
			 * yet stored: its bucket lock tells which. */
			struct park_bucket *b = bucket_lock_node(n);
			bucket_unlock(b);
		}
		if (e == ETIMEDOUT)
			return ETIMEDOUT;
		if (e == EINTR && (flags & PARK_INTERRUPTIBLE))
			return EINTR;
	}
}

static void leave_wait(void)
{
	atomic_signal_fence(memory_order_seq_cst);
	in_wait--;
}

int park_wait_self(struct shim_thread *td, const void *key,
		   bool (*validate)(void *ctx), void (*before_sleep)(void *ctx),
		   void (*timed_out)(void *ctx, bool was_last), void *ctx,
		   const struct timespec *abstime, clockid_t clock,
		   unsigned flags, uintptr_t *token)
{
	struct park_node n = {
		.pn_key = key,
		.pn_parker = &td->td_parker,
		.pn_token = PARK_TOKEN_NORMAL,
		.pn_state = PN_QUEUED,
		.pn_prio = park_priority(td),
		.pn_starving = (flags & PARK_STARVING) != 0,
	};
	vg_private(&n, sizeof n); /* its waker writes it under our feet */
	struct park_bucket *b = bucket_of(key);
	in_wait++;
	atomic_signal_fence(memory_order_seq_cst);
	bucket_lock(b);
	if (!validate(ctx)) {
		bucket_unlock(b);
		leave_wait();
		return EAGAIN;
	}
	queue_insert(b, &n);
	bucket_unlock(b);

	if (before_sleep != NULL)
		before_sleep(ctx);
	atomic_fetch_add_explicit(&shim_stats.parks, 1, memory_order_relaxed);
	if (diag_on())
		diag_park_begin(key, PARK_KIND_OF(flags));
	int r = sleep_on_node(td, &n, abstime, clock, flags);
	if (diag_on())
		diag_park_end();
	if (r != 0) {
		b = bucket_lock_node(&n);
		if (atomic_load_explicit(&n.pn_state, memory_order_relaxed) ==
		    PN_QUEUED) {
			queue_remove(b, &n);
			if (node_key(&n) != key) {
				/* Moved by a requeue: a wake-up (a condvar's
				 * signal) has already chosen this thread, and
				 * giving up now would lose it for the threads
				 * still waiting.  So the wait ends as woken; a
				 * cancellation stays pending for the next
				 * cancellation point. */
				bucket_unlock(b);
				leave_wait();
				if (token != NULL)
					*token = PARK_TOKEN_NORMAL;
				return 0;
			}
			if (timed_out != NULL)
				timed_out(ctx, !queue_has_key(b->pb_head,
							      node_key(&n)));
			bucket_unlock(b);
			leave_wait();
			/* Out of the queue and the locks: an asynchronous
			 * cancellation the caller cannot report acts here. */
			if (r == ECANCELED && !(flags & PARK_CANCELLABLE))
				shim_testcancel();
			return r;
		}
		/* An unparker took the node while we gave up: its wake-up
		 * wins, so no wake-up it meant for someone is lost.  Its token
		 * is already posted (before PN_TAKEN); it stays as a stray. */
		bucket_unlock(b);
	}
	leave_wait();
	if (token != NULL)
		*token = n.pn_token;
	return 0;
}

bool park_unpark_one(const void *key,
		     uintptr_t (*callback)(void *ctx,
					   struct park_unpark_result r),
		     void *ctx)
{
	struct park_bucket *b = bucket_of(key);
	bucket_lock(b);
	struct park_node *prev = NULL, *n = b->pb_head;
	while (n != NULL && node_key(n) != key) {
		prev = n;
		n = n->pn_next;
	}
	struct park_unpark_result r = { false, false, false, false };
	if (n != NULL) {
		queue_unlink(b, prev, n);
		r.unparked = true;
		r.starving = n->pn_starving;
		r.have_more = queue_has_key(n->pn_next, key);
		r.be_fair = bucket_fair_due(b);
	}
	uintptr_t token = callback != NULL ? callback(ctx, r)
					   : PARK_TOKEN_NORMAL;
	if (n == NULL) {
		bucket_unlock(b);
		return false;
	}
	n->pn_token = token;
	lwp_parker_t *p = n->pn_parker;
	bool wake = take(n);
	bucket_unlock(b);
	if (wake)
		lwp_unpark_wake(p);
	return true;
}

/* The unparks that signal handlers left for us.  Each is taken off the
 * list (key read first, then the slot freed) before it runs: a handler
 * interrupting the loop may reuse the slot, and the unpark's own
 * bucket_unlock may call back in here for what is left. */
static void run_deferred(void)
{
	while (n_deferred != 0) {
		unsigned i = n_deferred - 1;
		const void *key = deferred[i];
		atomic_signal_fence(memory_order_seq_cst);
		n_deferred = i;
		park_unpark_one(key, NULL, NULL);
	}
}

bool park_unpark_one_async_safe(const void *key)
{
	if (held_buckets == 0 || n_deferred == DEFERRED_MAX)
		return park_unpark_one(key, NULL, NULL);
	deferred[n_deferred] = key;
	atomic_signal_fence(memory_order_seq_cst);
	n_deferred++;
	return false;
}

unsigned park_unpark_all(const void *key, uintptr_t token,
			 void (*callback)(void *ctx, unsigned count),
			 void *ctx)
{
	struct park_bucket *b = bucket_of(key);
	struct park_node *first = NULL, **link = &first;
	unsigned count = 0;

	bucket_lock(b);
	struct park_node *prev = NULL, *n = b->pb_head;
	while (n != NULL) {
		struct park_node *next = n->pn_next;
		if (node_key(n) == key) {
			queue_unlink(b, prev, n);
			n->pn_token = token;
			*link = n;
			link = &n->pn_next;
			count++;
		} else {
			prev = n;
		}
		n = next;
	}
	*link = NULL;
	if (callback != NULL)
		callback(ctx, count);
	/* Post every token under the lock; a node is its owner's to reuse
	 * once PN_TAKEN is stored, so read it first.  Wake outside the lock,
	 * so woken threads do not pile up on it; past the array's size
	 * (rare: a broadcast to more sleepers) wake at once instead. */
	lwp_parker_t *sleepers[32];
	unsigned nsleep = 0;
	for (n = first; n != NULL;) {
		struct park_node *next = n->pn_next;
		lwp_parker_t *p = n->pn_parker;
		if (take(n)) {
			if (nsleep < sizeof sleepers / sizeof *sleepers)
				sleepers[nsleep++] = p;
			else
				lwp_unpark_wake(p);
		}
		n = next;
	}
	bucket_unlock(b);
	for (unsigned i = 0; i < nsleep; i++)
		lwp_unpark_wake(sleepers[i]);
	return count;
}

unsigned park_unpark_requeue(
	const void *from, const void *to,
	enum park_requeue_op (*validate)(void *ctx),
	void (*callback)(void *ctx, enum park_requeue_op op, unsigned unparked,
			 unsigned requeued, bool have_more),
	void *ctx)
{
	struct park_bucket *bf = bucket_of(from), *bt = bucket_of(to);
	bucket_lock_two(bf, bt);
	/* Nobody to move: there is nothing to decide, and validate is not
	 * asked.  (A condvar's idea of its waiters' mutex may be stale when
	 * none wait; validate would touch a mutex that may be gone.) */
	enum park_requeue_op op = queue_has_key(bf->pb_head, from)
					  ? validate(ctx)
					  : PARK_REQUEUE_ABORT;
	if (op == PARK_REQUEUE_ABORT) {
		if (callback != NULL)
			callback(ctx, op, 0, 0, queue_has_key(bf->pb_head, from));
		bucket_unlock_two(bf, bt);
		return 0;
	}

	/* Collect first, append after: from and to may share a bucket. */
	bool wake_first = op == PARK_UNPARK_ONE ||
			  op == PARK_UNPARK_ONE_REQUEUE_REST;
	bool move_rest = op == PARK_UNPARK_ONE_REQUEUE_REST ||
			 op == PARK_REQUEUE_ALL;
	struct park_node *wake = NULL, *moved = NULL, **link = &moved;
	unsigned requeued = 0;
	bool first = true;
	struct park_node *prev = NULL, *n = bf->pb_head;
	while (n != NULL) {
		struct park_node *next = n->pn_next;
		if (node_key(n) != from || (!first && !move_rest)) {
			prev = n;
		} else {
			queue_unlink(bf, prev, n);
			if (first && wake_first) {
				wake = n;
			} else {
				*link = n;
				link = &n->pn_next;
				requeued++;
			}
			first = false;
		}
		n = next;
	}
	*link = NULL;
	for (n = moved; n != NULL;) {
		struct park_node *next = n->pn_next;
		atomic_store_explicit(&n->pn_key, to, memory_order_relaxed);
		queue_insert(bt, n);
		n = next;
	}

	if (callback != NULL)
		callback(ctx, op, wake != NULL, requeued,
			 queue_has_key(bf->pb_head, from));
	lwp_parker_t *p = NULL;
	bool must_wake = false;
	if (wake != NULL) {
		wake->pn_token = PARK_TOKEN_NORMAL;
		p = wake->pn_parker;
		must_wake = take(wake);
	}
	bucket_unlock_two(bf, bt);
	if (must_wake)
		lwp_unpark_wake(p);
	return p != NULL;
}

/*
 * Only the forking thread exists in the child, so every queued node
 * belongs to a thread that is gone (waking one would hand a mutex to
 * nobody), and a bucket lock held at the fork would never be released.
 * Objects whose PARKED bits remain set recover on their next unlock.
 */
void park_after_fork(void)
{
	memset(park_buckets, 0, sizeof park_buckets);
}
