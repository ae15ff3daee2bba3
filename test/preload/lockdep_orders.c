/*
 * lockdep_orders MODE: two threads take two locks, one after the other
 * (never at the same time, so the run never deadlocks), in the orders MODE
 * names.  Under SHIM_LOCKDEP=1, check_lockdep.py expects an inversion
 * report for the modes that could deadlock and none for the others:
 *
 *   mutex      A then B, later B then A          (reported)
 *   consistent A then B, later A then B again    (not reported)
 *   rwlock     write R then M, later M then read R (reported)
 *   readers    read R then read S, later read S then read R (not: readers
 *              never block one another)
 *   spin       spin P then M, later M then spin P (reported)
 *   condvar    M then A, then a condvar wait with M: M is let go and
 *              taken back while A is held, the other order (reported, in
 *              the one thread, when the wait takes M back)
 *   chain      A then B, B then C, later C then A: a cycle of three
 *              (reported)
 *
 * Each thread names itself (pthread_setname_np) so that the report can be
 * checked for the thread names; the functions that take the locks are
 * exported (-rdynamic) so that their names appear in the call stacks.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_m = PTHREAD_MUTEX_INITIALIZER;
pthread_rwlock_t rw_r = PTHREAD_RWLOCK_INITIALIZER;
pthread_rwlock_t rw_s = PTHREAD_RWLOCK_INITIALIZER;
pthread_spinlock_t spin_p;
pthread_cond_t cond_c = PTHREAD_COND_INITIALIZER;

static const char *mode;

__attribute__((noinline)) void take_first_order(void)
{
	if (strcmp(mode, "mutex") == 0 || strcmp(mode, "consistent") == 0 ||
	    strcmp(mode, "chain") == 0) {
		pthread_mutex_lock(&lock_a);
		pthread_mutex_lock(&lock_b);
		pthread_mutex_unlock(&lock_b);
		pthread_mutex_unlock(&lock_a);
		if (strcmp(mode, "chain") == 0) {
			pthread_mutex_lock(&lock_b);
			pthread_mutex_lock(&lock_c);
			pthread_mutex_unlock(&lock_c);
			pthread_mutex_unlock(&lock_b);
		}
	} else if (strcmp(mode, "rwlock") == 0) {
		pthread_rwlock_wrlock(&rw_r);
		pthread_mutex_lock(&lock_m);
		pthread_mutex_unlock(&lock_m);
		pthread_rwlock_unlock(&rw_r);
	} else if (strcmp(mode, "readers") == 0) {
		pthread_rwlock_rdlock(&rw_r);
		pthread_rwlock_rdlock(&rw_s);
		pthread_rwlock_unlock(&rw_s);
		pthread_rwlock_unlock(&rw_r);
	} else if (strcmp(mode, "spin") == 0) {
		pthread_spin_lock(&spin_p);
		pthread_mutex_lock(&lock_m);
		pthread_mutex_unlock(&lock_m);
		pthread_spin_unlock(&spin_p);
	} else if (strcmp(mode, "condvar") == 0) {
		struct timespec soon;
		clock_gettime(CLOCK_REALTIME, &soon);
		soon.tv_nsec += 1000000;
		if (soon.tv_nsec >= 1000000000) {
			soon.tv_sec++;
			soon.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&lock_m);
		pthread_mutex_lock(&lock_a);
		/* Times out: M is let go and taken back, A held throughout. */
		pthread_cond_timedwait(&cond_c, &lock_m, &soon);
		pthread_mutex_unlock(&lock_a);
		pthread_mutex_unlock(&lock_m);
	}
}

__attribute__((noinline)) void take_second_order(void)
{
	if (strcmp(mode, "mutex") == 0) {
		pthread_mutex_lock(&lock_b);
		pthread_mutex_lock(&lock_a);
		pthread_mutex_unlock(&lock_a);
		pthread_mutex_unlock(&lock_b);
	} else if (strcmp(mode, "consistent") == 0) {
		pthread_mutex_lock(&lock_a);
		pthread_mutex_lock(&lock_b);
		pthread_mutex_unlock(&lock_b);
		pthread_mutex_unlock(&lock_a);
	} else if (strcmp(mode, "chain") == 0) {
		pthread_mutex_lock(&lock_c);
		pthread_mutex_lock(&lock_a);
		pthread_mutex_unlock(&lock_a);
		pthread_mutex_unlock(&lock_c);
	} else if (strcmp(mode, "rwlock") == 0) {
		pthread_mutex_lock(&lock_m);
		pthread_rwlock_rdlock(&rw_r);
		pthread_rwlock_unlock(&rw_r);
		pthread_mutex_unlock(&lock_m);
	} else if (strcmp(mode, "readers") == 0) {
		pthread_rwlock_rdlock(&rw_s);
		pthread_rwlock_rdlock(&rw_r);
		pthread_rwlock_unlock(&rw_r);
		pthread_rwlock_unlock(&rw_s);
	} else if (strcmp(mode, "spin") == 0) {
		pthread_mutex_lock(&lock_m);
		pthread_spin_lock(&spin_p);
		pthread_spin_unlock(&spin_p);
		pthread_mutex_unlock(&lock_m);
	}
}

static void *first(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "order-first");
	take_first_order();
	return NULL;
}

static void *second(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "order-second");
	take_second_order();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: lockdep_orders MODE\n");
		return 2;
	}
	mode = argv[1];
	pthread_spin_init(&spin_p, PTHREAD_PROCESS_PRIVATE);
	pthread_t t;
	/* One after the other: the orders never meet, nothing deadlocks. */
	pthread_create(&t, NULL, first, NULL);
	pthread_join(t, NULL);
	pthread_create(&t, NULL, second, NULL);
	pthread_join(t, NULL);
	printf("done %s\n", mode);
	return 0;
}
