/*
 * bench/cond.c -- condition variable ping-pong: two threads share a mutex
 * and one condition variable and hand a turn back and forth.  Every
 * hand-over is a signal to a thread that is (or is about to be) asleep, so
 * this measures the wait/signal/re-lock path, to be read against the
 * floor.*_pingpong rows (placements in pingpong.h).
 */
#include "bench.h"
#include "pingpong.h"

enum { TURN_MAIN, TURN_PARTNER, TURN_DONE };

struct table {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	int turn;
};

static void check(int err, const char *call)
{
	if (err != 0)
		bench_fail("cond.pingpong: %s returned %d", call, err);
}

static void hand_over(struct table *t, int to)
{
	t->turn = to;
	/* One condition variable, two waiters at most, one of them ourselves
	 * (not waiting now): a signal reaches the partner. */
	check(pthread_cond_signal(&t->cond), "pthread_cond_signal");
}

static void ping(void *object)
{
	struct table *t = object;

	check(pthread_mutex_lock(&t->mutex), "pthread_mutex_lock");
	hand_over(t, TURN_PARTNER);
	while (t->turn != TURN_MAIN)
		check(pthread_cond_wait(&t->cond, &t->mutex), "pthread_cond_wait");
	check(pthread_mutex_unlock(&t->mutex), "pthread_mutex_unlock");
}

static bool pong(void *object)
{
	struct table *t = object;
	bool more;

	check(pthread_mutex_lock(&t->mutex), "pthread_mutex_lock");
	while (t->turn == TURN_MAIN)
		check(pthread_cond_wait(&t->cond, &t->mutex), "pthread_cond_wait");
	more = t->turn != TURN_DONE;
	if (more)
		hand_over(t, TURN_MAIN);
	else
		t->turn = TURN_MAIN;	/* initial state, for the next placement */
	check(pthread_mutex_unlock(&t->mutex), "pthread_mutex_unlock");
	return more;
}

static void finish(void *object)
{
	struct table *t = object;

	check(pthread_mutex_lock(&t->mutex), "pthread_mutex_lock");
	hand_over(t, TURN_DONE);
	check(pthread_mutex_unlock(&t->mutex), "pthread_mutex_unlock");
}

int main(int argc, char **argv)
{
	static struct table table = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, TURN_MAIN };
	const bench_pingpong_t pp = { "cond.pingpong", &table, ping, pong, finish };

	bench_init(argc, argv);
	bench_report_impl("pthread_cond_wait", (void *)pthread_cond_wait);
	bench_pingpong(&pp);
	return 0;
}
