/*
 * test/fault/forkstorm.c -- fork() while every other thread is busy.
 *
 *   forkstorm [--forks N]
 *
 * Background threads lock a shared mutex, pass a token through condition
 * variables, create and join threads, malloc and write to a FILE, all
 * without pause, while two threads (the main one and another) fork N
 * children between them.  A fork lands in the middle of any of that: a
 * mutex held, a thread half-created, the thread library's own lists
 * locked.  POSIX leaves a user mutex held by another thread locked in the
 * child, so the child uses fresh objects only; but everything the thread
 * library and libc own must work there: each child locks a fresh mutex,
 * creates threads that hand off through a fresh condition variable and
 * semaphore, mallocs, writes to the inherited FILE, and exits through
 * exit() (atexit handlers, destructors, stdio flush).  The parent checks
 * every child's exit status (a hang is killed after a while and counted),
 * and afterwards that its own threads are still healthy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"

#define LOCKERS 3
#define CREATORS 4
#define CHILD_THREADS 3
#define CHILD_TIMEOUT_NS 20000000000ull

static long opt_forks = 200;
static atomic_bool stop;
static atomic_long threads_made;
static FILE *sink; /* /dev/null, written by everyone */

/* ---- the background ------------------------------------------------- */

static pthread_mutex_t bg_mtx = PTHREAD_MUTEX_INITIALIZER;
static long bg_count;

static void *locker(void *arg)
{
	while (!atomic_load(&stop)) {
		CHECK0(pthread_mutex_lock(&bg_mtx));
		bg_count++;
		void *p = malloc(64 + (size_t)(bg_count % 512));
		CHECK0(pthread_mutex_unlock(&bg_mtx));
		free(p);
	}
	return arg;
}

static pthread_mutex_t pp_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond[2] = { PTHREAD_COND_INITIALIZER,
				     PTHREAD_COND_INITIALIZER };
static int pp_turn;
static long pp_passes;

static void *ponger(void *arg)
{
	int me = (int)(intptr_t)arg;
	CHECK0(pthread_mutex_lock(&pp_mtx));
	while (!atomic_load(&stop)) {
		while (pp_turn != me && !atomic_load(&stop)) {
			struct timespec ts =
				fault_ts_after(CLOCK_REALTIME, 100000000);
			int e = pthread_cond_timedwait(&pp_cond[me], &pp_mtx,
						       &ts);
			CHECK(e == 0 || e == ETIMEDOUT, "cond wait: %s",
			      fault_errname(e));
		}
		pp_passes++;
		pp_turn = !me;
		CHECK0(pthread_cond_signal(&pp_cond[!me]));
	}
	CHECK0(pthread_cond_signal(&pp_cond[!me]));
	CHECK0(pthread_mutex_unlock(&pp_mtx));
	return arg;
}

static void *short_lived(void *arg)
{
	fprintf(sink, "short-lived %p\n", arg);
	return arg;
}

static void *creator(void *arg)
{
	for (long n = 0; !atomic_load(&stop); n++) {
		pthread_t t;
		int e = pthread_create(&t, NULL, short_lived, (void *)n);
		CHECK(e == 0, "pthread_create: %s", fault_errname(e));
		if (e != 0)
			continue;
		void *ret;
		CHECK0(pthread_join(t, &ret));
		CHECK(ret == (void *)n, "join returned %p", ret);
		atomic_fetch_add(&threads_made, 1);
	}
	return arg;
}

/* ---- the child ------------------------------------------------------ */

static pthread_mutex_t *child_mtx;
static pthread_cond_t *child_cond;
static sem_t *child_sem;
static int child_count;

static void *child_thread(void *arg)
{
	char *p = malloc(1000);
	CHECK(p != NULL, "malloc in the child's thread");
	free(p);
	CHECK0(pthread_mutex_lock(child_mtx));
	child_count++;
	CHECK0(pthread_cond_signal(child_cond));
	CHECK0(pthread_mutex_unlock(child_mtx));
	CHECK(sem_post(child_sem) == 0, "sem_post: %s", strerror(errno));
	return arg;
}

static void child_atexit(void)
{
	fflush(sink);
}

/* Runs in the child: fresh objects work, threads can be made, exit()
 * runs cleanly.  The verdict is the exit status. */
static _Noreturn void child_main(void)
{
	alarm(15); /* a hang shows as SIGALRM, not as a stuck test */
	atomic_store(&fault_failures, 0);
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	sem_t s;
	child_mtx = &m;
	child_cond = &c;
	child_sem = &s;
	child_count = 0;
	CHECK(sem_init(&s, 0, 0) == 0, "sem_init: %s", strerror(errno));
	CHECK(atexit(child_atexit) == 0, "atexit");

	CHECK0(pthread_mutex_lock(&m));
	pthread_t t[CHILD_THREADS];
	int made = 0;
	for (int i = 0; i < CHILD_THREADS; i++) {
		int e = pthread_create(&t[i], NULL, child_thread,
				       (void *)(intptr_t)i);
		CHECK(e == 0, "child: pthread_create: %s", fault_errname(e));
		made += e == 0;
	}
	while (child_count < made)
		CHECK0(pthread_cond_wait(&c, &m));
	CHECK0(pthread_mutex_unlock(&m));
	for (int i = 0; i < made; i++) {
		CHECK(sem_wait(&s) == 0, "sem_wait: %s", strerror(errno));
		void *ret;
		CHECK0(pthread_join(t[i], &ret));
		CHECK(ret == (void *)(intptr_t)i, "child: join returned %p",
		      ret);
	}
	fprintf(sink, "child %d done\n", (int)getpid());
	exit(atomic_load(&fault_failures) ? 1 : 0);
}

/* ---- the forkers ---------------------------------------------------- */

static atomic_long forks_done, children_bad;

static void wait_child(pid_t pid)
{
	int status = 0;
	uint64_t deadline = fault_now_ns(CLOCK_MONOTONIC) + CHILD_TIMEOUT_NS;
	pid_t w;
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	       fault_now_ns(CLOCK_MONOTONIC) < deadline)
		usleep(1000);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		CHECK(0, "child %d hung", (int)pid);
		atomic_fetch_add(&children_bad, 1);
		return;
	}
	CHECK(w == pid, "waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0) {
		atomic_fetch_add(&children_bad, 1);
		if (WIFSIGNALED(status))
			CHECK(0, "child %d killed by SIG%s", (int)pid,
			      sigabbrev_np(WTERMSIG(status)));
		else
			CHECK(0, "child %d exited with %d", (int)pid,
			      WEXITSTATUS(status));
	}
}

static void *forker(void *arg)
{
	long n = (long)(intptr_t)arg;
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0)
			child_main();
		CHECK(pid > 0, "fork: %s", strerror(errno));
		if (pid > 0)
			wait_child(pid);
		atomic_fetch_add(&forks_done, 1);
		atomic_fetch_add(&fault_progress, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--forks"))
		opt_forks = atol(argv[2]);
	else if (argc != 1 || opt_forks < 2) {
		fprintf(stderr, "usage: forkstorm [--forks N]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sink = fopen("/dev/null", "we");
	watchdog_start(30);
	watchdog_phase("fork storm");

	pthread_t bg[LOCKERS + 2 + CREATORS];
	int nbg = 0;
	for (int i = 0; i < LOCKERS; i++)
		CHECK0(pthread_create(&bg[nbg++], NULL, locker, NULL));
	for (int i = 0; i < 2; i++)
		CHECK0(pthread_create(&bg[nbg++], NULL, ponger,
				      (void *)(intptr_t)i));
	for (int i = 0; i < CREATORS; i++)
		CHECK0(pthread_create(&bg[nbg++], NULL, creator, NULL));
	atomic_fetch_add(&threads_made, nbg);

	uint64_t t0 = fault_now_ns(CLOCK_MONOTONIC);
	pthread_t other;
	CHECK0(pthread_create(&other, NULL, forker,
			      (void *)(intptr_t)(opt_forks / 2)));
	forker((void *)(intptr_t)(opt_forks - opt_forks / 2));
	CHECK0(pthread_join(other, NULL));
	printf("%ld forks in %.1f s, %ld bad children\n",
	       atomic_load(&forks_done),
	       (double)(fault_now_ns(CLOCK_MONOTONIC) - t0) / 1e9,
	       atomic_load(&children_bad));

	/* The parent's own threads went through it all unharmed. */
	watchdog_phase("after the storm");
	long count_before, passes_before;
	pthread_mutex_lock(&bg_mtx);
	count_before = bg_count;
	pthread_mutex_unlock(&bg_mtx);
	pthread_mutex_lock(&pp_mtx);
	passes_before = pp_passes;
	pthread_mutex_unlock(&pp_mtx);
	usleep(200000);
	pthread_mutex_lock(&bg_mtx);
	CHECK(bg_count > count_before, "the lockers stopped");
	pthread_mutex_unlock(&bg_mtx);
	pthread_mutex_lock(&pp_mtx);
	CHECK(pp_passes > passes_before, "the ping-pong stopped");
	pthread_mutex_unlock(&pp_mtx);
	atomic_store(&stop, true);
	for (int i = 0; i < nbg; i++)
		CHECK0(pthread_join(bg[i], NULL));
	fclose(sink);
	fault_exit(atomic_load(&threads_made) + 1);
}
