/*
 * libshim/setxid.c -- process-wide credentials.
 *
 * Linux changes credentials per LWP; POSIX wants setuid() and friends to
 * act on the whole process.  glibc broadcasts the change to the threads on
 * its own list (SIGSETXID).  A libshim thread is on that list only from its
 * start to its exit (tcb_list_enter), not while its creator clones it, so
 * libshim wraps the family: glibc's function first (the caller and every
 * thread on glibc's list), then, in each libshim thread, run by that
 * thread from its SIGCANCEL handler (a queued signal whose value marks it
 * as a set*id request), a system call that gives it the caller's new
 * credentials.
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
#include <stdatomic.h>
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
	if (atomic_fetch_sub_explicit(&req.pending, 1,
				      memory_order_release) == 1)
		lwp_wake_addr(&req.pending, 1, false);
	return true;
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
	req.pending = 0;
	/* One pass, the tid read once: a listed thread's tid appears when
	 * its creator's clone returns, which the list lock does not hold
	 * back, so a second pass could signal a thread the first had not
	 * counted (the count would go below zero and the wait never end).
	 * Each is counted before its signal can be acknowledged. */
	for (struct shim_thread *td = shim_threads_first(); td; td = td->td_next) {
		pid_t tid = shim_td_tid(td);
		if (td == self || td->td_adopted || tid == 0)
			continue;
		atomic_fetch_add_explicit(&req.pending, 1,
					  memory_order_relaxed);
		if (lwp_sigqueue(tid, SIGCANCEL,
				 (union sigval){.sival_ptr = &req}) != 0)
			atomic_fetch_sub_explicit(&req.pending, 1,
						  memory_order_relaxed);
	}
	int left;
	while ((left = atomic_load_explicit(&req.pending,
					    memory_order_acquire)) != 0)
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

/*
 * What the other threads run: the caller's credentials as they now are,
 * set absolutely.  Replaying the call itself would not do, because glibc
 * has already run it in every thread on its list: setuid(0) run a second
 * time by a thread whose effective uid the first made 0 sets its real and
 * saved uids too (glibc's tst-setuid1).  setresuid to the values a thread
 * already has changes nothing; from the old values it is allowed whenever
 * the caller's own call was (unprivileged, every set*id call only picks
 * among the old real, effective and saved ids).
 */
static void broadcast_uids(void)
{
	uid_t r, e, s;
	getresuid(&r, &e, &s);
	broadcast(LWP_SYS_setresuid, r, e, s);
}

static void broadcast_gids(void)
{
	gid_t r, e, s;
	getresgid(&r, &e, &s);
	broadcast(LWP_SYS_setresgid, r, e, s);
}

/* Each wrapper: glibc's own function, then the other libshim threads. */
#define SETXID_WRAPPER(name, params, args, replay)                             \
	SHIM_EXPORT int name params                                            \
	{                                                                      \
		static int(*real) params;                                     \
		if (real == NULL)                                              \
			real = (int(*) params)dlvsym(RTLD_NEXT, #name,         \
						     GLIBC_BASE_VERSION);          \
		int ret_ = real args;                                          \
		if (ret_ == 0 && shim_threads_exist())                         \
			replay;                                                \
		return ret_;                                                   \
	}

SETXID_WRAPPER(setuid, (uid_t u), (u), broadcast_uids())
SETXID_WRAPPER(setgid, (gid_t g), (g), broadcast_gids())
SETXID_WRAPPER(seteuid, (uid_t e), (e), broadcast_uids())
SETXID_WRAPPER(setegid, (gid_t e), (e), broadcast_gids())
SETXID_WRAPPER(setreuid, (uid_t ru, uid_t eu), (ru, eu), broadcast_uids())
SETXID_WRAPPER(setregid, (gid_t rg, gid_t eg), (rg, eg), broadcast_gids())
SETXID_WRAPPER(setresuid, (uid_t ru, uid_t eu, uid_t su), (ru, eu, su),
	       broadcast_uids())
SETXID_WRAPPER(setresgid, (gid_t rg, gid_t eg, gid_t sg), (rg, eg, sg),
	       broadcast_gids())
/* A list of groups is absolute already: running it twice is harmless. */
SETXID_WRAPPER(setgroups, (size_t n, const gid_t *l), (n, l),
	       broadcast(LWP_SYS_setgroups, (long)n, (long)l, 0))
