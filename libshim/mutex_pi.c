/*
 * libshim/mutex_pi.c -- priority-inheritance mutexes (PTHREAD_PRIO_INHERIT).
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
 *    reason condition variables never requeue onto one
 *    (mutex_waits_outside_park).
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
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "compat/lwp.h"
#include "libshim/mutex_impl.h"
#include "libshim/park.h"
#include "libshim/profile.h"
#include "libshim/shim.h"

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

/* A robust m is named in list_op_pending while it is taken: its list
 * head, else NULL. */
static struct robust_list_head *pi_pending_set(struct shim_mutex *m,
					       int kind)
{
	if (!(kind & MUTEX_KIND_ROBUST))
		return NULL;
	struct robust_list_head *h = tcb_robust_head();
	pending_set(h, m);
	return h;
}

NOINLINE static int pi_lock(struct shim_mutex *m, int kind,
			    const struct timespec *abstime, clockid_t clock)
{
	pid_t self = shim_tid();
	int type = kind_type(kind);
	/* NORMAL and ADAPTIVE go on to the kernel's EDEADLK: see pi_stuck. */
	if (word_held_by_caller(m) && type_tracks_owner(type))
		return owner_relock(m, type);
	struct robust_list_head *h = pi_pending_set(m, kind);
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
	struct robust_list_head *h = pi_pending_set(m, kind);
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
void pi_release_word(struct shim_mutex *m, int kind)
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

const struct mutex_protocol mutex_pi = {
	.lock = pi_lock,
	.trylock = pi_trylock,
	.unlock = pi_unlock,
	.release = pi_release,
	.locked = robust_word_locked,
};

/* Robust too: on the owner's robust list, so unlocked as a robust one
 * (robust_release frees the word with pi_release_word). */
const struct mutex_protocol mutex_pi_robust = {
	.lock = pi_lock,
	.trylock = pi_trylock,
	.unlock = robust_unlock,
	.release = robust_release,
	.locked = robust_word_locked,
};
