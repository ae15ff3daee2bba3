/*
 * libshim/mutex_robust.c -- robust mutexes (PTHREAD_MUTEX_ROBUST) and
 * pthread_mutex_consistent.
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
 *    variables therefore never requeue onto one
 *    (mutex_waits_outside_park).
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
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

#include "compat/lwp.h"
#include "libshim/mutex_impl.h"
#include "libshim/shim.h"
#include "object_layout.h"

/* The robust list's futex_offset, as glibc registers it: the kernel
 * finds a node's lock word there. */
_Static_assert((long)offsetof(struct shim_mutex, m_lock) -
			       (long)offsetof(struct shim_mutex, m_list[1]) ==
		       GLIBC_ROBUST_FUTEX_OFFSET,
	       "lock word at futex_offset from the list's next word");

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
void pending_set(struct robust_list_head *h, struct shim_mutex *m)
{
	h->list_op_pending = robust_link(m);
	atomic_signal_fence(memory_order_seq_cst);
}

/* Ordered after what precedes. */
void pending_clear(struct robust_list_head *h)
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

/* Free the lock word; wake one sleeper if any may sleep (a PI mutex: the
 * kernel hands it over).  After this the mutex may be gone (taken,
 * destroyed, unmapped by another thread). */
static void robust_release_word(struct shim_mutex *m, int kind)
{
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
int robust_taken(struct robust_list_head *h, struct shim_mutex *m,
		 pid_t self, bool owner_died)
{
	int r;
	if (!owner_died && load_owner(m) == OWNER_NOTRECOVERABLE) {
		m->m_count = 0;
		robust_release_word(m, load_kind(m));
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
		int e = mutex_word_wait(m, &s, s | WORD_WAITERS,
					mutex_spins(m) ? &spins : NULL,
					abstime, clock, true);
		if (e == 0) {
			keep_waiters = WORD_WAITERS;
		} else if (e != EAGAIN) {
			r = e;
			break;
		}
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
void robust_release(struct shim_mutex *m, int kind)
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
	robust_release_word(m, kind);
	pending_clear(h);
}

NOINLINE int robust_unlock(struct shim_mutex *m, int kind)
{
	/* Every type checks, as in glibc (NORMAL too): EPERM. */
	if (!word_held_by_caller(m))
		return EPERM;
	if (kind_type(kind) == PTHREAD_MUTEX_RECURSIVE && --m->m_count != 0)
		return load_owner(m) == OWNER_INCONSISTENT ? ENOTRECOVERABLE
							   : 0;
	robust_release(m, kind);
	return 0;
}

/* Robust and PI mutexes: the word names its owner while held. */
bool robust_word_locked(struct shim_mutex *m)
{
	return (atomic_load_explicit(&m->m_lock, memory_order_relaxed) &
		WORD_TID) != 0;
}

const struct mutex_protocol mutex_robust = {
	.lock = robust_lock,
	.trylock = robust_trylock,
	.unlock = robust_unlock,
	.release = robust_release,
	.locked = robust_word_locked,
};

/* Robust and PI-robust: the ones on the owner's robust list. */
static bool kind_has_robust_list(int kind)
{
	return (kind & MUTEX_KIND_ROBUST) &&
	       (kind_is_robust(kind) || kind_is_pi(kind));
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

SHIM_ALIAS(pthread_mutex_consistent, pthread_mutex_consistent_np);
