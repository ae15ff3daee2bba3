/*
 * compat/linux/os.c -- the rest of compat/lwp.h over Linux: signal mask
 * and disposition, queued signals, scheduling, affinity, the PI futex and
 * file calls that are not cancellation points.  Raw system calls only,
 * as lwp.c, for the reasons compat/lwp.h gives.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "arch.h"
#include "arch_syscall.h"
#include "compat/lwp.h"

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13 /* Linux 5.14; older <linux/futex.h> lack it */
#endif

/* The kernel's signal set is _NSIG bits, not glibc's 1024. */
#define KERNEL_SIGSET_BYTES (_NSIG / 8)

static int errno_of(long r)
{
	return r < 0 ? (int)-r : 0;
}

int lwp_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	return errno_of(shim_syscall4(SYS_rt_sigprocmask, how, (long)set,
				      (long)old, KERNEL_SIGSET_BYTES));
}

int lwp_sigaction(int sig, const struct sigaction *act)
{
	/* The kernel's struct sigaction, not glibc's: the restorer is ours
	 * (glibc's __restore_rt is private), so SA_RESTORER is always set. */
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		unsigned long mask;
	} ksa = {
		.handler = (void *)act->sa_sigaction,
		.flags = (unsigned long)act->sa_flags | 0x04000000, /* RESTORER */
		.restorer = (void *)arch_sigreturn,
	};
	memcpy(&ksa.mask, &act->sa_mask, sizeof ksa.mask);
	return errno_of(shim_syscall4(SYS_rt_sigaction, sig, (long)&ksa, 0,
				      sizeof ksa.mask));
}

int lwp_sigqueue(pid_t tid, int sig, union sigval v)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = lwp_getpid();
	si.si_uid = (uid_t)shim_syscall0(SYS_getuid);
	si.si_value = v;
	return errno_of(shim_syscall4(SYS_rt_tgsigqueueinfo, si.si_pid, tid,
				      sig, (long)&si));
}

int lwp_getparam(pid_t tid, int *policy, struct sched_param *p)
{
	long pol = shim_syscall1(SYS_sched_getscheduler, tid);
	if (pol < 0)
		return (int)-pol;
	long r = shim_syscall2(SYS_sched_getparam, tid, (long)p);
	if (r < 0)
		return (int)-r;
	*policy = (int)pol;
	return 0;
}

int lwp_setparam(pid_t tid, int policy, const struct sched_param *p)
{
	if (policy == LWP_SCHED_KEEP)
		return errno_of(shim_syscall2(SYS_sched_setparam, tid,
					      (long)p));
	return errno_of(shim_syscall3(SYS_sched_setscheduler, tid, policy,
				      (long)p));
}

int lwp_timer_create(pid_t tid, int sig, int *id)
{
	struct sigevent ev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = sig,
	};
	ev._sigev_un._tid = tid;
	return errno_of(shim_syscall3(SYS_timer_create, CLOCK_MONOTONIC,
				      (long)&ev, (long)id));
}

int lwp_timer_arm(int id, const struct timespec *after)
{
	const struct itimerspec once = { .it_value = *after };
	return errno_of(shim_syscall4(SYS_timer_settime, id, 0, (long)&once,
				      0));
}

void lwp_timer_delete(int id)
{
	shim_syscall1(SYS_timer_delete, id);
}

int lwp_getaffinity(pid_t tid, size_t size, cpu_set_t *set)
{
	long r = shim_syscall3(SYS_sched_getaffinity, tid, (long)size,
			       (long)set);
	if (r < 0)
		return (int)-r;
	/* The kernel fills only its own mask size. */
	memset((char *)set + r, 0, size - (size_t)r);
	return 0;
}

int lwp_setaffinity(pid_t tid, size_t size, const cpu_set_t *set)
{
	return errno_of(shim_syscall3(SYS_sched_setaffinity, tid, (long)size,
				      (long)set));
}

void lwp_yield(void)
{
	shim_syscall0(SYS_sched_yield);
}

int lwp_nanosleep(const struct timespec *t)
{
	return errno_of(shim_syscall2(SYS_nanosleep, (long)t, 0));
}

pid_t lwp_getpid(void)
{
	return (pid_t)shim_syscall0(SYS_getpid);
}

static int futex_pi(_Atomic int *word, int op, const struct timespec *abstime,
		    bool shared)
{
	if (!shared)
		op |= FUTEX_PRIVATE_FLAG;
	return errno_of(shim_syscall4(SYS_futex, (long)word, op, 0,
				      (long)abstime));
}

int lwp_pi_lock(_Atomic int *word, const struct timespec *abstime,
		clockid_t clock, bool shared)
{
	/* FUTEX_LOCK_PI measures a deadline on CLOCK_REALTIME only;
	 * FUTEX_LOCK_PI2 on CLOCK_MONOTONIC when not told otherwise. */
	int op = abstime != NULL && clock == CLOCK_MONOTONIC ? FUTEX_LOCK_PI2
							     : FUTEX_LOCK_PI;
	return futex_pi(word, op, abstime, shared);
}

int lwp_pi_trylock(_Atomic int *word, bool shared)
{
	return futex_pi(word, FUTEX_TRYLOCK_PI, NULL, shared);
}

int lwp_pi_unlock(_Atomic int *word, bool shared)
{
	return futex_pi(word, FUTEX_UNLOCK_PI, NULL, shared);
}

int lwp_open(const char *path, int flags, mode_t mode)
{
	return (int)shim_syscall4(SYS_openat, AT_FDCWD, (long)path, flags,
				  mode);
}

ssize_t lwp_read(int fd, void *buf, size_t n)
{
	return shim_syscall3(SYS_read, fd, (long)buf, (long)n);
}

ssize_t lwp_write(int fd, const void *buf, size_t n)
{
	return shim_syscall3(SYS_write, fd, (long)buf, (long)n);
}

int lwp_close(int fd)
{
	return (int)shim_syscall1(SYS_close, fd);
}

static const long sys_number[LWP_SYS_COUNT] = {
#define LWP_SYS_NUMBER(name) [LWP_SYS_##name] = SYS_##name,
	LWP_SYSCALLS(LWP_SYS_NUMBER)
#undef LWP_SYS_NUMBER
};

long lwp_syscall(enum lwp_sys call, long a, long b, long c, long d, long e,
		 long f)
{
	return shim_syscall6(sys_number[call], a, b, c, d, e, f);
}
