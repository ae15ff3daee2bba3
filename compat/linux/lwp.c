/*
 * compat/linux/lwp.c -- the LWP primitives of compat/lwp.h over Linux
 * clone, futex and tgkill.  Raw system calls only: some of this runs in an
 * LWP that has no descriptor yet, and none of it may depend on libc
 * functions a program can interpose.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "arch_syscall.h"
#include "compat/lwp.h"

/* A reused stack's old frames are dead memory to valgrind and, in an
 * AddressSanitizer build, still carry the dead thread's redzones (libshim
 * threads end without unwinding).  The new LWP owns that memory: say so.
 * Both are no-ops in an ordinary run. */
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HANDOVER_VALGRIND(p, n) VALGRIND_MAKE_MEM_UNDEFINED(p, n)
#else
#define HANDOVER_VALGRIND(p, n) ((void)(p), (void)(n))
#endif
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define HANDOVER_ASAN(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define HANDOVER_ASAN(p, n) ((void)(p), (void)(n))
#endif

enum { TOKEN_SLEEPING = -1, TOKEN_NONE = 0, TOKEN_SET = 1 };

int lwp_create(const ucontext_t *uc, unsigned flags, pid_t *tidp)
{
	(void)flags;
	size_t span;
	void *img = arch_clone_image_at(&uc->uc_mcontext, &span);
	HANDOVER_VALGRIND(img, span);
	HANDOVER_ASAN(img, span);
	arch_clone_image(img, &uc->uc_mcontext);

	/* CLONE_VM..THREAD: a thread of this process sharing everything.
	 * CLONE_SYSVSEM: undo lists are per process, as for pthreads.
	 * CLONE_PARENT_SETTID: *tidp is valid before we return.
	 * CLONE_CHILD_CLEARTID: the kernel zeroes *tidp and wakes a futex
	 * waiter on it when the LWP is gone: the stack may then be reused.
	 * CLONE_SETTLS: the LWP has its own thread pointer from its first
	 * instruction.  A debugger stopped at the clone event reads it to
	 * name the new thread (libthread_db's td_ta_map_lwp2thr): set later
	 * by the LWP itself, the creator's would name it. */
	unsigned long cf = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			   CLONE_THREAD | CLONE_SYSVSEM | CLONE_PARENT_SETTID |
			   CLONE_CHILD_CLEARTID | CLONE_SETTLS;

	/* Every signal blocked across clone: the child inherits the mask and
	 * so cannot take a signal before it has a thread pointer and a
	 * descriptor.  Its entry code installs the mask it should run with. */
	sigset_t all, old;
	memset(&all, 0xff, sizeof all);
	lwp_sigmask(SIG_SETMASK, &all, &old);
	long r = arch_clone(cf, img, tidp, tidp,
			    arch_mcontext_tp(&uc->uc_mcontext));
	lwp_sigmask(SIG_SETMASK, &old, NULL);
	return r < 0 ? (int)-r : 0;
}

void lwp_exit(void)
{
	/* SYS_exit ends this LWP only; exit_group would end the process. */
	for (;;)
		shim_syscall1(SYS_exit, 0);
}

pid_t lwp_self(void)
{
	return (pid_t)shim_syscall0(SYS_gettid);
}

int lwp_kill(pid_t tid, int sig)
{
	long r = shim_syscall3(SYS_tgkill, lwp_getpid(), tid, sig);
	return r < 0 ? (int)-r : 0;
}

static long futex_wait(const _Atomic int *addr, int val,
		       const struct timespec *abstime, clockid_t clock,
		       bool shared)
{
	/* FUTEX_WAIT_BITSET takes an absolute deadline on either clock, so a
	 * retried wait never stretches the timeout. */
	int op = FUTEX_WAIT_BITSET | (shared ? 0 : FUTEX_PRIVATE_FLAG);
	if (clock == CLOCK_REALTIME)
		op |= FUTEX_CLOCK_REALTIME;
	return shim_syscall6(SYS_futex, (long)addr, op, val, (long)abstime, 0,
			     FUTEX_BITSET_MATCH_ANY);
}

static long futex_wake(const _Atomic int *addr, int n, bool shared)
{
	int op = FUTEX_WAKE | (shared ? 0 : FUTEX_PRIVATE_FLAG);
	return shim_syscall3(SYS_futex, (long)addr, op, n);
}

int lwp_park(lwp_parker_t *self, const struct timespec *abstime,
	     clockid_t clock)
{
	/* Consume a token posted before we got here: the unpark won. */
	int t = TOKEN_NONE;
	if (!atomic_compare_exchange_strong_explicit(
		    &self->token, &t, TOKEN_SLEEPING, memory_order_acquire,
		    memory_order_acquire)) {
		/* t == TOKEN_SET: only we clear it, nobody else sets SLEEPING */
		atomic_store_explicit(&self->token, TOKEN_NONE,
				      memory_order_relaxed);
		return 0;
	}
	/* The kernel re-checks token == SLEEPING under its own lock, so an
	 * unpark between the exchange above and the sleep is not lost: it
	 * changed the word and the wait returns at once. */
	long r = futex_wait(&self->token, TOKEN_SLEEPING, abstime, clock, false);
	t = atomic_exchange_explicit(&self->token, TOKEN_NONE,
				     memory_order_acquire);
	if (t == TOKEN_SET)
		return 0;
	/* The kernel's restart rules decide -EINTR exactly as for glibc's
	 * own futex waits: an untimed wait restarts under SA_RESTART, a
	 * timed one returns EINTR after any handler. */
	if (r == -ETIMEDOUT)
		return ETIMEDOUT;
	return r == -EINTR ? EINTR : EAGAIN;
}

bool lwp_unpark_post(lwp_parker_t *target)
{
	/* Release: everything the waker wrote before is visible to the
	 * parked thread once it consumes the token. */
	return atomic_exchange_explicit(&target->token, TOKEN_SET,
					memory_order_release) == TOKEN_SLEEPING;
}

void lwp_unpark_wake(lwp_parker_t *target)
{
	futex_wake(&target->token, 1, false);
}

void lwp_unpark(lwp_parker_t *target)
{
	if (lwp_unpark_post(target))
		lwp_unpark_wake(target);
}

int lwp_wait_addr(const _Atomic int *addr, int expected,
		  const struct timespec *abstime, clockid_t clock, bool shared)
{
	long r = futex_wait(addr, expected, abstime, clock, shared);
	if (r == -EAGAIN || r == -ETIMEDOUT || r == -EINTR)
		return (int)-r;
	return 0;
}

int lwp_wake_addr(const _Atomic int *addr, int n, bool shared)
{
	long r = futex_wake(addr, n, shared);
	return r < 0 ? 0 : (int)r;
}

void lwp_wait_gone(pid_t *tidp)
{
	/* CLONE_CHILD_CLEARTID wakes a *shared* futex wait on the word; a
	 * private wait is never woken (measured: glibc-tcb.md). */
	for (;;) {
		pid_t t = __atomic_load_n(tidp, __ATOMIC_ACQUIRE);
		if (t == 0)
			return;
		futex_wait((const _Atomic int *)tidp, t, NULL, CLOCK_MONOTONIC,
			   true);
	}
}
