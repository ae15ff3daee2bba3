/*
 * bench/sem.c -- semaphore ping-pong: each thread posts the other's
 * semaphore and waits on its own.  Every wait finds its count at zero, so
 * this is the post-wakes-a-waiter path (a waiter may spin before it sleeps),
 * to be read against the floor.*_pingpong rows (placements in pingpong.h).
 */
#include "bench.h"
#include "pingpong.h"

#include <errno.h>
#include <semaphore.h>
#include <string.h>

struct pair {
	sem_t to_partner;
	sem_t to_main;
	bool done;	/* written before the last post, read after its wait */
};

static void give(sem_t *s)
{
	if (sem_post(s) != 0)
		bench_fail("sem.pingpong: sem_post: %s", strerror(errno));
}

static void take(sem_t *s)
{
	while (sem_wait(s) != 0)
		if (errno != EINTR)
			bench_fail("sem.pingpong: sem_wait: %s", strerror(errno));
}

static void ping(void *object)
{
	struct pair *p = object;

	give(&p->to_partner);
	take(&p->to_main);
}

static bool pong(void *object)
{
	struct pair *p = object;

	take(&p->to_partner);
	if (p->done) {
		p->done = false;	/* initial state, for the next placement */
		return false;
	}
	give(&p->to_main);
	return true;
}

static void finish(void *object)
{
	struct pair *p = object;

	p->done = true;
	give(&p->to_partner);
}

int main(int argc, char **argv)
{
	static struct pair pair;
	const bench_pingpong_t pp = { "sem.pingpong", &pair, ping, pong, finish };

	bench_init(argc, argv);
	bench_report_impl("sem_wait", (void *)sem_wait);
	if (sem_init(&pair.to_partner, 0, 0) != 0 || sem_init(&pair.to_main, 0, 0) != 0)
		bench_fail("sem_init: %s", strerror(errno));
	bench_pingpong(&pp);
	/* Both counts are back at zero: every post was consumed by one wait. */
	int left;
	if (sem_getvalue(&pair.to_partner, &left) != 0 || left != 0 ||
	    sem_getvalue(&pair.to_main, &left) != 0 || left != 0)
		bench_fail("sem.pingpong: a semaphore ended with a count left over");
	sem_destroy(&pair.to_partner);
	sem_destroy(&pair.to_main);
	return 0;
}
