/*
 * libshim/rdslot.c -- the table of visible-reader slots (rdslot.h).
 *
 * A fixed table in .bss: no page of it is touched until a thread first
 * takes a biased read lock, and then only the pages of the slots handed
 * out, lowest first.  A thread claims a slot on first use and frees it
 * when it exits; a writer revoking a lock's bias scans the slots handed
 * out so far, which is why claims fill the table from the bottom and the
 * high-water mark only grows.  Threads beyond RDSLOT_MAX get no slot and
 * read through the lock word, which is always correct.
 */
#include <stdatomic.h>
#include <stdbool.h>

#include "libshim/rdslot.h"
#include "libshim/thread.h"

#define RDSLOT_MAX 512 /* 32 KiB of .bss */

static struct rdslot table[RDSLOT_MAX];
static _Atomic unsigned high_water; /* slots [0, high_water) were used */

/* Handed to threads that find the table full: its rs_lock is never NULL
 * and never an rwlock's address, so every use of it fails. */
static struct rdslot no_slot = { .rs_lock = &no_slot };

__thread struct rdslot *rdslot_self;

struct rdslot *rdslot_claim(void)
{
	/* Only threads with a descriptor: their exit frees the slot
	 * (shim_thread_exit, or the TLS destructor of an adopted thread). */
	rdslot_self = &no_slot;
	if (shim_self() == NULL)
		return rdslot_self;
	for (unsigned i = 0; i < RDSLOT_MAX; i++) {
		int free_ = 0;
		if (atomic_load_explicit(&table[i].rs_owned,
					 memory_order_relaxed) != 0 ||
		    !atomic_compare_exchange_strong(&table[i].rs_owned, &free_,
						    1))
			continue;
		/* Raised before the slot is first published (seq_cst, like
		 * the publication): a writer that may have missed the
		 * publication's effect on the lock word sees the slot. */
		unsigned hw = atomic_load(&high_water);
		while (hw < i + 1 &&
		       !atomic_compare_exchange_weak(&high_water, &hw, i + 1))
			continue;
		rdslot_self = &table[i];
		break;
	}
	return rdslot_self;
}

unsigned rdslot_count(void)
{
	return atomic_load(&high_water);
}

struct rdslot *rdslot_at(unsigned i)
{
	return &table[i];
}

static void release(struct rdslot *slot)
{
	if (atomic_load_explicit(&slot->rs_lock, memory_order_relaxed) == NULL)
		atomic_store_explicit(&slot->rs_owned, 0, memory_order_release);
}

void rdslot_thread_exit(void)
{
	struct rdslot *slot = rdslot_self;
	rdslot_self = NULL;
	if (slot != NULL && slot != &no_slot)
		release(slot);
}

void rdslot_fork_child(void)
{
	unsigned n = rdslot_count();
	for (unsigned i = 0; i < n; i++)
		if (&table[i] != rdslot_self)
			release(&table[i]);
}
