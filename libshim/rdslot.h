/*
 * libshim/rdslot.h -- visible-reader slots: where a thread publishes the
 * rwlock it holds a biased read share of (the protocol is rwlock.c's).
 */
#ifndef SHIM_RDSLOT_H
#define SHIM_RDSLOT_H

#include "common/visibility.h"

/*
 * One cache line per thread, so that readers on different CPUs write
 * different lines.  rs_lock is written by its owner (publish, clear) and,
 * for pthread_rwlock_unlock called by another thread, cleared with a
 * compare-and-swap; rs_depth is the owner's alone.
 */
struct rdslot {
	_Alignas(64) const void *_Atomic rs_lock;
	unsigned rs_depth;   /* read locks of rs_lock held through the slot */
	_Atomic int rs_owned;
};

/* The calling thread's slot: NULL until rdslot_claim, then its own or one
 * whose rs_lock is never NULL (none was left), which refuses every use. */
SHIM_HIDDEN extern __thread struct rdslot *rdslot_self
	__attribute__((tls_model("initial-exec")));

SHIM_HIDDEN struct rdslot *rdslot_claim(void);

/* Slots handed out so far are rdslot_at(0 .. rdslot_count() - 1). */
SHIM_HIDDEN unsigned rdslot_count(void);
SHIM_HIDDEN struct rdslot *rdslot_at(unsigned i);

/* The calling thread is exiting: free its slot unless it still holds a
 * share (a thread that exits holding a read lock leaves it held, as with
 * glibc's count, and the slot stays with the lock). */
SHIM_HIDDEN void rdslot_thread_exit(void);
/* In a fork child: free the slots of the threads that did not survive,
 * except those still holding a share. */
SHIM_HIDDEN void rdslot_fork_child(void);

#endif
