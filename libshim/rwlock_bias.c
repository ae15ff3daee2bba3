/*
 * libshim/rwlock_bias.c -- the rwlock's read bias, the writers' side:
 * setting the bias, revoking it, and an unlock of a share held in another
 * thread's slot.  The readers' side (take and drop a share in one's own
 * slot) is inline in rwlock_impl.h: every read lock and unlock begins
 * there, and a call would cost the read fast path.
 *
 * The read bias (BRAVO: Dice and Kogan, "BRAVO -- Biased Locking for
 * Reader-Writer Locks", USENIX ATC 2019).  Readers that all add to one word
 * make its cache line bounce between CPUs, and that bounce is the whole
 * cost of a short read section: bench_rwlock's 7 readers made ~27 M
 * reads/s, as with glibc, and 150 M/s once each reader wrote only a line
 * of its own.  So while BIAS is set a reader publishes the lock's address
 * in its thread's slot (rdslot.c) instead of counting itself in the lock
 * word (rwlock.c):
 *  - Reader: store the address in the slot, then read the word (both
 *    seq_cst); BIAS set and no WRITER: it holds a share.  Otherwise it
 *    clears the slot and takes the word path.  A thread has one slot: a
 *    second lock, or a thread without a slot, uses the word.
 *  - Writer: takes WRITER by the word's rules, then, if BIAS is set,
 *    clears it and waits until no slot holds the lock (revoke_bias).
 *    Either a reader's read of the word comes after the clear (it sees
 *    BIAS gone and backs out) or its slot store comes before the scan (the
 *    writer waits for it).  While WRITER is held nobody sets BIAS, so no
 *    new biased share can appear behind the scan.  The waiting writer
 *    parks on the address + 2; a reader that clears its slot and sees BIAS
 *    clear wakes it, the same two-sided check (bias_slot_clear).
 *  - Recursion cannot deadlock against that waiting writer: a thread
 *    whose slot already holds the lock takes it again by counting in the
 *    slot (rs_depth), without looking at the word.  Write-locking a lock
 *    the thread read-holds through its slot is EDEADLK (glibc hangs).
 *  - BIAS is set by a reader in the word when no writer holds or waits,
 *    except for a while after each revocation: nine times as long as the
 *    revocation took, so that revoking costs writers at most about a
 *    tenth of their time however many slots there are.
 *  - A revocation that gives up (trywrlock, a deadline) sets BIAS again:
 *    a clear BIAS must mean that no slot holds the lock.
 *  - Unlocking looks at the caller's slot first.  An unlock by a thread
 *    that holds no share releases one held in another thread's slot, as
 *    glibc's count would (the whole of that slot's depth: a program that
 *    unlocks another thread's recursive read lock loses the count).
 *  Process-shared locks and PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP
 *  (whose readers must wait behind waiting writers) never set BIAS.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "arch.h"
#include "libshim/park.h"
#include "libshim/profile.h"
#include "libshim/rdslot.h"
#include "libshim/rwlock_impl.h"
#include "libshim/spinwait.h"

/* BRAVO's N: bias stays off for this many times as long as the last
 * revocation took, so revoking costs writers at most ~1/N of their time. */
#define BIAS_OFF_FACTOR 9

__thread unsigned bias_probe __attribute__((tls_model("initial-exec")));

static bool bias_allowed(struct shim_rwlock *rw)
{
	return !rw->rw_shared &&
	       rw->rw_kind != PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
}

/* Set RW_BIAS if no writer holds, waits or has revoked the bias too
 * recently. */
void bias_try_set(struct shim_rwlock *rw)
{
	if (!bias_allowed(rw) ||
	    arch_cycles() < atomic_load_explicit(&rw->rw_bias_after,
						 memory_order_relaxed))
		return;
	unsigned s = load_state(rw);
	while (!(s & (RW_BIAS | RW_WRITER | RW_WWAIT)))
		if (atomic_compare_exchange_weak_explicit(
			    &rw->rw_state, &s, s | RW_BIAS,
			    memory_order_relaxed, memory_order_relaxed))
			return;
}

struct slot_wait {
	struct shim_rwlock *rw;
	struct rdslot *slot;
};

static bool slot_holds(void *ctx)
{
	struct slot_wait *w = ctx;
	return atomic_load_explicit(&w->slot->rs_lock, memory_order_seq_cst) ==
	       w->rw;
}

/*
 * The caller holds WRITER and saw RW_BIAS: clear it and wait until no
 * slot holds rw.  No reader can publish a new biased share meanwhile (it
 * sees RW_BIAS clear, or WRITER), and a holder may take rw again without
 * waiting (read_lock's depth count), so this waits only for shares that
 * will be released.  0, EDEADLK (we hold a biased share ourselves),
 * EBUSY (!may_wait and a share is held), ETIMEDOUT (abstime passed) or,
 * with defer, REVOKE_DEFER_ENDED (a reader's deferral time, counted from
 * the first sleep, passed before abstime: see write_lock).  On failure the
 * caller still holds WRITER, and RW_BIAS is back: a clear RW_BIAS must
 * mean that no slot holds rw, or the next writer, seeing it clear, would
 * not scan and would join the readers still inside.
 */
int revoke_bias(struct shim_rwlock *rw, bool may_wait,
		const struct timespec *abstime, clockid_t clock, bool defer)
{
	/* The deferral's deadline is read from the clock only before the
	 * first sleep: most revocations never sleep. */
	struct timespec deferral;
	const struct timespec *until = abstime;
	bool until_known = !defer;
	uint64_t start = arch_cycles();
	atomic_fetch_and_explicit(&rw->rw_state, ~RW_BIAS,
				  memory_order_seq_cst);
	int r = 0;
	unsigned n = rdslot_count();
	for (unsigned i = 0; i < n && r == 0; i++) {
		struct slot_wait w = { rw, rdslot_at(i) };
		unsigned spins = 0;
		while (r == 0 && slot_holds(&w)) {
			if (w.slot == rdslot_self)
				r = EDEADLK;
			else if (!may_wait)
				r = EBUSY;
			else if (!shim_spin(&spins)) {
				if (!until_known) {
					defer_deadline(&deferral, &until,
						       &clock);
					until_known = true;
				}
				if (park_wait(bias_key(rw), slot_holds, NULL,
					      NULL, &w, until, clock,
					      PARK_KIND(PROF_RWLOCK_WR),
					      NULL) == ETIMEDOUT)
					r = until == &deferral
						    ? REVOKE_DEFER_ENDED
						    : ETIMEDOUT;
			}
		}
	}
	if (r != 0)
		atomic_fetch_or_explicit(&rw->rw_state, RW_BIAS,
					 memory_order_relaxed);
	uint64_t end = arch_cycles();
	atomic_store_explicit(&rw->rw_bias_after,
			      end + BIAS_OFF_FACTOR * (end - start),
			      memory_order_relaxed);
	return r;
}

/* pthread_rwlock_unlock by a thread that holds no share: release one
 * that another thread holds in its slot, as glibc's count would.  The
 * owner's recursive depth goes with it (its later unlocks are no-ops). */
bool release_other_reader(struct shim_rwlock *rw)
{
	unsigned n = rdslot_count();
	for (unsigned i = 0; i < n; i++) {
		struct rdslot *slot = rdslot_at(i);
		const void *held = rw;
		if (atomic_compare_exchange_strong(&slot->rs_lock, &held,
						   NULL)) {
			bias_share_gone(rw);
			return true;
		}
	}
	return false;
}
