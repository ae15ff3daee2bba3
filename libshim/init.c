/*
 * libshim/init.c -- one-time set-up, deferred to the first call that needs
 * it.  A preload is mapped into every process a program starts (thousands
 * for a shell script); until a thread is created libshim does nothing: no
 * thread, no mapping, no look-up.
 */
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/x86_64/syscall.h"
#include "libshim/shim.h"
#include "libshim/unwind.h"

enum { INIT_NONE, INIT_RUNNING, INIT_DONE };
static _Atomic int init_state;
static pid_t process_id;

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
	/* Cached; fork resets it (fork.c). getpid() may be interposed. */
	pid_t p = __atomic_load_n(&process_id, __ATOMIC_RELAXED);
	if (p == 0) {
		p = (pid_t)shim_syscall0(SYS_getpid);
		__atomic_store_n(&process_id, p, __ATOMIC_RELAXED);
	}
	return p;
}

void shim_pid_reset(void)
{
	__atomic_store_n(&process_id, 0, __ATOMIC_RELAXED);
}
