/*
 * libshim/init.c -- one-time set-up, deferred to the first call that needs
 * it.  A preload is mapped into every process a program starts (thousands
 * for a shell script); until a thread is created libshim does nothing: no
 * thread, no mapping, no look-up.
 */
#include <sched.h>
#include <unistd.h>

#include "compat/lwp.h"
#include "libshim/shim.h"
#include "libshim/unwind.h"

enum { INIT_NONE, INIT_RUNNING, INIT_DONE };
static _Atomic int init_state;

int shim_init(void)
{
	if (__builtin_expect(init_state == INIT_DONE, 1))
		return 0;
	int expect = INIT_NONE;
	if (__atomic_compare_exchange_n((int *)&init_state, &expect,
					INIT_RUNNING, false, __ATOMIC_ACQUIRE,
					__ATOMIC_ACQUIRE)) {
		tcb_host_init();
		shim_unwinder(); /* before any libshim thread: loader lock */
		shim_cancel_signal_init();
		shim_fork_init();
		__atomic_store_n((int *)&init_state, INIT_DONE, __ATOMIC_RELEASE);
		return 0;
	}
	/* Another thread (one glibc made: no libshim thread exists yet) is
	 * initialising; it finishes in microseconds.  No park layer here:
	 * it is not set up until we are done. */
	while (__atomic_load_n((int *)&init_state, __ATOMIC_ACQUIRE) != INIT_DONE)
		sched_yield();
	return 0;
}

pid_t shim_pid(void)
{
	/* Not cached: a fork child must never see its parent's id, and a
	 * fork can happen before libshim has registered any fork handler.
	 * The raw call: getpid() may be interposed. */
	return lwp_getpid();
}
