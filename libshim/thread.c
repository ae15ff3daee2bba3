/*
 * libshim/thread.c -- thread life cycle: create, start, exit, join, detach.
 *
 * A new thread is an LWP started by lwp_create from a hand-built machine
 * context (arch_mcontext_init): the trampoline installs the TCB built by
 * compat/glibc/tcb.c as thread pointer and calls thread_start below.
 *
 * Join protocol (td_state, atomic):
 *   JOINABLE --join--> JOINING --exit--> REAPING   (joiner woken, reaps)
 *   JOINABLE --exit--> EXITED  --join--> REAPING   (joiner reaps at once)
 *   JOINABLE --detach--> DETACHED --exit--> (thread gives its memory back)
 *   EXITED --detach--> (detacher gives the memory back)
 * Exactly one party moves the state into REAPING or gives memory back, so
 * a thread is reaped once.  The joiner parks on the descriptor through the
 * park layer; after it is woken it still waits for the kernel to clear
 * the tid word (lwp_wait_gone) because the exiting LWP runs a few more
 * instructions on its stack after saying it exited.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "compat/glibc/signals.h"
#include "libshim/attr.h"
#include "libshim/lock.h"
#include "libshim/park.h"
#include "libshim/profile.h"
#include "libshim/rdslot.h"
#include "libshim/shim.h"
#include "libshim/stack.h"
#include "libshim/thread.h"
#include "libshim/vg.h"

/* Threads that count for "the process ends when the last one exits":
 * the main thread and libshim's own. */
static _Atomic long live_threads = 1;

static shim_lock_t list_lock = SHIM_LOCK_INIT;
static struct shim_thread *list_head;

void shim_thread_list(struct shim_thread *td)
{
	shim_lock(&list_lock);
	td->td_next = list_head;
	td->td_prev = NULL;
	if (list_head)
		list_head->td_prev = td;
	list_head = td;
	shim_unlock(&list_lock);
}

void shim_thread_unlist(struct shim_thread *td)
{
	shim_lock(&list_lock);
	if (td->td_prev)
		td->td_prev->td_next = td->td_next;
	else if (list_head == td)
		list_head = td->td_next;
	if (td->td_next)
		td->td_next->td_prev = td->td_prev;
	td->td_next = td->td_prev = NULL;
	shim_unlock(&list_lock);
}

void shim_threads_lock(void)
{
	shim_lock(&list_lock);
}

void shim_threads_unlock(void)
{
	shim_unlock(&list_lock);
}

struct shim_thread *shim_threads_first(void)
{
	return list_head;
}

bool shim_threads_exist(void)
{
	return atomic_load_explicit(&shim_stats.threads_created,
				    memory_order_relaxed) != 0;
}

struct shim_thread *shim_thread_from(pthread_t t)
{
	struct shim_thread *td = (struct shim_thread *)t;
	if (td == NULL || td->td_self != td)
		return NULL;
	return td;
}

#define START_PENDING (-1)

static bool start_pending(void *ctx)
{
	struct shim_thread *td = ctx;
	return atomic_load_explicit(&td->td_start_status,
				    memory_order_acquire) == START_PENDING;
}

static _Noreturn void thread_start(void *arg)
{
	struct shim_thread *td = arg;
	tcb_thread_start(td->td_tp);
	shim_set_self(td);
	if (td->td_start_status == START_PENDING) {
		/* The creator waits to learn whether the attribute's affinity
		 * and scheduling took: if not, it fails, as glibc's does, and
		 * this thread must vanish without running anything. */
		int e = attr_apply_to_self(td);
		atomic_store_explicit(&td->td_start_status, e,
				      memory_order_release);
		park_unpark_all(&td->td_start_status, PARK_TOKEN_NORMAL, NULL, NULL);
		if (e != 0)
			lwp_exit();
	}
	tcb_list_enter(td->td_tp, td->td_user_stack);
	__pthread_unwind_buf_t bottom;
	if (__sigsetjmp_cancel(bottom.__cancel_jmp_buf, 0))
		shim_cancel_ended_by_glibc();
	shim_cancel_bottom(&bottom);
	/* Signals were blocked since before clone: now the thread can take
	 * them, with the mask it inherited or its attribute names. */
	lwp_sigmask(SIG_SETMASK, &td->td_sigmask, NULL);
	shim_thread_exit(td->td_start(td->td_arg));
}

SHIM_EXPORT int pthread_create(pthread_t *restrict res,
			       const pthread_attr_t *restrict attr,
			       void *(*start)(void *), void *restrict arg)
{
	int e = shim_init();
	if (e)
		return e;
	struct shim_thread *self = shim_self();
	if (self == NULL)
		return EAGAIN;

	pthread_attr_t a;
	attr_resolve(&a, attr);
	struct attr_view v = attr_view(&a);

	void *stack_top;
	struct shim_thread *td = stack_get(v.stack_size, v.guard_size,
					   v.user_stack, v.user_size, &stack_top);
	if (td == NULL) {
		attr_release(&a);
		return EAGAIN;
	}
	td->td_self = td;
	td->td_tidp = shim_tcb_tid_word(td->td_tp);
	td->td_start = start;
	td->td_arg = arg;
	td->td_state = v.detached ? TD_DETACHED : TD_JOINABLE;
	td->td_attr = a; /* owns a's extension from now on */
	/* glibc's layout: the block from the guard up, which is what its
	 * dlopen makes executable above the guard (tcb_list_enter). */
	tcb_set_stackblock(td->td_tp, td->td_map,
			   (char *)stack_top - (char *)td->td_map,
			   (size_t)((char *)td->td_stack - (char *)td->td_map));
	if (v.sigmask != NULL) {
		td->td_sigmask = *v.sigmask;
	} else {
		lwp_sigmask(SIG_BLOCK, NULL, &td->td_sigmask);
		/* A thread made by a cleanup handler of a cancelled thread
		 * runs that handler inside the SIGCANCEL handler, which
		 * blocks SIGCANCEL: its child must still be cancellable
		 * (glibc clears the bit too; glibc's tst-cancel25). */
		td->td_sigmask.__val[0] &= ~(1ul << (SIGCANCEL - 1));
	}

	atomic_fetch_add_explicit(&live_threads, 1, memory_order_relaxed);
	tcb_count_thread(1);
	shim_thread_list(td);

	ucontext_t uc;
	arch_mcontext_init(&uc.uc_mcontext, thread_start, td, stack_top,
			   td->td_tp);
	bool must_wait = attr_needs_apply(&td->td_attr);
	td->td_start_status = must_wait ? START_PENDING : 0;
	e = lwp_create(&uc, 0, td->td_tidp);
	if (e == 0 && must_wait) {
		while (start_pending(td))
			park_wait(&td->td_start_status, start_pending, NULL,
				  NULL, td, NULL, CLOCK_MONOTONIC, 0, NULL);
		e = td->td_start_status;
		if (e != 0)
			lwp_wait_gone(td->td_tidp); /* it ran nothing */
	} else if (e != 0) {
		e = EAGAIN;
	}
	if (e != 0) {
		shim_thread_unlist(td);
		tcb_count_thread(-1);
		atomic_fetch_sub_explicit(&live_threads, 1,
					  memory_order_relaxed);
		attr_release(&td->td_attr);
		stack_discard(td);
		return e;
	}
	atomic_fetch_add_explicit(&shim_stats.threads_created, 1,
				  memory_order_relaxed);
	*res = (pthread_t)td;
	return 0;
}

/* The last thread out ends the process, as with glibc: exit(0). */
static void leave_process_if_last(void)
{
	if (atomic_fetch_sub_explicit(&live_threads, 1, memory_order_acq_rel) ==
	    1)
		exit(0);
}

void shim_thread_exit(void *result)
{
	struct shim_thread *td = shim_self();
	atomic_fetch_or_explicit(&td->td_cancel, TD_CANCEL_DISABLED,
				 memory_order_relaxed);
	tcb_glibc_cancel_disable(true); /* a destructor's printf, too */
	shim_tsd_run_destructors(td);
	tcb_thread_exit();
	rdslot_thread_exit(); /* after every destructor that might read-lock */
	td->td_result = result;
	vg_release(td, PROF_JOIN); /* all the thread did, before its join */

	if (td->td_adopted && shim_td_tid(td) != shim_pid()) {
		/* A thread glibc made: let glibc end it and do its bookkeeping
		 * (shim_init first: it has tcb_host_init resolve glibc's
		 * pthread_exit, which may not have happened yet). */
		shim_init();
		tcb_glibc_thread_exit(result);
	}
	shim_thread_unlist(td);
	if (!td->td_adopted) /* the main thread stays on glibc's list */
		tcb_list_leave(td->td_tp);
	tcb_count_thread(-1);
	leave_process_if_last();

	/* Block every signal: from here on the thread must not run a handler
	 * on a stack another thread may be about to reuse. */
	sigset_t all;
	memset(&all, 0xff, sizeof all);
	lwp_sigmask(SIG_SETMASK, &all, NULL);

	int s = atomic_load_explicit(&td->td_state, memory_order_relaxed);
	for (;;) {
		int next = s == TD_JOINING ? TD_REAPING : TD_EXITED;
		if (s == TD_DETACHED) {
			/* Nobody will look at the descriptor again: the
			 * cache reuses it once the kernel clears the tid. */
			if (!td->td_adopted)
				stack_put(td);
			break;
		}
		if (atomic_compare_exchange_strong_explicit(
			    &td->td_state, &s, next, memory_order_acq_rel,
			    memory_order_relaxed)) {
			if (s == TD_JOINING)
				park_unpark_all(td, PARK_TOKEN_NORMAL, NULL, NULL);
			break;
		}
	}
	lwp_exit();
}

static void reap(struct shim_thread *td, void **result)
{
	lwp_wait_gone(td->td_tidp);
	vg_acquire(td, PROF_JOIN);
	if (result)
		*result = td->td_result;
	attr_release(&td->td_attr);
	/* Before stack_put: from there on the cache may reuse it. */
	atomic_store_explicit(&td->td_state, TD_JOINED, memory_order_release);
	if (!td->td_adopted)
		stack_put(td);
}

struct join_wait {
	struct shim_thread *td;
};

static bool still_joining(void *ctx)
{
	struct join_wait *w = ctx;
	return atomic_load_explicit(&w->td->td_state, memory_order_acquire) ==
	       TD_JOINING;
}

/* Was td asked to cancel (whether or not it has acted on it yet)? */
static bool cancel_requested(struct shim_thread *td)
{
	return atomic_load_explicit(&td->td_cancel, memory_order_acquire) &
	       (TD_CANCEL_PENDING | TD_CANCEL_RUNNING);
}

/* Why a join or detach may not claim a thread in state s, as glibc says
 * it: 0 if it may. */
static int claimed_error(int s)
{
	if (s == TD_JOINED)
		return ESRCH; /* glibc: tid -1 */
	if (s == TD_DETACHED || s == TD_JOINING || s == TD_REAPING)
		return EINVAL;
	return 0;
}

/* Shared by every join: abstime NULL waits forever; try: do not wait. */
static int join(pthread_t t, void **result, const struct timespec *abstime,
		clockid_t clock, bool try)
{
	struct shim_thread *td = shim_thread_from(t);
	if (td == NULL)
		return ESRCH;
	struct shim_thread *self = shim_self();
	/* glibc's tryjoin answers "still running" before anything else. */
	if (try && atomic_load_explicit(&td->td_state, memory_order_acquire) !=
			   TD_EXITED)
		return EBUSY;
	if (td == self)
		return EDEADLK;

	int s = atomic_load_explicit(&td->td_state, memory_order_acquire);
	for (;;) {
		int e = claimed_error(s);
		if (e != 0)
			return e;
		if (s == TD_EXITED) {
			if (atomic_compare_exchange_strong_explicit(
				    &td->td_state, &s, TD_REAPING,
				    memory_order_acq_rel,
				    memory_order_acquire)) {
				reap(td, result);
				return 0;
			}
			continue;
		}
		if (try)
			return EBUSY;
		if (abstime && !shim_timespec_valid(abstime))
			return EINVAL;
		/* Two threads joining each other: glibc says EDEADLK -- but
		 * not when td was cancelled (its join, a cancellation point,
		 * is giving up) or when we were (our join acts on it). */
		if (self &&
		    atomic_load_explicit(&self->td_state,
					 memory_order_acquire) == TD_JOINING &&
		    self->td_joiner == td && !cancel_requested(td) &&
		    !shim_cancel_due())
			return EDEADLK;
		if (atomic_compare_exchange_strong_explicit(
			    &td->td_state, &s, TD_JOINING, memory_order_acq_rel,
			    memory_order_acquire))
			break;
	}
	td->td_joiner = self;

	struct join_wait w = {td};
	for (;;) {
		int e = park_wait(td, still_joining, NULL, NULL, &w, abstime,
				  clock, PARK_CANCELLABLE | PARK_KIND(PROF_JOIN), NULL);
		if (atomic_load_explicit(&td->td_state, memory_order_acquire) ==
		    TD_REAPING)
			break;
		if (e == ETIMEDOUT || e == ECANCELED) {
			/* Give the join back, unless the thread exited in
			 * the meantime: then it is ours to reap. */
			int j = TD_JOINING;
			td->td_joiner = NULL;
			if (atomic_compare_exchange_strong_explicit(
				    &td->td_state, &j, TD_JOINABLE,
				    memory_order_acq_rel,
				    memory_order_acquire)) {
				if (e == ECANCELED)
					shim_testcancel();
				return e;
			}
			break;
		}
	}
	reap(td, result);
	return 0;
}

SHIM_EXPORT int pthread_join(pthread_t t, void **result)
{
	return join(t, result, NULL, CLOCK_REALTIME, false);
}

SHIM_EXPORT int pthread_tryjoin_np(pthread_t t, void **result)
{
	return join(t, result, NULL, CLOCK_REALTIME, true);
}

SHIM_EXPORT int pthread_timedjoin_np(pthread_t t, void **result,
				     const struct timespec *abstime)
{
	return join(t, result, abstime, CLOCK_REALTIME, false);
}

SHIM_EXPORT int pthread_clockjoin_np(pthread_t t, void **result,
				     clockid_t clock,
				     const struct timespec *abstime)
{
	if (!shim_clock_valid(clock))
		return EINVAL;
	return join(t, result, abstime, clock, false);
}

SHIM_EXPORT int pthread_detach(pthread_t t)
{
	struct shim_thread *td = shim_thread_from(t);
	if (td == NULL)
		return ESRCH;
	int s = atomic_load_explicit(&td->td_state, memory_order_acquire);
	for (;;) {
		int e = claimed_error(s);
		if (e != 0)
			return e;
		int next = s == TD_EXITED ? TD_REAPING : TD_DETACHED;
		if (atomic_compare_exchange_strong_explicit(
			    &td->td_state, &s, next, memory_order_acq_rel,
			    memory_order_acquire))
			break;
	}
	if (s == TD_EXITED) {
		/* Already finished: its memory is ours to give back.  The
		 * cache waits for the kernel to clear the tid word. */
		attr_release(&td->td_attr);
		if (!td->td_adopted)
			stack_put(td);
	}
	return 0;
}

pid_t shim_thread_tid(pthread_t t)
{
	struct shim_thread *td = shim_thread_from(t);
	return td ? shim_td_tid(td) : -1;
}

SHIM_EXPORT pthread_t pthread_self(void)
{
	return (pthread_t)shim_self();
}

SHIM_EXPORT int pthread_equal(pthread_t a, pthread_t b)
{
	return a == b;
}

void shim_threads_after_fork(struct shim_thread *survivor)
{
	/* Only the forking thread exists in the child: the others' memory
	 * is free for reuse (their LWPs never existed here). */
	shim_lock_init(&list_lock);
	struct shim_thread *td = list_head;
	list_head = NULL;
	while (td) {
		struct shim_thread *next = td->td_next;
		if (td != survivor && !td->td_adopted) {
			*td->td_tidp = 0;
			attr_release(&td->td_attr);
			stack_put(td);
		}
		td = next;
	}
	survivor->td_next = survivor->td_prev = NULL;
	list_head = survivor;
	atomic_store_explicit(&live_threads, 1, memory_order_relaxed);
}
