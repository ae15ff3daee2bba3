/*
 * libshim/setxid.c -- process-wide credentials.
 *
 * Linux changes credentials per LWP; POSIX wants setuid() and friends to
 * act on the whole process.  glibc broadcasts the change to the threads on
 * its own list (SIGSETXID).  A libshim thread is on that list only from its
 * start to its exit (tcb_list_enter), not while its creator clones it, so
 * libshim wraps the family: glibc's function first (the caller and every
 * thread on glibc's list), then the same system call in each libshim
 * thread, run by that thread from its SIGCANCEL handler (a queued signal
 * whose value marks it as a set*id request); for a thread glibc already
 * changed it changes nothing.
 *
 * The thread-list lock is held for the whole broadcast: a listed thread
 * cannot leave (unlisting takes the lock) before it has acknowledged, and
 * a thread being created is listed before its LWP exists, with signals
 * blocked until it starts, so it too takes the request.  The initiator
 * waits for the acknowledgements on the counter's own address: a signal
 * handler must not enter the park layer, whose bucket lock the interrupted
 * thread may hold.
 */
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat/lwp.h"
#include "compat/glibc/tcb.h"
#include "compat/glibc/signals.h"
#include "libshim/nocancel.h"
#include "libshim/shim.h"
#include "libshim/thread.h"

static struct {
	enum lwp_sys call;
	long a, b, c;
	_Atomic int pending; /* threads that have not run it yet */
	_Atomic int failed;
} req;

bool shim_setxid_signal(const siginfo_t *si)
{
	if (si->si_code != SI_QUEUE || si->si_value.sival_ptr != &req)
		return false;
	if (lwp_syscall(req.call, req.a, req.b, req.c, 0, 0, 0) < 0)
		req.failed = 1;
	if (__atomic_sub_fetch(&req.pending, 1, __ATOMIC_RELEASE) == 0)
		lwp_wake_addr(&req.pending, 1, false);
	return true;
}

static void send_request(struct shim_thread *td)
{
	lwp_sigqueue(shim_td_tid(td), SIGCANCEL,
		     (union sigval){.sival_ptr = &req});
}

/* Run the system call in every libshim thread but the caller. */
static int broadcast(enum lwp_sys call, long a, long b, long c)
{
	struct shim_thread *self = shim_self();
	shim_threads_lock();
	req.call = call;
	req.a = a;
	req.b = b;
	req.c = c;
	req.failed = 0;
	int n = 0;
	for (struct shim_thread *td = shim_threads_first(); td; td = td->td_next)
		if (td != self && !td->td_adopted && shim_td_tid(td) != 0)
			n++;
	req.pending = n;
	for (struct shim_thread *td = shim_threads_first(); td; td = td->td_next)
		if (td != self && !td->td_adopted && shim_td_tid(td) != 0)
			send_request(td);
	int left;
	while ((left = __atomic_load_n(&req.pending, __ATOMIC_ACQUIRE)) != 0)
		lwp_wait_addr(&req.pending, left, NULL, CLOCK_MONOTONIC, false);
	int failed = req.failed;
	shim_threads_unlock();
	if (failed) {
		/* Threads now disagree on credentials: glibc aborts here too. */
		static const char msg[] =
			"libshim: set*id failed in some threads only\n";
		nocancel_write(2, msg, sizeof msg - 1);
		abort();
	}
	return 0;
}

/* Each wrapper: glibc's own function, then the other libshim threads. */
#define SETXID_WRAPPER(name, params, args, call, a, b, c)                     \
	SHIM_EXPORT int name params                                            \
	{                                                                      \
		static int(*real) params;                                     \
		if (real == NULL)                                              \
			real = (int(*) params)dlvsym(RTLD_NEXT, #name,         \
						     GLIBC_BASE_VERSION);          \
		int ret_ = real args;                                          \
		if (ret_ == 0 && shim_threads_exist())                         \
			broadcast(call, (long)(a), (long)(b), (long)(c));      \
		return ret_;                                                   \
	}

SETXID_WRAPPER(setuid, (uid_t u), (u), LWP_SYS_setuid, u, 0, 0)
SETXID_WRAPPER(setgid, (gid_t g), (g), LWP_SYS_setgid, g, 0, 0)
SETXID_WRAPPER(seteuid, (uid_t e), (e), LWP_SYS_setresuid, -1, e, -1)
SETXID_WRAPPER(setegid, (gid_t e), (e), LWP_SYS_setresgid, -1, e, -1)
SETXID_WRAPPER(setreuid, (uid_t ru, uid_t eu), (ru, eu), LWP_SYS_setreuid,
	       ru, eu, 0)
SETXID_WRAPPER(setregid, (gid_t rg, gid_t eg), (rg, eg), LWP_SYS_setregid,
	       rg, eg, 0)
SETXID_WRAPPER(setresuid, (uid_t ru, uid_t eu, uid_t su), (ru, eu, su),
	       LWP_SYS_setresuid, ru, eu, su)
SETXID_WRAPPER(setresgid, (gid_t rg, gid_t eg, gid_t sg), (rg, eg, sg),
	       LWP_SYS_setresgid, rg, eg, sg)
SETXID_WRAPPER(setgroups, (size_t n, const gid_t *l), (n, l),
	       LWP_SYS_setgroups, n, l, 0)
