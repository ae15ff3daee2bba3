/*
 * test/debug/debuggee.c -- a threaded program for gdb to look at.
 *
 * Three threads each give the __thread variable tls_var a value of their
 * own (101, 102, 103; the main thread keeps 7) and meet the main thread at
 * a barrier.  Then, by the mode in argv[1]:
 *   live   thread 2 calls checkpoint() (gdb stops there, every thread
 *          still alive), then all finish;
 *   wait   every thread sleeps (gdb attaches, or gcore dumps it);
 *   crash  thread 2 aborts: a core file of a crash in a thread.
 * Before that, argv[2] gets "lib PATH", the object whose pthread_create
 * made the threads (so a test cannot pass on glibc's threads when the
 * preload failed), one line per thread, "id lwp thread-pointer": what gdb
 * must show for each (libthread_db names a thread by its TCB, the thread
 * pointer, under glibc and libshim alike), and "ready" once complete.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WORKERS 3

__thread int tls_var = 7;

static pthread_barrier_t met;
static const char *mode;
static FILE *report;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

/* gdb's breakpoint; noinline so the call stays a call. */
__attribute__((noinline)) void checkpoint(int id)
{
	__asm__ volatile("" : : "r"(id) : "memory");
}

static void say_who(int id)
{
	void *tp;
	__asm__("mov %%fs:0, %0" : "=r"(tp));
	pthread_mutex_lock(&report_lock);
	fprintf(report, "%d %ld %p\n", id, (long)syscall(SYS_gettid), tp);
	pthread_mutex_unlock(&report_lock);
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	tls_var = 100 + id;
	say_who(id);
	pthread_barrier_wait(&met);
	pthread_barrier_wait(&met); /* the report is written */
	if (id == 2 && strcmp(mode, "live") == 0)
		checkpoint(id);
	if (id == 2 && strcmp(mode, "crash") == 0)
		abort();
	if (strcmp(mode, "live") != 0)
		for (;;)
			pause();
	pthread_barrier_wait(&met); /* every thread lives until checkpoint */
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: debuggee live|wait|crash REPORT\n");
		return 2;
	}
	mode = argv[1];
	report = fopen(argv[2], "w");
	if (report == NULL) {
		perror(argv[2]);
		return 2;
	}
	Dl_info lib;
	if (dladdr((void *)pthread_create, &lib) == 0) {
		fprintf(stderr, "dladdr(pthread_create) failed\n");
		return 2;
	}
	fprintf(report, "lib %s\n", lib.dli_fname);
	pthread_barrier_init(&met, NULL, WORKERS + 1);
	pthread_t t[WORKERS];
	for (int i = 0; i < WORKERS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)(i + 1))) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
	say_who(0);
	pthread_barrier_wait(&met);
	fprintf(report, "ready\n");
	fclose(report);
	pthread_barrier_wait(&met);
	if (strcmp(mode, "live") != 0)
		for (;;)
			pause();
	pthread_barrier_wait(&met);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	return 0;
}
