/*
 * libshim/dump.c -- the thread dump (SHIM_DUMP=SIGNAL[,deadlock=MS]).
 *
 * On the signal the user chose, or when a real deadlock forms, every
 * thread is printed on stderr: tid, name, what it is doing (running, or
 * waiting on which object of which kind, since when, and held by whom),
 * the locks it holds and its call stack; and, for a deadlock, the
 * wait-for cycle first, like the JVM's "Found one Java-level deadlock".
 *
 * What a thread waits for and what it holds is in its static-TLS record
 * (diag.h), kept by the lock calls' hooks (profile.c) once SHIM_DUMP sets
 * DIAG_DUMP.  Another thread's record is at the same offset from its
 * thread pointer as ours from ours (static TLS has one layout for every
 * thread), so the dump reads every thread's record from libshim's thread
 * list without asking the thread.  Its call stack only the thread itself
 * can take: the dumper sends each thread the dump signal with a cookie
 * (rt_tgsigqueueinfo, SI_QUEUE), the handler sees the cookie, unwinds its
 * own stack into its record and returns; a parked thread's sleep is
 * interrupted and resumes (the park layer re-parks after a signal).  A
 * thread that does not answer within 200 ms (it blocks the signal) is
 * printed without a stack.
 *
 * The deadlock check.  A thread that has been parked, on a wait with no
 * deadline, for longer than deadlock=MS (1000 ms by default) wakes (the
 * park layer's sleep, dump_park, is then a timed one) and follows the
 * wait-for graph from itself: the lock it waits for, the thread holding
 * it, the lock that thread is parked on, ... If that comes back to itself,
 * every thread of the cycle is parked on a lock another of them holds:
 * none can ever move, and the cycle is printed with a full dump, once per
 * process.  Condvars, semaphores, barriers and joins have no holder, so no
 * cycle runs through them (a hang behind a condvar is for the signal).
 *
 * Async-signal-safety: the dump uses write(2), open/read on /proc for
 * thread names, clock_gettime, _dl_find_object and the unwinder (libgcc's
 * is lock-free with glibc 2.35's _dl_find_object), no malloc and no
 * stdio.  The thread list is walked without its lock (a thread being
 * created or exiting meanwhile may be missed or shown half-made): a dump
 * is a snapshot taken while the program may be running.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "compat/lwp.h"
#include "libshim/diag.h"
#include "libshim/outbuf.h"
#include "libshim/shim.h"
#include "libshim/symbol.h"
#include "libshim/thread.h"
#include "libshim/unwind.h"

#define STACK_COOKIE 0x5d0d5d0d /* si_value of a "take your stack" signal */
#define ANSWER_NS 200000000u    /* how long a thread has to answer */
#define CYCLE_MAX 64

enum { BT_NONE, BT_ASKED, BT_DONE };

static int dump_signal;
static uintptr_t restorer; /* the handler's return path: a signal frame */
static uint64_t deadlock_ns = 1000000000u;
static _Atomic bool dumping;          /* one dump at a time */
static _Atomic bool deadlock_reported;

/* The record of the thread whose thread pointer is tp. */
static struct diag_thread *record_of(void *tp)
{
	ptrdiff_t off = (char *)&diag_self - (char *)arch_thread_pointer();
	return (struct diag_thread *)((char *)tp + off);
}

static void out_name(struct outbuf *o, pid_t tid)
{
	char path[48] = "/proc/self/task/", buf[32];
	size_t n = strlen(path);
	char digits[12];
	int k = 0;
	for (pid_t t = tid; t > 0 && k < 11; t /= 10)
		digits[k++] = (char)('0' + t % 10);
	while (k > 0)
		path[n++] = digits[--k];
	memcpy(path + n, "/comm", 6);
	/* Raw calls: libshim's are cancellation points (see outbuf.c). */
	int fd = lwp_open(path, O_RDONLY | O_CLOEXEC, 0);
	ssize_t r = fd >= 0 ? lwp_read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		lwp_close(fd);
	if (r <= 0)
		r = 0;
	if (r > 0 && buf[r - 1] == '\n')
		r--;
	buf[r] = '\0';
	out_str(o, "\"");
	out_str(o, buf);
	out_str(o, "\"");
}

static bool has_holder(unsigned kind)
{
	return kind == PROF_MUTEX || kind == PROF_RWLOCK_RD ||
	       kind == PROF_RWLOCK_WR || kind == PROF_SPIN;
}

static bool holds(const struct diag_thread *r, const void *obj)
{
	/* Acquire, against hold()'s count store (profile.c): the entries
	 * below n are complete.  The thread may be running: a snapshot. */
	unsigned n = __atomic_load_n(&r->nheld, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < n && i < DIAG_HELD_MAX; i++)
		if (r->held[i].obj == obj)
			return true;
	return false;
}

/* A thread other than not holding obj, preferring a parked one (the one a
 * cycle would run through); NULL if none is known to. */
static struct shim_thread *holder_of(const void *obj,
				     const struct shim_thread *not)
{
	struct shim_thread *found = NULL;
	for (struct shim_thread *td = shim_threads_first(); td != NULL;
	     td = td->td_next) {
		if (td == not || !holds(record_of(td->td_tp), obj))
			continue;
		if (atomic_load_explicit(&record_of(td->td_tp)->parked,
					 memory_order_acquire))
			return td;
		if (found == NULL)
			found = td;
	}
	return found;
}

/* Ask td for its stack and wait for the answer; false if none came. */
static bool ask_stack(struct shim_thread *td, struct diag_thread *r)
{
	atomic_store_explicit(&r->bt_state, BT_ASKED, memory_order_relaxed);
	union sigval cookie = { .sival_int = STACK_COOKIE };
	if (pthread_sigqueue((pthread_t)td, dump_signal, cookie) != 0)
		return false;
	uint64_t until = diag_now() + ANSWER_NS;
	while (atomic_load_explicit(&r->bt_state, memory_order_acquire) !=
	       BT_DONE) {
		if (diag_now() > until)
			return false;
		struct timespec ms = { 0, 1000000 };
		lwp_nanosleep(&ms); /* raw: see out_name */
	}
	return true;
}

static unsigned interrupted_stack(uintptr_t *out);

/* self: td is the calling thread (NULL: one libshim has no descriptor
 * for), in_handler: in the dump signal's handler. */
static void out_thread(struct outbuf *o, struct shim_thread *td, bool self,
		       bool in_handler)
{
	struct diag_thread *r = td != NULL ? record_of(td->td_tp) : &diag_self;
	pid_t tid = td != NULL ? shim_td_tid(td) : shim_tid();
	out_str(o, "libshim: thread ");
	out_dec(o, (uint64_t)tid);
	out_str(o, " ");
	out_name(o, tid);
	const void *obj = atomic_load_explicit(&r->wait_obj, memory_order_acquire);
	unsigned kind = atomic_load_explicit(&r->wait_kind, memory_order_relaxed);
	if (obj == NULL) {
		out_str(o, self ? ": running (printing this dump)\n"
				: ": running\n");
	} else {
		out_str(o, atomic_load_explicit(&r->parked, memory_order_relaxed)
				   ? ": waiting (parked) on "
				   : ": waiting (spinning) on ");
		out_named_object(o, obj, kind);
		out_str(o, " for ");
		out_ms(o, diag_now() - atomic_load_explicit(&r->wait_since_ns,
							    memory_order_relaxed));
		out_str(o, " ms");
		struct shim_thread *h = has_holder(kind) ? holder_of(obj, td) : NULL;
		if (h != NULL) {
			out_str(o, ", held by thread ");
			out_dec(o, (uint64_t)shim_td_tid(h));
			out_str(o, " ");
			out_name(o, shim_td_tid(h));
		}
		out_str(o, "\n");
	}
	unsigned n = __atomic_load_n(&r->nheld, __ATOMIC_ACQUIRE); /* as in holds() */
	for (unsigned i = 0; i < n && i < DIAG_HELD_MAX; i++) {
		out_str(o, "libshim:   holds ");
		out_named_object(o, r->held[i].obj, r->held[i].kind);
		out_str(o, "\n");
	}
	if (self) {
		uintptr_t frames[DIAG_FRAMES_MAX];
		out_named_stack(o, frames, in_handler ? interrupted_stack(frames)
						: shim_backtrace(frames,
								 DIAG_FRAMES_MAX));
	} else if (ask_stack(td, r)) {
		out_named_stack(o, r->bt, r->bt_n);
	} else {
		out_str(o, "libshim:     (no call stack: the thread did not "
			    "answer the dump signal)\n");
	}
}

static void dump_all(struct outbuf *o, bool in_handler)
{
	/* By tid: a descriptor may be listed before its thread knows it. */
	pid_t self = shim_tid();
	bool listed = false;
	for (struct shim_thread *td = shim_threads_first(); td != NULL;
	     td = td->td_next)
		listed |= shim_td_tid(td) == self;
	out_str(o, "libshim: thread dump of pid ");
	out_dec(o, (uint64_t)shim_pid());
	out_str(o, " (");
	out_str(o, program_invocation_short_name);
	out_str(o, "):\n");
	if (!listed)
		out_thread(o, NULL, true, in_handler); /* a thread never adopted */
	for (struct shim_thread *td = shim_threads_first(); td != NULL;
	     td = td->td_next)
		if (shim_td_tid(td) != 0)
			out_thread(o, td, shim_td_tid(td) == self, in_handler);
	out_str(o, "libshim: end of thread dump\n");
	out_flush(o);
}

/* In the handler: the stack of what the signal interrupted, from its first
 * frame outside libshim (a thread parked in libshim shows where the
 * program called in, not the park layer's own frames). */
static unsigned interrupted_stack(uintptr_t *out)
{
	uintptr_t all[2 * DIAG_FRAMES_MAX];
	unsigned n = shim_backtrace(all, 2 * DIAG_FRAMES_MAX), i = 0;
	while (i < n && !(all[i] + 1 >= restorer && all[i] < restorer + 16))
		i++;
	if (i == n)
		i = 0; /* no signal frame seen: keep what there is */
	else
		i++;
	while (i < n && shim_in_libshim(all[i]))
		i++;
	unsigned k = 0;
	for (; i < n && k < DIAG_FRAMES_MAX; i++)
		out[k++] = all[i];
	return k;
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	struct diag_thread *me = &diag_self;
	if (si->si_code == SI_QUEUE && si->si_value.sival_int == STACK_COOKIE &&
	    si->si_pid == shim_pid()) {
		if (atomic_load_explicit(&me->bt_state, memory_order_relaxed) ==
		    BT_ASKED) {
			me->bt_n = interrupted_stack(me->bt);
			atomic_store_explicit(&me->bt_state, BT_DONE,
					      memory_order_release);
		}
		return;
	}
	if (atomic_exchange(&dumping, true))
		return;
	struct outbuf o = { .fd = 2 };
	dump_all(&o, true);
	atomic_store(&dumping, false);
}

/* From the calling thread, parked for deadlock_ns: a cycle back to it? */
static void check_deadlock(void)
{
	struct shim_thread *me = shim_self_if_known(), *cycle[CYCLE_MAX];
	if (me == NULL || atomic_load(&deadlock_reported))
		return;
	unsigned n = 0;
	for (struct shim_thread *cur = me;;) {
		struct diag_thread *r = record_of(cur->td_tp);
		const void *obj = atomic_load_explicit(&r->wait_obj,
						       memory_order_acquire);
		unsigned kind = atomic_load_explicit(&r->wait_kind,
						     memory_order_relaxed);
		if (obj == NULL || !has_holder(kind) ||
		    !atomic_load_explicit(&r->parked, memory_order_acquire) ||
		    n == CYCLE_MAX)
			return;
		cycle[n++] = cur;
		cur = holder_of(obj, cur);
		if (cur == me)
			break;
		for (unsigned i = 0; i < n; i++)
			if (cycle[i] == cur)
				return; /* a cycle without us: its own reports */
		if (cur == NULL)
			return;
	}
	if (atomic_exchange(&deadlock_reported, true) ||
	    atomic_exchange(&dumping, true))
		return;
	struct outbuf o = { .fd = 2 };
	out_str(&o, "libshim: found a deadlock: ");
	out_dec(&o, n);
	out_str(&o, " threads, each parked on a lock the next one holds:\n");
	for (unsigned i = 0; i < n; i++) {
		struct diag_thread *r = record_of(cycle[i]->td_tp);
		out_str(&o, "libshim:   thread ");
		out_dec(&o, (uint64_t)shim_td_tid(cycle[i]));
		out_str(&o, " ");
		out_name(&o, shim_td_tid(cycle[i]));
		out_str(&o, " waits for ");
		out_named_object(&o, atomic_load(&r->wait_obj), atomic_load(&r->wait_kind));
		out_str(&o, ", held by thread ");
		out_dec(&o, (uint64_t)shim_td_tid(cycle[(i + 1) % n]));
		out_str(&o, " ");
		out_name(&o, shim_td_tid(cycle[(i + 1) % n]));
		out_str(&o, "\n");
	}
	dump_all(&o, false);
	atomic_store(&dumping, false);
}

int dump_park(lwp_parker_t *self, const struct timespec *abstime,
	      clockid_t clock)
{
	if (!(shim_diag & DIAG_DUMP) || deadlock_ns == 0 || abstime != NULL)
		return lwp_park(self, abstime, clock);
	uint64_t at = diag_now() + deadlock_ns;
	struct timespec ts = { (time_t)(at / 1000000000u),
			       (long)(at % 1000000000u) };
	int e = lwp_park(self, &ts, CLOCK_MONOTONIC);
	if (e != ETIMEDOUT)
		return e;
	check_deadlock();
	return EAGAIN; /* a spurious wake-up: the caller parks again */
}

static void refuse(const char *v, const char *why)
{
	struct outbuf o = { .fd = 2 };
	out_str(&o, "libshim: SHIM_DUMP=");
	out_str(&o, v);
	out_str(&o, ": ");
	out_str(&o, why);
	out_str(&o, "; the thread dump stays off (SHIM_DUMP=SIGNAL[,deadlock="
		    "MS], SIGNAL one of SIGQUIT, SIGUSR1, SIGUSR2, SIGPWR, "
		    "SIGWINCH, SIGURG; deadlock=0 turns the check off)\n");
	out_flush(&o);
}

__attribute__((constructor)) static void dump_setup(void)
{
	static const struct { const char *name; int sig; } signals[] = {
		{ "SIGQUIT", SIGQUIT }, { "SIGUSR1", SIGUSR1 },
		{ "SIGUSR2", SIGUSR2 }, { "SIGPWR", SIGPWR },
		{ "SIGWINCH", SIGWINCH }, { "SIGURG", SIGURG },
	};
	const char *v = getenv("SHIM_DUMP");
	if (v == NULL || *v == '\0')
		return;
	char buf[64];
	if (strlen(v) >= sizeof buf) {
		refuse(v, "too long");
		return;
	}
	strcpy(buf, v);
	char *rest = strchr(buf, ',');
	if (rest != NULL)
		*rest++ = '\0';
	for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
		if (strcmp(buf, signals[i].name) == 0)
			dump_signal = signals[i].sig;
	if (dump_signal == 0) {
		refuse(v, "not a signal it can use");
		return;
	}
	if (rest != NULL) {
		char *end;
		unsigned long ms = strncmp(rest, "deadlock=", 9) == 0
					   ? strtoul(rest + 9, &end, 10)
					   : 0;
		if (strncmp(rest, "deadlock=", 9) != 0 || rest[9] < '0' ||
		    rest[9] > '9' || *end != '\0' || ms > 3600000) {
			dump_signal = 0;
			refuse(v, "not deadlock=MS after the signal");
			return;
		}
		deadlock_ns = ms * 1000000u;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	struct sigaction now;
	if (sigaction(dump_signal, &sa, NULL) != 0 ||
	    sigaction(dump_signal, NULL, &now) != 0)
		return;
	restorer = (uintptr_t)now.sa_restorer;
	shim_unwinder(); /* now, outside any lock call or handler */
	shim_diag |= DIAG_DUMP;
}
