/*
 * hang MODE: threads that hang for good, for the thread dump (SHIM_DUMP):
 *
 *   deadlock2  two threads: A then B, and B then A, each waiting for the
 *              other after both took their first lock
 *   deadlock3  three threads in a ring: A then B, B then C, C then A
 *   condvar    "waiter" holds lock_a and waits on a condvar nobody signals
 *              (with lock_m); "blocked" waits for lock_a behind it.  No
 *              cycle: a hang the signal's dump explains.
 *   alone      no thread but main, which libshim never had to know:
 *              the dump still shows it, once.
 *
 * Once the hang has formed main prints "hung" on stdout, then sleeps; it
 * leaves with _exit(0) after 20 s if nobody killed it first (the test
 * reads the dump on stderr and kills it).  Threads are named (hang-N,
 * waiter, blocked) and the functions exported (-rdynamic) so that the
 * dump's names can be checked.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t never_signalled = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t all_hold_first;

struct ring {
	pthread_mutex_t *first, *second;
	char name[16];
};

__attribute__((noinline)) void take_in_ring(struct ring *r)
{
	pthread_mutex_lock(r->first);
	pthread_barrier_wait(&all_hold_first);
	pthread_mutex_lock(r->second); /* never returns */
	pthread_mutex_unlock(r->second); /* (and no tail call: a frame) */
}

static void *ring_thread(void *arg)
{
	struct ring *r = arg;
	pthread_setname_np(pthread_self(), r->name);
	take_in_ring(r);
	return NULL;
}

__attribute__((noinline)) void wait_for_nothing(void)
{
	pthread_mutex_lock(&lock_a);
	pthread_mutex_lock(&lock_m);
	for (;;)
		pthread_cond_wait(&never_signalled, &lock_m);
}

static void *waiter(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "waiter");
	wait_for_nothing();
	return NULL;
}

__attribute__((noinline)) void wait_behind_waiter(void)
{
	pthread_mutex_lock(&lock_a); /* never returns */
	pthread_mutex_unlock(&lock_a); /* (and no tail call: a frame) */
}

static void *blocked(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "blocked");
	wait_behind_waiter();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: hang deadlock2|deadlock3|condvar|alone\n");
		return 2;
	}
	static struct ring ring[3];
	pthread_mutex_t *locks[3] = { &lock_a, &lock_b, &lock_c };
	pthread_t t;
	int n = strcmp(argv[1], "deadlock2") == 0   ? 2
		: strcmp(argv[1], "deadlock3") == 0 ? 3
						    : 0;
	if (n != 0) {
		pthread_barrier_init(&all_hold_first, NULL, (unsigned)n);
		for (int i = 0; i < n; i++) {
			ring[i].first = locks[i];
			ring[i].second = locks[(i + 1) % n];
			snprintf(ring[i].name, sizeof ring[i].name, "hang-%d", i);
			pthread_create(&t, NULL, ring_thread, &ring[i]);
		}
	} else if (strcmp(argv[1], "condvar") == 0) {
		pthread_create(&t, NULL, waiter, NULL);
		usleep(100000); /* the waiter holds lock_a first */
		pthread_create(&t, NULL, blocked, NULL);
	} else if (strcmp(argv[1], "alone") != 0) {
		return 2;
	}
	usleep(300000);
	printf("hung\n");
	fflush(stdout);
	/* A dump's signal may cut a sleep short: sleep to a deadline. */
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 20;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, NULL) != 0)
		;
	_exit(0);
}
