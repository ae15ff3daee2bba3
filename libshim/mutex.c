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
 *  - The spin is pause rounds only (shim_spin_pause, ~1 us), never the
 *    sched_yield phase of the other objects: a mutex holder re-takes the
 *    lock at once, so with more threads than cores a yield mostly runs
 *    another waiter, which spins and yields back.  4 threads hammering
 *    one std::mutex on 2 cores made 60-70k sched_yield calls (as many
 *    context switches) per 4M acquisitions, and the runs took longer
 *    the more they made; parking instead takes the waiter off the CPU
 *    until an unlock wakes it.
 *  - Unlock: one CAS LOCKED -> 0, inline.  If PARKED is set, the slow path
 *    unparks one thread; the callback, still under the bucket lock, writes
 *    the new word: PARKED if threads remain queued, else 0.
 *  - Fairness: an unlocked mutex may be taken by a running thread before
 *    the thread just woken gets there (barging); that keeps the lock hot
 *    but could starve the woken thread.  A lock call that is still
 *    waiting MUTEX_STARVING_NS after its first park parks again with
 *    PARK_STARVING: the park layer queues it ahead of the others, and the
 *    unlock that dequeues it (r.starving) leaves the word LOCKED and hands
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
 * Robust mutexes (PTHREAD_MUTEX_ROBUST) keep glibc's object layout and
 * protocol word for word, because the kernel takes part and because a
 * process-shared one may be used by plain glibc processes at the same
 * time.  The lock word is the owner's tid, with FUTEX_WAITERS ("threads
 * may sleep on this word") and FUTEX_OWNER_DIED.  Each thread registers
 * a robust list with the kernel (glibc for its threads, tcb.c for ours);
 * a robust mutex is linked into its owner's list while held, and when a
 * thread dies the kernel walks its list, marks every word that still
 * holds its tid FUTEX_OWNER_DIED and wakes one waiter.
 *
 *  - The list is glibc's: it links the address of each mutex's __next
 *    word (the kernel finds the lock word at futex_offset, -32, from it),
 *    with a __prev word beside it so unlock unlinks in O(1).  The kernel
 *    follows only next links.  list_op_pending names the mutex being
 *    taken or released, set before the lock word changes and cleared
 *    after the list is right again, so a thread that dies in between
 *    still has the mutex released.  The kernel reads these words only
 *    once the thread is dead, as a signal handler would on the thread
 *    itself, so a signal fence orders them.
 *  - Waiting: the kernel's dead-owner wake-up is a shared futex wake on
 *    the lock word, so robust waiters cannot use the park layer: like a
 *    process-shared mutex's, they sleep with lwp_wait_addr(shared=true) on
 *    the word, after setting FUTEX_WAITERS, and unlock wakes one if that
 *    bit was set.  A woken waiter takes the word with FUTEX_WAITERS set
 *    again, since others may still sleep.  glibc marks every robust mutex
 *    process-shared for this reason; so does libshim, and condition
 *    variables therefore never requeue onto one (mutex_is_pshared).
 *  - __owner is the tid while consistent; the next locker after a death
 *    takes the word, gets EOWNERDEAD and finds __owner INCONSISTENT until
 *    pthread_mutex_consistent.  Unlocking it still inconsistent leaves
 *    __owner NOTRECOVERABLE: each later locker takes the word, sees that,
 *    releases it and reports ENOTRECOVERABLE.
 *  - Results are glibc 2.36's, measured, with three deliberate
 *    differences where glibc leaves a mutex broken: trylock of an
 *    unrecoverable mutex releases the word (glibc leaves it locked by
 *    the caller, off its robust list), pthread_mutex_consistent answers
 *    EINVAL to a thread that does not hold the mutex (glibc makes the
 *    caller the owner, so the holder of a recursive one can never unlock
 *    it), and pthread_mutex_destroy answers EBUSY while it is held, as for
 *    other mutexes (glibc destroys it, leaving it on its owner's list).
 *
 * Priority-inheritance mutexes (PTHREAD_PRIO_INHERIT) are glibc's too,
 * word for word, because the kernel implements the protocol: the lock
 * word is the owner's tid with FUTEX_WAITERS and FUTEX_OWNER_DIED, like a
 * robust mutex's, and the kernel reads and writes it.
 *
 *  - Lock: the CAS 0 -> tid; otherwise FUTEX_LOCK_PI, and the kernel
 *    queues the caller by priority, lends that priority to the owner
 *    (and to whatever the owner waits for), and returns once it has
 *    written the caller's tid into the word.  A deadline on
 *    CLOCK_MONOTONIC needs FUTEX_LOCK_PI2 (Linux 5.14; before it EINVAL,
 *    as glibc); FUTEX_LOCK_PI measures CLOCK_REALTIME.
 *  - Unlock: the CAS tid -> 0; if FUTEX_WAITERS is set, FUTEX_UNLOCK_PI,
 *    and the kernel hands the word to the waiter of highest priority.
 *  - Waiting therefore happens in the kernel, not in the park layer: the
 *    third exception, after process-shared and robust mutexes, and the
 *    reason condition variables never requeue onto one (mutex_is_pshared).
 *    Only the kernel can boost the owner, and only while it knows who
 *    waits.
 *  - Combined with robust, the mutex is on its owner's robust list with
 *    bit 0 of its link set (and of list_op_pending while it is taken or
 *    released), which tells the kernel to treat the word as a PI futex
 *    when the owner dies: it marks it FUTEX_OWNER_DIED and hands it to a
 *    waiter, whom the bit tells EOWNERDEAD.  __owner, __count, the list
 *    and EOWNERDEAD/ENOTRECOVERABLE are the robust code's above.
 *  - Errors as glibc: ERRORCHECK relocks get EDEADLK (from trylock too,
 *    where a plain one says EBUSY), RECURSIVE ones count up to EAGAIN,
 *    every type's unlock checks the word (EPERM).  A NORMAL or ADAPTIVE
 *    relock reaches the kernel, which refuses it with EDEADLK; so it does
 *    a lock whose owner is gone (ESRCH).  glibc then waits for ever, or
 *    until the deadline and ETIMEDOUT, and so does libshim (pi_stuck,
 *    parked on an address nobody unparks).  EDEADLK through a chain of
 *    mutexes, for ERRORCHECK and RECURSIVE, fails an assertion in glibc;
 *    here it is returned.  A deadline is checked by the kernel, only when
 *    the lock must wait: EINVAL out of range, negative too.
 *
 * Priority-protection mutexes (PTHREAD_PRIO_PROTECT) also keep glibc's
 * protocol, so that a process-shared one works between libshim and glibc
 * processes: the word holds the ceiling in its high bits (19 and up) and
 * below them 0 (free), 1 (held) or 2 (held, threads may sleep on it).
 *
 *  - A locker first raises itself to the ceiling, then takes the word,
 *    so the holder always runs at least at the ceiling.  Each thread
 *    counts the PP mutexes it holds per ceiling (struct pp_state, in
 *    static TLS) and runs at max(its own priority, the highest ceiling
 *    it holds), set with sched_setscheduler in its own policy, exactly
 *    as glibc's __pthread_tpp_change_priority: a SCHED_OTHER thread
 *    cannot be raised (EINVAL), an unprivileged one beyond RLIMIT_RTPRIO
 *    neither (EPERM), and a thread whose own priority is above the
 *    ceiling gets EINVAL (POSIX).  Unlocking lowers it again when the
 *    highest ceiling held drops.
 *  - pthread_setschedparam and pthread_setschedprio of the calling
 *    thread while it holds PP mutexes set its own priority (ps_prio,
 *    reported by pthread_getschedparam, returned to at unlock, compared
 *    with the next ceiling) and run it at the higher of that and the
 *    highest ceiling held, as glibc's do (mutex_pp_setsched).  Aimed at
 *    another thread, they set the kernel's priority as asked: its
 *    pp_state is in its own TLS, where glibc's is in its descriptor.
 *  - Contended, the waiter marks the word 2 and sleeps on it with
 *    lwp_wait_addr, shared for a process-shared mutex: the fourth
 *    exception to the park layer, for glibc's sake, and again a mutex a
 *    condition variable does not requeue onto.  Unlock wakes one sleeper.
 *  - pthread_mutex_setprioceiling takes the word without raising the
 *    caller, stores the new ceiling with the word free and wakes every
 *    sleeper, who retake it at the new ceiling; on a RECURSIVE mutex the
 *    caller holds it keeps the word held and recounts the caller.
 *  - Differences from glibc, each where glibc leaves the thread's
 *    priority wrong: a failed raise is undone (glibc keeps the count,
 *    so its next lock "succeeds" without raising), a lock that times out
 *    lowers the thread again (glibc's stays raised), and unlocking a
 *    NORMAL mutex the caller did not lock leaves the caller's counts
 *    alone (glibc's wrap).  The thread's own priority is read from the
 *    kernel whenever it holds no PP mutex; a pthread_setschedparam while
 *    it holds one is undone by the last unlock (glibc's records it).
 *
 * Robust, PI and PP kinds all fail kind_valid, so the fast and slow paths
 * of the other kinds are untouched: the full_* functions are reached
 * only where those paths would have reported EINVAL.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "compat/lwp.h"
#include "libshim/mutex.h"
#include "libshim/park.h"
#include "libshim/profile.h"
#include "libshim/shim.h"
#include "libshim/thread.h"
#include "libshim/vg.h"

#define NOINLINE __attribute__((noinline))
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* __kind (glibc nptl/pthreadP.h). */
#define KIND_TYPE_MASK     3   /* PTHREAD_MUTEX_NORMAL .. ADAPTIVE_NP */
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

/* How long a lock call waits, from its first park, before it asks the
 * unlocker for a hand-off (PARK_STARVING): see "Fairness" above. */
#define MUTEX_STARVING_NS 1000000u

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
			if (shim_spin_pause(&spins)) {
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

/* An ERRORCHECK or RECURSIVE m that the caller already holds. */
static int owner_relock(struct shim_mutex *m, int type)
{
	return type == PTHREAD_MUTEX_ERRORCHECK ? EDEADLK : recurse(m);
}

/* ---- robust mutexes ---------------------------------------------- */

/* __owner of a robust mutex that is not simply held (glibc's
 * PTHREAD_MUTEX_INCONSISTENT and PTHREAD_MUTEX_NOTRECOVERABLE). */
#define OWNER_INCONSISTENT   INT_MAX
#define OWNER_NOTRECOVERABLE (INT_MAX - 1)

/* The lock word's bits, as the kernel defines them. */
#define WORD_WAITERS    ((int)FUTEX_WAITERS)
#define WORD_OWNER_DIED ((int)FUTEX_OWNER_DIED)
#define WORD_TID        ((int)FUTEX_TID_MASK)

/* The robust list's futex_offset, as glibc registers it, is -32. */
_Static_assert(offsetof(struct shim_mutex, m_list[1]) -
			       offsetof(struct shim_mutex, m_lock) == 32,
	       "lock word 32 bytes before the list's next word");

/* A robust kind: a type, marked robust (and process-shared), with
 * elision hints ignored.  A destroyed mutex (kind -1) is not one. */
static bool kind_is_robust(int kind)
{
	return (kind & MUTEX_KIND_ROBUST) &&
	       (kind & ~(KIND_TYPE_MASK | MUTEX_KIND_ROBUST |
			 MUTEX_KIND_PSHARED | KIND_ELISION_FLAGS)) == 0;
}

/* The word the robust list links: the mutex's __next. */
static void *robust_node(struct shim_mutex *m)
{
	return &m->m_list[1];
}

/* Every node's __prev word sits just before its __next word; the head's
 * is struct pthread's robust_prev, just before robust_head (tcb.c). */
static void **node_prev(void *node)
{
	return (void **)node - 1;
}

/* Bit 0 of a next link (and of list_op_pending) tells the kernel the
 * node's lock word is a PI futex.  __prev words are never marked. */
static void *node_unmark(void *link)
{
	return (void *)((uintptr_t)link & ~(uintptr_t)1);
}

/* How the list and list_op_pending name m: its node, marked if PI. */
static void *robust_link(struct shim_mutex *m)
{
	uintptr_t pi = (load_kind(m) & MUTEX_KIND_PI) != 0;
	return (void *)((uintptr_t)robust_node(m) | pi);
}

/* Ordered before what follows: see the top of this file. */
static void pending_set(struct robust_list_head *h, struct shim_mutex *m)
{
	h->list_op_pending = robust_link(m);
	atomic_signal_fence(memory_order_seq_cst);
}

/* Ordered after what precedes. */
static void pending_clear(struct robust_list_head *h)
{
	atomic_signal_fence(memory_order_seq_cst);
	h->list_op_pending = NULL;
}

/* Link m first in the caller's list (m is held and pending). */
static void robust_enqueue(struct robust_list_head *h, struct shim_mutex *m)
{
	void *first = h->list.next;
	*node_prev(node_unmark(first)) = robust_node(m);
	m->m_list[1] = first;
	m->m_list[0] = &h->list;
	/* Complete before the kernel can reach it. */
	atomic_signal_fence(memory_order_seq_cst);
	h->list.next = robust_link(m);
}

/* Unlink m from the caller's list (m is held and pending). */
static void robust_dequeue(struct shim_mutex *m)
{
	void *next = m->m_list[1], *prev = m->m_list[0];
	*node_prev(node_unmark(next)) = prev;
	*(void **)prev = next;
	/* Out of the list before its own link, which the kernel follows,
	 * is cleared. */
	atomic_signal_fence(memory_order_seq_cst);
	m->m_list[0] = m->m_list[1] = NULL;
}

static void pi_release_word(struct shim_mutex *m, int kind);

/* Free the lock word; wake one sleeper if any may sleep (a PI mutex: the
 * kernel hands it over).  After this the mutex may be gone (taken,
 * destroyed, unmapped by another thread). */
static void robust_release_word(struct shim_mutex *m)
{
	int kind = load_kind(m);
	if (kind & MUTEX_KIND_PI)
		pi_release_word(m, kind);
	else if (atomic_exchange_explicit(&m->m_lock, 0,
					  memory_order_release) &
		 WORD_WAITERS)
		lwp_wake_addr(&m->m_lock, 1, true);
}

/*
 * The word was just taken (pending still set): from a dead owner
 * (owner_died), or freely, in which case the mutex may have been left
 * unrecoverable.  Returns what the locking call returns.
 */
static int robust_taken(struct robust_list_head *h, struct shim_mutex *m,
			pid_t self, bool owner_died)
{
	int r;
	if (!owner_died && load_owner(m) == OWNER_NOTRECOVERABLE) {
		m->m_count = 0;
		robust_release_word(m);
		r = ENOTRECOVERABLE;
	} else {
		m->m_count = 1; /* a recursive one starts over, even so */
		atomic_store_explicit(&m->m_owner,
				      owner_died ? OWNER_INCONSISTENT : self,
				      memory_order_relaxed);
		robust_enqueue(h, m);
		r = owner_died ? EOWNERDEAD : 0;
	}
	pending_clear(h);
	return r;
}

NOINLINE static int robust_lock(struct shim_mutex *m, int kind,
				const struct timespec *abstime, clockid_t clock)
{
	struct robust_list_head *h = tcb_robust_head();
	pid_t self = shim_tid();
	int type = kind_type(kind);
	/* Once we have slept, others may sleep too: keep FUTEX_WAITERS set
	 * in the word we take, or their wake-up would be lost. */
	int keep_waiters = 0;
	unsigned spins = 0;
	int r = 0;
	pending_set(h, m);
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	for (;;) {
		if (s == 0 || (s & WORD_OWNER_DIED)) {
			int mine = self | (s & WORD_WAITERS) | keep_waiters;
			if (atomic_compare_exchange_weak_explicit(
				    &m->m_lock, &s, mine, memory_order_acquire,
				    memory_order_relaxed))
				return robust_taken(h, m, self,
						    s & WORD_OWNER_DIED);
			continue;
		}
		/* NORMAL and ADAPTIVE wait for themselves, as in glibc: a
		 * deadlock, or a timeout. */
		if ((s & WORD_TID) == self && type_tracks_owner(type)) {
			r = owner_relock(m, type);
			break;
		}
		if (abstime != NULL && !shim_timespec_valid(abstime)) {
			r = EINVAL; /* only now: the call would block */
			break;
		}
		if (abstime != NULL && abstime->tv_sec < 0) {
			r = ETIMEDOUT; /* the kernel refuses such a deadline */
			break;
		}
		if (!(s & WORD_WAITERS)) {
			if (shim_spin(&spins)) {
				s = atomic_load_explicit(&m->m_lock,
							 memory_order_relaxed);
				continue;
			}
			if (!atomic_compare_exchange_weak_explicit(
				    &m->m_lock, &s, s | WORD_WAITERS,
				    memory_order_relaxed, memory_order_relaxed))
				continue;
			s |= WORD_WAITERS;
		}
		keep_waiters = WORD_WAITERS;
		if (lwp_wait_addr(&m->m_lock, s, abstime, clock, true) ==
		    ETIMEDOUT) {
			r = ETIMEDOUT;
			break;
		}
		s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	}
	pending_clear(h);
	return r;
}

NOINLINE static int robust_trylock(struct shim_mutex *m, int kind)
{
	struct robust_list_head *h = tcb_robust_head();
	pid_t self = shim_tid();
	pending_set(h, m);
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	while (s == 0 || (s & WORD_OWNER_DIED)) {
		/* Not FUTEX_WAITERS when free: a sleeper that was woken
		 * sets it again before it sleeps. */
		if (atomic_compare_exchange_weak_explicit(
			    &m->m_lock, &s, self | (s & WORD_WAITERS),
			    memory_order_acquire, memory_order_relaxed))
			return robust_taken(h, m, self, s & WORD_OWNER_DIED);
	}
	pending_clear(h);
	int type = kind_type(kind);
	if ((s & WORD_TID) == self && type_tracks_owner(type))
		return owner_relock(m, type); /* EDEADLK, as glibc's */
	return EBUSY;
}

/* Release m, held by the caller (listed), for good. */
static void robust_release(struct shim_mutex *m)
{
	struct robust_list_head *h = tcb_robust_head();
	int owner = load_owner(m);
	pending_set(h, m);
	robust_dequeue(m);
	/* Read by the next locker after it takes the word (acquire). */
	atomic_store_explicit(&m->m_owner,
			      owner == OWNER_INCONSISTENT ? OWNER_NOTRECOVERABLE
							  : 0,
			      memory_order_relaxed);
	robust_release_word(m);
	pending_clear(h);
}

/* Robust and PI mutexes: the lock word names its owner. */
static bool word_held_by_caller(struct shim_mutex *m)
{
	return (atomic_load_explicit(&m->m_lock, memory_order_relaxed) &
		WORD_TID) == shim_tid();
}

NOINLINE static int robust_unlock(struct shim_mutex *m, int kind)
{
	/* Every type checks, as in glibc (NORMAL too): EPERM. */
	if (!word_held_by_caller(m))
		return EPERM;
	if (kind_type(kind) == PTHREAD_MUTEX_RECURSIVE && --m->m_count != 0)
		return load_owner(m) == OWNER_INCONSISTENT ? ENOTRECOVERABLE
							   : 0;
	robust_release(m);
	return 0;
}

/* ---- priority-inheritance mutexes -------------------------------- */

/* A PI kind: a type, marked PI, optionally robust and process-shared,
 * with elision hints ignored. */
static bool kind_is_pi(int kind)
{
	return (kind & MUTEX_KIND_PI) &&
	       (kind & ~(KIND_TYPE_MASK | MUTEX_KIND_PI | MUTEX_KIND_ROBUST |
			 MUTEX_KIND_PSHARED | KIND_ELISION_FLAGS)) == 0;
}

/* Queue in the kernel until the word is ours.  FUTEX_LOCK_PI measures
 * a deadline on CLOCK_REALTIME only; FUTEX_LOCK_PI2 (Linux 5.14) on
 * CLOCK_MONOTONIC when not told otherwise.  The kernel checks the
 * deadline itself: EINVAL for one out of range, as glibc returns. */
static int pi_kernel_lock(struct shim_mutex *m, int kind,
			  const struct timespec *abstime, clockid_t clock)
{
	if (abstime != NULL && clock == CLOCK_MONOTONIC) {
		int e = lwp_pi_lock(&m->m_lock, abstime, clock,
				    kind & MUTEX_KIND_PSHARED);
		return e == ENOSYS ? EINVAL : e; /* glibc's answer without */
	}
	return lwp_pi_lock(&m->m_lock, abstime, clock,
			   kind & MUTEX_KIND_PSHARED);
}

static bool park_always(void *ctx)
{
	(void)ctx;
	return true;
}

/* glibc's answer when the kernel will not queue a waiter (EDEADLK: the
 * caller holds the mutex, or a chain of PI mutexes leads back to it;
 * ESRCH: the owner named in the word is gone): wait for ever, or until
 * the deadline.  The key is an address no unpark ever names. */
static int pi_stuck(const struct timespec *abstime, clockid_t clock)
{
	char key;
	for (;;)
		if (park_wait(&key, park_always, NULL, NULL, NULL, abstime,
			      clock, PARK_ASYNC_CANCEL | PARK_KIND(PROF_MUTEX),
			      NULL) == ETIMEDOUT)
			return ETIMEDOUT;
}

/* Make m's word ours: the CAS 0 -> tid, or the kernel. */
static int pi_acquire(struct shim_mutex *m, int kind, pid_t self,
		      const struct timespec *abstime, clockid_t clock)
{
	for (;;) {
		int c = 0;
		if (atomic_compare_exchange_strong_explicit(
			    &m->m_lock, &c, self, memory_order_acquire,
			    memory_order_relaxed))
			return 0;
		int e = pi_kernel_lock(m, kind, abstime, clock);
		switch (e) {
		case EAGAIN: /* both listed by glibc; today the kernel */
		case EINTR:  /* retries them itself */
			continue;
		case EDEADLK:
			/* Through other mutexes (the caller's own relock was
			 * caught before): glibc fails an assertion here. */
			if (type_tracks_owner(kind_type(kind)))
				return EDEADLK;
			return pi_stuck(abstime, clock);
		case ESRCH:
			return pi_stuck(abstime, clock);
		default:
			return e; /* 0, ETIMEDOUT, EINVAL */
		}
	}
}

/* The word is ours (list_op_pending set if robust): finish the lock.
 * The kernel leaves FUTEX_OWNER_DIED in the word for the taker; it can
 * only add FUTEX_WAITERS meanwhile, hence the atomic AND. */
static int pi_taken(struct robust_list_head *h, struct shim_mutex *m,
		    pid_t self)
{
	bool owner_died = atomic_load_explicit(&m->m_lock,
					       memory_order_relaxed) &
			  WORD_OWNER_DIED;
	if (owner_died)
		atomic_fetch_and_explicit(&m->m_lock, ~WORD_OWNER_DIED,
					  memory_order_relaxed);
	if (h != NULL)
		return robust_taken(h, m, self, owner_died);
	m->m_count = 1;
	atomic_store_explicit(&m->m_owner, self, memory_order_relaxed);
	return 0;
}

NOINLINE static int pi_lock(struct shim_mutex *m, int kind,
			    const struct timespec *abstime, clockid_t clock)
{
	pid_t self = shim_tid();
	int type = kind_type(kind);
	/* NORMAL and ADAPTIVE go on to the kernel's EDEADLK: see pi_stuck. */
	if (word_held_by_caller(m) && type_tracks_owner(type))
		return owner_relock(m, type);
	struct robust_list_head *h =
		(kind & MUTEX_KIND_ROBUST) ? tcb_robust_head() : NULL;
	if (h != NULL)
		pending_set(h, m);
	int r = pi_acquire(m, kind, self, abstime, clock);
	if (r == 0)
		return pi_taken(h, m, self);
	if (h != NULL)
		pending_clear(h);
	return r;
}

NOINLINE static int pi_trylock(struct shim_mutex *m, int kind)
{
	pid_t self = shim_tid();
	int type = kind_type(kind);
	/* EDEADLK for ERRORCHECK, as glibc's PI trylock (not EBUSY). */
	if (word_held_by_caller(m) && type_tracks_owner(type))
		return owner_relock(m, type);
	struct robust_list_head *h =
		(kind & MUTEX_KIND_ROBUST) ? tcb_robust_head() : NULL;
	if (h != NULL)
		pending_set(h, m);
	int c = 0;
	/* A dead owner's word may have a waiter the kernel is handing it
	 * to: only the kernel may take it (EAGAIN while it is doing so). */
	if (atomic_compare_exchange_strong_explicit(
		    &m->m_lock, &c, self, memory_order_acquire,
		    memory_order_relaxed) ||
	    ((c & WORD_OWNER_DIED) &&
	     lwp_pi_trylock(&m->m_lock, kind & MUTEX_KIND_PSHARED) == 0))
		return pi_taken(h, m, self);
	if (h != NULL)
		pending_clear(h);
	return EBUSY;
}

/* Free a PI word the caller holds: the CAS tid -> 0 when nobody waits,
 * else the kernel hands it to the waiter of highest priority. */
static void pi_release_word(struct shim_mutex *m, int kind)
{
	int c = shim_tid();
	if (!atomic_compare_exchange_strong_explicit(&m->m_lock, &c, 0,
						     memory_order_release,
						     memory_order_relaxed))
		lwp_pi_unlock(&m->m_lock, kind & MUTEX_KIND_PSHARED);
}

/* Release a non-robust PI m, held by the caller, for good. */
static void pi_release(struct shim_mutex *m, int kind)
{
	atomic_store_explicit(&m->m_owner, 0, memory_order_relaxed);
	pi_release_word(m, kind);
}

NOINLINE static int pi_unlock(struct shim_mutex *m, int kind)
{
	/* Every type checks, as in glibc (NORMAL too): EPERM. */
	if (!word_held_by_caller(m))
		return EPERM;
	if (kind_type(kind) == PTHREAD_MUTEX_RECURSIVE && --m->m_count != 0)
		return 0;
	pi_release(m, kind);
	return 0;
}

/* ---- priority-protection mutexes --------------------------------- */

/*
 * The word: the ceiling in the high bits, below them PP_FREE, PP_HELD or
 * PP_SLEEPERS (held, threads may sleep on the word), glibc's protocol,
 * so a process-shared one works between libshim and glibc processes.
 */
#define PP_CEILING_SHIFT 19
#define PP_CEILING_MASK  ((int)0xfff80000)
enum { PP_FREE, PP_HELD, PP_SLEEPERS };

/* SCHED_FIFO's highest priority on Linux: the last ceiling a mutex can
 * have (pthread_mutex[attr]_setprioceiling check the range). */
#define PP_PRIO_MAX 99

/*
 * The calling thread's share in priority protection (glibc's struct
 * priority_protection_data): how many PP mutexes it holds at each
 * ceiling, and while it holds any, the highest of them and the policy
 * and priority it runs at without them.  Per thread in static TLS: no
 * allocation to fail on a lock and nothing to free at thread exit.
 */
struct pp_state {
	unsigned ps_held[PP_PRIO_MAX + 1];
	int ps_top;    /* highest ceiling held; 0: none held */
	int ps_policy; /* as sched_getscheduler reported it */
	int ps_prio;   /* the thread's own priority */
};
static __thread struct pp_state pp_self
	__attribute__((tls_model("initial-exec")));

static bool kind_is_pp(int kind)
{
	return (kind & MUTEX_KIND_PP) &&
	       (kind & ~(KIND_TYPE_MASK | MUTEX_KIND_PP | MUTEX_KIND_PSHARED |
			 KIND_ELISION_FLAGS)) == 0;
}

static int pp_ceiling(int word)
{
	return (int)((unsigned)word >> PP_CEILING_SHIFT);
}

/* A ceiling pthread_mutex[attr]_setprioceiling accept: a SCHED_FIFO
 * priority that fits the attribute's field, as glibc checks. */
static bool ceiling_valid(int c)
{
	int field = ATTR_CEILING_MASK >> ATTR_CEILING_SHIFT;
	return c >= sched_get_priority_min(SCHED_FIFO) &&
	       c <= sched_get_priority_max(SCHED_FIFO) && (c & field) == c;
}

/* Learn the thread's own scheduling, unless it is raised now (then the
 * kernel reports the raised priority, and ps_prio is still right). */
static int pp_load_base(struct pp_state *ps)
{
	if (ps->ps_top != 0)
		return 0;
	struct sched_param p;
	int e = lwp_getparam(0, &ps->ps_policy, &p);
	if (e != 0)
		return e;
	ps->ps_prio = p.sched_priority;
	return 0;
}

static int pp_highest_held(const struct pp_state *ps, int from)
{
	while (from > 0 && ps->ps_held[from] == 0)
		from--;
	return from;
}

/* Run at max(own priority, top), as glibc: with the thread's own policy,
 * so a SCHED_OTHER thread cannot be raised (EINVAL), nor one beyond
 * RLIMIT_RTPRIO without CAP_SYS_NICE (EPERM). */
static int pp_run_at(struct pp_state *ps, int top)
{
	int had = ps->ps_top > ps->ps_prio ? ps->ps_top : ps->ps_prio;
	int want = top > ps->ps_prio ? top : ps->ps_prio;
	if (want != had) {
		struct sched_param p = { .sched_priority = want };
		int e = lwp_setparam(0, ps->ps_policy, &p);
		if (e != 0)
			return e;
		shim_sched_changed(shim_self());
	}
	ps->ps_top = top;
	return 0;
}

/*
 * glibc's __pthread_tpp_change_priority: count one mutex less at ceiling
 * drop and one more at ceiling take (0: none), and move the thread's
 * priority to match.  On failure nothing changes (glibc keeps the counts
 * it could not apply, so that a second attempt "succeeds" unraised).
 * A drop that was never counted -- a NORMAL mutex unlocked by a thread
 * that did not lock it -- is ignored rather than wrapping the count.
 */
static int pp_change(struct pp_state *ps, int drop, int take)
{
	if (take != 0 && ps->ps_held[take] == UINT_MAX)
		return EAGAIN;
	if (drop != 0 && ps->ps_held[drop] == 0)
		drop = 0;
	if (take != 0)
		ps->ps_held[take]++;
	if (drop != 0)
		ps->ps_held[drop]--;
	int from = take > ps->ps_top ? take : ps->ps_top;
	int r = pp_run_at(ps, pp_highest_held(ps, from));
	if (r != 0) {
		if (take != 0)
			ps->ps_held[take]--;
		if (drop != 0)
			ps->ps_held[drop]++;
	}
	return r;
}

/* Count ceiling as held, instead of prev (0: none), raising the thread:
 * EINVAL if its own priority is above the ceiling (POSIX), or if the
 * ceiling is not one a mutex can have. */
static int pp_enter(struct pp_state *ps, int prev, int ceiling)
{
	if (ceiling < 1 || ceiling > PP_PRIO_MAX)
		return EINVAL;
	int r = pp_load_base(ps);
	if (r != 0)
		return r;
	if (ps->ps_prio > ceiling)
		return EINVAL;
	return pp_change(ps, prev, ceiling);
}

/*
 * Take the word at the ceiling *seen holds, sleeping on the word while
 * it is held (shared if the mutex is).  EAGAIN: the ceiling changed
 * meanwhile (pthread_mutex_setprioceiling), *seen is the new word.
 * Once it has slept it takes the word as PP_SLEEPERS: others may sleep.
 */
static int pp_take_word(struct shim_mutex *m, int *seen, bool shared,
			const struct timespec *abstime, clockid_t clock)
{
	int cv = *seen & PP_CEILING_MASK;
	int mine = PP_HELD;
	int s = *seen;
	for (;;) {
		if ((s & PP_CEILING_MASK) != cv) {
			*seen = s;
			return EAGAIN;
		}
		if (s == cv) {
			if (atomic_compare_exchange_weak_explicit(
				    &m->m_lock, &s, cv | mine,
				    memory_order_acquire, memory_order_relaxed))
				return 0;
			continue;
		}
		if (abstime != NULL && !shim_timespec_valid(abstime))
			return EINVAL; /* only now: the call would block */
		if (abstime != NULL && abstime->tv_sec < 0)
			return ETIMEDOUT; /* as glibc's futex wait */
		if (s != (cv | PP_SLEEPERS) &&
		    !atomic_compare_exchange_weak_explicit(
			    &m->m_lock, &s, cv | PP_SLEEPERS,
			    memory_order_relaxed, memory_order_relaxed))
			continue;
		mine = PP_SLEEPERS;
		if (lwp_wait_addr(&m->m_lock, cv | PP_SLEEPERS, abstime, clock,
				  shared) == ETIMEDOUT)
			return ETIMEDOUT;
		s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	}
}

NOINLINE static int pp_lock(struct shim_mutex *m, int kind,
			    const struct timespec *abstime, clockid_t clock)
{
	pid_t self = shim_tid();
	int type = kind_type(kind);
	if (load_owner(m) == self && type_tracks_owner(type))
		return owner_relock(m, type);
	struct pp_state *ps = &pp_self;
	int counted = 0; /* the ceiling we count ourselves under */
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	int r;
	do {
		/* Raised before taking the word, as glibc: the holder of a
		 * PP mutex always runs at its ceiling. */
		r = pp_enter(ps, counted, pp_ceiling(s));
		if (r != 0)
			break;
		counted = pp_ceiling(s);
		r = pp_take_word(m, &s, kind & MUTEX_KIND_PSHARED, abstime,
				 clock);
	} while (r == EAGAIN);
	if (r != 0) {
		/* glibc stays raised after a timeout; not so here. */
		if (counted != 0)
			pp_change(ps, counted, 0);
		return r;
	}
	m->m_count = 1;
	atomic_store_explicit(&m->m_owner, self, memory_order_relaxed);
	return 0;
}

NOINLINE static int pp_trylock(struct shim_mutex *m, int kind)
{
	pid_t self = shim_tid();
	int type = kind_type(kind);
	/* EDEADLK for ERRORCHECK, as glibc's PP trylock (not EBUSY). */
	if (load_owner(m) == self && type_tracks_owner(type))
		return owner_relock(m, type);
	struct pp_state *ps = &pp_self;
	int counted = 0;
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	for (;;) {
		int r = pp_enter(ps, counted, pp_ceiling(s));
		if (r != 0) {
			if (counted != 0)
				pp_change(ps, counted, 0);
			return r;
		}
		counted = pp_ceiling(s);
		int cv = s & PP_CEILING_MASK;
		s = cv;
		if (atomic_compare_exchange_strong_explicit(
			    &m->m_lock, &s, cv | PP_HELD, memory_order_acquire,
			    memory_order_relaxed))
			break;
		if ((s & PP_CEILING_MASK) == cv) {
			pp_change(ps, counted, 0);
			return EBUSY;
		}
	}
	m->m_count = 1;
	atomic_store_explicit(&m->m_owner, self, memory_order_relaxed);
	return 0;
}

/* Free the word (waking one sleeper if any may sleep); 0, or the error
 * of restoring the thread's priority, which pthread_mutex_unlock
 * returns as glibc's does (the mutex is unlocked all the same). */
static int pp_release(struct shim_mutex *m, int kind)
{
	atomic_store_explicit(&m->m_owner, 0, memory_order_relaxed);
	int s = atomic_fetch_and_explicit(&m->m_lock, PP_CEILING_MASK,
					  memory_order_release);
	if ((s & ~PP_CEILING_MASK) > PP_HELD)
		lwp_wake_addr(&m->m_lock, 1, kind & MUTEX_KIND_PSHARED);
	return pp_change(&pp_self, pp_ceiling(s), 0);
}

NOINLINE static int pp_unlock(struct shim_mutex *m, int kind)
{
	/* NORMAL and ADAPTIVE do not check, as in glibc. */
	int type = kind_type(kind);
	if (type_tracks_owner(type)) {
		if (load_owner(m) != shim_tid())
			return EPERM;
		if (type == PTHREAD_MUTEX_RECURSIVE && --m->m_count != 0)
			return 0;
	}
	return pp_release(m, kind);
}

/*
 * The calling thread's own scheduling while it holds PP mutexes, as
 * glibc's pthread_setschedparam and pthread_getschedparam keep it: a
 * change runs the thread at max(new priority, highest ceiling held) and
 * is remembered as its own, which pthread_getschedparam reports and
 * unlocking returns to.
 */
int mutex_pp_setsched(int policy, int prio)
{
	struct pp_state *ps = &pp_self;
	if (ps->ps_top == 0)
		return -1;
	struct sched_param p = {
		.sched_priority = ps->ps_top > prio ? ps->ps_top : prio };
	int e = lwp_setparam(0, policy, &p);
	if (e != 0)
		return e;
	ps->ps_policy = policy;
	ps->ps_prio = prio;
	shim_sched_changed(shim_self());
	return 0;
}

bool mutex_pp_getsched(int *policy, int *prio)
{
	const struct pp_state *ps = &pp_self;
	if (ps->ps_top == 0)
		return false;
	*policy = ps->ps_policy;
	*prio = ps->ps_prio;
	return true;
}

/* ---- the kinds outside kind_valid -------------------------------- */

/* Robust and PI-robust: the ones on the owner's robust list. */
static bool kind_has_robust_list(int kind)
{
	return (kind & MUTEX_KIND_ROBUST) &&
	       (kind_is_robust(kind) || kind_is_pi(kind));
}

static bool kind_known(int kind)
{
	return kind_valid(kind) || kind_is_robust(kind) || kind_is_pi(kind) ||
	       kind_is_pp(kind);
}

/* glibc's __pthread_mutex_lock_full: robust, PI and PP mutexes; EINVAL
 * for anything else (a destroyed mutex too). */
NOINLINE static int full_lock(struct shim_mutex *m, int kind,
		     const struct timespec *abstime, clockid_t clock)
{
	if (kind_is_robust(kind))
		return robust_lock(m, kind, abstime, clock);
	if (kind_is_pi(kind))
		return pi_lock(m, kind, abstime, clock);
	if (kind_is_pp(kind))
		return pp_lock(m, kind, abstime, clock);
	return EINVAL;
}

NOINLINE static int full_trylock(struct shim_mutex *m, int kind)
{
	if (kind_is_robust(kind))
		return robust_trylock(m, kind);
	if (kind_is_pi(kind))
		return pi_trylock(m, kind);
	if (kind_is_pp(kind))
		return pp_trylock(m, kind);
	return EINVAL;
}

NOINLINE static int full_unlock(struct shim_mutex *m, int kind)
{
	if (kind_has_robust_list(kind))
		return robust_unlock(m, kind);
	if (kind_is_pi(kind))
		return pi_unlock(m, kind);
	if (kind_is_pp(kind))
		return pp_unlock(m, kind);
	return EINVAL;
}

/* Release m of a known kind, held by the caller, whatever its depth. */
static void full_release(struct shim_mutex *m, int kind)
{
	if (kind_has_robust_list(kind))
		robust_release(m);
	else if (kind_is_pi(kind))
		pi_release(m, kind);
	else
		pp_release(m, kind);
}

static bool full_locked(struct shim_mutex *m, int kind)
{
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	if (kind_is_robust(kind) || kind_is_pi(kind))
		return (s & WORD_TID) != 0;
	return kind_is_pp(kind) && (s & ~PP_CEILING_MASK) != 0;
}

/* ---- lock, trylock, unlock --------------------------------------- */

NOINLINE static int mutex_lock_slow(struct shim_mutex *m,
				    const struct timespec *abstime,
				    clockid_t clock)
{
	int kind = load_kind(m);
	if (!kind_valid(kind))
		return full_lock(m, kind, abstime, clock);
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
						    memory_order_relaxed))
		return 0;
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
	if (!kind_valid(kind))
		return full_trylock(m, kind);
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
	if (!kind_valid(kind))
		return full_unlock(m, kind);
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

static ALWAYS_INLINE int mutex_unlock(struct shim_mutex *m)
{
	if (__builtin_expect(kind_is_plain(load_kind(m)), 1)) {
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
	if (!kind_known(kind))
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
	__atomic_add_fetch(&m->m_nusers, 1, __ATOMIC_RELAXED);
	int kind = load_kind(m);
	if (!kind_valid(kind)) {
		full_release(m, kind);
		return;
	}
	if (type_tracks_owner(kind_type(kind))) {
		m->m_count = 0;
		atomic_store_explicit(&m->m_owner, 0, memory_order_relaxed);
	}
	word_unlock(m, kind);
}

int mutex_wait_reacquire(struct shim_mutex *m, unsigned depth,
			 uintptr_t token)
{
	int kind = load_kind(m);
	int type = kind_type(kind);
	if (!kind_valid(kind)) {
		/* Never handed off: condvars do not requeue onto these. */
		int r = full_lock(m, kind, NULL, CLOCK_REALTIME);
		if ((r == 0 || r == EOWNERDEAD) &&
		    type == PTHREAD_MUTEX_RECURSIVE)
			m->m_count = depth;
		__atomic_sub_fetch(&m->m_nusers, 1, __ATOMIC_RELAXED);
		return r;
	}
	if (token == MUTEX_TOKEN_RETAKE) /* only a private mutex's unpark */
		private_lock_slow(m, NULL, CLOCK_REALTIME, MUTEX_PARKED);
	else if (token != PARK_TOKEN_HANDOFF)
		word_lock(m, kind, NULL, CLOCK_REALTIME);
	__atomic_sub_fetch(&m->m_nusers, 1, __ATOMIC_RELAXED);
	if (type_tracks_owner(type)) {
		atomic_store_explicit(&m->m_owner, shim_tid(),
				      memory_order_relaxed);
		if (type == PTHREAD_MUTEX_RECURSIVE)
			m->m_count = depth;
	}
	return 0;
}

/* ---- init, destroy, consistent and the PP calls ------------------ */

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
	if (kind_valid(kind) ? word_locked(m, kind) : full_locked(m, kind))
		return EBUSY;
	/* Free, but a condition variable's waiter will take it back: EBUSY
	 * too, as glibc's __nusers count says (not for a robust mutex,
	 * which glibc does not check). */
	if (!(kind & MUTEX_KIND_ROBUST) &&
	    __atomic_load_n(&m->m_nusers, __ATOMIC_RELAXED) != 0)
		return EBUSY;
	vg_destroy(m, PROF_MUTEX);
	/* As glibc: later use of the destroyed mutex answers EINVAL, and
	 * pthread_mutex_init may bring it back. */
	atomic_store_explicit(&m->m_kind, -1, memory_order_relaxed);
	return 0;
}

SHIM_EXPORT int pthread_mutex_consistent(pthread_mutex_t *pm)
{
	struct shim_mutex *m = shim_mutex(pm);
	/* glibc does not check that the caller holds it: see the top. */
	if (!kind_has_robust_list(load_kind(m)) ||
	    load_owner(m) != OWNER_INCONSISTENT || !word_held_by_caller(m))
		return EINVAL;
	atomic_store_explicit(&m->m_owner, shim_tid(), memory_order_relaxed);
	return 0;
}

NP_ALIAS(pthread_mutex_consistent, consistent_np,
	 "pthread_mutex_consistent_np");

SHIM_EXPORT int pthread_mutex_getprioceiling(const pthread_mutex_t *pm,
					     int *prioceiling)
{
	struct shim_mutex *m = shim_mutex((pthread_mutex_t *)pm);
	if (!kind_is_pp(load_kind(m)))
		return EINVAL;
	*prioceiling = pp_ceiling(
		atomic_load_explicit(&m->m_lock, memory_order_relaxed));
	return 0;
}

/*
 * Lock the word without the protocol (the caller's priority need not be
 * below either ceiling), store the new ceiling with the word freed, and
 * wake every sleeper: each takes it at the new ceiling.  A RECURSIVE
 * mutex the caller holds keeps its state, and the caller is recounted
 * under the new ceiling.  NORMAL and ADAPTIVE ones the caller holds wait
 * for themselves, as in glibc.
 */
SHIM_EXPORT int pthread_mutex_setprioceiling(pthread_mutex_t *pm,
					     int prioceiling, int *old)
{
	struct shim_mutex *m = shim_mutex(pm);
	int kind = load_kind(m);
	if (!kind_is_pp(kind) || !ceiling_valid(prioceiling))
		return EINVAL;
	int type = kind_type(kind);
	bool mine = load_owner(m) == shim_tid();
	if (mine && type == PTHREAD_MUTEX_ERRORCHECK)
		return EDEADLK;
	bool shared = kind & MUTEX_KIND_PSHARED;
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	int cv = prioceiling << PP_CEILING_SHIFT;
	if (mine && type == PTHREAD_MUTEX_RECURSIVE) {
		int r = pp_change(&pp_self, pp_ceiling(s), prioceiling);
		if (r != 0)
			return r;
		while (!atomic_compare_exchange_weak_explicit(
			&m->m_lock, &s, cv | (s & ~PP_CEILING_MASK),
			memory_order_relaxed, memory_order_relaxed))
			continue;
	} else {
		while (pp_take_word(m, &s, shared, NULL, CLOCK_REALTIME) ==
		       EAGAIN)
			continue;
		atomic_store_explicit(&m->m_lock, cv, memory_order_release);
	}
	if (old != NULL)
		*old = pp_ceiling(s);
	lwp_wake_addr(&m->m_lock, INT_MAX, shared);
	return 0;
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
	if (!ceiling_valid(prioceiling))
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
