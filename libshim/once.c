/*
 * libshim/once.c -- pthread_once (and, through it, C11 call_once).
 *
 * The once word (a pthread_once_t is an int) is in one of three states:
 *
 *   ONCE_NEW (0, PTHREAD_ONCE_INIT)   the routine has not run
 *   ONCE_DONE                         it has run and returned
 *   pid << 3 | ONCE_RUNNING           it is running in process pid,
 *             [| ONCE_WAITERS]        and threads may be parked on it
 *
 * Once the routine has run, every call is one acquire load that sees
 * ONCE_DONE and returns: the acquire pairs with the release that stored
 * ONCE_DONE, so whatever the routine wrote is visible to the caller.  The
 * slow path is out of line so the fast path stays a load and a compare.
 *
 * The first caller swaps NEW for RUNNING and runs the routine.  Others
 * set ONCE_WAITERS and park on the once's address, validating under the
 * bucket lock that the word is still the RUNNING value they saw; the
 * runner stores DONE with an exchange and unparks every thread queued on
 * the address only when the old value had ONCE_WAITERS set.  A waiter
 * thus either sees the new value in its validation or is queued before
 * the unpark: no wake-up is lost, and an uncontended once never touches
 * the park layer.
 *
 * The routine may not return: pthread_cancel or pthread_exit acts inside
 * it, or it exits by a C++ exception.  Either way once_reset runs: the
 * once goes back to NEW and every waiter is woken, so the first of them to
 * swap NEW for RUNNING runs the routine again, as POSIX requires for
 * cancellation.  once_reset is the one place that resets; two ways lead
 * to it, because libshim does not link libgcc_s (a preload loaded into
 * every process should not drag in another library):
 *  - cancellation and pthread_exit unwind with libshim's own stop
 *    function (cancel.c), which longjmps into a cleanup buffer registered
 *    the way glibc's pthread_cleanup_push registers one -- this works in
 *    every program;
 *  - a C++ exception is not forced: it runs landing pads, so once_run has
 *    a cleanup (gcc's cleanup attribute, -fexceptions).  Its personality
 *    routine lives in libgcc_s and is referenced weakly: every program
 *    that can throw has libgcc_s loaded (libstdc++ needs it), so it
 *    resolves there; in a C program it is absent and unneeded.
 * The forced unwind reaches the buffer before the landing pad (the stop
 * function runs first for each frame), so the reset runs once.
 *
 * fork: a child inherits the word as it was.  If another thread of the
 * parent was running the routine at that moment, the child holds a
 * RUNNING value that nobody in the child will ever finish.  The pid in
 * the RUNNING value tells the two apart: a RUNNING value with another
 * process's pid was copied by fork, and a caller treats it as NEW (glibc
 * uses a fork generation counter for the same purpose).  Process ids fit
 * in 22 bits on Linux, so pid << 3 fits in an int.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "libshim/park.h"
#include "libshim/profile.h"
#include "libshim/shim.h"
#include "libshim/thread.h"
#include "common/visibility.h"
#include "libshim/vg.h"

enum {
	ONCE_NEW = 0,
	ONCE_DONE = 1,
	ONCE_RUNNING = 2,
	ONCE_WAITERS = 4,
	ONCE_PID_SHIFT = 3,
};

static bool once_running(int v)
{
	return (v & ONCE_RUNNING) != 0;
}

/* The routine did not return (cancellation, exception): make the once new
 * again and wake every waiter, so that one of them runs the routine. */
static void once_reset(pthread_once_t *once)
{
	/* Relaxed: the abandoned run published nothing the next runner may
	 * rely on; it starts the routine from scratch. */
	int old = __atomic_exchange_n(once, ONCE_NEW, __ATOMIC_RELAXED);
	if (old & ONCE_WAITERS)
		park_unpark_all(once, PARK_TOKEN_NORMAL, NULL, NULL);
}

/* Weak, so libgcc_s is not linked (see the top). */
__asm__(".weak __gcc_personality_v0\n\t.weak _Unwind_Resume");

struct once_guard {
	pthread_once_t *once; /* NULL once the routine has returned */
	__pthread_unwind_buf_t *buf;
};

/* Landing pad of once_run's frame: a C++ exception left the routine. */
static void once_abandoned(struct once_guard *g)
{
	if (g->once != NULL) {
		__pthread_unregister_cancel(g->buf);
		once_reset(g->once);
	}
}

static void once_run(pthread_once_t *once, void (*init_routine)(void))
{
	__pthread_unwind_buf_t buf;
	/* glibc's buffer is a jmp_buf without the signal mask, on purpose. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
	int unwound = __sigsetjmp((struct __jmp_buf_tag *)buf.__cancel_jmp_buf, 0);
#pragma GCC diagnostic pop
	if (unwound) {
		/* Cancellation or pthread_exit inside the routine. */
		once_reset(once);
		__pthread_unwind_next(&buf);
	}
	__pthread_register_cancel(&buf);
	__attribute__((cleanup(once_abandoned))) struct once_guard g = {once,
									&buf};
	init_routine();
	g.once = NULL;
	__pthread_unregister_cancel(&buf);
	/* Release: the routine's writes before DONE (see the essay). */
	vg_release(once, PROF_ONCE);
	int old = __atomic_exchange_n(once, ONCE_DONE, __ATOMIC_RELEASE);
	if (old & ONCE_WAITERS)
		park_unpark_all(once, PARK_TOKEN_NORMAL, NULL, NULL);
}

struct once_wait {
	pthread_once_t *once;
	int running; /* the RUNNING | WAITERS value we wait to change */
};

/* Under the bucket lock: queue only while the run we saw is going on. */
static bool once_still_running(void *ctx)
{
	struct once_wait *ow = ctx;
	return __atomic_load_n(ow->once, __ATOMIC_RELAXED) == ow->running;
}

__attribute__((noinline)) static int once_slow(pthread_once_t *once,
					       void (*init_routine)(void))
{
	const int mine = shim_pid() << ONCE_PID_SHIFT | ONCE_RUNNING;
	/* Acquire: a DONE seen here publishes the routine's writes. */
	int v = __atomic_load_n(once, __ATOMIC_ACQUIRE);
	for (;;) {
		if (v == ONCE_DONE)
			return 0;
		if (once_running(v) && (v & ~ONCE_WAITERS) == mine) {
			/* A thread of this process runs it: wait. */
			int waiting = v | ONCE_WAITERS;
			if (v != waiting &&
			    !__atomic_compare_exchange_n(once, &v, waiting,
							 false,
							 __ATOMIC_ACQUIRE,
							 __ATOMIC_ACQUIRE))
				continue;
			struct once_wait ow = { once, waiting };
			park_wait(once, once_still_running, NULL, NULL, &ow,
				  NULL, CLOCK_MONOTONIC, PARK_KIND(PROF_ONCE),
				  NULL);
			v = __atomic_load_n(once, __ATOMIC_ACQUIRE);
			continue;
		}
		/* NEW, or a run that fork left behind in another process. */
		if (__atomic_compare_exchange_n(once, &v, mine, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_ACQUIRE)) {
			once_run(once, init_routine);
			return 0;
		}
	}
}

SHIM_EXPORT int pthread_once(pthread_once_t *once, void (*init_routine)(void))
{
	if (__builtin_expect(__atomic_load_n(once, __ATOMIC_ACQUIRE) ==
				     ONCE_DONE,
			     1)) {
		vg_acquire(once, PROF_ONCE);
		return 0;
	}
	int r = once_slow(once, init_routine);
	vg_acquire(once, PROF_ONCE);
	return r;
}

/* The double-underscore names old binaries bind (libpthread exported
 * them for years). */
SHIM_ALIAS(pthread_once, __pthread_once);
