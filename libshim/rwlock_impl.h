/*
 * libshim/rwlock_impl.h -- what the rwlock files share: the lock word
 * (rwlock.c: the policy, waiting and hand-offs) and the read bias
 * (rwlock_bias.c: the writers' side; the readers' side is here, inline,
 * because it is every read lock's and unlock's first step).
 */
#ifndef SHIM_RWLOCK_IMPL_H
#define SHIM_RWLOCK_IMPL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/visibility.h"
#include "libshim/park.h"
#include "libshim/rdslot.h"

/* glibc's struct __pthread_rwlock_arch_t (x86_64's and the 64-bit
 * generic one agree on every field used here). */
struct shim_rwlock {
	_Atomic unsigned rw_state; /* __readers: RW_* */
	unsigned rw_rparked;       /* __writers: readers parked (private;
				      under the readers' bucket lock) */
	_Atomic unsigned rw_wprio; /* __wrphase_futex: see rt_reader_passes
				      (private; under the writers' bucket
				      lock) */
	unsigned rw_unused0[3];
	_Atomic int rw_writer;     /* __cur_writer: tid of the writer */
	int rw_shared;             /* __shared: process-shared */
	unsigned char rw_unused1[8];
	_Atomic uint64_t rw_bias_after; /* __pad2: arch_cycles() before which
					   no reader sets RW_BIAS */
	unsigned rw_kind;          /* __flags: PTHREAD_RWLOCK_PREFER_* */
	unsigned rw_unused3;
};
_Static_assert(sizeof(struct shim_rwlock) == sizeof(pthread_rwlock_t),
	       "pthread_rwlock_t layout");
_Static_assert(offsetof(struct shim_rwlock, rw_writer) == 24, "__cur_writer");
_Static_assert(offsetof(struct shim_rwlock, rw_kind) == 48, "__flags");

#define RW_WRITER     1u
#define RW_WWAIT      2u
#define RW_RWAIT      4u
#define RW_BIAS       8u /* readers may hold shares in their rdslots */
#define RW_ONE_READER 16u
#define RW_READERS_MAX (UINT_MAX / RW_ONE_READER)

static inline unsigned readers(unsigned s)
{
	return s / RW_ONE_READER;
}

static inline unsigned load_state(struct shim_rwlock *rw)
{
	return atomic_load_explicit(&rw->rw_state, memory_order_relaxed);
}

/* ---- the read bias (the protocol is at the top of rwlock_bias.c) -- */

/* Where a revoking writer waits for a slot to be cleared. */
static inline const void *bias_key(struct shim_rwlock *rw)
{
	return (const char *)rw + 2;
}

/* A slot has just stopped holding rw (seq_cst).  Dekker's other half
 * against revoke_bias: either the writer's scan sees the slot clear, or we
 * see RW_BIAS clear and wake it -- park_unpark_all takes the bucket lock
 * under which the writer checked the slot before sleeping, so the wake-up
 * cannot fall between. */
static inline void bias_share_gone(struct shim_rwlock *rw)
{
	if (!(atomic_load_explicit(&rw->rw_state, memory_order_seq_cst) &
	      RW_BIAS))
		park_unpark_all(bias_key(rw), PARK_TOKEN_NORMAL, NULL, NULL);
}

/* Clear our slot, which held rw (release: for the writer that scans it). */
static inline void bias_slot_clear(struct shim_rwlock *rw,
				   struct rdslot *slot)
{
	atomic_store_explicit(&slot->rs_lock, NULL, memory_order_seq_cst);
	bias_share_gone(rw);
}

/* Take a read share in our slot; the word said RW_BIAS.  The slot is
 * published before the word is read again, both seq_cst: a writer that
 * clears RW_BIAS after our read of the word finds the slot in its scan. */
static inline bool read_biased(struct shim_rwlock *rw)
{
	struct rdslot *slot = rdslot_self ? rdslot_self : rdslot_claim();
	if (atomic_load_explicit(&slot->rs_lock, memory_order_relaxed) != NULL)
		return false; /* holding another lock, or no slot */
	atomic_store_explicit(&slot->rs_lock, rw, memory_order_seq_cst);
	if ((atomic_load_explicit(&rw->rw_state, memory_order_seq_cst) &
	     (RW_BIAS | RW_WRITER)) == RW_BIAS) {
		slot->rs_depth = 1;
		return true;
	}
	bias_slot_clear(rw, slot);
	return false;
}

/* A read share in our slot: another of one we hold there (without a
 * look at the word, where a writer revoking the bias may hold WRITER
 * while it waits for this very share), or a new one if s says RW_BIAS. */
static inline bool read_in_slot(struct shim_rwlock *rw, unsigned s)
{
	struct rdslot *slot = rdslot_self;
	if (slot != NULL &&
	    atomic_load_explicit(&slot->rs_lock, memory_order_relaxed) == rw) {
		slot->rs_depth++;
		return true;
	}
	return (s & RW_BIAS) && read_biased(rw);
}

/* Unlock a share held in our slot, if that is where we hold rw. */
static inline bool unlock_in_slot(struct shim_rwlock *rw)
{
	struct rdslot *slot = rdslot_self;
	if (slot == NULL ||
	    atomic_load_explicit(&slot->rs_lock, memory_order_relaxed) != rw)
		return false;
	if (--slot->rs_depth == 0)
		bias_slot_clear(rw, slot);
	return true;
}

/* A reader in the lock word tries to set RW_BIAS once per this many. */
#define BIAS_PROBE_EVERY 16

SHIM_HIDDEN extern __thread unsigned bias_probe
	__attribute__((tls_model("initial-exec")));
SHIM_HIDDEN void bias_try_set(struct shim_rwlock *rw);

/* After a read share taken in the word with RW_BIAS clear. */
static inline void maybe_bias(struct shim_rwlock *rw)
{
	if (++bias_probe % BIAS_PROBE_EVERY == 0)
		bias_try_set(rw);
}

/* The deadline of a reader's deferral to waiting writers, or of a
 * revoking writer's wait for biased readers (rwlock.c): READER_DEFER_NS
 * from now on *clock (CLOCK_MONOTONIC if *until is NULL), unless *until,
 * the caller's own deadline, comes first (*until is set to d otherwise). */
SHIM_HIDDEN void defer_deadline(struct timespec *d,
				const struct timespec **until,
				clockid_t *clock);

/* revoke_bias with defer: the deferral's deadline passed first. */
#define REVOKE_DEFER_ENDED (-1)

/* The writers' side (rwlock_bias.c). */
SHIM_HIDDEN int revoke_bias(struct shim_rwlock *rw, bool may_wait,
			    const struct timespec *abstime, clockid_t clock,
			    bool defer);
SHIM_HIDDEN bool release_other_reader(struct shim_rwlock *rw);

#endif
