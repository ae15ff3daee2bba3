/*
 * compat/lwp.h -- the whole operating-system interface libshim's portable
 * layers use.  Shaped after NetBSD's _lwp_* calls so that a port is a new
 * folder beside compat/linux/, not a rewrite.
 *
 * Contract common to every call:
 *  - Functions return 0 or a positive errno value; they never touch errno.
 *  - None of them allocates memory or takes a lock; all are async-signal-safe.
 *  - "Spurious" returns are allowed where stated: callers re-check their own
 *    condition in a loop, exactly as with _lwp_park(2).
 */
#ifndef SHIM_COMPAT_LWP_H
#define SHIM_COMPAT_LWP_H

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>
#include <ucontext.h>

#include "common/visibility.h"

/*
 * Per-LWP park slot, embedded in the owning thread's descriptor.
 * The wake-up token: LWP_TOKEN_NONE, LWP_TOKEN_SET (an unpark arrived and
 * was not yet consumed) or LWP_TOKEN_SLEEPING (the owner is, or is about to
 * be, asleep in the kernel).  Only lwp_park/lwp_unpark touch it.
 */
typedef struct lwp_parker {
	_Atomic int token;
} lwp_parker_t;

/*
 * lwp_create(uc, flags, tidp): start a new LWP in this address space.
 *  - The LWP begins with the register state of uc->uc_mcontext: rip, rsp
 *    and the argument registers named by arch_mcontext_init().  Nothing else
 *    of *uc is used; *uc may be reused as soon as lwp_create returns.
 *  - It starts with every signal blocked (its entry code installs the mask
 *    it runs with) and with the thread pointer arch_mcontext_init named.
 *  - The kernel LWP id is stored in *tidp before lwp_create returns, and
 *    *tidp is cleared to 0 with a wake-up (see lwp_wait_gone) once the LWP
 *    has exited and will never touch its stack again.
 *  - flags: reserved, pass 0.
 * Returns 0, EAGAIN (no resources) or another errno from the kernel.
 */
SHIM_HIDDEN int lwp_create(const ucontext_t *uc, unsigned flags, pid_t *tidp);

/* Terminate the calling LWP (not the process).  Never returns. */
SHIM_HIDDEN _Noreturn void lwp_exit(void);

/* The calling LWP's kernel id. */
SHIM_HIDDEN pid_t lwp_self(void);

/* Send sig to LWP tid of this process.  0, ESRCH, EINVAL or EPERM. */
SHIM_HIDDEN int lwp_kill(pid_t tid, int sig);

/*
 * lwp_park(self, abstime, clock): sleep until a wake-up token is posted to
 * self, abstime passes (abstime NULL: no deadline) or a signal arrives.
 *  - self must be the caller's own parker.
 *  - An lwp_unpark that happened before this call makes it return 0 at once:
 *    the token is remembered, so no wake-up is lost between a caller's
 *    decision to sleep and the sleep itself (the race the seed leaves open).
 *  - Returns 0 when a token was consumed, ETIMEDOUT, EINTR (a signal
 *    handler ran and the kernel did not restart the sleep: the same rules
 *    as glibc's futex waits) or EAGAIN (spurious wake-up); no token is
 *    consumed in the last three cases.
 *  - clock: CLOCK_REALTIME or CLOCK_MONOTONIC; abstime must be normalised.
 */
SHIM_HIDDEN int lwp_park(lwp_parker_t *self, const struct timespec *abstime,
			 clockid_t clock);

/*
 * lwp_unpark(target): post a wake-up token to target; wakes it if asleep.
 * At most one token is held: two unparks before a park are one wake-up.
 * = lwp_unpark_post, then lwp_unpark_wake if it said so.
 *
 * The two halves exist for the park layer: post writes the target's token
 * word, so it must run while the target is known to exist (under the lock
 * that keeps the target waiting); wake only names the address to the
 * kernel, writes no memory, and is harmless once the target's memory is
 * gone or reused (at worst a spurious wake-up of whoever waits there).
 */
SHIM_HIDDEN void lwp_unpark(lwp_parker_t *target);
/* Post the token; true if the target may be asleep and needs a wake. */
SHIM_HIDDEN bool lwp_unpark_post(lwp_parker_t *target);
SHIM_HIDDEN void lwp_unpark_wake(lwp_parker_t *target);

/*
 * Address waits, for what cannot use a process-private park queue
 * (PTHREAD_PROCESS_SHARED objects, named semaphores) and for the park
 * layer's own bucket locks.  lwp_wait_addr sleeps while *addr == expected;
 * it returns 0 (woken, possibly spuriously), EAGAIN (*addr != expected),
 * ETIMEDOUT or EINTR.  lwp_wake_addr wakes up to n sleepers and returns
 * how many it woke.  shared: the address may be mapped by other processes.
 */
SHIM_HIDDEN int lwp_wait_addr(const _Atomic int *addr, int expected,
			      const struct timespec *abstime, clockid_t clock,
			      bool shared);
SHIM_HIDDEN int lwp_wake_addr(const _Atomic int *addr, int n, bool shared);

/*
 * Wait until the kernel has cleared *tidp (set up by lwp_create): the LWP is
 * gone and its stack is free.  Called after the exiting thread has already
 * said it is exiting, so this waits for its last few instructions only.
 */
SHIM_HIDDEN void lwp_wait_gone(pid_t *tidp);

/* ---- The rest of the OS libshim calls without libc ----------------------
 * Raw, not libc's: a program may interpose libc's wrappers, some callers run
 * with every signal blocked or inside a signal handler, and libshim's own
 * open/read/write/close are cancellation points (cancelpoints.c), which
 * must not act inside a lock call or a handler.  Same contract as above
 * (0 or a positive errno) except where a count or descriptor is returned:
 * those return it, or -errno.  A port without an equivalent returns ENOSYS.
 */

/* The calling LWP's signal mask, as sigprocmask(2): how is SIG_BLOCK,
 * SIG_UNBLOCK or SIG_SETMASK; set NULL only reads into old. */
SHIM_HIDDEN int lwp_sigmask(int how, const sigset_t *set, sigset_t *old);

/* Install act (sa_sigaction, sa_flags, sa_mask) for sig directly with the
 * kernel, returning through arch_sigreturn: for the signals libshim keeps
 * for itself, where libc's sigaction refuses them. */
SHIM_HIDDEN int lwp_sigaction(int sig, const struct sigaction *act);

/* Queue sig with value v to LWP tid of this process (SI_QUEUE, this
 * process's pid and real uid), as pthread_sigqueue. */
SHIM_HIDDEN int lwp_sigqueue(pid_t tid, int sig, union sigval v);

/* LWP tid's (0: the caller's) scheduling policy and parameters, as
 * NetBSD's _sched_getparam/_sched_setparam.  lwp_setparam with policy
 * LWP_SCHED_KEEP changes the priority only. */
#define LWP_SCHED_KEEP (-1)
SHIM_HIDDEN int lwp_getparam(pid_t tid, int *policy, struct sched_param *p);
SHIM_HIDDEN int lwp_setparam(pid_t tid, int policy,
			     const struct sched_param *p);

/* LWP tid's (0: the caller's) CPU affinity.  lwp_getaffinity fills all
 * size bytes: the CPUs beyond the kernel's own mask read as clear. */
SHIM_HIDDEN int lwp_getaffinity(pid_t tid, size_t size, cpu_set_t *set);
SHIM_HIDDEN int lwp_setaffinity(pid_t tid, size_t size, const cpu_set_t *set);

/* A one-shot timer that sends sig to LWP tid of this process (NetBSD:
 * timer_create with SIGEV_SIGNAL and the LWP as target).  lwp_timer_arm
 * starts it to expire once after *after; a fork child inherits the id
 * but not the timer, and arming it there fails (EINVAL). */
SHIM_HIDDEN int lwp_timer_create(pid_t tid, int sig, int *id);
SHIM_HIDDEN int lwp_timer_arm(int id, const struct timespec *after);
SHIM_HIDDEN void lwp_timer_delete(int id);

/* Offer the CPU to another runnable thread. */
SHIM_HIDDEN void lwp_yield(void);

/* Sleep for *t, once: 0 or EINTR. */
SHIM_HIDDEN int lwp_nanosleep(const struct timespec *t);

/* This process's id, never cached (a fork child must see its own). */
SHIM_HIDDEN pid_t lwp_getpid(void);

/*
 * Priority-inheritance lock words (the owner's tid with the kernel's
 * waiters and owner-died bits), kept by the kernel's PI protocol: it queues
 * the waiters by priority and lends the owner the highest.  Thin wrappers,
 * returning the kernel's errno:
 *  - lwp_pi_lock sleeps until *word is the caller's; with abstime, a
 *    deadline on clock (CLOCK_MONOTONIC needs Linux 5.14: ENOSYS before);
 *  - lwp_pi_trylock takes a word whose owner died (EAGAIN while the kernel
 *    is handing it to a waiter);
 *  - lwp_pi_unlock hands a word with waiters to the highest-priority one.
 */
SHIM_HIDDEN int lwp_pi_lock(_Atomic int *word, const struct timespec *abstime,
			    clockid_t clock, bool shared);
SHIM_HIDDEN int lwp_pi_trylock(_Atomic int *word, bool shared);
SHIM_HIDDEN int lwp_pi_unlock(_Atomic int *word, bool shared);

/* File calls that are not cancellation points: the descriptor or count,
 * or -errno. */
SHIM_HIDDEN int lwp_open(const char *path, int flags, mode_t mode);
SHIM_HIDDEN ssize_t lwp_read(int fd, void *buf, size_t n);
SHIM_HIDDEN ssize_t lwp_write(int fd, const void *buf, size_t n);
SHIM_HIDDEN int lwp_close(int fd);

/*
 * The system calls libshim makes by name rather than through a wrapper of
 * its own, with the kernel's arguments and result (-errno on failure):
 *  - the cancellation points' (cancelpoints.c), each made between
 *    shim_cancel_enter and shim_cancel_leave, so that the wrapper is the
 *    system call itself and a cancellation can interrupt exactly that;
 *  - the set*id calls, which Linux applies to the calling thread only, so
 *    setxid.c gives every thread the caller's new ids with them.
 *    (NetBSD's act on the process: a port would not need them.)
 * lwp_syscall(LWP_SYS_read, fd, buf, n, 0, 0, 0) is read(2) as the kernel
 * has it; unused trailing arguments are 0.  A port without a call
 * returns -ENOSYS.
 */
#define LWP_SYSCALLS(X) \
	X(accept) X(accept4) X(clock_nanosleep) X(close) X(connect) \
	X(epoll_pwait) X(fcntl) X(fdatasync) X(fsync) X(ioctl) \
	X(mq_timedreceive) X(mq_timedsend) X(msgrcv) X(msgsnd) X(msync) \
	X(openat) X(ppoll) X(pread64) X(preadv) X(preadv2) X(pselect6) \
	X(pwrite64) X(pwritev) X(pwritev2) X(read) X(readv) X(recvfrom) \
	X(recvmmsg) X(recvmsg) X(rt_sigsuspend) X(rt_sigtimedwait) \
	X(sendmmsg) X(sendmsg) X(sendto) X(wait4) X(waitid) X(write) \
	X(writev) X(setresuid) X(setresgid) X(setgroups)
enum lwp_sys {
#define LWP_SYS_NAME(name) LWP_SYS_##name,
	LWP_SYSCALLS(LWP_SYS_NAME)
#undef LWP_SYS_NAME
	LWP_SYS_COUNT
};
SHIM_HIDDEN long lwp_syscall(enum lwp_sys call, long a, long b, long c, long d,
			     long e, long f);

#endif
