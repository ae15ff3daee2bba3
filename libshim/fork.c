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
 * of threads need nothing from here: before the child handlers run,
 * glibc's fork has emptied _dl_stack_user, where libshim's TCBs are, and
 * put the forking thread's entry back (compat/glibc/tcb.c); the other TCBs
 * are linked again, afresh, when their memory makes a new thread.
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
