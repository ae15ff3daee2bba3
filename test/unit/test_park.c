/*
 * test_park.c -- the park layer (libshim/park.c): validation, wake-ups
 * that come before the sleep, FIFO order and starving waiters first,
 * deadlines on both clocks, requeue, unpark_all, cancellation, and
 * wake-ups under a signal storm.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#include "libshim/park.h"
#include "libshim/shim.h"
#include "libshim/thread.h"

static void wait_until(_Atomic int *counter, int value)
{
	while (atomic_load(counter) < value)
		usleep(100);
}

static bool always(void *ctx)
{
	(void)ctx;
	return true;
}

static bool never(void *ctx)
{
	(void)ctx;
	return false;
}

/* before_sleep: count the threads that are queued. */
static _Atomic int queued;
static void count_queued(void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&queued, 1);
}

static _Atomic int before_sleep_calls;
static void note_before_sleep(void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&before_sleep_calls, 1);
}

static void test_validate_false_is_eagain(void **state)
{
	(void)state;
	int key = 0;
	before_sleep_calls = 0;
	assert_int_equal(park_wait(&key, never, note_before_sleep, NULL, NULL,
				   NULL, CLOCK_MONOTONIC, 0, NULL),
			 EAGAIN);
	assert_int_equal(before_sleep_calls, 0);
	assert_false(park_unpark_one(&key, NULL, NULL));
}

/* The wake-up arrives between the enqueue and the sleep (in before_sleep,
 * where a condvar drops its mutex): it must not be lost. */
static int early_key;
static void unpark_myself(void *ctx)
{
	(void)ctx;
	assert_true(park_unpark_one(&early_key, NULL, NULL));
}

static void test_unpark_before_sleep_not_lost(void **state)
{
	(void)state;
	for (int i = 0; i < 1000; i++) {
		uintptr_t token = 99;
		struct timespec dl = deadline_in(CLOCK_MONOTONIC, 5000);
		assert_int_equal(park_wait(&early_key, always, unpark_myself,
					   NULL, NULL, &dl, CLOCK_MONOTONIC, 0,
					   &token),
				 0);
		assert_int_equal(token, PARK_TOKEN_NORMAL);
	}
}

/* FIFO: threads queued in order 0..N-1 are woken in that order; the
 * unparker hands each the sequence number as its token. */
#define FIFO_N 8
static int fifo_key;
static uintptr_t fifo_next_token;

static uintptr_t fifo_callback(void *ctx, struct park_unpark_result r)
{
	(void)ctx;
	assert_true(r.unparked);
	assert_int_equal(r.have_more, fifo_next_token < FIFO_N - 1);
	return 100 + fifo_next_token++;
}

static void *fifo_waiter(void *arg)
{
	uintptr_t token = 0;
	int r = park_wait(&fifo_key, always, count_queued, NULL, NULL, NULL,
			  CLOCK_MONOTONIC, 0, &token);
	return (void *)(uintptr_t)(r == 0 && token == 100 + (uintptr_t)arg);
}

static void test_fifo_order(void **state)
{
	(void)state;
	pthread_t t[FIFO_N];
	queued = 0;
	fifo_next_token = 0;
	for (uintptr_t i = 0; i < FIFO_N; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, fifo_waiter,
						(void *)i),
				 0);
		wait_until(&queued, (int)i + 1);
	}
	for (int i = 0; i < FIFO_N; i++)
		assert_true(park_unpark_one(&fifo_key, fifo_callback, NULL));
	for (int i = 0; i < FIFO_N; i++) {
		void *ok;
		pthread_join(t[i], &ok);
		assert_true(ok);
	}
	assert_false(park_unpark_one(&fifo_key, NULL, NULL));
}

/* PARK_STARVING: waiters that say so are queued ahead of those that do
 * not (in their own arrival order), and their unparker is told.  Parked
 * in order: 0-3 plain, 4 and 5 starving; woken: 4, 5, 0, 1, 2, 3. */
#define STARVE_N 6
static int starve_key;
static unsigned starve_woken;
static const uintptr_t starve_order[STARVE_N] = { 4, 5, 0, 1, 2, 3 };

static uintptr_t starve_callback(void *ctx, struct park_unpark_result r)
{
	(void)ctx;
	assert_true(r.unparked);
	uintptr_t who = starve_order[starve_woken++];
	assert_int_equal(r.starving, who >= 4);
	return 100 + who;
}

static void *starve_waiter(void *arg)
{
	uintptr_t token = 0;
	unsigned flags = (uintptr_t)arg >= 4 ? PARK_STARVING : 0;
	int r = park_wait(&starve_key, always, count_queued, NULL, NULL, NULL,
			  CLOCK_MONOTONIC, flags, &token);
	return (void *)(uintptr_t)(r == 0 && token == 100 + (uintptr_t)arg);
}

static void test_starving_first(void **state)
{
	(void)state;
	pthread_t t[STARVE_N];
	queued = 0;
	starve_woken = 0;
	for (uintptr_t i = 0; i < STARVE_N; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, starve_waiter,
						(void *)i),
				 0);
		wait_until(&queued, (int)i + 1);
	}
	for (int i = 0; i < STARVE_N; i++)
		assert_true(park_unpark_one(&starve_key, starve_callback, NULL));
	for (int i = 0; i < STARVE_N; i++) {
		void *ok;
		pthread_join(t[i], &ok);
		assert_true(ok);
	}
}

/* Deadlines: both clocks, timed_out's was_last, a negative deadline. */
struct timeout_ctx {
	int calls;
	bool was_last;
};

static void record_timeout(void *ctx, bool was_last)
{
	struct timeout_ctx *c = ctx;
	c->calls++;
	c->was_last = was_last;
}

static void check_timeout_on(clockid_t clock)
{
	int key = 0;
	struct timeout_ctx c = { 0, false };
	struct timespec start;
	clock_gettime(clock, &start);
	struct timespec dl = deadline_in(clock, 60);
	assert_int_equal(park_wait(&key, always, NULL, record_timeout, &c, &dl,
				   clock, 0, NULL),
			 ETIMEDOUT);
	assert_true(ms_since(clock, &start) >= 59);
	assert_int_equal(c.calls, 1);
	assert_true(c.was_last);
	assert_false(park_unpark_one(&key, NULL, NULL)); /* dequeued */
}

static void test_timeout_realtime(void **state)
{
	(void)state;
	check_timeout_on(CLOCK_REALTIME);
}

static void test_timeout_monotonic(void **state)
{
	(void)state;
	check_timeout_on(CLOCK_MONOTONIC);
}

static void test_timeout_negative_and_past(void **state)
{
	(void)state;
	int key = 0;
	struct timeout_ctx c = { 0, false };
	struct timespec neg = { -1, 0 };
	assert_int_equal(park_wait(&key, always, NULL, record_timeout, &c,
				   &neg, CLOCK_REALTIME, 0, NULL),
			 ETIMEDOUT);
	struct timespec past = { 1, 0 };
	assert_int_equal(park_wait(&key, always, NULL, record_timeout, &c,
				   &past, CLOCK_MONOTONIC, 0, NULL),
			 ETIMEDOUT);
	assert_int_equal(c.calls, 2);
}

/* The park layer itself never adopts: a thread whose descriptor is not
 * known (cleared here, as for a thread libshim did not make) is handed
 * one by park_wait's caller side, and the layer creates none, on the
 * refused, the timed-out and the cancellable path alike. */
static void test_park_layer_never_adopts(void **state)
{
	(void)state;
	struct shim_thread *self = shim_self();
	assert_non_null(self);
	int key = 0;
	struct timeout_ctx c = { 0, false };
	struct timespec past = { 1, 0 };
	shim_set_self(NULL);
	int refused = park_wait_self(self, &key, never, NULL, NULL, NULL, NULL,
				     CLOCK_MONOTONIC, PARK_CANCELLABLE, NULL);
	int timed = park_wait_self(self, &key, always, NULL, record_timeout,
				   &c, &past, CLOCK_MONOTONIC,
				   PARK_CANCELLABLE | PARK_INTERRUPTIBLE, NULL);
	struct shim_thread *after = shim_self_if_known();
	shim_set_self(self);
	assert_null(after);
	assert_int_equal(refused, EAGAIN);
	assert_int_equal(timed, ETIMEDOUT);
	assert_int_equal(c.calls, 1);
}

/* was_last is false while another thread stays queued on the key. */
static int shared_key;
static void *untimed_waiter(void *arg)
{
	(void)arg;
	int r = park_wait(&shared_key, always, count_queued, NULL, NULL, NULL,
			  CLOCK_MONOTONIC, 0, NULL);
	return (void *)(intptr_t)r;
}

static void test_timeout_was_last_false_with_others(void **state)
{
	(void)state;
	pthread_t t;
	queued = 0;
	assert_int_equal(pthread_create(&t, NULL, untimed_waiter, NULL), 0);
	wait_until(&queued, 1);
	struct timeout_ctx c = { 0, true };
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, 20);
	assert_int_equal(park_wait(&shared_key, always, NULL, record_timeout,
				   &c, &dl, CLOCK_MONOTONIC, 0, NULL),
			 ETIMEDOUT);
	assert_int_equal(c.calls, 1);
	assert_false(c.was_last);
	assert_int_equal(park_unpark_all(&shared_key, PARK_TOKEN_NORMAL, NULL, NULL), 1);
	void *r;
	pthread_join(t, &r);
	assert_int_equal((intptr_t)r, 0);
}

/* unpark_all wakes every waiter of its key, and only those. */
#define ALL_N 6
static int all_key, other_key;

static void *all_waiter(void *arg)
{
	int *key = arg;
	uintptr_t token = 0;
	int r = park_wait(key, always, count_queued, NULL, NULL, NULL,
			  CLOCK_MONOTONIC, 0, &token);
	return (void *)(uintptr_t)(r == 0 ? token : 0);
}

static void test_unpark_all_count(void **state)
{
	(void)state;
	pthread_t t[ALL_N], o;
	queued = 0;
	for (int i = 0; i < ALL_N; i++)
		assert_int_equal(pthread_create(&t[i], NULL, all_waiter,
						&all_key),
				 0);
	assert_int_equal(pthread_create(&o, NULL, all_waiter, &other_key), 0);
	wait_until(&queued, ALL_N + 1);
	assert_int_equal(park_unpark_all(&all_key, 77, NULL, NULL), ALL_N);
	for (int i = 0; i < ALL_N; i++) {
		void *tok;
		pthread_join(t[i], &tok);
		assert_int_equal((uintptr_t)tok, 77);
	}
	assert_int_equal(park_unpark_all(&all_key, 77, NULL, NULL), 0);
	assert_int_equal(park_unpark_all(&other_key, 5, NULL, NULL), 1);
	void *tok;
	pthread_join(o, &tok);
	assert_int_equal((uintptr_t)tok, 5);
}

/* Requeue: wake one of `from`, move the rest to `to`. */
static int rq_from, rq_to;
struct rq_ctx {
	enum park_requeue_op op;
	unsigned unparked, requeued, callbacks;
	bool have_more;
};

static enum park_requeue_op rq_validate(void *ctx)
{
	return ((struct rq_ctx *)ctx)->op;
}

static void rq_callback(void *ctx, enum park_requeue_op op, unsigned unparked,
			unsigned requeued, bool have_more)
{
	struct rq_ctx *c = ctx;
	assert_int_equal(op, c->op);
	c->unparked = unparked;
	c->requeued = requeued;
	c->have_more = have_more;
	c->callbacks++;
}

static _Atomic int validate_calls;
static enum park_requeue_op counting_validate(void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&validate_calls, 1);
	return PARK_REQUEUE_ALL;
}

static void test_requeue(void **state)
{
	(void)state;
	pthread_t t[4];

	/* Nobody waits on `from`: validate is not even asked (a condvar's
	 * record of its mutex may then be stale). */
	validate_calls = 0;
	assert_int_equal(park_unpark_requeue(&rq_from, &rq_to,
					     counting_validate, NULL, NULL),
			 0);
	assert_int_equal(validate_calls, 0);

	queued = 0;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, all_waiter,
						&rq_from),
				 0);
	wait_until(&queued, 4);

	/* ABORT still reports, under the locks, that threads wait. */
	struct rq_ctx c = { PARK_REQUEUE_ABORT, 0, 0, 0, false };
	assert_int_equal(park_unpark_requeue(&rq_from, &rq_to, rq_validate,
					     rq_callback, &c),
			 0);
	assert_int_equal(c.callbacks, 1);
	assert_true(c.have_more);

	c.op = PARK_UNPARK_ONE_REQUEUE_REST;
	assert_int_equal(park_unpark_requeue(&rq_from, &rq_to, rq_validate,
					     rq_callback, &c),
			 1);
	assert_int_equal(c.callbacks, 2);
	assert_int_equal(c.unparked, 1);
	assert_int_equal(c.requeued, 3);
	assert_false(c.have_more);
	assert_int_equal(park_unpark_all(&rq_from, 9, NULL, NULL), 0); /* all moved */
	/* The requeued threads now wait on `to`, in their old order. */
	assert_true(park_unpark_one(&rq_to, NULL, NULL));
	assert_int_equal(park_unpark_all(&rq_to, 9, NULL, NULL), 2);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);

	queued = 0;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, all_waiter,
						&rq_from),
				 0);
	wait_until(&queued, 2);
	c.op = PARK_REQUEUE_ALL;
	assert_int_equal(park_unpark_requeue(&rq_from, &rq_to, rq_validate,
					     rq_callback, &c),
			 0);
	assert_int_equal(c.unparked, 0);
	assert_int_equal(c.requeued, 2);
	assert_int_equal(park_unpark_all(&rq_to, 9, NULL, NULL), 2);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);

	/* The one-thread ops touch the first waiter only. */
	queued = 0;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, all_waiter,
						&rq_from),
				 0);
		wait_until(&queued, i + 1);
	}
	c.op = PARK_REQUEUE_ONE;
	assert_int_equal(park_unpark_requeue(&rq_from, &rq_to, rq_validate,
					     rq_callback, &c),
			 0);
	assert_int_equal(c.requeued, 1);
	assert_true(c.have_more);
	c.op = PARK_UNPARK_ONE;
	assert_int_equal(park_unpark_requeue(&rq_from, &rq_to, rq_validate,
					     rq_callback, &c),
			 1);
	assert_int_equal(c.unparked, 1);
	assert_int_equal(c.requeued, 0);
	assert_true(c.have_more);
	assert_int_equal(park_unpark_all(&rq_from, 9, NULL, NULL), 1);
	assert_int_equal(park_unpark_all(&rq_to, 9, NULL, NULL), 1);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
}

/* A requeued waiter's deadline still ends its wait on the new key, but
 * as a wake-up: the requeue chose it (a condvar's signal), and reporting
 * a timeout would lose that choice.  timed_out is not called. */
static void *timed_rq_waiter(void *arg)
{
	(void)arg;
	struct timeout_ctx c = { 0, false };
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, 80);
	uintptr_t token = 99;
	int r = park_wait(&rq_from, always, count_queued, record_timeout, &c,
			  &dl, CLOCK_MONOTONIC, 0, &token);
	return (void *)(intptr_t)(r == 0 && token == PARK_TOKEN_NORMAL &&
				  c.calls == 0);
}

static void test_requeued_waiter_times_out(void **state)
{
	(void)state;
	pthread_t t;
	queued = 0;
	assert_int_equal(pthread_create(&t, NULL, timed_rq_waiter, NULL), 0);
	wait_until(&queued, 1);
	struct rq_ctx c = { PARK_REQUEUE_ALL, 0, 0, 0, false };
	assert_int_equal(park_unpark_requeue(&rq_from, &rq_to, rq_validate,
					     rq_callback, &c),
			 0);
	assert_int_equal(c.requeued, 1);
	void *ok;
	pthread_join(t, &ok);
	assert_true(ok);
	assert_int_equal(park_unpark_all(&rq_to, 0, NULL, NULL), 0);
}

/* PARK_CANCELLABLE with a pending cancellation: ECANCELED, dequeued. */
static void test_cancellable(void **state)
{
	(void)state;
	int key = 0;
	struct shim_thread *td = shim_self();
	assert_non_null(td);
	struct timeout_ctx c = { 0, false };
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, 30);

	atomic_fetch_or(&td->td_cancel, TD_CANCEL_PENDING);
	assert_int_equal(park_wait(&key, always, NULL, record_timeout, &c, &dl,
				   CLOCK_MONOTONIC, PARK_CANCELLABLE, NULL),
			 ECANCELED);
	assert_int_equal(c.calls, 1);
	assert_false(park_unpark_one(&key, NULL, NULL));

	/* Disabled, or not a cancellation point: the wait runs its course. */
	atomic_fetch_or(&td->td_cancel, TD_CANCEL_DISABLED);
	dl = deadline_in(CLOCK_MONOTONIC, 20);
	assert_int_equal(park_wait(&key, always, NULL, NULL, NULL, &dl,
				   CLOCK_MONOTONIC, PARK_CANCELLABLE, NULL),
			 ETIMEDOUT);
	atomic_fetch_and(&td->td_cancel, ~TD_CANCEL_DISABLED);
	dl = deadline_in(CLOCK_MONOTONIC, 20);
	assert_int_equal(park_wait(&key, always, NULL, NULL, NULL, &dl,
				   CLOCK_MONOTONIC, 0, NULL),
			 ETIMEDOUT);
	atomic_fetch_and(&td->td_cancel, ~TD_CANCEL_PENDING);
}

/*
 * Signal storm: two threads pass a turn back and forth through the park
 * layer while a third floods them with signals.  A wake-up lost to a
 * signal hangs the test (meson's timeout fails it); a wait that a signal
 * ends early shows up as a return other than 0 or EAGAIN.
 */
#define STORM_ROUNDS 20000
static _Atomic int storm_turn;
static _Atomic int storm_finished;
static _Atomic int storm_bad;

struct turn_ctx {
	int me;
};

static bool not_my_turn(void *ctx)
{
	return atomic_load(&storm_turn) != ((struct turn_ctx *)ctx)->me;
}

static void on_storm_signal(int sig)
{
	(void)sig;
}

static void *storm_player(void *arg)
{
	struct turn_ctx c = { (int)(intptr_t)arg };
	for (int i = 0; i < STORM_ROUNDS; i++) {
		for (;;) {
			if (atomic_load(&storm_turn) == c.me)
				break;
			int r = park_wait(&storm_turn, not_my_turn, NULL, NULL,
					  &c, NULL, CLOCK_MONOTONIC, 0, NULL);
			if (r != 0 && r != EAGAIN)
				atomic_fetch_add(&storm_bad, 1);
		}
		atomic_store(&storm_turn, 1 - c.me);
		park_unpark_all(&storm_turn, PARK_TOKEN_NORMAL, NULL, NULL);
	}
	atomic_fetch_add(&storm_finished, 1);
	return NULL;
}

static void test_signal_storm(void **state)
{
	(void)state;
	struct sigaction sa = { 0 };
	sa.sa_handler = on_storm_signal; /* no SA_RESTART: EINTR for sure */
	sigaction(SIGUSR1, &sa, NULL);
	storm_turn = 0;
	storm_bad = 0;
	storm_finished = 0;
	pthread_t p[2];
	for (intptr_t i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&p[i], NULL, storm_player,
						(void *)i),
				 0);
	long sent = 0;
	while (atomic_load(&storm_finished) == 0) {
		pthread_kill(p[sent & 1], SIGUSR1);
		if ((++sent & 63) == 0)
			sched_yield();
	}
	pthread_join(p[0], NULL);
	pthread_join(p[1], NULL);
	assert_int_equal(storm_bad, 0);
	assert_true(sent > 100);
	signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_false_is_eagain),
		cmocka_unit_test(test_unpark_before_sleep_not_lost),
		cmocka_unit_test(test_fifo_order),
		cmocka_unit_test(test_starving_first),
		cmocka_unit_test(test_timeout_realtime),
		cmocka_unit_test(test_timeout_monotonic),
		cmocka_unit_test(test_timeout_negative_and_past),
		cmocka_unit_test(test_park_layer_never_adopts),
		cmocka_unit_test(test_timeout_was_last_false_with_others),
		cmocka_unit_test(test_unpark_all_count),
		cmocka_unit_test(test_requeue),
		cmocka_unit_test(test_requeued_waiter_times_out),
		cmocka_unit_test(test_cancellable),
		cmocka_unit_test(test_signal_storm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
