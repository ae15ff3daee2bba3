/*
 * sync_all.c [--race] -- every kind of pthread synchronisation, race-free:
 * data handed from thread to thread under mutexes of each kind (normal,
 * recursive, errorcheck, adaptive, robust, priority-inheritance, timed
 * and try locks), a condition variable (wait, timed wait, signal,
 * broadcast), a read-write lock, a semaphore, a barrier, a spin lock, a
 * once, and thread create and join.  A thread checker (helgrind, drd,
 * ThreadSanitizer) must report nothing.  With --race the workers also
 * bump racy_counter with no lock at all: that race, and only that, must
 * be reported, naming racy_counter.
 *
 * An ordinary glibc program; small, because it runs under valgrind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { WORKERS = 3, ROUNDS = 20 };

#define CHECK(x)                                                           \
	do {                                                               \
		if (!(x)) {                                                \
			fprintf(stderr, "sync_all: %s:%d: %s\n", __FILE__, \
				__LINE__, #x);                             \
			exit(1);                                           \
		}                                                          \
	} while (0)

static pthread_mutex_t normal = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t recursive, errorcheck, adaptive, robust, pi;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t spin;
static pthread_barrier_t barrier;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static sem_t handed_sem;

static long by_normal, by_recursive, by_errorcheck, by_adaptive, by_robust,
	by_pi, by_timed, by_try, by_rw, by_spin;
static int tickets;
static long once_value, start_value;
static long handed[WORKERS], slots[WORKERS], results[WORKERS];
static int race;
long racy_counter;

static void init_once(void)
{
	once_value = 42;
}

static struct timespec in_a_while(long ms)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += ms * 1000000;
	t.tv_sec += t.tv_nsec / 1000000000;
	t.tv_nsec %= 1000000000;
	return t;
}

static void bump(pthread_mutex_t *m, long *counter)
{
	CHECK(pthread_mutex_lock(m) == 0);
	++*counter;
	CHECK(pthread_mutex_unlock(m) == 0);
}

static void *worker(void *arg)
{
	long id = (long)arg;
	CHECK(start_value == 7); /* written before pthread_create */
	CHECK(pthread_once(&once, init_once) == 0);
	CHECK(once_value == 42);
	CHECK(sem_wait(&handed_sem) == 0);
	CHECK(handed[id] == id + 100); /* written before the posts */

	for (int r = 0; r < ROUNDS; r++) {
		bump(&normal, &by_normal);
		CHECK(pthread_mutex_lock(&recursive) == 0);
		bump(&recursive, &by_recursive);
		CHECK(pthread_mutex_unlock(&recursive) == 0);
		bump(&errorcheck, &by_errorcheck);
		bump(&adaptive, &by_adaptive);
		bump(&robust, &by_robust);
		bump(&pi, &by_pi);

		struct timespec t = in_a_while(10000);
		CHECK(pthread_mutex_timedlock(&errorcheck, &t) == 0);
		by_timed++;
		CHECK(pthread_mutex_unlock(&errorcheck) == 0);
		while (pthread_mutex_trylock(&normal) != 0)
			;
		by_try++;
		CHECK(pthread_mutex_unlock(&normal) == 0);

		CHECK(pthread_rwlock_rdlock(&rw) == 0);
		long seen = by_rw;
		CHECK(pthread_rwlock_unlock(&rw) == 0);
		CHECK(pthread_rwlock_wrlock(&rw) == 0);
		CHECK(by_rw >= seen);
		by_rw++;
		CHECK(pthread_rwlock_unlock(&rw) == 0);
		if (pthread_rwlock_tryrdlock(&rw) == 0) {
			seen = by_rw;
			CHECK(pthread_rwlock_unlock(&rw) == 0);
		}

		CHECK(pthread_spin_lock(&spin) == 0);
		by_spin++;
		CHECK(pthread_spin_unlock(&spin) == 0);

		if (race)
			racy_counter++;
	}

	slots[id] = id + 1;
	int b = pthread_barrier_wait(&barrier);
	CHECK(b == 0 || b == PTHREAD_BARRIER_SERIAL_THREAD);
	for (int i = 0; i < WORKERS; i++)
		CHECK(slots[i] == i + 1);

	CHECK(pthread_mutex_lock(&normal) == 0);
	while (tickets == 0)
		CHECK(pthread_cond_wait(&cond, &normal) == 0);
	tickets--;
	CHECK(pthread_mutex_unlock(&normal) == 0);

	results[id] = id * 10; /* read by main after the join */
	return NULL;
}

static void mutex_of_kind(pthread_mutex_t *m, int type, int robustness,
			  int protocol)
{
	pthread_mutexattr_t a;
	CHECK(pthread_mutexattr_init(&a) == 0);
	CHECK(pthread_mutexattr_settype(&a, type) == 0);
	CHECK(pthread_mutexattr_setrobust(&a, robustness) == 0);
	CHECK(pthread_mutexattr_setprotocol(&a, protocol) == 0);
	CHECK(pthread_mutex_init(m, &a) == 0);
	CHECK(pthread_mutexattr_destroy(&a) == 0);
}

int main(int argc, char **argv)
{
	race = argc > 1 && strcmp(argv[1], "--race") == 0;
	mutex_of_kind(&recursive, PTHREAD_MUTEX_RECURSIVE, PTHREAD_MUTEX_STALLED,
		      PTHREAD_PRIO_NONE);
	mutex_of_kind(&errorcheck, PTHREAD_MUTEX_ERRORCHECK,
		      PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_NONE);
	mutex_of_kind(&adaptive, PTHREAD_MUTEX_ADAPTIVE_NP,
		      PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_NONE);
	mutex_of_kind(&robust, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ROBUST,
		      PTHREAD_PRIO_NONE);
	mutex_of_kind(&pi, PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_STALLED,
		      PTHREAD_PRIO_INHERIT);
	CHECK(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE) == 0);
	CHECK(pthread_barrier_init(&barrier, NULL, WORKERS) == 0);
	CHECK(sem_init(&handed_sem, 0, 0) == 0);

	start_value = 7;
	pthread_t t[WORKERS];
	for (long i = 0; i < WORKERS; i++)
		CHECK(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
	for (int i = 0; i < WORKERS; i++)
		handed[i] = i + 100; /* published by the posts */
	for (int i = 0; i < WORKERS; i++)
		CHECK(sem_post(&handed_sem) == 0);

	/* A timed wait that times out, then one ticket per worker. */
	pthread_cond_t alone = PTHREAD_COND_INITIALIZER;
	CHECK(pthread_mutex_lock(&normal) == 0);
	struct timespec soon = in_a_while(5);
	CHECK(pthread_cond_timedwait(&alone, &normal, &soon) == ETIMEDOUT);
	CHECK(pthread_mutex_unlock(&normal) == 0);
	for (int i = 0; i < WORKERS; i++) {
		CHECK(pthread_mutex_lock(&normal) == 0);
		tickets++;
		if (i + 1 < WORKERS)
			CHECK(pthread_cond_signal(&cond) == 0);
		else
			CHECK(pthread_cond_broadcast(&cond) == 0);
		CHECK(pthread_mutex_unlock(&normal) == 0);
	}

	for (int i = 0; i < WORKERS; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	for (int i = 0; i < WORKERS; i++)
		CHECK(results[i] == i * 10);
	const long all = WORKERS * ROUNDS;
	CHECK(by_normal == all && by_recursive == all && by_errorcheck == all);
	CHECK(by_adaptive == all && by_robust == all && by_pi == all);
	CHECK(by_timed == all && by_try == all && by_rw == all);
	CHECK(by_spin == all && tickets == 0);

	CHECK(pthread_mutex_destroy(&recursive) == 0);
	CHECK(pthread_mutex_destroy(&errorcheck) == 0);
	CHECK(pthread_mutex_destroy(&adaptive) == 0);
	CHECK(pthread_mutex_destroy(&robust) == 0);
	CHECK(pthread_mutex_destroy(&pi) == 0);
	CHECK(pthread_cond_destroy(&alone) == 0);
	CHECK(pthread_rwlock_destroy(&rw) == 0);
	CHECK(pthread_spin_destroy(&spin) == 0);
	CHECK(pthread_barrier_destroy(&barrier) == 0);
	CHECK(sem_destroy(&handed_sem) == 0);
	printf("sync_all: ok%s\n", race ? " (with the race)" : "");
	return 0;
}
