/*
 * libshim/rwlock.c -- pthread_rwlock_* and pthread_rwlockattr_*.
 *
 * The lock is one word (glibc's __readers): WRITER (held for writing),
 * WWAIT (writers are parked), RWAIT (readers are parked), BIAS (readers
 * may hold shares in their own slots: the read bias, rwlock_bias.c) and
 * the number of read holders in the word above them.  Readers
 * park on the lock's address, writers on the address + 1, so each side
 * can be woken alone.
 *
 * The policy, and why it neither starves writers nor deadlocks a reader
 * that locks again:
 *  - glibc's default prefers readers: a reader enters whenever no writer
 *    holds the lock, so a stream of overlapping readers starves writers
 *    for ever.  Here a waiting writer (WWAIT) stops NEW readers: the
 *    readers inside drain, the last one wakes the first writer, and
 *    writers make progress.
 *  - Stopping new readers is what deadlocks a thread that read-locks a
 *    lock it already read-holds (it waits for the writer, which waits for
 *    it), and POSIX and glibc's default allow that recursion.  So a thread
 *    that holds any read lock (a per-thread count) is not stopped by WWAIT,
 *    only by a writer that holds the lock -- which cannot happen while it
 *    holds a read share.  Counting read locks of all rwlocks together makes
 *    the exemption conservative (a reader of another lock passes too) but
 *    never wrong.  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP has no
 *    exemption: glibc documents that recursion may deadlock with it.
 *  - Wake, don't hand over (as the mutex): a writer woken by an unlock
 *    competes for the lock with the threads running, and a running writer
 *    may take it first.  Handing the lock to a thread that is still
 *    asleep leaves it idle until that thread runs, and with more threads
 *    than cores, short sections and both sides waiting that is a convoy
 *    that does not break up: every unlock hands over to a sleeper, every
 *    locker finds the lock reserved and parks too.  bench_rwlock's
 *    rwlock.mix.w50.t4 (4 threads, half of them writing) fell to 0.4-3
 *    M lock+unlock/s in that state, from 25-40 M/s out of it.  So the
 *    lock is handed over only when the park layer's fairness timer fires
 *    (be_fair, every ~0.1 ms), which bounds how long a woken thread can
 *    lose the race.
 *  - The same for readers a writer leaves parked: unlocking with no
 *    writer waiting, it releases the lock and wakes them all to compete.
 *    Handing them read shares instead (as before) kept the lock read-held
 *    by sleepers: the next writer waited for each of them to be
 *    scheduled, and the lock stood idle.  That hand-off made spinning
 *    necessary -- with the pause rounds alone (no sched_yield phase) a
 *    std::shared_mutex with 10% writes, 4 threads on 2 cores, took 1.5-2.4
 *    s against glibc's 0.09 (200k futex calls per run), so the spin
 *    yielded, 60k times a run (both CPUs busy, 0.22 s).  Without it, a
 *    writer spins in the pause rounds alone, as an adaptive mutex does
 *    (mutex.c), and a reader not at all: it parks as soon as it finds a
 *    writer in or waiting.  A reader's pause rounds (as before) cost a
 *    std::shared_mutex with 10% writes, 4 threads on 2 cores, 1.15-1.25x
 *    the time of parking at once, and the other rows nothing; without the
 *    writer's, 50% writes took 1.1x as long (doc/performance-targets.md,
 *    fifth pass, has the numbers).
 *  - Readers cannot starve either.  A writer that unlocks with both
 *    sides parked and the fairness timer fired hands read shares to the
 *    readers that were parked when it began (the count of parked
 *    readers bounds the hand-off, so readers arriving meanwhile cannot
 *    prolong it); each share is added to the
 *    word in the same bucket-lock critical section that dequeues that
 *    reader.  The first share replaces WRITER atomically, so no writer
 *    slips in between.  Otherwise (writers parked, timer not fired) it
 *    releases the lock and wakes one writer: readers stopped by WWAIT
 *    would only park again.  So while both sides wait, write phases end
 *    at the latest when the timer fires, and the readers' phase ends
 *    when the last of them leaves and wakes a writer.
 *  - A writer that unlocks with writers parked and the timer fired hands
 *    the lock to the next one directly (WRITER stays set).
 *  - Realtime threads: POSIX says a reader under SCHED_FIFO or SCHED_RR
 *    is stopped only by waiting writers of higher or equal priority.  A
 *    parking writer records its realtime priority (0 if it has none) in
 *    rw_wprio, the highest of them, cleared with WWAIT when the last
 *    writer leaves; a realtime reader that outranks it passes WWAIT as
 *    an exempt reader does.  The record only grows while writers wait,
 *    so it may stop a reader that a departed writer alone outranked: it
 *    errs on the writers' side.  Only a reader about to sleep behind
 *    waiting writers asks the kernel for its priority (a failing tryrdlock
 *    in that state too), and only a writer that parks.
 *  - But only for a while: glibc's default kind prefers readers, so a
 *    program may hold a read lock while it waits for another thread to
 *    take one (glibc's tst-rwlock16: a reader waits on a condition
 *    variable that another reader signals).  A waiting writer there waits
 *    for ever for the first reader, which waits for the second, which
 *    waits for the writer.  So a reader stopped by waiting writers alone
 *    defers to them for READER_DEFER_NS (1 ms) and then enters, as an
 *    exempt reader does; and a writer that holds WRITER while it revokes
 *    the read bias (rwlock_bias.c) waits as long for the biased readers,
 *    then hands WRITER to the readers parked behind it and starts again.
 *    Writers still win against read sections shorter than that.  A
 *    realtime reader or writer never defers or yields: POSIX's rule
 *    below is a promise, not a preference.
 *  - Timeouts: a parked writer that gives up and was the last clears WWAIT
 *    and lets in the readers that only waited for it; a reader that gives
 *    up and was the last clears RWAIT.  A stale WWAIT or RWAIT costs one
 *    slow unlock, which finds nobody and clears it.
 *
 * EDEADLK as glibc: read- or write-locking a lock the thread holds for
 * writing (the owner's tid is in __cur_writer).  Unlocking a lock that is
 * neither read-locked nor write-locked by the caller returns 0, as glibc's
 * does, but changes nothing (glibc's takes away a read share it never
 * gave, and corrupts the lock).
 *
 * A PTHREAD_PROCESS_SHARED lock uses the same word and rules but cannot use
 * the park queues: waiters set their WAIT bit and sleep with
 * lwp_wait_addr(shared) on the word; an unlock that sees WAIT bits clears
 * them and wakes everyone, who re-evaluate.  There is no hand-off, so
 * fairness between the two sides is only probabilistic.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "compat/lwp.h"
#include "libshim/mutex.h"
#include "libshim/park.h"
#include "libshim/profile.h"
#include "libshim/rwlock_impl.h"
#include "libshim/shim.h"
#include "libshim/spinwait.h"
#include "libshim/thread.h"
#include "libshim/vg.h"
#include "object_layout.h"

#define NOINLINE __attribute__((noinline))

/* glibc's struct pthread_rwlockattr. */
struct rwattr {
	int lockkind;
	int pshared;
};
_Static_assert(sizeof(struct rwattr) == GLIBC_SIZEOF_RWLOCKATTR,
	       "pthread_rwlockattr_t layout");

/* Read locks this thread holds, of all rwlocks (see the top). */
static __thread unsigned rd_held __attribute__((tls_model("initial-exec")));

static struct shim_rwlock *shim_rwlock(pthread_rwlock_t *rw)
{
	return (struct shim_rwlock *)rw;
}

static const void *writer_key(struct shim_rwlock *rw)
{
	return (const char *)rw + 1;
}

static bool reader_exempt(struct shim_rwlock *rw)
{
	return rd_held != 0 &&
	       rw->rw_kind != PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
}

static bool reader_blocked(unsigned s, bool exempt)
{
	return (s & RW_WRITER) || (!exempt && (s & RW_WWAIT));
}

static bool writer_blocked(unsigned s)
{
	return (s & RW_WRITER) || readers(s) != 0;
}

/* 0 with a read share, EBUSY (blocked; *sp is the word seen) or EAGAIN
 * (the count of readers would overflow, as glibc reports). */
static int try_read(struct shim_rwlock *rw, unsigned *sp, bool exempt)
{
	unsigned s = *sp;
	while (!reader_blocked(s, exempt)) {
		if (readers(s) == RW_READERS_MAX)
			return EAGAIN;
		if (atomic_compare_exchange_weak_explicit(
			    &rw->rw_state, &s, s + RW_ONE_READER,
			    memory_order_acquire, memory_order_relaxed))
			return 0;
	}
	*sp = s;
	return EBUSY;
}

static bool try_write(struct shim_rwlock *rw, unsigned *sp)
{
	unsigned s = *sp;
	while (!writer_blocked(s))
		if (atomic_compare_exchange_weak_explicit(
			    &rw->rw_state, &s, s | RW_WRITER,
			    memory_order_acquire, memory_order_relaxed))
			return true;
	*sp = s;
	return false;
}

/* No writer waits any more.  Under the writers' bucket lock. */
static void clear_wwait(struct shim_rwlock *rw)
{
	atomic_store_explicit(&rw->rw_wprio, 0, memory_order_relaxed);
	atomic_fetch_and_explicit(&rw->rw_state, ~RW_WWAIT,
				  memory_order_relaxed);
}

/* Not asked yet: a reader asks the kernel only when it would otherwise
 * wait behind writers, once per lock call. */
#define PRIO_UNKNOWN (-1)

/* A reader here is stopped by waiting writers alone (a private lock). */
static bool stopped_by_writers_only(struct shim_rwlock *rw, unsigned s)
{
	return !(s & RW_WRITER) && (s & RW_WWAIT) && !rw->rw_shared;
}

/* Does a reader of realtime priority prio (0: none), stopped by waiting
 * writers alone, outrank every parked writer (see the top)? */
static bool rt_reader_passes(struct shim_rwlock *rw, unsigned s, int prio)
{
	return prio > 0 && stopped_by_writers_only(rw, s) &&
	       (unsigned)prio > atomic_load_explicit(&rw->rw_wprio,
						     memory_order_relaxed);
}

/* ---- process-private: hand-offs ---------------------------------- */

struct reader_handoff {
	struct shim_rwlock *rw;
	unsigned budget;  /* readers parked when the hand-off began */
	bool started;
	bool from_writer; /* we hold WRITER; the first share replaces it */
};

/* Runs under the readers' bucket lock, once per reader dequeued. */
static uintptr_t grant_reader(void *ctx, struct park_unpark_result r)
{
	struct reader_handoff *h = ctx;
	struct shim_rwlock *rw = h->rw;
	if (!h->started) {
		h->started = true;
		h->budget = rw->rw_rparked;
	}
	if (!r.unparked) {
		atomic_fetch_and_explicit(&rw->rw_state, ~RW_RWAIT,
					  memory_order_relaxed);
		h->budget = 0;
		return PARK_TOKEN_NORMAL;
	}
	rw->rw_rparked--;
	h->budget--;
	unsigned keep = r.have_more ? ~0u : ~RW_RWAIT;
	unsigned s = load_state(rw);
	for (;;) {
		unsigned n;
		if (h->from_writer)
			n = ((s & ~RW_WRITER) & keep) + RW_ONE_READER;
		else if ((s & RW_WRITER) || readers(s) == RW_READERS_MAX)
			break; /* a writer got in: the reader retries */
		else
			n = (s & keep) + RW_ONE_READER;
		if (atomic_compare_exchange_weak_explicit(
			    &rw->rw_state, &s, n, memory_order_release,
			    memory_order_relaxed)) {
			h->from_writer = false;
			return PARK_TOKEN_HANDOFF; /* the share is the reader's */
		}
	}
	if (!r.have_more)
		atomic_fetch_and_explicit(&rw->rw_state, ~RW_RWAIT,
					  memory_order_relaxed);
	return PARK_TOKEN_NORMAL;
}

/* Give read shares to the readers parked now.  from_writer: the caller
 * holds WRITER and gives it up with the first share.  Returns false if
 * from_writer and no reader took it (the caller still holds WRITER). */
static bool readers_handoff(struct shim_rwlock *rw, bool from_writer)
{
	struct reader_handoff h = { rw, 0, false, from_writer };
	while (park_unpark_one(rw, grant_reader, &h) && h.budget != 0)
		continue;
	return !h.from_writer;
}

struct writer_handoff {
	struct shim_rwlock *rw;
	bool readers_freed; /* WWAIT was stale and is now clear */
	bool readers_turn;  /* the fairness timer fired with readers parked */
	bool readers_tried; /* we gave them their turn and none was parked */
};

/* A reader left the lock empty while writers wait: give it to the first
 * one.  Under the writers' bucket lock. */
static uintptr_t grant_writer_from_readers(void *ctx,
					   struct park_unpark_result r)
{
	struct writer_handoff *h = ctx;
	struct shim_rwlock *rw = h->rw;
	if (!r.unparked) {
		clear_wwait(rw);
		h->readers_freed = true;
		return PARK_TOKEN_NORMAL;
	}
	/* It competes for the free lock (see the top); WWAIT stays, for it
	 * and any writer parked behind it. */
	if (!r.be_fair)
		return PARK_TOKEN_NORMAL;
	unsigned s = load_state(rw);
	while (!writer_blocked(s)) {
		unsigned n = s | RW_WRITER;
		if (!r.have_more)
			n &= ~RW_WWAIT;
		if (atomic_compare_exchange_weak_explicit(
			    &rw->rw_state, &s, n, memory_order_acquire,
			    memory_order_relaxed)) {
			if (!r.have_more)
				atomic_store_explicit(&rw->rw_wprio, 0,
						      memory_order_relaxed);
			return PARK_TOKEN_HANDOFF;
		}
	}
	return PARK_TOKEN_NORMAL; /* a recursive reader got in: retry */
}

/* The caller holds WRITER: wake the next writer and release WRITER, or
 * (fairness timer) pass WRITER to it, or leave WRITER held for a
 * hand-off to the parked readers (readers_turn; the writer woken
 * competes again).  Under the writers' bucket lock. */
static uintptr_t grant_writer_from_writer(void *ctx,
					  struct park_unpark_result r)
{
	struct writer_handoff *h = ctx;
	struct shim_rwlock *rw = h->rw;
	if (r.unparked && r.be_fair) {
		if (!h->readers_tried && (load_state(rw) & RW_RWAIT)) {
			h->readers_turn = true;
			return PARK_TOKEN_NORMAL;
		}
		if (!r.have_more)
			clear_wwait(rw);
		return PARK_TOKEN_HANDOFF; /* WRITER stays set, now its */
	}
	unsigned clear = RW_WRITER;
	if (!r.have_more) {
		atomic_store_explicit(&rw->rw_wprio, 0, memory_order_relaxed);
		clear |= RW_WWAIT;
	}
	unsigned s = atomic_fetch_and_explicit(&rw->rw_state, ~clear,
					       memory_order_release);
	h->readers_freed = (clear & RW_WWAIT) && (s & RW_RWAIT);
	return PARK_TOKEN_NORMAL;
}

/* Readers parked behind a writer that has gone (WWAIT now clear). */
static void let_readers_in(struct shim_rwlock *rw)
{
	unsigned s = load_state(rw);
	if ((s & RW_RWAIT) && !(s & (RW_WRITER | RW_WWAIT)))
		readers_handoff(rw, false);
}

/* ---- process-private: waiting ------------------------------------ */

struct reader_wait {
	struct shim_rwlock *rw;
	bool exempt;
};

static bool reader_validate(void *ctx)
{
	struct reader_wait *w = ctx;
	unsigned s = load_state(w->rw);
	if (!(s & RW_RWAIT) || !reader_blocked(s, w->exempt))
		return false;
	w->rw->rw_rparked++;
	return true;
}

static void reader_timed_out(void *ctx, bool was_last)
{
	struct reader_wait *w = ctx;
	w->rw->rw_rparked--;
	if (was_last)
		atomic_fetch_and_explicit(&w->rw->rw_state, ~RW_RWAIT,
					  memory_order_relaxed);
}

struct writer_wait {
	struct shim_rwlock *rw;
	unsigned prio; /* its realtime priority, 0 if none */
};

static bool writer_validate(void *ctx)
{
	struct writer_wait *w = ctx;
	unsigned s = load_state(w->rw);
	if (!(s & RW_WWAIT) || !writer_blocked(s))
		return false;
	if (w->prio > atomic_load_explicit(&w->rw->rw_wprio,
					   memory_order_relaxed))
		atomic_store_explicit(&w->rw->rw_wprio, w->prio,
				      memory_order_relaxed);
	return true;
}

static void writer_timed_out(void *ctx, bool was_last)
{
	struct writer_wait *w = ctx;
	if (was_last)
		clear_wwait(w->rw);
}

static int private_read_wait(struct shim_rwlock *rw, bool exempt,
			     const struct timespec *abstime, clockid_t clock,
			     bool *granted)
{
	struct reader_wait w = { rw, exempt };
	uintptr_t token = PARK_TOKEN_NORMAL;
	int r = park_wait(rw, reader_validate, NULL, reader_timed_out, &w,
			  abstime, clock,
			  PARK_ASYNC_CANCEL | PARK_KIND(PROF_RWLOCK_RD), &token);
	*granted = r == 0 && token == PARK_TOKEN_HANDOFF;
	return r;
}

static int private_write_wait(struct shim_rwlock *rw, unsigned prio,
			      const struct timespec *abstime, clockid_t clock,
			      bool *granted)
{
	struct writer_wait w = { rw, prio };
	uintptr_t token = PARK_TOKEN_NORMAL;
	int r = park_wait(writer_key(rw), writer_validate, NULL,
			  writer_timed_out, &w, abstime, clock,
			  PARK_ASYNC_CANCEL | PARK_KIND(PROF_RWLOCK_WR), &token);
	*granted = r == 0 && token == PARK_TOKEN_HANDOFF;
	if (r == ETIMEDOUT)
		let_readers_in(rw);
	return r;
}

/* ---- process-shared: waiting on the word ------------------------- */

static int shared_wait(struct shim_rwlock *rw, unsigned s,
		       const struct timespec *abstime, clockid_t clock)
{
	/* The word moved, a signal, spurious: re-evaluate. */
	return shim_word_wait((_Atomic int *)&rw->rw_state, (int)s, abstime,
			      clock, true);
}

/* Clear the WAIT bits of s, if any, and wake everyone to re-evaluate. */
static void shared_wake_all(struct shim_rwlock *rw, unsigned s)
{
	if (!(s & (RW_RWAIT | RW_WWAIT)))
		return;
	atomic_fetch_and_explicit(&rw->rw_state, ~(RW_RWAIT | RW_WWAIT),
				  memory_order_relaxed);
	lwp_wake_addr((_Atomic int *)&rw->rw_state, INT_MAX, true);
}

/* ---- lock -------------------------------------------------------- */

/* How long a reader stopped by waiting writers alone defers to them
 * before it enters anyway (see the top). */
#define READER_DEFER_NS 1000000L

/* Would this reader enter but for waiting writers, on a lock whose kind
 * lets it enter after READER_DEFER_NS? */
static bool may_defer(struct shim_rwlock *rw, unsigned s)
{
	return !(s & RW_WRITER) && (s & RW_WWAIT) &&
	       rw->rw_kind != PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
}

/* The deadline of a reader's deferral: READER_DEFER_NS from now, on the
 * caller's clock, unless the caller's own deadline comes first (*until
 * is then abstime). */
void defer_deadline(struct timespec *d, const struct timespec **until,
		    clockid_t *clock)
{
	if (*until == NULL)
		*clock = CLOCK_MONOTONIC;
	clock_gettime(*clock, d);
	d->tv_nsec += READER_DEFER_NS;
	if (d->tv_nsec >= 1000000000L) {
		d->tv_nsec -= 1000000000L;
		d->tv_sec++;
	}
	const struct timespec *a = *until;
	if (a == NULL || a->tv_sec > d->tv_sec ||
	    (a->tv_sec == d->tv_sec && a->tv_nsec > d->tv_nsec))
		*until = d;
}

NOINLINE static int read_lock_slow(struct shim_rwlock *rw,
				   const struct timespec *abstime,
				   clockid_t clock)
{
	if (atomic_load_explicit(&rw->rw_writer, memory_order_relaxed) ==
	    shim_tid())
		return EDEADLK;
	bool recursive = reader_exempt(rw);
	int prio = PRIO_UNKNOWN;
	/* The deadline we park with: abstime, or the end of our deferral
	 * to waiting writers, once we have begun one. */
	const struct timespec *until = abstime;
	struct timespec defer;
	bool deferring = false, deferred = false;
	for (;;) {
		unsigned s = load_state(rw);
		bool exempt = recursive || deferred ||
			      rt_reader_passes(rw, s, prio);
		int r = try_read(rw, &s, exempt);
		if (r != EBUSY)
			return r;
		/* About to sleep behind waiting writers: is this a realtime
		 * reader that may pass them? */
		if (prio == PRIO_UNKNOWN && stopped_by_writers_only(rw, s)) {
			prio = shim_rt_priority();
			continue;
		}
		if (!(s & RW_RWAIT)) {
			if (!atomic_compare_exchange_weak_explicit(
				    &rw->rw_state, &s, s | RW_RWAIT,
				    memory_order_relaxed, memory_order_relaxed))
				continue;
			s |= RW_RWAIT;
		}
		/* A realtime reader keeps POSIX's rule (rt_reader_passes)
		 * instead: it never enters past an equal or higher writer. */
		if (!deferring && !exempt && may_defer(rw, s)) {
			if (prio == PRIO_UNKNOWN)
				prio = shim_rt_priority();
			deferring = prio == 0;
			if (deferring)
				defer_deadline(&defer, &until, &clock);
		}
		bool granted = false;
		r = rw->rw_shared ? shared_wait(rw, s, until, clock)
				  : private_read_wait(rw, exempt, until,
						      clock, &granted);
		if (granted)
			return 0;
		if (r == ETIMEDOUT && until != &defer)
			return ETIMEDOUT;
		if (r == ETIMEDOUT) {
			/* Deferred long enough: enter past the writers, as
			 * glibc's readers do, and wait for the caller's own
			 * deadline, if any, from here on. */
			deferred = true;
			until = abstime;
		}
	}
}

static void readers_woken(void *ctx, unsigned count);

NOINLINE static int write_lock_slow(struct shim_rwlock *rw,
				    const struct timespec *abstime,
				    clockid_t clock)
{
	if (atomic_load_explicit(&rw->rw_writer, memory_order_relaxed) ==
	    shim_tid())
		return EDEADLK;
	int prio = PRIO_UNKNOWN;
	unsigned spins = 0;
	for (;;) {
		unsigned s = load_state(rw);
		if (try_write(rw, &s))
			return 0;
		if (!(s & RW_WWAIT)) {
			if (shim_spin_pause(&spins))
				continue;
			if (!atomic_compare_exchange_weak_explicit(
				    &rw->rw_state, &s, s | RW_WWAIT,
				    memory_order_relaxed, memory_order_relaxed))
				continue;
			s |= RW_WWAIT;
		}
		/* About to wait for readers' shares while readers are parked
		 * too, perhaps since a writer held the lock: a write unlock
		 * hands the lock to the next writer, so nothing else wakes
		 * them, and on a reader-preferring lock they may join those
		 * shares (after their deferral).  One may be what a share's
		 * holder waits for (glibc's tst-rwlock16: the holder waits on
		 * a condvar for another reader's signal). */
		if (!rw->rw_shared && (s & RW_RWAIT) &&
		    (readers(s) != 0 || (s & RW_BIAS)) &&
		    rw->rw_kind != PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP)
			park_unpark_all(rw, PARK_TOKEN_NORMAL, readers_woken, rw);
		bool granted = false;
		if (!rw->rw_shared && prio == PRIO_UNKNOWN)
			prio = shim_rt_priority();
		int r = rw->rw_shared
				? shared_wait(rw, s, abstime, clock)
				: private_write_wait(rw, (unsigned)prio, abstime,
						     clock, &granted);
		if (granted)
			return 0;
		if (r == ETIMEDOUT) {
			/* Readers may be stopped by our WWAIT alone. */
			if (rw->rw_shared)
				shared_wake_all(rw, RW_WWAIT);
			return ETIMEDOUT;
		}
		spins = 0;
	}
}

static int read_lock(struct shim_rwlock *rw, const struct timespec *abstime,
		     clockid_t clock)
{
	unsigned s = load_state(rw);
	if (read_in_slot(rw, s)) {
		rd_held++;
		return 0;
	}
	/* Fast path: no writer holds or waits (so we hold no write lock).
	 * Another reader's CAS is no reason for the slow path: retry. */
	while (!(s & (RW_WRITER | RW_WWAIT)) && readers(s) < RW_READERS_MAX) {
		if (atomic_compare_exchange_weak_explicit(
			    &rw->rw_state, &s, s + RW_ONE_READER,
			    memory_order_acquire, memory_order_relaxed)) {
			rd_held++;
			if (!(s & RW_BIAS))
				maybe_bias(rw);
			return 0;
		}
	}
	int r = read_lock_slow(rw, abstime, clock);
	if (r == 0)
		rd_held++;
	return r;
}

static void write_unlock(struct shim_rwlock *rw);

static int write_lock(struct shim_rwlock *rw, const struct timespec *abstime,
		      clockid_t clock)
{
	for (;;) {
		unsigned s = 0;
		int r = 0;
		if (!atomic_compare_exchange_strong_explicit(
			    &rw->rw_state, &s, RW_WRITER, memory_order_acquire,
			    memory_order_relaxed))
			r = write_lock_slow(rw, abstime, clock);
		if (r != 0)
			return r;
		atomic_store_explicit(&rw->rw_writer, shim_tid(),
				      memory_order_relaxed);
		if (!(load_state(rw) & RW_BIAS))
			return 0;
		/* While we hold WRITER for the revocation, new readers wait
		 * for us, and a biased reader may be waiting for one of them
		 * (a reader that waits on a condition variable another
		 * reader signals): so wait READER_DEFER_NS at most, then let
		 * the readers parked meanwhile in and start again. */
		r = revoke_bias(rw, true, abstime, clock, true);
		/* A realtime writer keeps the lock from lower readers, as
		 * POSIX says: it waits for the biased ones as long as it takes. */
		if (r == REVOKE_DEFER_ENDED && shim_rt_priority() != 0)
			r = revoke_bias(rw, true, abstime, clock, false);
		if (r == 0)
			return 0;
		if (r != REVOKE_DEFER_ENDED) {
			write_unlock(rw);
			return r;
		}
		atomic_store_explicit(&rw->rw_writer, 0, memory_order_relaxed);
		if (!(load_state(rw) & RW_RWAIT) || !readers_handoff(rw, true))
			write_unlock(rw);
	}
}

static int read_trylock(struct shim_rwlock *rw);
static int write_trylock(struct shim_rwlock *rw);

/* The diagnostics' view of the lock (profile.h). */
static int diag_try_read(void *rw)
{
	return read_trylock(rw);
}

static int diag_read(void *rw, const struct timespec *abstime, clockid_t clock)
{
	return read_lock(rw, abstime, clock);
}

static int diag_try_write(void *rw)
{
	return write_trylock(rw);
}

static int diag_write(void *rw, const struct timespec *abstime, clockid_t clock)
{
	return write_lock(rw, abstime, clock);
}

static int read_lock_call(struct shim_rwlock *rw,
			  const struct timespec *abstime, clockid_t clock)
{
	if (diag_on())
		return diag_lock(rw, PROF_RWLOCK_RD, diag_try_read, diag_read,
				 abstime, clock);
	return read_lock(rw, abstime, clock);
}

static int write_lock_call(struct shim_rwlock *rw,
			   const struct timespec *abstime, clockid_t clock)
{
	if (diag_on())
		return diag_lock(rw, PROF_RWLOCK_WR, diag_try_write,
				 diag_write, abstime, clock);
	return write_lock(rw, abstime, clock);
}

/* glibc 2.36 checks a timed call's arguments before anything else. */
static bool timed_args_valid(clockid_t clock, const struct timespec *abstime)
{
	return abstime != NULL && shim_timespec_valid(abstime) &&
	       shim_clock_valid(clock);
}

SHIM_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *rw)
{
	return read_lock_call(shim_rwlock(rw), NULL, CLOCK_REALTIME);
}

SHIM_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *rw,
					   const struct timespec *abstime)
{
	if (!timed_args_valid(CLOCK_REALTIME, abstime))
		return EINVAL;
	return read_lock_call(shim_rwlock(rw), abstime, CLOCK_REALTIME);
}

SHIM_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *rw,
					   clockid_t clock,
					   const struct timespec *abstime)
{
	if (!timed_args_valid(clock, abstime))
		return EINVAL;
	return read_lock_call(shim_rwlock(rw), abstime, clock);
}

static int read_trylock(struct shim_rwlock *rw)
{
	unsigned s = load_state(rw);
	if (read_in_slot(rw, s)) {
		rd_held++;
		return 0;
	}
	int r = try_read(rw, &s, reader_exempt(rw));
	/* Fails only where rdlock would block: not for a realtime reader
	 * that outranks the waiting writers. */
	if (r == EBUSY && stopped_by_writers_only(rw, s) &&
	    rt_reader_passes(rw, s, shim_rt_priority()))
		r = try_read(rw, &s, true);
	if (r == 0)
		rd_held++;
	return r;
}

/* With the diagnostics on (profile.h), out of line: the fast paths keep
 * no frame. */
NOINLINE static int diag_trylock(struct shim_rwlock *rw, bool write)
{
	int r = write ? write_trylock(rw) : read_trylock(rw);
	if (r == 0)
		diag_trylocked(rw, write ? PROF_RWLOCK_WR : PROF_RWLOCK_RD);
	return r;
}

SHIM_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *prw)
{
	if (diag_on())
		return diag_trylock(shim_rwlock(prw), false);
	return read_trylock(shim_rwlock(prw));
}

SHIM_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *rw)
{
	return write_lock_call(shim_rwlock(rw), NULL, CLOCK_REALTIME);
}

SHIM_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *rw,
					   const struct timespec *abstime)
{
	if (!timed_args_valid(CLOCK_REALTIME, abstime))
		return EINVAL;
	return write_lock_call(shim_rwlock(rw), abstime, CLOCK_REALTIME);
}

SHIM_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *rw,
					   clockid_t clock,
					   const struct timespec *abstime)
{
	if (!timed_args_valid(clock, abstime))
		return EINVAL;
	return write_lock_call(shim_rwlock(rw), abstime, clock);
}

static int write_trylock(struct shim_rwlock *rw)
{
	unsigned s = load_state(rw);
	if (!try_write(rw, &s))
		return EBUSY;
	atomic_store_explicit(&rw->rw_writer, shim_tid(), memory_order_relaxed);
	if (load_state(rw) & RW_BIAS) {
		int r = revoke_bias(rw, false, NULL, CLOCK_REALTIME, false);
		if (r != 0) {
			write_unlock(rw);
			return r == EDEADLK ? EBUSY : r; /* as glibc's */
		}
	}
	return 0;
}

SHIM_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *prw)
{
	if (diag_on())
		return diag_trylock(shim_rwlock(prw), true);
	return write_trylock(shim_rwlock(prw));
}

/* ---- unlock ------------------------------------------------------ */

static void read_unlock_slow(struct shim_rwlock *rw, unsigned s);

/* Every parked reader was dequeued.  Under the readers' bucket lock. */
static void readers_woken(void *ctx, unsigned count)
{
	struct shim_rwlock *rw = ctx;
	(void)count;
	rw->rw_rparked = 0;
	atomic_fetch_and_explicit(&rw->rw_state, ~RW_RWAIT,
				  memory_order_relaxed);
}

NOINLINE static void write_unlock_slow(struct shim_rwlock *rw)
{
	unsigned s = load_state(rw);
	if (rw->rw_shared) {
		s = atomic_fetch_and_explicit(&rw->rw_state, ~RW_WRITER,
					      memory_order_release);
		shared_wake_all(rw, s);
		return;
	}
	/* Readers parked through this write phase, no writer waiting: wake
	 * them all to compete (see the top).  A writer may have parked since
	 * s was read: then the lock is free with writers waiting, as after
	 * the last reader's unlock. */
	if ((s & RW_RWAIT) && !(s & RW_WWAIT)) {
		s = atomic_fetch_and_explicit(&rw->rw_state, ~RW_WRITER,
					      memory_order_release);
		park_unpark_all(rw, PARK_TOKEN_NORMAL, readers_woken, rw);
		if (s & RW_WWAIT)
			read_unlock_slow(rw, s);
		return;
	}
	/* With writers waiting, the parked readers go first when the
	 * fairness timer says so. */
	struct writer_handoff h = { rw, false, false, false };
	park_unpark_one(writer_key(rw), grant_writer_from_writer, &h);
	if (h.readers_turn) {
		if (readers_handoff(rw, true))
			return;
		/* RWAIT was stale.  We still hold WRITER, and the writer we
		 * woke may have parked again behind it: release it the
		 * ordinary way, which wakes a writer. */
		h.readers_tried = true;
		park_unpark_one(writer_key(rw), grant_writer_from_writer, &h);
	}
	if (h.readers_freed)
		let_readers_in(rw);
}

static void write_unlock(struct shim_rwlock *rw)
{
	atomic_store_explicit(&rw->rw_writer, 0, memory_order_relaxed);
	unsigned s = RW_WRITER;
	if (!atomic_compare_exchange_strong_explicit(&rw->rw_state, &s, 0,
						     memory_order_release,
						     memory_order_relaxed))
		write_unlock_slow(rw);
}

NOINLINE static void read_unlock_slow(struct shim_rwlock *rw, unsigned s)
{
	if (rw->rw_shared) {
		shared_wake_all(rw, s);
		return;
	}
	struct writer_handoff h = { rw, false, false, false };
	park_unpark_one(writer_key(rw), grant_writer_from_readers, &h);
	if (h.readers_freed)
		let_readers_in(rw);
}

static void read_unlock(struct shim_rwlock *rw)
{
	unsigned s = atomic_fetch_sub_explicit(&rw->rw_state, RW_ONE_READER,
					       memory_order_release) -
		     RW_ONE_READER;
	/* The last reader out lets a waiting writer in. */
	if (readers(s) == 0 && (s & (RW_WWAIT | RW_RWAIT)) &&
	    !(s & RW_WRITER))
		read_unlock_slow(rw, s);
}

static inline __attribute__((always_inline)) int rwlock_unlock(
	struct shim_rwlock *rw)
{
	if (unlock_in_slot(rw)) {
		if (rd_held != 0)
			rd_held--;
		return 0;
	}
	if (atomic_load_explicit(&rw->rw_writer, memory_order_relaxed) ==
	    shim_tid()) {
		write_unlock(rw);
		return 0;
	}
	if (readers(load_state(rw)) == 0) {
		/* Not locked by us, or write-locked by another: see top. */
		release_other_reader(rw);
		return 0;
	}
	if (rd_held != 0)
		rd_held--;
	read_unlock(rw);
	return 0;
}

NOINLINE static int diag_then_unlock(struct shim_rwlock *rw)
{
	diag_unlock(rw, PROF_RWLOCK_WR);
	return rwlock_unlock(rw);
}

SHIM_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *prw)
{
	if (diag_on())
		return diag_then_unlock(shim_rwlock(prw));
	return rwlock_unlock(shim_rwlock(prw));
}

/* ---- init, destroy, attributes ----------------------------------- */

SHIM_EXPORT int pthread_rwlock_init(pthread_rwlock_t *prw,
				    const pthread_rwlockattr_t *attr)
{
	struct shim_rwlock *rw = shim_rwlock(prw);
	memset(rw, 0, sizeof *rw);
	if (attr != NULL) {
		const struct rwattr *a = (const struct rwattr *)attr;
		rw->rw_kind = (unsigned)a->lockkind;
		rw->rw_shared = a->pshared != PTHREAD_PROCESS_PRIVATE;
	}
	vg_init(rw, PROF_RWLOCK_WR, 0);
	return 0;
}

SHIM_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *rw)
{
	vg_destroy(rw, PROF_RWLOCK_WR); /* glibc checks nothing either */
	return 0;
}

SHIM_EXPORT int pthread_rwlockattr_init(pthread_rwlockattr_t *attr)
{
	memset(attr, 0, sizeof *attr);
	struct rwattr *a = (struct rwattr *)attr;
	a->lockkind = PTHREAD_RWLOCK_DEFAULT_NP;
	a->pshared = PTHREAD_PROCESS_PRIVATE;
	return 0;
}

SHIM_EXPORT int pthread_rwlockattr_destroy(pthread_rwlockattr_t *attr)
{
	(void)attr;
	return 0;
}

SHIM_EXPORT int pthread_rwlockattr_setkind_np(pthread_rwlockattr_t *attr,
					      int kind)
{
	if (kind != PTHREAD_RWLOCK_PREFER_READER_NP &&
	    kind != PTHREAD_RWLOCK_PREFER_WRITER_NP &&
	    kind != PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP)
		return EINVAL;
	((struct rwattr *)attr)->lockkind = kind;
	return 0;
}

SHIM_EXPORT int pthread_rwlockattr_getkind_np(const pthread_rwlockattr_t *attr,
					      int *kind)
{
	*kind = ((const struct rwattr *)attr)->lockkind;
	return 0;
}

SHIM_EXPORT int pthread_rwlockattr_setpshared(pthread_rwlockattr_t *attr,
					      int pshared)
{
	if (pshared != PTHREAD_PROCESS_PRIVATE &&
	    pshared != PTHREAD_PROCESS_SHARED)
		return EINVAL;
	((struct rwattr *)attr)->pshared = pshared;
	return 0;
}

SHIM_EXPORT int pthread_rwlockattr_getpshared(const pthread_rwlockattr_t *attr,
					      int *pshared)
{
	*pshared = ((const struct rwattr *)attr)->pshared;
	return 0;
}

/* The double-underscore names old binaries bind (libpthread exported
 * them for years). */
SHIM_ALIAS(pthread_rwlock_init, __pthread_rwlock_init);
SHIM_ALIAS(pthread_rwlock_destroy, __pthread_rwlock_destroy);
SHIM_ALIAS(pthread_rwlock_rdlock, __pthread_rwlock_rdlock);
SHIM_ALIAS(pthread_rwlock_wrlock, __pthread_rwlock_wrlock);
SHIM_ALIAS(pthread_rwlock_tryrdlock, __pthread_rwlock_tryrdlock);
SHIM_ALIAS(pthread_rwlock_trywrlock, __pthread_rwlock_trywrlock);
SHIM_ALIAS(pthread_rwlock_unlock, __pthread_rwlock_unlock);
