/*
 * libshim/thread.h -- the thread descriptor.  A pthread_t is a pointer to
 * one of these.
 *
 * Threads created by libshim carry the descriptor just below their static
 * TLS, at the top of their stack mapping.  Threads libshim did not create
 * (the main thread, threads glibc starts for timer_create or AIO) are
 * adopted on their first call that needs a descriptor: shim_self() gives
 * them one without allocating through malloc (self.c): the initial
 * thread's is static, another's is an anonymous mapping, unmapped from
 * glibc's exit path of that thread.
 */
#ifndef SHIM_THREAD_H
#define SHIM_THREAD_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compat/glibc/tcb.h"
#include "compat/lwp.h"
#include "common/visibility.h"

/* td_state: the life cycle seen by join/detach (atomic). */
enum {
	TD_JOINABLE, /* running; a join or detach may come */
	TD_DETACHED, /* running; nobody will join */
	TD_JOINING,  /* running; one joiner is parked on the descriptor */
	TD_EXITED,   /* start routine finished; result is valid */
	TD_REAPING,  /* one joiner or detacher owns the remains */
	TD_JOINED,   /* joined: the handle is stale (glibc: tid -1, ESRCH) */
};

/* td_cancel bits (atomic). */
#define TD_CANCEL_DISABLED 1u /* pthread_setcancelstate(DISABLE) */
#define TD_CANCEL_ASYNC    2u /* pthread_setcanceltype(ASYNCHRONOUS) */
#define TD_CANCEL_PENDING  4u /* pthread_cancel was called */
#define TD_CANCEL_RUNNING  8u /* acting on it: unwinding now */

#define SHIM_KEYS_MAX 1024   /* PTHREAD_KEYS_MAX, as glibc */
#define SHIM_KEYS_INLINE 32

struct shim_cleanup; /* a registered cleanup handler (cancel.c) */

struct shim_thread {
	struct shim_thread *td_self; /* == this; sanity check for pthread_t */
	void *td_tp;                 /* glibc TCB: the FS base */
	pid_t *td_tidp;              /* kernel tid word in the TCB */
	lwp_parker_t td_parker;      /* park token (compat/lwp.h) */
	/* The realtime priority park.c queues this thread by (0: none),
	 * asked of the kernel at its first park after td_prio_known was
	 * cleared: at birth, and by libshim's calls that change it. */
	_Atomic bool td_prio_known;
	int td_park_prio;
	_Atomic int td_state;        /* TD_* */
	struct shim_thread *td_joiner; /* while TD_JOINING: who waits */
	_Atomic unsigned td_cancel;  /* TD_CANCEL_* */
	bool td_adopted;             /* not created by libshim */

	/* While pthread_create waits for the new thread to set its own
	 * affinity and scheduling: START_PENDING, then 0 or the errno. */
	_Atomic int td_start_status;
	void *(*td_start)(void *);
	void *td_arg;
	void *td_result;
	sigset_t td_sigmask; /* installed by the new thread before td_start */

	/* The mapping holding guard, stack, descriptor, TLS and TCB. */
	void *td_map;
	size_t td_map_size;
	void *td_stack;      /* lowest usable stack address */
	size_t td_stack_size;
	/* The guard asked for, in pages (what pthread_getattr_np reports);
	 * the mapped one, td_map up to td_stack, may be larger
	 * (ARCH_MIN_GUARD_SIZE). */
	size_t td_guard_size;
	bool td_user_stack;  /* stack came from pthread_attr_setstack */
	pthread_attr_t td_attr; /* as created, for pthread_getattr_np */

	/*
	 * TSD: a slot's value counts only while its seq matches the key's
	 * current sequence, so pthread_key_delete need not visit threads.
	 * Keys below SHIM_KEYS_INLINE live here; the rest in a block
	 * calloc'd on first use (as glibc's second level).
	 */
	struct shim_tsd { void *value; unsigned seq; } td_tsd[SHIM_KEYS_INLINE];
	struct shim_tsd *td_tsd_more;
	bool td_tsd_used;

	/* All live threads (thread list lock): fork, set*id, stats. */
	struct shim_thread *td_next, *td_prev;
	/* Stack cache linkage (dead threads whose mapping is kept). */
	struct shim_thread *td_cache_next;
};

/* self.c: the calling thread's descriptor (initial-exec TLS: one load),
 * NULL until the thread is created by libshim or adopted. */
SHIM_HIDDEN extern __thread struct shim_thread *shim_self_td
	__attribute__((tls_model("initial-exec")));
SHIM_HIDDEN struct shim_thread *shim_adopt(void);

/*
 * The calling thread's descriptor; adopts the thread on first use.
 * Returns NULL only when adoption could not map a descriptor: park_wait
 * then returns EAGAIN and its caller retries, spinning, rather than crash.
 */
static inline struct shim_thread *shim_self(void)
{
	struct shim_thread *td = shim_self_td;
	if (__builtin_expect(td != NULL, 1))
		return td;
	return shim_adopt();
}

/* The calling thread's descriptor if it has one; never adopts. */
static inline struct shim_thread *shim_self_if_known(void)
{
	return shim_self_td;
}

/*
 * Thread ids: the kernel's tid, as glibc's TCB holds it, read one way each.
 *  - shim_tid(): the calling thread's, from its own TCB (no system call).
 *  - shim_td_tid(td): another thread's, from the tid word of its TCB: 0
 *    once the kernel has cleared it (CLONE_CHILD_CLEARTID, the LWP is
 *    gone), and acquire, so that a 0 also says its stack is out of use.
 *  - shim_thread_tid(t): the same for a pthread_t from a caller; -1 if
 *    it is not a thread.
 * compat/lwp.h's lwp_self() asks the kernel instead; libshim does not
 * need to (tcb.c does, to check glibc's word against the kernel's).
 */
static inline pid_t shim_tid(void)
{
	return tcb_self_tid();
}

static inline pid_t shim_td_tid(const struct shim_thread *td)
{
	/* Acquire: the kernel clears the word (CLONE_CHILD_CLEARTID) after
	 * the thread's last access to its stack and TCB, so a caller that
	 * sees 0 may reuse them. */
	return __atomic_load_n(td->td_tidp, __ATOMIC_ACQUIRE);
}

/* Validate a pthread_t from the caller; NULL if it is not a descriptor. */
SHIM_HIDDEN struct shim_thread *shim_thread_from(pthread_t t);

/* The kernel tid behind a pthread_t: > 0 while it runs, 0 once it has
 * exited (its id stays valid until joined), -1 if t is no thread. */
SHIM_HIDDEN pid_t shim_thread_tid(pthread_t t);

/* libshim changed td's scheduling: its next park asks the kernel for its
 * priority again. */
static inline void shim_sched_changed(struct shim_thread *td)
{
	if (td != NULL)
		atomic_store_explicit(&td->td_prio_known, false,
				      memory_order_relaxed);
}

/*
 * Cancellation point: if a cancellation is pending and enabled, act on it
 * (never returns).  Objects call this where POSIX names a cancellation
 * point, and when park_wait returned ECANCELED, after restoring whatever
 * the caller must hold (a condvar waiter re-locks its mutex first).
 */
SHIM_HIDDEN void shim_testcancel(void);

/* Would shim_testcancel act now? */
SHIM_HIDDEN bool shim_cancel_due(void);
/* The calling thread td's TD_CANCEL_* bits, an unwinding that glibc's
 * __do_cancel started at one of libc's own cancellation points counted
 * as libshim's (TD_CANCEL_RUNNING, result PTHREAD_CANCELED): never a
 * second cancellation from the cleanup handler glibc jumped into. */
SHIM_HIDDEN unsigned shim_cancel_bits(struct shim_thread *td);
/* A libshim thread's first frame registers its bottom buffer, filled by
 * sigsetjmp(.., 0): glibc's unwinding, having run every handler, returns
 * there, and the thread then ends as cancelled. */
SHIM_HIDDEN void shim_cancel_bottom(__pthread_unwind_buf_t *bottom);
SHIM_HIDDEN _Noreturn void shim_cancel_ended_by_glibc(void);

/*
 * Bracket a blocking system call that POSIX names a cancellation point
 * (cancelpoints.c):  unsigned c = shim_cancel_enter(); r = syscall...;
 * shim_cancel_leave(c);
 * enter acts on a pending cancellation, then makes the thread
 * asynchronously cancellable for the duration of the call, so SIGCANCEL
 * interrupting the system call acts at once (the call's effects may then
 * be lost, as with glibc).  Cheap when the thread has no descriptor.
 */
SHIM_HIDDEN unsigned shim_cancel_enter(void);
SHIM_HIDDEN void shim_cancel_leave(unsigned token);

/* glibc's cleanup-buffer ABI, defined in cancel.c.  <pthread.h> declares
 * it only for C built without -fexceptions, which libshim is not. */
void __pthread_register_cancel(__pthread_unwind_buf_t *buf);
void __pthread_unregister_cancel(__pthread_unwind_buf_t *buf);
_Noreturn void __pthread_unwind_next(__pthread_unwind_buf_t *buf);


/* thread.c: end the calling thread (pthread_exit's work). */
SHIM_HIDDEN _Noreturn void shim_thread_exit(void *result);
/* thread.c: in a fork child, only the forking thread is left. */
SHIM_HIDDEN void shim_threads_after_fork(struct shim_thread *survivor);

#endif
