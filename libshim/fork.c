/*
 * libshim/fork.c -- keeping libshim consistent across fork().
 *
 * glibc's fork() runs the pthread_atfork handlers (pthread_atfork itself
 * lives in libc_nonshared and registers with glibc, so user handlers keep
 * glibc's order).  libshim registers its own, once threads exist:
 * prepare takes the locks of libshim's lists so the child inherits them
 * whole; in the child only the forking thread exists, so the park queues
 * are emptied, the thread list holds the survivor alone, and the memory of
 * every other thread goes to the stack cache for reuse.  glibc's own lists
 * of threads need one thing: before the child handlers run, glibc's fork
 * has emptied _dl_stack_user and _dl_stack_used, where libshim's TCBs are,
 * put the forking thread's entry back, and moved the other entries of
 * _dl_stack_used into its own stack cache; tcb_fork_child takes libshim's
 * out of that cache again (compat/glibc/tcb.c).  The TCBs are linked
 * again, afresh, when their memory makes a new thread.
 */
#include <pthread.h>

#include "libshim/park.h"
#include "libshim/profile.h"
#include "libshim/rdslot.h"
#include "libshim/shim.h"
#include "libshim/stack.h"
#include "libshim/thread.h"

/* Every lock libshim keeps across calls, in one order. */
static void prepare(void)
{
	sem_fork_prepare();
	attr_fork_prepare();
	shim_threads_lock();
	stack_lock();
}

static void parent(void)
{
	stack_unlock();
	shim_threads_unlock();
	attr_fork_parent();
	sem_fork_parent();
}

static void child(void)
{
	park_after_fork();
	profile_fork_child();
	sem_fork_child();
	attr_fork_child();
	rdslot_fork_child();
	tcb_fork_child();
	struct shim_thread *self = shim_self();
	stack_after_fork(self);
	shim_threads_after_fork(self);
}

void shim_fork_init(void)
{
	pthread_atfork(prepare, parent, child);
}
