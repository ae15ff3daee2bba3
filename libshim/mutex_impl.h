/*
 * libshim/mutex_impl.h -- what the mutex files share (mutex.c: the plain,
 * recursive, errorcheck and process-shared kinds and the dispatch;
 * mutex_robust.c, mutex_pi.c, mutex_pp.c: one protocol each;
 * mutexattr.c: the attribute word).  Not for the other objects: they see
 * the mutex through mutex.h.
 */
#ifndef SHIM_MUTEX_IMPL_H
#define SHIM_MUTEX_IMPL_H

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "common/visibility.h"
#include "libshim/mutex.h"
#include "libshim/shim.h"
#include "libshim/thread.h"

#define NOINLINE __attribute__((noinline))

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

/* __owner of a robust mutex that is not simply held (glibc's
 * PTHREAD_MUTEX_INCONSISTENT and PTHREAD_MUTEX_NOTRECOVERABLE). */
#define OWNER_INCONSISTENT   INT_MAX
#define OWNER_NOTRECOVERABLE (INT_MAX - 1)

/* The lock word's bits of a robust or PI mutex, as the kernel defines
 * them. */
#define WORD_WAITERS    ((int)FUTEX_WAITERS)
#define WORD_OWNER_DIED ((int)FUTEX_OWNER_DIED)
#define WORD_TID        ((int)FUTEX_TID_MASK)

/* A PP mutex's word: the ceiling in the high bits (mutex_pp.c). */
#define PP_CEILING_SHIFT 19
#define PP_CEILING_MASK  ((int)0xfff80000)

static inline int attr_value(const pthread_mutexattr_t *a)
{
	return *(const int *)a;
}

static inline int kind_type(int kind)
{
	return kind & KIND_TYPE_MASK;
}

static inline bool type_tracks_owner(int type)
{
	return type == PTHREAD_MUTEX_RECURSIVE ||
	       type == PTHREAD_MUTEX_ERRORCHECK;
}

static inline int load_kind(struct shim_mutex *m)
{
	return atomic_load_explicit(&m->m_kind, memory_order_relaxed);
}

static inline pid_t load_owner(struct shim_mutex *m)
{
	return atomic_load_explicit(&m->m_owner, memory_order_relaxed);
}

/* The unlock rules of the types that track their owner, for mutex.c's and
 * mutex_pp.c's unlocks: EPERM from a thread that does not hold it, 0 from
 * a recursive unlock that leaves it held, MUTEX_RELEASE_NOW otherwise.
 * NORMAL and ADAPTIVE do not check, as in glibc. */
enum { MUTEX_RELEASE_NOW = -1 };
static inline int mutex_unlock_check(struct shim_mutex *m, int type)
{
	if (type_tracks_owner(type)) {
		if (load_owner(m) != shim_tid())
			return EPERM;
		if (type == PTHREAD_MUTEX_RECURSIVE && --m->m_count != 0)
			return 0;
	}
	return MUTEX_RELEASE_NOW;
}

/* A kind mutex.c itself implements: a type, optionally process-shared,
 * with elision hints ignored; no robust, PI or PP protocol.  A destroyed
 * mutex (kind -1) is not one. */
static inline bool kind_is_basic(int kind)
{
	return (kind & ~(KIND_TYPE_MASK | MUTEX_KIND_PSHARED |
			 KIND_ELISION_FLAGS)) == 0;
}

/* A robust kind: a type, marked robust (and process-shared), with
 * elision hints ignored.  A destroyed mutex (kind -1) is not one. */
static inline bool kind_is_robust(int kind)
{
	return (kind & MUTEX_KIND_ROBUST) &&
	       (kind & ~(KIND_TYPE_MASK | MUTEX_KIND_ROBUST |
			 MUTEX_KIND_PSHARED | KIND_ELISION_FLAGS)) == 0;
}

/* A PI kind: a type, marked PI, optionally robust and process-shared,
 * with elision hints ignored. */
static inline bool kind_is_pi(int kind)
{
	return (kind & MUTEX_KIND_PI) &&
	       (kind & ~(KIND_TYPE_MASK | MUTEX_KIND_PI | MUTEX_KIND_ROBUST |
			 MUTEX_KIND_PSHARED | KIND_ELISION_FLAGS)) == 0;
}

static inline bool kind_is_pp(int kind)
{
	return (kind & MUTEX_KIND_PP) &&
	       (kind & ~(KIND_TYPE_MASK | MUTEX_KIND_PP | MUTEX_KIND_PSHARED |
			 KIND_ELISION_FLAGS)) == 0;
}

/* Whether a thread that finds the mutex held spins before it sleeps:
 * only for the type that asks for it, PTHREAD_MUTEX_ADAPTIVE_NP, as in
 * glibc.  A spinning waiter on another CPU pulls the lock's line away from
 * the holder, and a holder that takes the mutex again at once (with more
 * threads than cores, the common case of a busy lock) then pays for a
 * line transfer on every acquisition (mutex.c has the numbers). */
static inline bool mutex_spins(struct shim_mutex *m)
{
	return kind_type(load_kind(m)) == PTHREAD_MUTEX_ADAPTIVE_NP;
}

/* A recursive relock by the owner: one level deeper. */
static inline int recurse(struct shim_mutex *m)
{
	if (m->m_count + 1 == 0)
		return EAGAIN;
	m->m_count++;
	return 0;
}

/* An ERRORCHECK or RECURSIVE m that the caller already holds. */
static inline int owner_relock(struct shim_mutex *m, int type)
{
	return type == PTHREAD_MUTEX_ERRORCHECK ? EDEADLK : recurse(m);
}

/* Robust and PI mutexes: the lock word names its owner. */
static inline bool word_held_by_caller(struct shim_mutex *m)
{
	return (atomic_load_explicit(&m->m_lock, memory_order_relaxed) &
		WORD_TID) == shim_tid();
}

/*
 * One round of waiting on a lock word held by another thread (*s, as
 * last read), for the protocols whose waiters sleep on the word itself:
 * mark it (*s becomes marked, the value telling the unlocker to wake a
 * sleeper) unless it is already, then sleep while it stays so.
 *  - spins: spin (shim_spin) before marking; NULL, mark at once (see
 *    mutex_spins).
 *  - Returns 0 once it has slept (woken, spuriously too: the caller looks
 *    again at *s, reloaded, and must keep the mark when it takes the
 *    word, since others may sleep); EAGAIN when it did not sleep (it
 *    spun, or the word moved: *s is the new value); EINVAL for an invalid
 *    deadline (only now: the call would block); ETIMEDOUT.
 */
SHIM_HIDDEN int mutex_word_wait(struct shim_mutex *m, int *s, int marked,
				unsigned *spins, const struct timespec *abstime,
				clockid_t clock, bool shared);

/*
 * The robust, PI and PP protocols, each in its own file: what mutex.c
 * calls for a kind that is not basic (mutex_protocol).
 *  - lock, trylock, unlock: the pthread_mutex_* calls, m of a kind the
 *    protocol owns.
 *  - release: unlock m, held by the caller, whatever its depth (a
 *    condition wait).
 *  - locked: whether m's word is held (destroy).
 */
struct mutex_protocol {
	int (*lock)(struct shim_mutex *m, int kind,
		    const struct timespec *abstime, clockid_t clock);
	int (*trylock)(struct shim_mutex *m, int kind);
	int (*unlock)(struct shim_mutex *m, int kind);
	void (*release)(struct shim_mutex *m, int kind);
	bool (*locked)(struct shim_mutex *m);
};
SHIM_HIDDEN extern const struct mutex_protocol mutex_robust, mutex_pi,
	mutex_pi_robust, mutex_pp;

/* mutex_robust.c, for mutex_pi.c: a PI mutex may be robust too. */
SHIM_HIDDEN void pending_set(struct robust_list_head *h,
			     struct shim_mutex *m);
SHIM_HIDDEN void pending_clear(struct robust_list_head *h);
SHIM_HIDDEN int robust_taken(struct robust_list_head *h, struct shim_mutex *m,
			     pid_t self, bool owner_died);
SHIM_HIDDEN int robust_unlock(struct shim_mutex *m, int kind);
SHIM_HIDDEN void robust_release(struct shim_mutex *m, int kind);
/* Whether m's word names an owner (robust and PI). */
SHIM_HIDDEN bool robust_word_locked(struct shim_mutex *m);

/* mutex_pi.c, for mutex_robust.c: free a PI word the caller holds. */
SHIM_HIDDEN void pi_release_word(struct shim_mutex *m, int kind);

/* mutex_pp.c, for mutexattr.c: a ceiling pthread_mutex[attr]_
 * setprioceiling accept. */
SHIM_HIDDEN bool ceiling_valid(int c);

#endif
