/*
 * test_mutex.c -- pthread_mutex_* and pthread_mutexattr_* (libshim/mutex.c):
 * every type, glibc's error numbers, static initializers, attribute
 * encodings, contention and fairness with more threads than cores,
 * deadlines on both clocks, and a process-shared mutex across fork.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

/* The old names; <pthread.h> hides some of them behind macros. */
extern int shim_setkind_np(pthread_mutexattr_t *, int)
	__asm__("pthread_mutexattr_setkind_np");
extern int shim_getkind_np(const pthread_mutexattr_t *, int *)
	__asm__("pthread_mutexattr_getkind_np");
extern int shim_setrobust_np(pthread_mutexattr_t *, int)
	__asm__("pthread_mutexattr_setrobust_np");
extern int shim_getrobust_np(const pthread_mutexattr_t *, int *)
	__asm__("pthread_mutexattr_getrobust_np");
extern int shim_consistent_np(pthread_mutex_t *)
	__asm__("pthread_mutex_consistent_np");

static void init_type(pthread_mutex_t *m, int type)
{
	pthread_mutexattr_t a;
	assert_int_equal(pthread_mutexattr_init(&a), 0);
	assert_int_equal(pthread_mutexattr_settype(&a, type), 0);
	assert_int_equal(pthread_mutex_init(m, &a), 0);
	assert_int_equal(pthread_mutexattr_destroy(&a), 0);
}

/* Run fn(arg) in another thread and return its int result. */
/* ---- layout and static initializers ------------------------------ */

static void test_layout(void **state)
{
	(void)state;
	/* glibc's sizes: x86_64's, or arm64's (the generic layout) */
#ifdef __aarch64__
	assert_int_equal(sizeof(pthread_mutex_t), 48);
	assert_int_equal(sizeof(pthread_mutexattr_t), 8);
#else
	assert_int_equal(sizeof(pthread_mutex_t), 40);
	assert_int_equal(sizeof(pthread_mutexattr_t), 4);
#endif
	pthread_mutex_t z;
	memset(&z, 0, sizeof z);
	pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;
	assert_memory_equal(&z, &init, sizeof z);

	pthread_mutex_t r = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
	pthread_mutex_t e = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
	pthread_mutex_t a = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
	assert_int_equal(((unsigned char *)&r)[16], 1);
	assert_int_equal(((unsigned char *)&e)[16], 2);
	assert_int_equal(((unsigned char *)&a)[16], 3);

	/* pthread_mutex_init writes glibc's __kind for each type. */
	pthread_mutex_t m;
	init_type(&m, PTHREAD_MUTEX_RECURSIVE);
	assert_int_equal(m.__data.__kind, 1);
	init_type(&m, PTHREAD_MUTEX_ERRORCHECK);
	assert_int_equal(m.__data.__kind, 2);
	init_type(&m, PTHREAD_MUTEX_ADAPTIVE_NP);
	assert_int_equal(m.__data.__kind, 3);
	assert_int_equal(pthread_mutex_init(&m, NULL), 0);
	assert_int_equal(m.__data.__kind, 0);
}

static void test_static_normal(void **state)
{
	(void)state;
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	assert_int_equal(pthread_mutex_lock(&m), 0);
	/* The holder is recorded as glibc's is, though never checked. */
	assert_int_equal(m.__data.__owner, gettid());
	assert_int_equal(pthread_mutex_trylock(&m), EBUSY);
	assert_int_equal(in_thread(mutex_trylock_op, &m), EBUSY);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(m.__data.__owner, 0);
	assert_int_equal(pthread_mutex_trylock(&m), 0);
	assert_int_equal(m.__data.__owner, gettid());
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	/* glibc: unlocking an unlocked normal mutex is not reported. */
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(pthread_mutex_destroy(&m), 0);
}

static void test_static_adaptive(void **state)
{
	(void)state;
	static pthread_mutex_t m = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
	assert_int_equal(pthread_mutex_lock(&m), 0);
	assert_int_equal(in_thread(mutex_trylock_op, &m), EBUSY);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(in_thread(mutex_trylock_op, &m), 0);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
}

static void check_recursive(pthread_mutex_t *m)
{
	assert_int_equal(pthread_mutex_lock(m), 0);
	assert_int_equal(pthread_mutex_lock(m), 0);
	assert_int_equal(pthread_mutex_trylock(m), 0);
	assert_int_equal(m->__data.__count, 3);
	assert_int_equal(m->__data.__owner, gettid());
	assert_int_equal(in_thread(mutex_trylock_op, m), EBUSY);
	assert_int_equal(in_thread(mutex_unlock_op, m), EPERM);
	assert_int_equal(pthread_mutex_unlock(m), 0);
	assert_int_equal(pthread_mutex_unlock(m), 0);
	assert_int_equal(in_thread(mutex_trylock_op, m), EBUSY);
	assert_int_equal(pthread_mutex_unlock(m), 0);
	assert_int_equal(m->__data.__owner, 0);
	assert_int_equal(pthread_mutex_unlock(m), EPERM);

	/* The depth counter would overflow: EAGAIN, as glibc. */
	assert_int_equal(pthread_mutex_lock(m), 0);
	m->__data.__count = UINT_MAX;
	assert_int_equal(pthread_mutex_lock(m), EAGAIN);
	assert_int_equal(pthread_mutex_trylock(m), EAGAIN);
	m->__data.__count = 1;
	assert_int_equal(pthread_mutex_unlock(m), 0);
	assert_int_equal(in_thread(mutex_trylock_op, m), 0);
	assert_int_equal(pthread_mutex_unlock(m), EPERM); /* owned by the
							     dead thread */
}

static void test_static_recursive(void **state)
{
	(void)state;
	pthread_mutex_t m = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
	check_recursive(&m);
	pthread_mutex_t d;
	init_type(&d, PTHREAD_MUTEX_RECURSIVE);
	check_recursive(&d);
}

static void check_errorcheck(pthread_mutex_t *m)
{
	assert_int_equal(pthread_mutex_unlock(m), EPERM);
	assert_int_equal(pthread_mutex_lock(m), 0);
	assert_int_equal(m->__data.__owner, gettid());
	assert_int_equal(pthread_mutex_lock(m), EDEADLK);
	assert_int_equal(pthread_mutex_trylock(m), EBUSY); /* glibc: EBUSY */
	struct timespec dl = deadline_in(CLOCK_REALTIME, 10);
	assert_int_equal(pthread_mutex_timedlock(m, &dl), EDEADLK);
	assert_int_equal(in_thread(mutex_unlock_op, m), EPERM);
	assert_int_equal(in_thread(mutex_trylock_op, m), EBUSY);
	assert_int_equal(pthread_mutex_unlock(m), 0);
	assert_int_equal(pthread_mutex_unlock(m), EPERM);
}

static void test_static_errorcheck(void **state)
{
	(void)state;
	pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
	check_errorcheck(&m);
	pthread_mutex_t d;
	init_type(&d, PTHREAD_MUTEX_ERRORCHECK);
	check_errorcheck(&d);
}

/* ---- destroy, robust, priority calls ----------------------------- */

static void test_destroy(void **state)
{
	(void)state;
	int types[] = { PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_RECURSIVE,
			PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_ADAPTIVE_NP };
	for (unsigned i = 0; i < 4; i++) {
		pthread_mutex_t m;
		init_type(&m, types[i]);
		assert_int_equal(pthread_mutex_lock(&m), 0);
		assert_int_equal(pthread_mutex_destroy(&m), EBUSY);
		assert_int_equal(pthread_mutex_unlock(&m), 0);
		assert_int_equal(pthread_mutex_destroy(&m), 0);
		/* glibc marks a destroyed mutex invalid. */
		assert_int_equal(pthread_mutex_lock(&m), EINVAL);
		assert_int_equal(pthread_mutex_trylock(&m), EINVAL);
		assert_int_equal(pthread_mutex_unlock(&m), EINVAL);
		init_type(&m, types[i]);
		assert_int_equal(pthread_mutex_lock(&m), 0);
		assert_int_equal(pthread_mutex_unlock(&m), 0);
	}
}

static void test_robust_and_priority(void **state)
{
	(void)state;
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	/* Robust mutexes exist (test_robust.c), robust priority-inheritance
	 * ones too (test_prio.c); robust priority-protection ones not, as in
	 * glibc. */
	pthread_mutexattr_init(&a);
	assert_int_equal(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST),
			 0);
	assert_int_equal(pthread_mutex_init(&m, &a), 0);
	assert_int_equal(pthread_mutex_consistent(&m), EINVAL);
	assert_int_equal(pthread_mutexattr_setprotocol(&a,
						       PTHREAD_PRIO_PROTECT),
			 0);
	assert_int_equal(pthread_mutex_init(&m, &a), ENOTSUP);
	assert_int_equal(pthread_mutexattr_setprotocol(&a,
						       PTHREAD_PRIO_INHERIT),
			 0);
	assert_int_equal(pthread_mutex_init(&m, &a), 0);
	assert_int_equal(pthread_mutex_destroy(&m), 0);
	pthread_mutexattr_init(&a);
	assert_int_equal(pthread_mutexattr_setprotocol(&a,
						       PTHREAD_PRIO_INHERIT),
			 0);
	assert_int_equal(pthread_mutex_init(&m, &a), 0);
	assert_int_equal(pthread_mutex_destroy(&m), 0);
	assert_int_equal(pthread_mutexattr_setprotocol(&a,
						       PTHREAD_PRIO_PROTECT),
			 0);
	assert_int_equal(pthread_mutex_init(&m, &a), 0);
	assert_int_equal(pthread_mutex_destroy(&m), 0);

	pthread_mutex_init(&m, NULL);
	assert_int_equal(pthread_mutex_consistent(&m), EINVAL);
	assert_int_equal(shim_consistent_np(&m), EINVAL);
	int c = 5, old = 5;
	assert_int_equal(pthread_mutex_getprioceiling(&m, &c), EINVAL);
	assert_int_equal(pthread_mutex_setprioceiling(&m, 10, &old), EINVAL);
	assert_int_equal(c, 5);
	assert_int_equal(old, 5);
}

/* ---- attributes -------------------------------------------------- */

static void test_attr_type(void **state)
{
	(void)state;
	pthread_mutexattr_t a;
	int v = -1;
	assert_int_equal(pthread_mutexattr_init(&a), 0);
	assert_int_equal(*(int *)&a, 0); /* glibc: NORMAL, all flags clear */
	assert_int_equal(pthread_mutexattr_gettype(&a, &v), 0);
	assert_int_equal(v, PTHREAD_MUTEX_DEFAULT);
	int types[] = { PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_RECURSIVE,
			PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_ADAPTIVE_NP };
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(pthread_mutexattr_settype(&a, types[i]), 0);
		assert_int_equal(pthread_mutexattr_gettype(&a, &v), 0);
		assert_int_equal(v, types[i]);
	}
	assert_int_equal(pthread_mutexattr_settype(&a, 4), EINVAL);
	assert_int_equal(pthread_mutexattr_settype(&a, -1), EINVAL);
	assert_int_equal(shim_setkind_np(&a, PTHREAD_MUTEX_ERRORCHECK), 0);
	assert_int_equal(shim_getkind_np(&a, &v), 0);
	assert_int_equal(v, PTHREAD_MUTEX_ERRORCHECK);
	/* glibc's encoding: an explicit NORMAL carries NO_ELISION (512). */
	assert_int_equal(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_NORMAL), 0);
	assert_int_equal(*(int *)&a, 512);
	assert_int_equal(pthread_mutexattr_destroy(&a), 0);
}

static void test_attr_pshared_protocol_ceiling_robust(void **state)
{
	(void)state;
	pthread_mutexattr_t a;
	int v = -1;
	pthread_mutexattr_init(&a);
	assert_int_equal(pthread_mutexattr_getpshared(&a, &v), 0);
	assert_int_equal(v, PTHREAD_PROCESS_PRIVATE);
	assert_int_equal(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED),
			 0);
	assert_int_equal(*(unsigned *)&a, 0x80000000u);
	assert_int_equal(pthread_mutexattr_getpshared(&a, &v), 0);
	assert_int_equal(v, PTHREAD_PROCESS_SHARED);
	assert_int_equal(pthread_mutexattr_setpshared(&a, 2), EINVAL);
	assert_int_equal(pthread_mutexattr_setpshared(&a,
						      PTHREAD_PROCESS_PRIVATE),
			 0);

	assert_int_equal(pthread_mutexattr_getprotocol(&a, &v), 0);
	assert_int_equal(v, PTHREAD_PRIO_NONE);
	assert_int_equal(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_PROTECT),
			 0);
	assert_int_equal(*(unsigned *)&a, 0x20000000u);
	assert_int_equal(pthread_mutexattr_getprotocol(&a, &v), 0);
	assert_int_equal(v, PTHREAD_PRIO_PROTECT);
	assert_int_equal(pthread_mutexattr_setprotocol(&a, 3), EINVAL);
	assert_int_equal(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_NONE),
			 0);

	assert_int_equal(pthread_mutexattr_getprioceiling(&a, &v), 0);
	assert_int_equal(v, sched_get_priority_min(SCHED_FIFO));
	assert_int_equal(pthread_mutexattr_setprioceiling(&a, 0), EINVAL);
	assert_int_equal(pthread_mutexattr_setprioceiling(&a, 100), EINVAL);
	assert_int_equal(pthread_mutexattr_setprioceiling(&a, 42), 0);
	assert_int_equal(*(unsigned *)&a, 42u << 12);
	assert_int_equal(pthread_mutexattr_getprioceiling(&a, &v), 0);
	assert_int_equal(v, 42);

	pthread_mutexattr_init(&a);
	assert_int_equal(pthread_mutexattr_getrobust(&a, &v), 0);
	assert_int_equal(v, PTHREAD_MUTEX_STALLED);
	assert_int_equal(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST),
			 0);
	assert_int_equal(*(unsigned *)&a, 0x40000000u);
	assert_int_equal(shim_getrobust_np(&a, &v), 0);
	assert_int_equal(v, PTHREAD_MUTEX_ROBUST);
	assert_int_equal(shim_setrobust_np(&a, PTHREAD_MUTEX_STALLED), 0);
	assert_int_equal(pthread_mutexattr_getrobust(&a, &v), 0);
	assert_int_equal(v, PTHREAD_MUTEX_STALLED);
	assert_int_equal(pthread_mutexattr_setrobust(&a, 7), EINVAL);
}

/* ---- deadlines --------------------------------------------------- */

static void *hold_for_ms(void *arg)
{
	pthread_mutex_t *m = arg;
	pthread_mutex_lock(m);
	usleep(150 * 1000);
	pthread_mutex_unlock(m);
	return NULL;
}

static void test_timedlock(void **state)
{
	(void)state;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct timespec bad = { 0, 1000000000L };

	/* A bad tv_nsec is EINVAL only when the call would block. */
	assert_int_equal(pthread_mutex_timedlock(&m, &bad), 0);
	assert_int_equal(pthread_mutex_timedlock(&m, &bad), EINVAL);
	bad.tv_nsec = -1;
	assert_int_equal(pthread_mutex_timedlock(&m, &bad), EINVAL);

	/* The holder is this thread (NORMAL): the wait just times out. */
	clockid_t clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC };
	for (unsigned i = 0; i < 2; i++) {
		struct timespec start;
		clock_gettime(clocks[i], &start);
		struct timespec dl = deadline_in(clocks[i], 50);
		int r = clocks[i] == CLOCK_REALTIME
				? pthread_mutex_timedlock(&m, &dl)
				: pthread_mutex_clocklock(&m, clocks[i], &dl);
		assert_int_equal(r, ETIMEDOUT);
		assert_true(ms_since(clocks[i], &start) >= 49);
	}
	struct timespec neg = { -1, 0 };
	assert_int_equal(pthread_mutex_timedlock(&m, &neg), ETIMEDOUT);
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, 50);
	assert_int_equal(pthread_mutex_clocklock(&m, CLOCK_PROCESS_CPUTIME_ID,
						 &dl),
			 EINVAL);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(pthread_mutex_clocklock(&m, 12345, &dl), EINVAL);

	/* A holder that lets go before the deadline. */
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, hold_for_ms, &m), 0);
	while (pthread_mutex_trylock(&m) == 0) { /* until t holds it */
		pthread_mutex_unlock(&m);
		usleep(1000);
	}
	dl = deadline_in(CLOCK_MONOTONIC, 5000);
	assert_int_equal(pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &dl), 0);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	pthread_join(t, NULL);
}

/* ---- contention -------------------------------------------------- */

#define CONTENDERS 16
struct contention {
	pthread_mutex_t *m;
	long *counter;
	long iterations;  /* >0: fixed count; 0: run until stop */
	_Atomic bool *stop;
	_Atomic bool *go;     /* NULL, or start together when it is set */
	long done;
	bool bad;
};

static void *contender(void *arg)
{
	struct contention *c = arg;
	pid_t me = gettid();
	while (c->go != NULL && !atomic_load(c->go))
		usleep(1000);
	for (long i = 0; c->iterations == 0 ? !atomic_load(c->stop)
					    : i < c->iterations;
	     i++) {
		if (pthread_mutex_lock(c->m) != 0) {
			c->bad = true;
			break;
		}
		if (c->m->__data.__owner != me)
			c->bad = true;
		++*c->counter;
		c->done++;
		if (pthread_mutex_unlock(c->m) != 0) {
			c->bad = true;
			break;
		}
	}
	return NULL;
}

static void check_counting(int type, long iterations)
{
	pthread_mutex_t m;
	init_type(&m, type);
	long counter = 0;
	struct contention c[CONTENDERS];
	pthread_t t[CONTENDERS];
	for (int i = 0; i < CONTENDERS; i++) {
		c[i] = (struct contention){ &m, &counter, iterations, NULL,
					    NULL, 0, false };
		assert_int_equal(pthread_create(&t[i], NULL, contender, &c[i]),
				 0);
	}
	for (int i = 0; i < CONTENDERS; i++) {
		pthread_join(t[i], NULL);
		assert_false(c[i].bad);
	}
	assert_int_equal(counter, CONTENDERS * iterations);
	assert_int_equal(pthread_mutex_destroy(&m), 0);
}

static void test_contention_counts(void **state)
{
	(void)state;
	check_counting(PTHREAD_MUTEX_NORMAL, 20000);
	check_counting(PTHREAD_MUTEX_ADAPTIVE_NP, 10000);
	check_counting(PTHREAD_MUTEX_RECURSIVE, 10000);
	check_counting(PTHREAD_MUTEX_ERRORCHECK, 10000);
}

/*
 * 16 threads hammer one mutex for a fixed time.  The shares depend on the
 * scheduler as much as on the mutex (on a loaded 2-core machine glibc's
 * min/max ratio ranges 0.06-0.6), so the ratio is printed and only
 * starvation fails the test; test_no_starvation below is the sharp one.
 */
static void test_fairness(void **state)
{
	(void)state;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	long counter = 0;
	_Atomic bool stop = false, go = false;
	struct contention c[CONTENDERS];
	pthread_t t[CONTENDERS];
	for (int i = 0; i < CONTENDERS; i++) {
		c[i] = (struct contention){ &m, &counter, 0, &stop, &go, 0,
					    false };
		assert_int_equal(pthread_create(&t[i], NULL, contender, &c[i]),
				 0);
	}
	usleep(20 * 1000);
	atomic_store(&go, true);
	usleep(500 * 1000);
	atomic_store(&stop, true);
	long lo = LONG_MAX, hi = 0, sum = 0;
	for (int i = 0; i < CONTENDERS; i++) {
		pthread_join(t[i], NULL);
		assert_false(c[i].bad);
		lo = c[i].done < lo ? c[i].done : lo;
		hi = c[i].done > hi ? c[i].done : hi;
		sum += c[i].done;
	}
	assert_int_equal(sum, counter);
	print_message("fairness: min %ld max %ld ratio %.2f\n", lo, hi,
		      (double)lo / (double)hi);
	assert_true(lo > 0);
}

/*
 * A thread that wants the mutex once, against hogs that re-lock it in a
 * tight loop on every core: without the hand-off a woken waiter can lose
 * the race to a hog indefinitely.  200 acquisitions must finish quickly.
 */
#define HOGS 4
static void *hog(void *arg)
{
	struct contention *c = arg;
	while (!atomic_load(c->stop)) {
		pthread_mutex_lock(c->m);
		++*c->counter;
		pthread_mutex_unlock(c->m);
	}
	return NULL;
}

static void test_no_starvation(void **state)
{
	(void)state;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	long counter = 0;
	_Atomic bool stop = false;
	struct contention c = { &m, &counter, 0, &stop, NULL, 0, false };
	pthread_t t[HOGS];
	for (int i = 0; i < HOGS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hog, &c), 0);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(pthread_mutex_lock(&m), 0);
		counter++;
		assert_int_equal(pthread_mutex_unlock(&m), 0);
		usleep(100);
	}
	long ms = ms_since(CLOCK_MONOTONIC, &start);
	atomic_store(&stop, true);
	for (int i = 0; i < HOGS; i++)
		pthread_join(t[i], NULL);
	print_message("200 acquisitions against %d hogs: %ld ms\n", HOGS, ms);
	assert_true(ms < 20000);
}

/* ---- hand-offs: only to a waiter that has waited long ------------ */

struct hand_waiter {
	pthread_mutex_t *m;
	_Atomic pid_t tid;
	pthread_t thread;
	_Atomic bool done; /* its lock call returned (second_waiter_main) */
};

static void *hand_waiter_main(void *arg)
{
	struct hand_waiter *w = arg;
	atomic_store(&w->tid, gettid());
	pthread_mutex_lock(w->m);
	pthread_mutex_unlock(w->m);
	return NULL;
}

/* Wait until w is parked on its mutex: it has set the word's PARKED bit
 * (2; the unlocks here leave it clear) and is asleep, which after that
 * it can only be in the park layer. */
static void hand_waiter_parked(struct hand_waiter *w)
{
	while (!(atomic_load((_Atomic int *)&w->m->__data.__lock) & 2) ||
	       atomic_load(&w->tid) == 0 || !thread_asleep(atomic_load(&w->tid)))
		usleep(1000);
}

/* Lock m and start a waiter for it; return once it is parked. */
static void hand_waiter_start(struct hand_waiter *w, pthread_mutex_t *m)
{
	assert_int_equal(pthread_mutex_lock(m), 0);
	w->m = m;
	atomic_store(&w->tid, 0);
	assert_int_equal(pthread_create(&w->thread, NULL, hand_waiter_main, w),
			 0);
	hand_waiter_parked(w);
}

/* Hold the parked w up, unlock its mutex and trylock it at once: the
 * trylock's result (the caller holds the mutex on 0). */
static int unlock_past_stalled(struct hand_waiter *w)
{
	stall_thread(w->thread);
	assert_int_equal(pthread_mutex_unlock(w->m), 0);
	return pthread_mutex_trylock(w->m);
}

static void hand_waiter_finish(struct hand_waiter *w)
{
	release_stalled();
	pthread_join(w->thread, NULL);
}

/*
 * A waiter parked for the first time is woken, not handed the mutex: it
 * is held up in a signal handler when the unlock dequeues it, and a
 * running thread must find the mutex free (trylock), not reserved for a
 * thread that cannot run.  The library before this test handed over
 * whenever the park layer's fairness timer had run out, as it always has
 * by the time the waiter has been seen asleep.
 */
static void test_woken_waiter_competes(void **state)
{
	(void)state;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct hand_waiter w;
	hand_waiter_start(&w, &m);
	int r = unlock_past_stalled(&w);
	if (r == 0)
		assert_int_equal(pthread_mutex_unlock(&m), 0);
	hand_waiter_finish(&w);
	assert_int_equal(r, 0);
	assert_int_equal(pthread_mutex_trylock(&m), 0);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
}

/*
 * The race a starving waiter must win: woken (while held up, so that a
 * running thread re-takes the mutex first), it parks again more than
 * MUTEX_STARVING_NS (1 ms) after its first park, and the next unlock must
 * hand the mutex to it: held up again, it cannot take the mutex itself,
 * so a running thread's trylock fails only if the unlock left it
 * reserved for the waiter.
 */
static void test_starving_waiter_handed_over(void **state)
{
	(void)state;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct hand_waiter w;
	hand_waiter_start(&w, &m);
	int r = unlock_past_stalled(&w); /* barging past it */
	if (r != 0)
		hand_waiter_finish(&w);
	assert_int_equal(r, 0);
	usleep(2 * 1000);
	release_stalled();
	hand_waiter_parked(&w); /* parked again, now starving */
	/* Held up again, so that it cannot take and drop the mutex first. */
	r = unlock_past_stalled(&w);
	if (r == 0)
		assert_int_equal(pthread_mutex_unlock(&m), 0);
	hand_waiter_finish(&w);
	assert_int_equal(r, EBUSY);
	assert_int_equal(pthread_mutex_trylock(&m), 0);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
}

/*
 * One woken waiter at a time (glibc's lll_lock protocol): an unlock that
 * wakes a waiter clears PARKED, and until that waiter runs, the running
 * thread's unlocks wake nobody.  Two waiters are parked; the first is
 * held up in a signal handler when the unlock dequeues it; this thread
 * then takes and drops the mutex a few times, and the second must still
 * be asleep, its lock call unfinished.  The library before this test
 * left PARKED set while others stayed queued, so the next unlock woke
 * the second waiter, which took the mutex and returned.  Once the first
 * is let go, it takes the mutex with PARKED set again and its unlock
 * wakes the second: both lock calls must end (no wake-up lost).
 */
static void *second_waiter_main(void *arg)
{
	struct hand_waiter *w = arg;
	atomic_store(&w->tid, gettid());
	pthread_mutex_lock(w->m);
	atomic_store(&w->done, true);
	pthread_mutex_unlock(w->m);
	return NULL;
}

static void test_one_woken_at_a_time(void **state)
{
	(void)state;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct hand_waiter first, second = { &m, 0, 0, false };
	hand_waiter_start(&first, &m);
	assert_int_equal(pthread_create(&second.thread, NULL,
					second_waiter_main, &second),
			 0);
	hand_waiter_parked(&second);
	int r = unlock_past_stalled(&first);
	if (r == 0)
		assert_int_equal(pthread_mutex_unlock(&m), 0);
	for (int i = 0; r == 0 && i < 3; i++) {
		assert_int_equal(pthread_mutex_lock(&m), 0);
		assert_int_equal(pthread_mutex_unlock(&m), 0);
	}
	usleep(20 * 1000); /* time for a wrongly woken waiter to finish */
	bool second_done = atomic_load(&second.done);
	hand_waiter_finish(&first);
	pthread_join(second.thread, NULL);
	assert_int_equal(r, 0);
	assert_false(second_done);
	assert_true(atomic_load(&second.done));
}

/* ---- process-shared mutex across fork ---------------------------- */

struct shared_area {
	pthread_mutex_t m;
	long counter;
	_Atomic int child_stage; /* 1: its timed wait is over */
};

#define FORK_ITERATIONS 20000

static void bump(struct shared_area *s)
{
	for (int i = 0; i < FORK_ITERATIONS; i++) {
		pthread_mutex_lock(&s->m);
		s->counter++;
		pthread_mutex_unlock(&s->m);
	}
}

static void test_pshared_fork(void **state)
{
	(void)state;
	struct shared_area *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(s != MAP_FAILED);
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	assert_int_equal(pthread_mutex_init(&s->m, &a), 0);
	assert_int_equal(s->m.__data.__kind, 128 | 2);
	s->counter = 0;
	s->child_stage = 0;

	/* The child blocks on the parent's lock, times out, then waits. */
	assert_int_equal(pthread_mutex_lock(&s->m), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int code = 0;
		struct timespec dl = deadline_in(CLOCK_MONOTONIC, 50);
		if (pthread_mutex_clocklock(&s->m, CLOCK_MONOTONIC, &dl) !=
		    ETIMEDOUT)
			code |= 1;
		if (pthread_mutex_unlock(&s->m) != EPERM) /* not the owner */
			code |= 2;
		atomic_store(&s->child_stage, 1);
		if (pthread_mutex_lock(&s->m) != 0) /* sleeps until released */
			code |= 4;
		s->counter++;
		pthread_mutex_unlock(&s->m);
		bump(s);
		_exit(code);
	}
	while (atomic_load(&s->child_stage) == 0)
		usleep(1000);
	usleep(20 * 1000); /* let the child go to sleep on the word */
	assert_int_equal(s->counter, 0);
	assert_int_equal(pthread_mutex_unlock(&s->m), 0);
	bump(s);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(s->counter, 2 * FORK_ITERATIONS + 1);
	assert_int_equal(pthread_mutex_destroy(&s->m), 0);
	munmap(s, sizeof *s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_static_normal),
		cmocka_unit_test(test_static_adaptive),
		cmocka_unit_test(test_static_recursive),
		cmocka_unit_test(test_static_errorcheck),
		cmocka_unit_test(test_destroy),
		cmocka_unit_test(test_robust_and_priority),
		cmocka_unit_test(test_attr_type),
		cmocka_unit_test(test_attr_pshared_protocol_ceiling_robust),
		cmocka_unit_test(test_timedlock),
		cmocka_unit_test(test_contention_counts),
		cmocka_unit_test(test_fairness),
		cmocka_unit_test(test_no_starvation),
		cmocka_unit_test(test_woken_waiter_competes),
		cmocka_unit_test(test_starving_waiter_handed_over),
		cmocka_unit_test(test_one_woken_at_a_time),
		cmocka_unit_test(test_pshared_fork),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
