/*
 * test_cond.c -- pthread_cond_* and pthread_condattr_* (libshim/cond.c):
 * layout and attribute encodings, signal and broadcast (requeue onto a
 * locked and an unlocked mutex, mixed mutexes), deadlines on both clocks,
 * errors, recursive mutexes, cancellation, producer/consumer with more
 * threads than cores, and a process-shared condvar across fork.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

static int trylock_in_thread(pthread_mutex_t *m)
{
	pthread_t t;
	void *r;
	pthread_create(&t, NULL, mutex_trylock_op, m);
	pthread_join(t, &r);
	return (int)(intptr_t)r;
}

/* ---- layout and attributes --------------------------------------- */

static void test_layout_and_attr(void **state)
{
	(void)state;
	assert_int_equal(sizeof(pthread_cond_t), 48);
	/* glibc's size: x86_64's, or arm64's (the generic layout) */
#ifdef __aarch64__
	assert_int_equal(sizeof(pthread_condattr_t), 8);
#else
	assert_int_equal(sizeof(pthread_condattr_t), 4);
#endif
	pthread_cond_t z, init = PTHREAD_COND_INITIALIZER;
	memset(&z, 0, sizeof z);
	assert_memory_equal(&z, &init, sizeof z);

	pthread_condattr_t a;
	clockid_t clk = -1;
	int v = -1;
	memset(&a, 0xff, sizeof a);
	assert_int_equal(pthread_condattr_init(&a), 0);
	assert_int_equal(*(int *)&a, 0);
	assert_int_equal(pthread_condattr_getclock(&a, &clk), 0);
	assert_int_equal(clk, CLOCK_REALTIME);
	assert_int_equal(pthread_condattr_getpshared(&a, &v), 0);
	assert_int_equal(v, PTHREAD_PROCESS_PRIVATE);

	assert_int_equal(pthread_condattr_setclock(&a, CLOCK_MONOTONIC), 0);
	assert_int_equal(*(int *)&a, 2); /* glibc: clock << 1 */
	assert_int_equal(pthread_condattr_getclock(&a, &clk), 0);
	assert_int_equal(clk, CLOCK_MONOTONIC);
	assert_int_equal(pthread_condattr_setclock(&a, CLOCK_PROCESS_CPUTIME_ID),
			 EINVAL);
	assert_int_equal(pthread_condattr_setclock(&a, CLOCK_MONOTONIC_RAW),
			 EINVAL);
	assert_int_equal(pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED),
			 0);
	assert_int_equal(*(int *)&a, 3); /* glibc: bit 0 */
	assert_int_equal(pthread_condattr_getpshared(&a, &v), 0);
	assert_int_equal(v, PTHREAD_PROCESS_SHARED);
	assert_int_equal(pthread_condattr_setpshared(&a, 5), EINVAL);

	/* glibc keeps the flags in __wrefs (byte 36): bit 0 pshared, bit 1
	 * monotonic. */
	pthread_cond_t c;
	assert_int_equal(pthread_cond_init(&c, &a), 0);
	assert_int_equal(c.__data.__wrefs, 3);
	assert_int_equal(pthread_cond_destroy(&c), 0);
	assert_int_equal(pthread_condattr_setclock(&a, CLOCK_REALTIME), 0);
	assert_int_equal(pthread_condattr_setpshared(&a,
						     PTHREAD_PROCESS_PRIVATE),
			 0);
	assert_int_equal(pthread_cond_init(&c, &a), 0);
	assert_memory_equal(&c, &z, sizeof c);
	assert_int_equal(pthread_cond_init(&c, NULL), 0);
	assert_memory_equal(&c, &z, sizeof c);
	assert_int_equal(pthread_condattr_destroy(&a), 0);
}

/* ---- signal and broadcast ---------------------------------------- */

/* Waiters that wait exactly once (no predicate loop) and count wake-ups;
 * libshim never wakes a waiter spuriously, so the counts are exact. */
struct once_waiters {
	pthread_mutex_t *m;
	pthread_cond_t *c;
	int waiting, woken;
	int inside;  /* threads in the critical section: must stay <= 1 */
	bool overlap;
};

static void *wait_once(void *arg)
{
	struct once_waiters *w = arg;
	pthread_mutex_lock(w->m);
	w->waiting++;
	int r = pthread_cond_wait(w->c, w->m);
	if (++w->inside != 1)
		w->overlap = true;
	if (r == 0)
		w->woken++;
	usleep(200); /* hold the mutex a little: requeued waiters queue */
	w->inside--;
	pthread_mutex_unlock(w->m);
	return NULL;
}

static void wait_all_waiting(struct once_waiters *w, int n)
{
	for (;;) {
		pthread_mutex_lock(w->m);
		int k = w->waiting;
		pthread_mutex_unlock(w->m);
		if (k == n)
			return;
		usleep(1000);
	}
}

static int woken_now(struct once_waiters *w)
{
	pthread_mutex_lock(w->m);
	int k = w->woken;
	pthread_mutex_unlock(w->m);
	return k;
}

#define WAITERS 8

static void test_signal_wakes_one_at_a_time(void **state)
{
	(void)state;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct once_waiters w = { &m, &c, 0, 0, 0, false };
	pthread_t t[WAITERS];
	for (int i = 0; i < WAITERS; i++)
		pthread_create(&t[i], NULL, wait_once, &w);
	wait_all_waiting(&w, WAITERS);
	for (int k = 1; k <= WAITERS; k++) {
		assert_int_equal(pthread_cond_signal(&c), 0);
		while (woken_now(&w) < k)
			usleep(500);
		usleep(5000);
		assert_int_equal(woken_now(&w), k); /* one per signal */
	}
	for (int i = 0; i < WAITERS; i++)
		pthread_join(t[i], NULL);
	assert_false(w.overlap);
	/* No waiters: signal and broadcast do nothing and do not fail. */
	assert_int_equal(pthread_cond_signal(&c), 0);
	assert_int_equal(pthread_cond_broadcast(&c), 0);
	assert_int_equal(pthread_cond_destroy(&c), 0);
}

static void check_broadcast(int mutex_type, bool hold_mutex)
{
	pthread_mutex_t m;
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, mutex_type);
	pthread_mutex_init(&m, &a);
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct once_waiters w = { &m, &c, 0, 0, 0, false };
	pthread_t t[WAITERS];
	for (int i = 0; i < WAITERS; i++)
		pthread_create(&t[i], NULL, wait_once, &w);
	wait_all_waiting(&w, WAITERS);
	if (hold_mutex) {
		/* All are moved onto the locked mutex, none woken yet. */
		pthread_mutex_lock(&m);
		assert_int_equal(pthread_cond_broadcast(&c), 0);
		usleep(5000);
		assert_int_equal(w.woken, 0);
		pthread_mutex_unlock(&m);
	} else {
		assert_int_equal(pthread_cond_broadcast(&c), 0);
	}
	for (int i = 0; i < WAITERS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(w.woken, WAITERS);
	assert_false(w.overlap);
	/* The mutex works normally afterwards. */
	assert_int_equal(pthread_mutex_lock(&m), 0);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(pthread_mutex_destroy(&m), 0);
}

static void test_broadcast_requeue(void **state)
{
	(void)state;
	check_broadcast(PTHREAD_MUTEX_NORMAL, false);
	check_broadcast(PTHREAD_MUTEX_NORMAL, true);
	check_broadcast(PTHREAD_MUTEX_ERRORCHECK, false);
	check_broadcast(PTHREAD_MUTEX_RECURSIVE, true);
}

/* Waiters on one condvar with two different mutexes, and with a
 * process-shared mutex: a broadcast still wakes every one. */
static void test_broadcast_mixed_mutexes(void **state)
{
	(void)state;
	pthread_mutex_t m1 = PTHREAD_MUTEX_INITIALIZER, m2, m3;
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&m3, &a);
	pthread_mutex_init(&m2, NULL);
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct once_waiters w1 = { &m1, &c, 0, 0, 0, false };
	struct once_waiters w2 = { &m2, &c, 0, 0, 0, false };
	struct once_waiters w3 = { &m3, &c, 0, 0, 0, false };
	pthread_t t[6];
	for (int i = 0; i < 2; i++) {
		pthread_create(&t[i], NULL, wait_once, &w1);
		pthread_create(&t[2 + i], NULL, wait_once, &w2);
		pthread_create(&t[4 + i], NULL, wait_once, &w3);
	}
	wait_all_waiting(&w1, 2);
	wait_all_waiting(&w2, 2);
	wait_all_waiting(&w3, 2);
	assert_int_equal(pthread_cond_broadcast(&c), 0);
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(w1.woken + w2.woken + w3.woken, 6);

	/* Afterwards the same condvar serves one mutex again. */
	struct once_waiters w4 = { &m1, &c, 0, 0, 0, false };
	pthread_create(&t[0], NULL, wait_once, &w4);
	wait_all_waiting(&w4, 1);
	assert_int_equal(pthread_cond_signal(&c), 0);
	pthread_join(t[0], NULL);
	assert_int_equal(w4.woken, 1);
}

/* Broadcast, then destroy and overwrite the condvar at once: the woken
 * waiters must not touch it again (POSIX allows the destroy). */
static void test_destroy_after_broadcast(void **state)
{
	(void)state;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t *c = malloc(sizeof *c);
	pthread_cond_init(c, NULL);
	struct once_waiters w = { &m, c, 0, 0, 0, false };
	pthread_t t[WAITERS];
	for (int i = 0; i < WAITERS; i++)
		pthread_create(&t[i], NULL, wait_once, &w);
	wait_all_waiting(&w, WAITERS);
	pthread_mutex_lock(&m);
	assert_int_equal(pthread_cond_broadcast(c), 0);
	assert_int_equal(pthread_cond_destroy(c), 0);
	memset(c, 0xa5, sizeof *c);
	free(c);
	pthread_mutex_unlock(&m);
	for (int i = 0; i < WAITERS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(w.woken, WAITERS);
}

/* ---- deadlines and errors ---------------------------------------- */

static void check_timeout(pthread_cond_t *c, clockid_t clock, bool clockwait)
{
	pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
	pthread_mutex_lock(&m);
	struct timespec start;
	clock_gettime(clock, &start);
	struct timespec dl = deadline_in(clock, 50);
	int r = clockwait ? pthread_cond_clockwait(c, &m, clock, &dl)
			  : pthread_cond_timedwait(c, &m, &dl);
	assert_int_equal(r, ETIMEDOUT);
	assert_true(ms_since(clock, &start) >= 49);
	/* The mutex is held again, by us. */
	assert_int_equal(m.__data.__owner, gettid());
	assert_int_equal(trylock_in_thread(&m), EBUSY);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
}

static void test_timeouts_both_clocks(void **state)
{
	(void)state;
	pthread_cond_t rt = PTHREAD_COND_INITIALIZER, mono;
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&mono, &a);
	check_timeout(&rt, CLOCK_REALTIME, false);
	check_timeout(&mono, CLOCK_MONOTONIC, false);
	check_timeout(&rt, CLOCK_MONOTONIC, true);
	check_timeout(&mono, CLOCK_REALTIME, true);

	/* Deadlines in the past, negative ones included, end at once. */
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&m);
	struct timespec past = { 1, 0 };
	assert_int_equal(pthread_cond_timedwait(&mono, &m, &past), ETIMEDOUT);
	struct timespec neg = { -1, 0 };
	assert_int_equal(pthread_cond_timedwait(&rt, &m, &neg), ETIMEDOUT);
	pthread_mutex_unlock(&m);
}

struct mutex_waiter {
	pthread_mutex_t *m;
	_Atomic pid_t tid;
	_Atomic bool locked;
};

static void *lock_then_unlock(void *arg)
{
	struct mutex_waiter *w = arg;
	atomic_store(&w->tid, gettid());
	pthread_mutex_lock(w->m);
	atomic_store(&w->locked, true);
	pthread_mutex_unlock(w->m);
	return NULL;
}

/* Re-waiting with a deadline that has passed while another thread waits
 * for the mutex: the caller comes back at once still holding it, as with
 * glibc (whose release and re-lock the waiter seldom gets between), not
 * behind that waiter (a fairness hand-off would put it there). */
static void test_expired_deadline_keeps_mutex(void **state)
{
	(void)state;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
	struct mutex_waiter w = { &m, 0, false };
	pthread_t t;
	pthread_mutex_lock(&m);
	assert_int_equal(pthread_create(&t, NULL, lock_then_unlock, &w), 0);
	while (atomic_load(&w.tid) == 0 || !thread_asleep(atomic_load(&w.tid)))
		usleep(1000);
	struct timespec past;
	clock_gettime(CLOCK_REALTIME, &past);
	for (int i = 0; i < 100; i++) {
		usleep(100); /* long enough for the fairness timer to be due */
		assert_int_equal(pthread_cond_timedwait(&c, &m, &past),
				 ETIMEDOUT);
		assert_int_equal(m.__data.__owner, gettid());
	}
	assert_false(atomic_load(&w.locked));
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	pthread_join(t, NULL);
	assert_true(atomic_load(&w.locked));
}

static void test_errors(void **state)
{
	(void)state;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&m);
	struct timespec bad = { 0, 1000000000L };
	assert_int_equal(pthread_cond_timedwait(&c, &m, &bad), EINVAL);
	bad.tv_nsec = -1;
	assert_int_equal(pthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &bad),
			 EINVAL);
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, 10);
	assert_int_equal(pthread_cond_clockwait(&c, &m, CLOCK_PROCESS_CPUTIME_ID,
						&dl),
			 EINVAL);
	/* Still locked by us after the refusals. */
	assert_int_equal(trylock_in_thread(&m), EBUSY);
	pthread_mutex_unlock(&m);

	/* glibc: EPERM for an errorcheck or recursive mutex we do not own. */
	pthread_mutex_t e = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
	pthread_mutex_t r = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
	assert_int_equal(pthread_cond_wait(&c, &e), EPERM);
	assert_int_equal(pthread_cond_wait(&c, &r), EPERM);
	dl = deadline_in(CLOCK_REALTIME, 10);
	assert_int_equal(pthread_cond_timedwait(&c, &e, &dl), EPERM);
}

/* ---- recursive mutex --------------------------------------------- */

struct recursive_case {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool ready;
};

static void *lock_and_signal(void *arg)
{
	struct recursive_case *rc = arg;
	/* Succeeds only if the waiter released every level. */
	pthread_mutex_lock(&rc->m);
	rc->ready = true;
	pthread_cond_signal(&rc->c);
	pthread_mutex_unlock(&rc->m);
	return NULL;
}

static void test_recursive_mutex_wait(void **state)
{
	(void)state;
	struct recursive_case rc = { PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP,
				     PTHREAD_COND_INITIALIZER, false };
	pthread_mutex_lock(&rc.m);
	pthread_mutex_lock(&rc.m);
	pthread_mutex_lock(&rc.m);
	pthread_t t;
	pthread_create(&t, NULL, lock_and_signal, &rc);
	while (!rc.ready) {
		struct timespec dl = deadline_in(CLOCK_REALTIME, 5000);
		assert_int_equal(pthread_cond_timedwait(&rc.c, &rc.m, &dl), 0);
	}
	assert_int_equal(rc.m.__data.__count, 3);
	assert_int_equal(rc.m.__data.__owner, gettid());
	pthread_join(t, NULL);
	assert_int_equal(pthread_mutex_unlock(&rc.m), 0);
	assert_int_equal(pthread_mutex_unlock(&rc.m), 0);
	assert_int_equal(pthread_mutex_unlock(&rc.m), 0);
	assert_int_equal(pthread_mutex_unlock(&rc.m), EPERM);
}

/* ---- cancellation ------------------------------------------------ */

struct cancel_case {
	pthread_mutex_t m;
	pthread_cond_t c;
	_Atomic int waiting;
	_Atomic int cleanup_owner; /* __owner seen by the cleanup handler */
};

static void cancel_cleanup(void *arg)
{
	struct cancel_case *cc = arg;
	atomic_store(&cc->cleanup_owner, cc->m.__data.__owner == gettid());
	pthread_mutex_unlock(&cc->m);
}

static void *cancellable_waiter(void *arg)
{
	struct cancel_case *cc = arg;
	pthread_mutex_lock(&cc->m);
	pthread_cleanup_push(cancel_cleanup, cc);
	atomic_store(&cc->waiting, 1);
	for (;;)
		pthread_cond_wait(&cc->c, &cc->m);
	pthread_cleanup_pop(1);
	return NULL;
}

static void test_cancel_in_wait(void **state)
{
	(void)state;
	struct cancel_case cc = { PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP,
				  PTHREAD_COND_INITIALIZER, 0, -1 };
	pthread_t t;
	pthread_create(&t, NULL, cancellable_waiter, &cc);
	while (!atomic_load(&cc.waiting))
		usleep(1000);
	/* Taking the mutex proves the waiter is inside pthread_cond_wait. */
	pthread_mutex_lock(&cc.m);
	pthread_mutex_unlock(&cc.m);
	assert_int_equal(pthread_cancel(t), 0);
	void *r;
	assert_int_equal(pthread_join(t, &r), 0);
	assert_ptr_equal(r, PTHREAD_CANCELED);
	assert_int_equal(atomic_load(&cc.cleanup_owner), 1);
	assert_int_equal(pthread_mutex_trylock(&cc.m), 0);
	pthread_mutex_unlock(&cc.m);
}

/* A signal and a cancellation aimed at the same waiter: POSIX says the
 * cancelled waiter must not consume the signal while others wait.  A, the
 * first waiter, is signalled while main holds the mutex (a private condvar
 * moves it onto the mutex's queue; a shared one's futex wake picks it),
 * then cancelled before main lets go.  Either A returns from the wait as
 * signalled, or it is cancelled and B gets the signal: one of them wakes. */
struct signal_race {
	pthread_mutex_t m;
	pthread_cond_t c;
	_Atomic int woken;
};

static void race_unlock(void *arg)
{
	pthread_mutex_unlock(&((struct signal_race *)arg)->m);
}

static void *race_waiter(void *arg)
{
	struct signal_race *sr = arg;
	pthread_mutex_lock(&sr->m);
	pthread_cleanup_push(race_unlock, sr);
	assert_int_equal(pthread_cond_wait(&sr->c, &sr->m), 0);
	atomic_fetch_add(&sr->woken, 1);
	pthread_cleanup_pop(1);
	return NULL;
}

static void check_signal_race(bool pshared)
{
	struct signal_race *sr = mmap(NULL, sizeof *sr, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sr != MAP_FAILED);
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	pthread_mutexattr_init(&ma);
	pthread_condattr_init(&ca);
	int ps = pshared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE;
	pthread_mutexattr_setpshared(&ma, ps);
	pthread_condattr_setpshared(&ca, ps);
	pthread_mutex_init(&sr->m, &ma);
	pthread_cond_init(&sr->c, &ca);
	atomic_store(&sr->woken, 0);

	pthread_t a, b;
	assert_int_equal(pthread_create(&a, NULL, race_waiter, sr), 0);
	usleep(50000); /* A waits first */
	assert_int_equal(pthread_create(&b, NULL, race_waiter, sr), 0);
	usleep(50000);
	pthread_mutex_lock(&sr->m); /* both are inside the wait */
	assert_int_equal(pthread_cond_signal(&sr->c), 0);
	assert_int_equal(pthread_cancel(a), 0);
	usleep(20000);
	pthread_mutex_unlock(&sr->m);
	for (int i = 0; i < 200 && atomic_load(&sr->woken) == 0; i++)
		usleep(5000);
	assert_int_equal(atomic_load(&sr->woken), 1);

	/* Release whoever still waits. */
	pthread_cancel(b);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	munmap(sr, sizeof *sr);
}

static void test_cancel_does_not_eat_signal(void **state)
{
	(void)state;
	check_signal_race(false);
	check_signal_race(true);
}

/* ---- producer/consumer ------------------------------------------- */

#define PC_PRODUCERS 8
#define PC_CONSUMERS 8
#define PC_ITEMS 20000 /* per producer */
#define PC_SLOTS 4

struct queue {
	pthread_mutex_t m;
	pthread_cond_t not_empty, not_full;
	long buf[PC_SLOTS];
	unsigned head, count;
	long consumed_sum, consumed;
	int producers_left;
};

static void *producer(void *arg)
{
	struct queue *q = arg;
	for (long i = 1; i <= PC_ITEMS; i++) {
		pthread_mutex_lock(&q->m);
		while (q->count == PC_SLOTS)
			pthread_cond_wait(&q->not_full, &q->m);
		q->buf[(q->head + q->count++) % PC_SLOTS] = i;
		pthread_cond_signal(&q->not_empty);
		pthread_mutex_unlock(&q->m);
	}
	pthread_mutex_lock(&q->m);
	if (--q->producers_left == 0)
		pthread_cond_broadcast(&q->not_empty);
	pthread_mutex_unlock(&q->m);
	return NULL;
}

static void *consumer(void *arg)
{
	struct queue *q = arg;
	pthread_mutex_lock(&q->m);
	for (;;) {
		while (q->count == 0 && q->producers_left > 0)
			pthread_cond_wait(&q->not_empty, &q->m);
		if (q->count == 0)
			break;
		long v = q->buf[q->head];
		q->head = (q->head + 1) % PC_SLOTS;
		q->count--;
		q->consumed_sum += v;
		q->consumed++;
		pthread_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->m);
	return NULL;
}

static void test_producer_consumer(void **state)
{
	(void)state;
	static struct queue q = { PTHREAD_MUTEX_INITIALIZER,
				  PTHREAD_COND_INITIALIZER,
				  PTHREAD_COND_INITIALIZER, { 0 }, 0, 0, 0, 0,
				  PC_PRODUCERS };
	pthread_t p[PC_PRODUCERS], c[PC_CONSUMERS];
	for (int i = 0; i < PC_CONSUMERS; i++)
		pthread_create(&c[i], NULL, consumer, &q);
	for (int i = 0; i < PC_PRODUCERS; i++)
		pthread_create(&p[i], NULL, producer, &q);
	for (int i = 0; i < PC_PRODUCERS; i++)
		pthread_join(p[i], NULL);
	for (int i = 0; i < PC_CONSUMERS; i++)
		pthread_join(c[i], NULL);
	assert_int_equal(q.consumed, (long)PC_PRODUCERS * PC_ITEMS);
	assert_int_equal(q.consumed_sum, (long)PC_PRODUCERS * PC_ITEMS *
						 (PC_ITEMS + 1) / 2);
}

/* ---- process-shared across fork ---------------------------------- */

struct shared_area {
	pthread_mutex_t m;
	pthread_cond_t c;
	int stage;
	int acks;
};

static void test_pshared_fork(void **state)
{
	(void)state;
	struct shared_area *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(s != MAP_FAILED);
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&s->m, &ma);
	pthread_cond_init(&s->c, &ca);
	s->stage = 0;
	s->acks = 0;

	/* Nobody signals yet: a timed wait times out, on the attr's clock. */
	pthread_mutex_lock(&s->m);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, 30);
	assert_int_equal(pthread_cond_timedwait(&s->c, &s->m, &dl), ETIMEDOUT);
	assert_true(ms_since(CLOCK_MONOTONIC, &start) >= 29);
	pthread_mutex_unlock(&s->m);

	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		assert_true(kids[k] >= 0);
		if (kids[k] == 0) {
			int code = 0;
			if (pthread_mutex_lock(&s->m) != 0)
				code |= 1;
			s->acks++;
			pthread_cond_broadcast(&s->c);
			while (s->stage == 0)
				if (pthread_cond_wait(&s->c, &s->m) != 0)
					code |= 2;
			s->acks++;
			pthread_cond_broadcast(&s->c);
			pthread_mutex_unlock(&s->m);
			_exit(code);
		}
	}
	pthread_mutex_lock(&s->m);
	while (s->acks < 2)
		pthread_cond_wait(&s->c, &s->m);
	s->stage = 1;
	pthread_cond_broadcast(&s->c);
	while (s->acks < 4) {
		dl = deadline_in(CLOCK_MONOTONIC, 10000);
		assert_int_not_equal(pthread_cond_timedwait(&s->c, &s->m, &dl),
				     ETIMEDOUT);
	}
	pthread_mutex_unlock(&s->m);
	for (int k = 0; k < 2; k++) {
		int status;
		assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	munmap(s, sizeof *s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_and_attr),
		cmocka_unit_test(test_signal_wakes_one_at_a_time),
		cmocka_unit_test(test_broadcast_requeue),
		cmocka_unit_test(test_broadcast_mixed_mutexes),
		cmocka_unit_test(test_destroy_after_broadcast),
		cmocka_unit_test(test_timeouts_both_clocks),
		cmocka_unit_test(test_expired_deadline_keeps_mutex),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_recursive_mutex_wait),
		cmocka_unit_test(test_cancel_in_wait),
		cmocka_unit_test(test_cancel_does_not_eat_signal),
		cmocka_unit_test(test_producer_consumer),
		cmocka_unit_test(test_pshared_fork),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
