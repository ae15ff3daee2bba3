/*
 * profile_truth: locks of every kind under contention, each measuring
 * itself, so that check_profile.py can hold libshim's contention report
 * (SHIM_STATS) against the truth.
 *
 * Every acquisition is made as a program measuring its own contention
 * would: a trylock, and only if that fails the blocking call, timed around
 * it.  Inside the critical section (so without races) each lock counts
 * acquisitions, contended ones, the total and longest wait, the time held
 * and owner changes (the thread taking it is not the one that took it
 * last).  At the end one line per lock on stdout:
 *   truth NAME acquired=N contended=N wait_ns=N max_ns=N hold_ns=N owners=N
 * Beside them, a pool of idle workers waits on a condvar that is signalled
 * only at the end (it must be reported as condvar waits, not as
 * contention), and counts its own waits and the signals that found nobody.
 * One more phase runs three threads pinned to one CPU on one mutex, where
 * waits are mostly spinning and yielding, not sleeping.  The spin lock has
 * two threads, no more than the machine's cores: a spinner preempted
 * between the lock's return and its own clock read would count a time
 * slice as held that the program's clock does not see (so would any
 * profiler), and more spinners than cores make that common.
 *
 * Linked with -rdynamic so that libshim can name the locks.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <sys/syscall.h>

pthread_mutex_t hot_mutex = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t onecpu_mutex = PTHREAD_MUTEX_INITIALIZER;
pthread_rwlock_t table_rwlock = PTHREAD_RWLOCK_INITIALIZER;
pthread_spinlock_t count_spin;
sem_t slot_sem;
pthread_mutex_t pool_mutex = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;

struct truth {
	const char *name;
	unsigned long acq, contended, owners;
	uint64_t wait_ns, max_ns, hold_ns;
	/* hold_ns ends before the unlock call, hold_hi_ns after it returns:
	 * the lock was let go in between (outside the lock: atomic). */
	_Atomic uint64_t hold_hi_ns;
	pid_t last;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void work(unsigned n)
{
	for (volatile unsigned i = 0; i < n; i++)
		;
}

/* Inside the critical section: the lock is ours, the counts are exact.
 * Returns when it was entered. */
static uint64_t entered(struct truth *t, bool contended, uint64_t wait)
{
	uint64_t since = now_ns();
	pid_t me = (pid_t)syscall(SYS_gettid);
	t->acq++;
	if (contended) {
		t->contended++;
		t->wait_ns += wait;
		if (wait > t->max_ns)
			t->max_ns = wait;
	}
	if (t->last != 0 && t->last != me)
		t->owners++;
	t->last = me;
	return since;
}

static void leaving(struct truth *t, uint64_t since)
{
	t->hold_ns += now_ns() - since;
}

static void left(struct truth *t, uint64_t since)
{
	t->hold_hi_ns += now_ns() - since;
}

static void print_truth(const struct truth *t)
{
	printf("truth %s acquired=%lu contended=%lu wait_ns=%llu max_ns=%llu "
	       "hold_ns=%llu hold_hi_ns=%llu owners=%lu\n", t->name, t->acq,
	       t->contended, (unsigned long long)t->wait_ns,
	       (unsigned long long)t->max_ns, (unsigned long long)t->hold_ns,
	       (unsigned long long)t->hold_hi_ns, t->owners);
}

#define MUTEX_ROUNDS 15000
static struct truth t_hot = { .name = "hot_mutex" };

static void *mutex_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < MUTEX_ROUNDS; i++) {
		bool contended = false;
		uint64_t wait = 0;
		if (pthread_mutex_trylock(&hot_mutex) != 0) {
			uint64_t t0 = now_ns();
			pthread_mutex_lock(&hot_mutex);
			wait = now_ns() - t0;
			contended = true;
		}
		uint64_t since = entered(&t_hot, contended, wait);
		work(8000);
		leaving(&t_hot, since);
		pthread_mutex_unlock(&hot_mutex);
		left(&t_hot, since);
		work(3000);
	}
	return NULL;
}

#define RW_ROUNDS 8000
static struct truth t_rd = { .name = "table_rwlock-rd" },
		    t_wr = { .name = "table_rwlock-wr" };
static _Atomic unsigned long rd_acq, rd_contended;
static _Atomic uint64_t rd_wait, rd_max;

static void *rw_worker(void *arg)
{
	bool writer = (intptr_t)arg == 0;
	for (int i = 0; i < RW_ROUNDS; i++) {
		if (writer || i % 4 == 0) {
			bool contended = false;
			uint64_t wait = 0;
			if (pthread_rwlock_trywrlock(&table_rwlock) != 0) {
				uint64_t t0 = now_ns();
				pthread_rwlock_wrlock(&table_rwlock);
				wait = now_ns() - t0;
				contended = true;
			}
			uint64_t since = entered(&t_wr, contended, wait);
			work(8000);
			leaving(&t_wr, since);
			pthread_rwlock_unlock(&table_rwlock);
			left(&t_wr, since);
		} else {
			/* Readers share the lock: count with atomics. */
			uint64_t wait = 0;
			bool contended = false;
			if (pthread_rwlock_tryrdlock(&table_rwlock) != 0) {
				uint64_t t0 = now_ns();
				pthread_rwlock_rdlock(&table_rwlock);
				wait = now_ns() - t0;
				contended = true;
			}
			rd_acq++;
			if (contended) {
				rd_contended++;
				rd_wait += wait;
				uint64_t m = rd_max;
				while (wait > m &&
				       !__atomic_compare_exchange_n(
					       (uint64_t *)&rd_max, &m, wait,
					       false, __ATOMIC_RELAXED,
					       __ATOMIC_RELAXED))
					;
			}
			work(4000);
			pthread_rwlock_unlock(&table_rwlock);
		}
		work(3000);
	}
	return NULL;
}

#define SPIN_ROUNDS 5000
static struct truth t_spin = { .name = "count_spin" };

static void *spin_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < SPIN_ROUNDS; i++) {
		bool contended = false;
		uint64_t wait = 0;
		if (pthread_spin_trylock(&count_spin) != 0) {
			uint64_t t0 = now_ns();
			pthread_spin_lock(&count_spin);
			wait = now_ns() - t0;
			contended = true;
		}
		uint64_t since = entered(&t_spin, contended, wait);
		work(6000);
		leaving(&t_spin, since);
		pthread_spin_unlock(&count_spin);
		left(&t_spin, since);
		work(2000);
	}
	return NULL;
}

#define SEM_ROUNDS 8000
static struct truth t_sem = { .name = "slot_sem" };

static void *sem_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < SEM_ROUNDS; i++) {
		bool contended = false;
		uint64_t wait = 0;
		if (sem_trywait(&slot_sem) != 0) {
			uint64_t t0 = now_ns();
			while (sem_wait(&slot_sem) != 0)
				;
			wait = now_ns() - t0;
			contended = true;
		}
		/* A binary semaphore used as a lock: exact counts here too. */
		uint64_t since = entered(&t_sem, contended, wait);
		work(8000);
		leaving(&t_sem, since);
		sem_post(&slot_sem);
		work(3000);
	}
	return NULL;
}

#define ONECPU_ROUNDS 5000
static struct truth t_onecpu = { .name = "onecpu_mutex" };

static void *onecpu_worker(void *arg)
{
	(void)arg;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (pthread_setaffinity_np(pthread_self(), sizeof one, &one) != 0)
		abort();
	for (int i = 0; i < ONECPU_ROUNDS; i++) {
		bool contended = false;
		uint64_t wait = 0;
		if (pthread_mutex_trylock(&onecpu_mutex) != 0) {
			uint64_t t0 = now_ns();
			pthread_mutex_lock(&onecpu_mutex);
			wait = now_ns() - t0;
			contended = true;
		}
		uint64_t since = entered(&t_onecpu, contended, wait);
		work(8000);
		leaving(&t_onecpu, since);
		pthread_mutex_unlock(&onecpu_mutex);
		left(&t_onecpu, since);
		work(500);
	}
	return NULL;
}

/* The idle pool: waits for a "stop" that comes at the end. */
#define POOL 12
static bool pool_stop;
static unsigned long pool_waits, pool_unheard;

static void *pool_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool_mutex);
	while (!pool_stop) {
		pool_waits++;
		pthread_cond_wait(&pool_cond, &pool_mutex);
	}
	pthread_mutex_unlock(&pool_mutex);
	return NULL;
}

/* Each phase's threads start together, so that they contend. */
static pthread_barrier_t start;
static void *(*phase)(void *);

static void *started(void *arg)
{
	pthread_barrier_wait(&start);
	return phase(arg);
}

static void run(void *(*fn)(void *), int n)
{
	pthread_t t[8];
	phase = fn;
	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (intptr_t i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, started, (void *)i) != 0)
			abort();
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
}

int main(void)
{
	pthread_spin_init(&count_spin, PTHREAD_PROCESS_PRIVATE);
	sem_init(&slot_sem, 0, 1);
	/* Two signals nobody can hear: before any worker waits... */
	pool_unheard++;
	pthread_cond_signal(&pool_cond);
	pthread_t pool[POOL];
	for (int i = 0; i < POOL; i++)
		pthread_create(&pool[i], NULL, pool_worker, NULL);

	run(mutex_worker, 6);
	run(rw_worker, 5);
	run(spin_worker, 2); /* no more spinners than cores: see top */
	run(sem_worker, 5);
	run(onecpu_worker, 3);

	pthread_mutex_lock(&pool_mutex);
	pool_stop = true;
	pthread_cond_broadcast(&pool_cond);
	pthread_mutex_unlock(&pool_mutex);
	for (int i = 0; i < POOL; i++)
		pthread_join(pool[i], NULL);
	/* ...and after they have all gone. */
	pool_unheard++;
	pthread_cond_signal(&pool_cond);

	print_truth(&t_hot);
	print_truth(&t_wr);
	t_rd.acq = rd_acq;
	t_rd.contended = rd_contended;
	t_rd.wait_ns = rd_wait;
	t_rd.max_ns = rd_max;
	printf("truth %s acquired=%lu contended=%lu wait_ns=%llu max_ns=%llu\n",
	       t_rd.name, t_rd.acq, t_rd.contended,
	       (unsigned long long)t_rd.wait_ns, (unsigned long long)t_rd.max_ns);
	print_truth(&t_spin);
	print_truth(&t_sem);
	print_truth(&t_onecpu);
	printf("truth pool_cond waits=%lu unheard=%lu\n", pool_waits,
	       pool_unheard);
	printf("threads made: %d\n", POOL + 6 + 5 + 2 + 5 + 3);
	return 0;
}
