/*
 * test/fault/robust.c -- robust mutexes whose owner dies.
 *
 * POSIX: when the owner of a PTHREAD_MUTEX_ROBUST mutex ends (a thread
 * exits, a process dies) holding it, the next locker gets EOWNERDEAD and
 * owns the mutex; pthread_mutex_consistent makes it usable again, and an
 * unlock without it makes the mutex permanently ENOTRECOVERABLE.  The
 * cases:
 *  - a thread exits holding a private robust mutex: lock, trylock and
 *    timedlock all report EOWNERDEAD; consistent + unlock recover it;
 *  - unlocking without consistent: every later lock gets ENOTRECOVERABLE;
 *  - threads already blocked in lock when the owner exits: one gets
 *    EOWNERDEAD, the rest get the mutex in turn;
 *  - a process-shared robust mutex in MAP_SHARED memory whose owner
 *    process is killed with SIGKILL, with the parent already waiting for
 *    it and without.
 * "same:" lines carry each case's sequence of results for the runner to
 * compare with glibc's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"

#define WAITERS 6

static long threads_made;

/* Init a robust mutex; false (and a failed check) when it cannot be. */
static bool robust_init(pthread_mutex_t *m, int pshared)
{
	pthread_mutexattr_t a;
	CHECK0(pthread_mutexattr_init(&a));
	CHECK0(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
	CHECK0(pthread_mutexattr_setpshared(&a, pshared));
	int e = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	CHECK(e == 0, "pthread_mutex_init(robust%s): %s",
	      pshared ? ", shared" : "", fault_errname(e));
	return e == 0;
}

static void *lock_and_exit(void *m)
{
	int e = pthread_mutex_lock(m);
	CHECK(e == 0, "owner: pthread_mutex_lock: %s", fault_errname(e));
	return NULL; /* exits holding it */
}

static void owner_thread_dies(pthread_mutex_t *m)
{
	pthread_t t;
	CHECK0(pthread_create(&t, NULL, lock_and_exit, m));
	CHECK0(pthread_join(t, NULL));
	threads_made++;
}

static void report(const char *name, const int *r, int n)
{
	printf("same: %s:", name);
	for (int i = 0; i < n; i++)
		printf(" %s", fault_errname(r[i]));
	printf("\n");
}

/* lock, trylock and timedlock each see the dead owner; consistent. */
static void case_recover(void)
{
	watchdog_phase("recover");
	pthread_mutex_t m;
	if (!robust_init(&m, PTHREAD_PROCESS_PRIVATE))
		return;
	int r[12], n = 0;
	for (int how = 0; how < 3; how++) {
		owner_thread_dies(&m);
		struct timespec ts = fault_ts_after(CLOCK_REALTIME, 1000000000);
		int e = how == 0 ? pthread_mutex_lock(&m)
			: how == 1 ? pthread_mutex_trylock(&m)
				   : pthread_mutex_timedlock(&m, &ts);
		r[n++] = e;
		CHECK(e == EOWNERDEAD, "lock #%d after the owner died: %s",
		      how, fault_errname(e));
		if (e != EOWNERDEAD && e != 0)
			return;
		r[n++] = pthread_mutex_consistent(&m);
		CHECK(r[n - 1] == 0, "consistent: %s",
		      fault_errname(r[n - 1]));
		r[n++] = pthread_mutex_unlock(&m);
		r[n++] = pthread_mutex_lock(&m);
		CHECK(r[n - 1] == 0, "lock after recovery: %s",
		      fault_errname(r[n - 1]));
		pthread_mutex_unlock(&m);
	}
	report("owner thread exits; lock/consistent/unlock/lock x3", r, n);
	CHECK0(pthread_mutex_destroy(&m));
}

/* No consistent: the mutex is lost for good. */
static void case_unrecoverable(void)
{
	watchdog_phase("unrecoverable");
	pthread_mutex_t m;
	if (!robust_init(&m, PTHREAD_PROCESS_PRIVATE))
		return;
	owner_thread_dies(&m);
	int r[5];
	r[0] = pthread_mutex_lock(&m);
	CHECK(r[0] == EOWNERDEAD, "lock: %s", fault_errname(r[0]));
	if (r[0] != EOWNERDEAD && r[0] != 0)
		return;
	r[1] = pthread_mutex_unlock(&m);
	r[2] = pthread_mutex_lock(&m);
	r[3] = pthread_mutex_trylock(&m);
	r[4] = pthread_mutex_consistent(&m);
	CHECK(r[2] == ENOTRECOVERABLE && r[3] == ENOTRECOVERABLE,
	      "after an unlock without consistent: lock %s, trylock %s",
	      fault_errname(r[2]), fault_errname(r[3]));
	report("owner thread exits; lock/unlock/lock/trylock/consistent", r,
	       5);
	CHECK0(pthread_mutex_destroy(&m));
}

/* Waiters already blocked when the owner dies. */
static pthread_mutex_t waited;
static pthread_barrier_t owner_holds;
static atomic_int got_dead, got_ok, got_other;

static void *hold_then_exit(void *arg)
{
	CHECK0(pthread_mutex_lock(&waited));
	pthread_barrier_wait(&owner_holds);
	usleep(100000); /* let the waiters block */
	return arg;
}

static void *waiter(void *arg)
{
	pthread_barrier_wait(&owner_holds);
	int e = pthread_mutex_lock(&waited);
	if (e == EOWNERDEAD) {
		atomic_fetch_add(&got_dead, 1);
		CHECK0(pthread_mutex_consistent(&waited));
	} else if (e == 0) {
		atomic_fetch_add(&got_ok, 1);
	} else {
		atomic_fetch_add(&got_other, 1);
		CHECK(0, "waiter: pthread_mutex_lock: %s", fault_errname(e));
		return arg;
	}
	CHECK0(pthread_mutex_unlock(&waited));
	return arg;
}

static void case_waiters(void)
{
	watchdog_phase("waiters");
	if (!robust_init(&waited, PTHREAD_PROCESS_PRIVATE))
		return;
	CHECK0(pthread_barrier_init(&owner_holds, NULL, WAITERS + 1));
	pthread_t owner, w[WAITERS];
	CHECK0(pthread_create(&owner, NULL, hold_then_exit, NULL));
	for (int i = 0; i < WAITERS; i++)
		CHECK0(pthread_create(&w[i], NULL, waiter, NULL));
	CHECK0(pthread_join(owner, NULL));
	for (int i = 0; i < WAITERS; i++)
		CHECK0(pthread_join(w[i], NULL));
	threads_made += WAITERS + 1;
	printf("same: owner thread exits with %d threads blocked: %d "
	       "EOWNERDEAD, %d 0, %d other\n", WAITERS, atomic_load(&got_dead),
	       atomic_load(&got_ok), atomic_load(&got_other));
	CHECK(atomic_load(&got_dead) == 1 && atomic_load(&got_ok) ==
	      WAITERS - 1, "waiters: %d EOWNERDEAD, %d 0",
	      atomic_load(&got_dead), atomic_load(&got_ok));
	pthread_barrier_destroy(&owner_holds);
	CHECK0(pthread_mutex_destroy(&waited));
}

/* Lock a mutex whose owner is about to die, and recover it: the
 * results of lock, consistent, unlock, lock in r. */
static void lock_and_recover(pthread_mutex_t *m, int r[4])
{
	r[0] = pthread_mutex_lock(m);
	CHECK(r[0] == EOWNERDEAD, "lock after the owner process was killed: "
	      "%s", fault_errname(r[0]));
	r[1] = r[2] = r[3] = -1;
	if (r[0] != EOWNERDEAD && r[0] != 0)
		return;
	r[1] = pthread_mutex_consistent(m);
	r[2] = pthread_mutex_unlock(m);
	r[3] = pthread_mutex_lock(m);
	CHECK(r[3] == 0, "lock after recovery: %s", fault_errname(r[3]));
	if (r[3] == 0)
		pthread_mutex_unlock(m);
}

struct shared {
	pthread_mutex_t m;
	atomic_int locked;
	int r[4];
};

static void *wait_and_recover(void *arg)
{
	struct shared *s = arg;
	lock_and_recover(&s->m, s->r);
	return arg;
}

/* A shared robust mutex; the owner process is SIGKILLed.  With
 * parent_waits a thread of the parent is already blocked in lock. */
static void case_process_killed(bool parent_waits)
{
	watchdog_phase(parent_waits ? "process killed, waiter" :
				      "process killed");
	struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED || !robust_init(&s->m, PTHREAD_PROCESS_SHARED))
		return;
	atomic_store(&s->locked, 0);
	pid_t pid = fork();
	if (pid == 0) {
		if (pthread_mutex_lock(&s->m) != 0)
			_exit(1);
		atomic_store(&s->locked, 1);
		pause(); /* killed here, holding the mutex */
		_exit(1);
	}
	while (atomic_load(&s->locked) == 0)
		usleep(1000);
	pthread_t t;
	if (parent_waits) {
		CHECK0(pthread_create(&t, NULL, wait_and_recover, s));
		threads_made++;
		usleep(100000); /* let it block */
	}
	kill(pid, SIGKILL);
	int status;
	waitpid(pid, &status, 0);
	if (parent_waits)
		CHECK0(pthread_join(t, NULL));
	else
		lock_and_recover(&s->m, s->r);
	report(parent_waits ? "shared, owner process killed while a thread "
			      "waits; lock/consistent/unlock/lock"
			    : "shared, owner process killed; "
			      "lock/consistent/unlock/lock",
	       s->r, 4);
	pthread_mutex_destroy(&s->m);
	munmap(s, sizeof *s);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	watchdog_start(10);
	case_recover();
	case_unrecoverable();
	case_waiters();
	case_process_killed(false);
	case_process_killed(true);
	fault_exit(threads_made);
}
