/*
 * libshim/signal.c -- signals aimed at one thread, and the thread's mask.
 * glibc keeps SIGCANCEL (32) and SIGSETXID (33) for itself; so does
 * libshim: a program can neither send nor block them.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/x86_64/syscall.h"
#include "libshim/shim.h"
#include "libshim/thread.h"

#define SIGCANCEL 32
#define SIGSETXID 33

static bool reserved(int sig)
{
	return sig == SIGCANCEL || sig == SIGSETXID;
}

/* The target's kernel tid: > 0 live, 0 exited but not yet joined (its id
 * is still valid: glibc 2.34+ then reports success and sends nothing), -1
 * not a thread. */
static pid_t target_tid(pthread_t t)
{
	struct shim_thread *td = shim_thread_from(t);
	return td ? __atomic_load_n(td->td_tidp, __ATOMIC_ACQUIRE) : -1;
}

SHIM_EXPORT int pthread_kill(pthread_t t, int sig)
{
	if (reserved(sig) || sig < 0 || sig >= _NSIG)
		return EINVAL;
	pid_t tid = target_tid(t);
	if (tid <= 0)
		return tid == 0 ? 0 : ESRCH;
	return lwp_kill(tid, sig);
}

SHIM_EXPORT int pthread_sigqueue(pthread_t t, int sig, const union sigval value)
{
	if (reserved(sig) || sig < 0 || sig >= _NSIG)
		return EINVAL;
	pid_t tid = target_tid(t);
	if (tid <= 0)
		return tid == 0 ? 0 : ESRCH;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = shim_pid();
	si.si_uid = getuid();
	si.si_value = value;
	long r = shim_syscall4(SYS_rt_tgsigqueueinfo, shim_pid(), tid, sig,
			       (long)&si);
	return r < 0 ? (int)-r : 0;
}

SHIM_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	sigset_t copy;
	if (set != NULL) {
		if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
			return EINVAL;
		/* Cancellation and set*id must keep reaching every thread. */
		/* (glibc's sigdelset refuses these two, so clear the bits.) */
		copy = *set;
		copy.__val[0] &= ~(1ul << (SIGCANCEL - 1) | 1ul << (SIGSETXID - 1));
		set = &copy;
	}
	long r = shim_syscall4(SYS_rt_sigprocmask, how, (long)set, (long)old,
			       _NSIG / 8);
	return r < 0 ? (int)-r : 0;
}
