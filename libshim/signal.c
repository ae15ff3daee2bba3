/*
 * libshim/signal.c -- signals aimed at one thread, and the thread's mask.
 * glibc keeps SIGCANCEL (32) and SIGSETXID (33) for itself; so does
 * libshim: a program can neither send nor block them.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "compat/glibc/signals.h"
#include "libshim/shim.h"
#include "libshim/thread.h"

/* Out of range, or one of the two glibc keeps for itself. */
static bool invalid_signal(int sig)
{
	return sig < 0 || sig >= _NSIG || sig == SIGCANCEL || sig == SIGSETXID;
}

SHIM_EXPORT int pthread_kill(pthread_t t, int sig)
{
	if (invalid_signal(sig))
		return EINVAL;
	pid_t tid = shim_thread_tid(t);
	if (tid <= 0) /* exited, not joined: glibc 2.34+ says 0, sends nothing */
		return tid == 0 ? 0 : ESRCH;
	/* The thread may exit between the read of its tid and the tgkill:
	 * the kernel then says ESRCH for a thread not yet joined, which is
	 * the exited case above (glibc's exit_lock gives the same answer). */
	int e = lwp_kill(tid, sig);
	return e == ESRCH ? 0 : e;
}

/* Programs linked before glibc 2.34 call pthread_kill@GLIBC_2.2.5, which
 * glibc keeps for them with its old answer for a thread that has exited
 * but is not yet joined: ESRCH (glibc's tst-pthread_kill-exited).  A
 * thread seen alive and gone by the tgkill was signalled before it
 * exited, as for the current version.  Only the versioned alias is
 * exported: libshim/versions.map keeps this name local. */
SHIM_EXPORT int shim_pthread_kill_esrch(pthread_t t, int sig);
int shim_pthread_kill_esrch(pthread_t t, int sig)
{
	if (invalid_signal(sig))
		return EINVAL;
	return shim_thread_tid(t) == 0 ? ESRCH : pthread_kill(t, sig);
}
__asm__(".symver shim_pthread_kill_esrch, pthread_kill@GLIBC_2.2.5");

SHIM_EXPORT int pthread_sigqueue(pthread_t t, int sig, const union sigval value)
{
	if (invalid_signal(sig))
		return EINVAL;
	pid_t tid = shim_thread_tid(t);
	if (tid <= 0)
		return tid == 0 ? 0 : ESRCH;
	return lwp_sigqueue(tid, sig, value);
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
	return lwp_sigmask(how, set, old);
}
