/*
 * sync_objects: every synchronisation object, from its static initializer
 * where glibc has one, in threads, with its results checked.  Run under
 * LD_PRELOAD by run_preload.py --bindings, which also checks that each
 * call bound to libshim.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>

#define NTHREADS 8
#define ROUNDS 20000

static int failures;
#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "check failed: %s (line %d)\n", #c,   \
				__LINE__);                                    \
			failures++;                                           \
		}                                                             \
	} while (0)

static pthread_mutex_t normal = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t recursive = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_mutex_t errorcheck = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_mutex_t adaptive = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t rw_writer =
	PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_barrier_t barrier;
static pthread_spinlock_t spin;
static sem_t sem;
static mtx_t c11_mutex;
static atomic_int threads_made;

static long counter, spin_counter, rw_value, c11_counter;
static atomic_int once_runs, serial_threads;
static int queue_items; /* guarded by normal, signalled with cond */

static void run_once(void)
{
	once_runs++;
}

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&adaptive);
		pthread_mutex_lock(&recursive);
		pthread_mutex_lock(&recursive);
		counter++;
		pthread_mutex_unlock(&recursive);
		pthread_mutex_unlock(&recursive);
		pthread_mutex_unlock(&adaptive);

		pthread_spin_lock(&spin);
		spin_counter++;
		pthread_spin_unlock(&spin);

		if (i % 16 == 0) {
			pthread_rwlock_wrlock(&rwlock);
			rw_value++;
			pthread_rwlock_unlock(&rwlock);
		} else {
			pthread_rwlock_rdlock(&rwlock);
			CHECK(rw_value >= 0);
			pthread_rwlock_unlock(&rwlock);
		}
		if (i % 1000 == 0) {
			pthread_once(&once, run_once);
			int r = pthread_barrier_wait(&barrier);
			if (r == PTHREAD_BARRIER_SERIAL_THREAD)
				serial_threads++;
			else
				CHECK(r == 0);
		}
		mtx_lock(&c11_mutex);
		c11_counter++;
		mtx_unlock(&c11_mutex);
	}
	/* Producer/consumer: each thread posts then takes ROUNDS/100 items. */
	for (int i = 0; i < ROUNDS / 100; i++) {
		pthread_mutex_lock(&normal);
		queue_items++;
		pthread_cond_signal(&cond);
		pthread_mutex_unlock(&normal);
		sem_post(&sem);
	}
	for (int i = 0; i < ROUNDS / 100; i++) {
		pthread_mutex_lock(&normal);
		while (queue_items == 0)
			pthread_cond_wait(&cond, &normal);
		queue_items--;
		pthread_mutex_unlock(&normal);
		CHECK(sem_wait(&sem) == 0);
	}
	return NULL;
}

int main(void)
{
	pthread_barrier_init(&barrier, NULL, NTHREADS);
	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
	sem_init(&sem, 0, 0);
	mtx_init(&c11_mutex, mtx_plain);

	/* Error numbers from statically initialized objects. */
	CHECK(pthread_mutex_lock(&errorcheck) == 0);
	CHECK(pthread_mutex_lock(&errorcheck) == EDEADLK);
	CHECK(pthread_mutex_trylock(&errorcheck) == EBUSY);
	CHECK(pthread_mutex_unlock(&errorcheck) == 0);
	CHECK(pthread_mutex_unlock(&errorcheck) == EPERM);
	CHECK(pthread_rwlock_wrlock(&rw_writer) == 0);
	CHECK(pthread_rwlock_wrlock(&rw_writer) == EDEADLK);
	CHECK(pthread_rwlock_unlock(&rw_writer) == 0);
	struct timespec bad = {0, 1000000000};
	CHECK(pthread_mutex_lock(&normal) == 0);
	CHECK(pthread_mutex_timedlock(&normal, &bad) == EINVAL);
	CHECK(pthread_cond_timedwait(&cond, &normal, &bad) == EINVAL);
	CHECK(pthread_mutex_unlock(&normal) == 0);
	CHECK(sem_trywait(&sem) == -1 && errno == EAGAIN);

	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		CHECK(pthread_create(&t[i], NULL, worker, NULL) == 0);
		threads_made++;
	}
	for (int i = 0; i < NTHREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0);

	CHECK(counter == (long)NTHREADS * ROUNDS);
	CHECK(spin_counter == (long)NTHREADS * ROUNDS);
	CHECK(c11_counter == (long)NTHREADS * ROUNDS);
	CHECK(rw_value == (long)NTHREADS * (ROUNDS / 16));
	CHECK(once_runs == 1);
	CHECK(serial_threads == ROUNDS / 1000);
	CHECK(queue_items == 0);
	int v = -1;
	CHECK(sem_getvalue(&sem, &v) == 0 && v == 0);

	printf("threads made: %d\n", threads_made);
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
