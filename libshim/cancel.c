/*
 * libshim/cancel.c -- cancellation, cleanup handlers and unwinding on
 * pthread_exit, with glibc's ABI and behaviour.
 *
 * glibc's pthread_cleanup_push macros compile to __pthread_register_cancel
 * (a buffer with a sigsetjmp in the caller's frame), and
 * __pthread_unwind_next (run by the macro after the handler, to go on).
 * Exiting and acting on a cancellation both unwind the stack with
 * _Unwind_ForcedUnwind, as glibc does: C++ destructors and
 * -fexceptions cleanups run as landing pads; the stop function below
 * longjmps into each registered C buffer when unwinding reaches its frame,
 * and runs legacy _pthread_cleanup_push handlers whose frames are left.
 * At the end of the stack (the trampoline's outermost frame) the thread
 * finishes exiting.
 *
 * Delivery: pthread_cancel sets TD_CANCEL_PENDING and sends SIGCANCEL (32,
 * reserved by glibc, so no program uses it) to the target.  The handler is
 * installed without SA_RESTART: a thread asleep in the park layer comes
 * back with EINTR, park_wait sees the flag at a cancellation point and
 * returns ECANCELED.  In asynchronous mode the handler acts at once,
 * except inside the park layer: a mutex or rwlock wait leaves its queue
 * first and acts then (see PARK_ASYNC_CANCEL).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat/glibc/signals.h"
#include "compat/glibc/tcb.h"
#include "compat/lwp.h"
#include "libshim/park.h"
#include "libshim/shim.h"
#include "libshim/thread.h"
#include "libshim/unwind.h"

/* glibc's __pthread_unwind_buf_t with its private words named. */
struct shim_cleanup {
	struct {
		long jb[sizeof(__jmp_buf) / sizeof(long)]; /* the CPU's jmp_buf */
		int mask_was_saved;
	} jmp[1];
	struct shim_cleanup *prev;
	void *legacy; /* the legacy chain's head at registration */
	int canceltype; /* the _defer variant's saved type */
	void *pad;
};
_Static_assert(sizeof(struct shim_cleanup) == sizeof(__pthread_unwind_buf_t),
	       "cleanup buffer size");

/* glibc's struct _pthread_cleanup_buffer (legacy interface). */
struct legacy_cleanup {
	void (*routine)(void *);
	void *arg;
	int canceltype;
	struct legacy_cleanup *prev;
};
_Static_assert(sizeof(struct legacy_cleanup) ==
	       sizeof(struct _pthread_cleanup_buffer), "legacy buffer size");

/* The legacy chain lives where glibc keeps it, in the TCB: libc's own
 * functions push handlers there too (system's kills its child), and
 * unwinding must run theirs and the program's in one stack order. */
static struct legacy_cleanup **legacy_head(void)
{
	return (struct legacy_cleanup **)tcb_glibc_cleanup_head();
}
/* The chain of registered buffers lives where glibc keeps it: glibc's
 * __do_cancel, acting at one of libc's own cancellation points, unwinds
 * to the buffer at its head.  Its bottom buffer (prev NULL) is the
 * thread's first frame, glibc's or libshim's (shim_cancel_bottom): glibc
 * returns there, libshim's unwinding never does (it ends the thread at
 * the end of the stack). */
static struct shim_cleanup **chain(void)
{
	return (struct shim_cleanup **)tcb_cleanup_jmp_buf();
}
static __thread struct _Unwind_Exception unwind_exc
	__attribute__((tls_model("initial-exec")));

/* Resume in the frame that registered buf, as its sigsetjmp returning 1.
 * glibc's buffer is shorter than a jmp_buf on purpose: it never saves a
 * signal mask, so longjmp reads only the registers and the flag. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
static _Noreturn void jump_to(struct shim_cleanup *buf)
{
	*chain() = buf->prev;
	longjmp((struct __jmp_buf_tag *)buf->jmp, 1);
}
#pragma GCC diagnostic pop

static _Noreturn void finish_exit(struct shim_thread *td)
{
	shim_thread_exit(td->td_result);
}

/* Run the legacy handlers of frames the unwinder is leaving. */
static void run_legacy(uintptr_t cfa, bool all)
{
	struct legacy_cleanup **head = legacy_head();
	while (*head && (all || (uintptr_t)*head < cfa)) {
		struct legacy_cleanup *c = *head;
		*head = c->prev;
		c->routine(c->arg);
	}
}

static _Unwind_Reason_Code unwind_stop(int version, _Unwind_Action actions,
				       _Unwind_Exception_Class cls,
				       struct _Unwind_Exception *exc,
				       struct _Unwind_Context *ctx, void *param)
{
	(void)version;
	(void)cls;
	(void)exc;
	struct shim_thread *td = param;
	bool end = actions & _UA_END_OF_STACK;
	uintptr_t cfa = end ? UINTPTR_MAX : shim_unwinder()->get_cfa(ctx);
	run_legacy(cfa, end);
	struct shim_cleanup *buf = *chain();
	/* The frame that registered buf is reached once the frame about to
	 * be unwound lies at or above the stack pointer setjmp saved. */
	if (buf && buf->prev && (end || cfa >= tcb_jmpbuf_sp(buf->jmp[0].jb)))
		jump_to(buf);
	if (end)
		finish_exit(td);
	return _URC_NO_REASON;
}

static void unwind_exc_cleanup(_Unwind_Reason_Code r,
			       struct _Unwind_Exception *e)
{
	(void)r;
	(void)e;
	/* A catch (...) swallowed the unwinding of an exiting thread. */
	fputs("libshim: thread exit or cancellation unwinding was caught "
	      "and not rethrown\n", stderr);
	abort();
}

/* The kernel's id (+1; 0: none) of the calling thread's re-delivery
 * timer: see rearm_sigcancel. */
static __thread int sigcancel_timer __attribute__((tls_model("initial-exec")));

/* SIGCANCEL again in 1 ms, to the calling thread.  A deferred cancellation
 * whose signal came while the thread ran outside any cancellation point
 * has no second signal, and libc's own cancellation points (the write
 * under fprintf, the futex wait of aio_suspend) never look at libshim's
 * flag: without another signal a thread that is cancelled early, and then
 * reaches only those, is never cancelled.  The timer is one-shot and the
 * handler re-arms it only while the cancellation stays pending, enabled
 * and deferred. */
static void rearm_sigcancel(void)
{
	const struct timespec in_1ms = { 0, 1000000 };
	for (int tries = 0; tries < 2; tries++) {
		if (sigcancel_timer == 0) {
			int id;
			if (lwp_timer_create(shim_tid(), SIGCANCEL, &id) != 0)
				return;
			sigcancel_timer = id + 1;
		}
		if (lwp_timer_arm(sigcancel_timer - 1, &in_1ms) == 0)
			return;
		/* A child of fork inherits the id but not the timer. */
		sigcancel_timer = 0;
	}
}

static void stop_sigcancel_timer(void)
{
	if (sigcancel_timer != 0) {
		lwp_timer_delete(sigcancel_timer - 1);
		sigcancel_timer = 0;
	}
}

static _Noreturn void unwind(struct shim_thread *td)
{
	stop_sigcancel_timer();
	/* No cancellation of glibc's either from here on: a handler's
	 * printf is no cancellation point of an unwinding thread. */
	tcb_glibc_cancel_exiting();
	memset(&unwind_exc, 0, sizeof unwind_exc);
	unwind_exc.exception_class = 0x5348494d554e5744ull; /* "SHIMUNWD" */
	unwind_exc.exception_cleanup = unwind_exc_cleanup;
	const struct shim_unwind *u = shim_unwinder();
	if (u)
		u->forced_unwind(&unwind_exc, unwind_stop, td);
	/* No unwind information: still honour every registered handler. */
	run_legacy(0, true);
	if (*chain() && (*chain())->prev)
		jump_to(*chain());
	finish_exit(td);
}

SHIM_EXPORT _Noreturn void pthread_exit(void *result)
{
	struct shim_thread *td = shim_self();
	/* From a handler glibc's unwinding jumped into: that buffer is done
	 * with, or this unwinding would run it again. */
	shim_cancel_bits(td);
	td->td_result = result;
	atomic_fetch_or_explicit(&td->td_cancel,
				 TD_CANCEL_DISABLED | TD_CANCEL_RUNNING,
				 memory_order_relaxed);
	unwind(td);
}

static bool must_act(unsigned c)
{
	return (c & (TD_CANCEL_PENDING | TD_CANCEL_DISABLED |
		     TD_CANCEL_RUNNING)) == TD_CANCEL_PENDING;
}

static _Noreturn void act_on_cancel(struct shim_thread *td)
{
	td->td_result = PTHREAD_CANCELED;
	atomic_fetch_or_explicit(&td->td_cancel,
				 TD_CANCEL_DISABLED | TD_CANCEL_RUNNING,
				 memory_order_relaxed);
	unwind(td);
}

unsigned shim_cancel_bits(struct shim_thread *td)
{
	unsigned c = atomic_load_explicit(&td->td_cancel, memory_order_acquire);
	if ((c & TD_CANCEL_RUNNING) || !tcb_glibc_exiting())
		return c;
	/* glibc's __do_cancel acted, at one of libc's own cancellation
	 * points, and longjmp'd into the buffer at the chain's head, whose
	 * handler runs now (or is about to): from here on it is libshim's
	 * cancellation, and that buffer is done with, or a pthread_exit in
	 * the handler would run it again. */
	td->td_result = PTHREAD_CANCELED;
	c = atomic_fetch_or_explicit(&td->td_cancel,
				     TD_CANCEL_DISABLED | TD_CANCEL_RUNNING,
				     memory_order_acq_rel) |
	    TD_CANCEL_DISABLED | TD_CANCEL_RUNNING;
	stop_sigcancel_timer();
	if (*chain())
		*chain() = (*chain())->prev;
	return c;
}

bool shim_cancel_due(void)
{
	struct shim_thread *td = shim_self();
	return td && must_act(shim_cancel_bits(td));
}

void shim_testcancel(void)
{
	if (shim_cancel_due())
		act_on_cancel(shim_self());
}

enum { CANCEL_NO_THREAD = 1u << 31 };

unsigned shim_cancel_enter(void)
{
	struct shim_thread *td = shim_self_if_known();
	if (td == NULL)
		return CANCEL_NO_THREAD; /* nobody can have cancelled it */
	shim_cancel_bits(td);
	unsigned old = atomic_fetch_or_explicit(&td->td_cancel, TD_CANCEL_ASYNC,
						memory_order_acq_rel);
	if (must_act(old))
		act_on_cancel(td);
	return old & TD_CANCEL_ASYNC;
}

void shim_cancel_leave(unsigned token)
{
	if (token == CANCEL_NO_THREAD || token == TD_CANCEL_ASYNC)
		return;
	atomic_fetch_and_explicit(&shim_self_if_known()->td_cancel,
				  ~TD_CANCEL_ASYNC, memory_order_acq_rel);
}

SHIM_EXPORT void pthread_testcancel(void)
{
	shim_testcancel();
}

static void sigcancel_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (shim_setxid_signal(si))
		return;
	/* Only our own process may cancel us (glibc checks the same); a
	 * timer signal is rearm_sigcancel's, the process's own. */
	if (si->si_code != SI_TIMER &&
	    (si->si_pid != shim_pid() || si->si_code != SI_TKILL))
		return;
	struct shim_thread *td = shim_self();
	/* glibc's __do_cancel is unwinding this thread, perhaps not yet as
	 * far as the buffer it will jump into: until it jumps, the chain is
	 * glibc's to read, and taking the unwinding over here (which unlinks
	 * the chain's head) would leave it a NULL buffer.  The handler it
	 * jumps into is program code, whose next libshim call takes over. */
	if (td == NULL ||
	    (!(atomic_load_explicit(&td->td_cancel, memory_order_acquire) &
	       TD_CANCEL_RUNNING) &&
	     tcb_glibc_exiting()))
		return;
	unsigned c = shim_cancel_bits(td);
	/* Never unwind from inside the park layer (a queue node would be
	 * left on a dead stack, or a bucket lock held): a wait there that
	 * allows it sees the flag when the signal interrupts it and acts
	 * once it has left the queue.  A thread inside one of libc's own
	 * cancellable system calls (fgets's read, system's waitpid) is
	 * asynchronously cancellable for the call's length, as under
	 * glibc: returning would only make the call fail with EINTR, or
	 * restart it, and the cancellation would wait for ever. */
	if (must_act(c)) {
		if (((c & TD_CANCEL_ASYNC) || tcb_in_glibc_cancel_call()) &&
		    !park_busy())
			act_on_cancel(td);
		/* Also from a park wait that is no cancellation point (a
		 * barrier, a mutex): what the thread calls next may be one
		 * of libc's. */
		rearm_sigcancel();
	}
	/* Deferred: returning interrupts the wait; the cancellation point
	 * that was waiting sees TD_CANCEL_PENDING. */
}

void shim_cancel_signal_init(void)
{
	/* Set only once the handler is in place; callers racing here both
	 * install it, which is harmless, and none returns before it is. */
	static _Atomic int installed;
	if (atomic_load_explicit(&installed, memory_order_acquire))
		return;
	struct sigaction sa = {
		.sa_sigaction = sigcancel_handler,
		/* SA_SIGINFO, and no SA_RESTART (see top). */
		.sa_flags = SA_SIGINFO,
	};
	lwp_sigaction(SIGCANCEL, &sa);
	atomic_store_explicit(&installed, 1, memory_order_release);
}

SHIM_EXPORT int pthread_cancel(pthread_t t)
{
	struct shim_thread *td = shim_thread_from(t);
	if (td == NULL)
		return ESRCH;
	/* Not yet done if no thread was created (one adopted thread
	 * cancelling another, or itself): SIGCANCEL's default action would
	 * end the process, and libc's own cancellation points check glibc's
	 * bit only once glibc is in multi-threaded mode, which glibc's
	 * pthread_cancel, too, switches on for a thread cancelling itself. */
	shim_init();
	unsigned c = atomic_fetch_or_explicit(&td->td_cancel, TD_CANCEL_PENDING,
					      memory_order_acq_rel);
	if (c & (TD_CANCEL_PENDING | TD_CANCEL_RUNNING))
		return 0;
	/* For libc's own cancellation points (the write under printf),
	 * which act only on glibc's bit. */
	tcb_glibc_cancel_request(td->td_tp);
	if (td == shim_self()) {
		if (must_act(c | TD_CANCEL_PENDING) && (c & TD_CANCEL_ASYNC))
			act_on_cancel(td);
		return 0;
	}
	if (!(c & TD_CANCEL_DISABLED)) {
		int st = atomic_load_explicit(&td->td_state,
					      memory_order_acquire);
		if (st != TD_EXITED && st != TD_REAPING && st != TD_JOINED) {
			/* A token first: a thread parked, or about to park,
			 * wakes and sees the flag even if the signal lands in
			 * the instant before it enters the kernel.  The signal
			 * then interrupts system calls and async mode. */
			lwp_unpark(&td->td_parker);
			lwp_kill(shim_td_tid(td), SIGCANCEL);
		}
	}
	return 0;
}

/* Set or clear bit in td_cancel; act if that makes a pending async
 * cancellation live. */
static unsigned set_cancel_bit(unsigned bit, bool on)
{
	struct shim_thread *td = shim_self();
	unsigned old = on ? atomic_fetch_or_explicit(&td->td_cancel, bit,
						     memory_order_acq_rel)
			  : atomic_fetch_and_explicit(&td->td_cancel, ~bit,
						      memory_order_acq_rel);
	unsigned now = on ? old | bit : old & ~bit;
	if (must_act(now) && (now & TD_CANCEL_ASYNC))
		act_on_cancel(td);
	return old;
}

SHIM_EXPORT int pthread_setcancelstate(int state, int *old)
{
	if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE)
		return EINVAL;
	tcb_glibc_cancel_disable(state == PTHREAD_CANCEL_DISABLE);
	unsigned o = set_cancel_bit(TD_CANCEL_DISABLED,
				    state == PTHREAD_CANCEL_DISABLE);
	if (old)
		*old = o & TD_CANCEL_DISABLED ? PTHREAD_CANCEL_DISABLE
					      : PTHREAD_CANCEL_ENABLE;
	return 0;
}

SHIM_EXPORT int pthread_setcanceltype(int type, int *old)
{
	if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS)
		return EINVAL;
	unsigned o = set_cancel_bit(TD_CANCEL_ASYNC,
				    type == PTHREAD_CANCEL_ASYNCHRONOUS);
	if (old)
		*old = o & TD_CANCEL_ASYNC ? PTHREAD_CANCEL_ASYNCHRONOUS
					   : PTHREAD_CANCEL_DEFERRED;
	return 0;
}

SHIM_EXPORT void __pthread_register_cancel(__pthread_unwind_buf_t *b)
{
	struct shim_cleanup *buf = (struct shim_cleanup *)b;
	buf->prev = *chain();
	/* glibc's stop function runs the legacy handlers down to this. */
	buf->legacy = *legacy_head();
	*chain() = buf;
}

SHIM_EXPORT void __pthread_unregister_cancel(__pthread_unwind_buf_t *b)
{
	struct shim_cleanup *buf = (struct shim_cleanup *)b;
	*chain() = buf->prev;
}

/* pthread_cleanup_push_defer_np: deferred while the handler is pushed. */
SHIM_EXPORT void __pthread_register_cancel_defer(__pthread_unwind_buf_t *b)
{
	struct shim_cleanup *buf = (struct shim_cleanup *)b;
	__pthread_register_cancel(b);
	pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &buf->canceltype);
}

SHIM_EXPORT void __pthread_unregister_cancel_restore(__pthread_unwind_buf_t *b)
{
	struct shim_cleanup *buf = (struct shim_cleanup *)b;
	__pthread_unregister_cancel(b);
	pthread_setcanceltype(buf->canceltype, NULL); /* may act at once */
}

SHIM_EXPORT _Noreturn void __pthread_unwind_next(__pthread_unwind_buf_t *b)
{
	struct shim_thread *td = shim_self();
	/* libshim's stop function unlinked b before the jump; glibc's does
	 * not, and an unwinding glibc started goes on as libshim's. */
	shim_cancel_bits(td);
	*chain() = ((struct shim_cleanup *)b)->prev;
	unwind(td);
}

void shim_cancel_bottom(__pthread_unwind_buf_t *bottom)
{
	struct shim_cleanup *buf = (struct shim_cleanup *)bottom;
	buf->prev = NULL;
	buf->legacy = NULL;
	*chain() = buf;
}

_Noreturn void shim_cancel_ended_by_glibc(void)
{
	struct shim_thread *td = shim_self();
	shim_cancel_bits(td);
	finish_exit(td);
}

SHIM_EXPORT void _pthread_cleanup_push(struct _pthread_cleanup_buffer *b,
				       void (*routine)(void *), void *arg)
{
	struct legacy_cleanup *c = (struct legacy_cleanup *)b;
	c->routine = routine;
	c->arg = arg;
	c->prev = *legacy_head();
	*legacy_head() = c;
}

SHIM_EXPORT void _pthread_cleanup_pop(struct _pthread_cleanup_buffer *b,
				      int execute)
{
	struct legacy_cleanup *c = (struct legacy_cleanup *)b;
	*legacy_head() = c->prev;
	if (execute)
		c->routine(c->arg);
}

SHIM_EXPORT void _pthread_cleanup_push_defer(struct _pthread_cleanup_buffer *b,
					     void (*routine)(void *), void *arg)
{
	struct legacy_cleanup *c = (struct legacy_cleanup *)b;
	_pthread_cleanup_push(b, routine, arg);
	pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &c->canceltype);
}

SHIM_EXPORT void _pthread_cleanup_pop_restore(struct _pthread_cleanup_buffer *b,
					      int execute)
{
	struct legacy_cleanup *c = (struct legacy_cleanup *)b;
	_pthread_cleanup_pop(b, execute);
	pthread_setcanceltype(c->canceltype, NULL);
}
