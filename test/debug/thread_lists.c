/*
 * test/debug/thread_lists.c -- glibc's lists of running threads hold
 * exactly the threads that run, as libthread_db reads them.
 *
 * A debugger reading a core file knows a thread only from glibc's lists
 * (_dl_stack_used, _dl_stack_user in ld.so's _rtld_global, linked through
 * struct pthread's list member).  This program walks them the way
 * libthread_db does, by the layout glibc publishes for it (_thread_db_*),
 * and checks that they hold each thread's TCB (its thread pointer):
 *   - the main thread and three workers while the workers run;
 *   - in a child forked by a worker: that worker alone; two threads the
 *     child makes while they run; the worker alone once they are joined;
 *   - the main thread alone once the workers are joined.
 * On plain glibc and under libshim alike.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Found with dlsym: an extern reference from the executable would copy
 * _rtld_global into it, splitting ld.so's state from libc's. */
static char *rtld_global;
static const unsigned *stack_used, *stack_user, *pthread_list;

#define MAX 16

struct list {
	struct list *next, *prev;
};

static void *self_tp(void)
{
	void *tp;
	__asm__("mov %%fs:0, %0" : "=r"(tp));
	return tp;
}

/* The TCBs on both lists, into tcb[]; their number. */
static int listed(void *tcb[MAX])
{
	int n = 0;
	const unsigned *heads[] = {stack_user, stack_used};
	for (int h = 0; h < 2; h++) {
		struct list *head = (struct list *)(rtld_global + heads[h][2]);
		for (struct list *p = head->next; p != head; p = p->next) {
			if (n == MAX)
				return -1;
			tcb[n++] = (char *)p - pthread_list[2];
		}
	}
	return n;
}

/* Exactly the n TCBs in want[] are listed, each once. */
static int lists_hold(const char *when, void *const *want, int n)
{
	void *got[MAX];
	int m = listed(got);
	int ok = m == n;
	for (int i = 0; ok && i < n; i++) {
		int hits = 0;
		for (int j = 0; j < m; j++)
			hits += got[j] == want[i];
		ok = hits == 1;
	}
	if (!ok) {
		printf("FAIL %s: glibc's lists hold %d threads:", when, m);
		for (int j = 0; j < m; j++)
			printf(" %p", got[j]);
		printf("; expected %d:", n);
		for (int i = 0; i < n; i++)
			printf(" %p", want[i]);
		printf("\n");
	}
	return ok;
}

static pthread_barrier_t met, child_met;
static void *worker_tp[3];

static void *child_worker(void *arg)
{
	*(void **)arg = self_tp();
	pthread_barrier_wait(&child_met);
	pthread_barrier_wait(&child_met); /* checked */
	return NULL;
}

/* In the child: the forking worker is the only thread. */
static int child(void)
{
	void *want[3] = {self_tp()};
	if (!lists_hold("child after fork", want, 1))
		return 1;
	pthread_t t[2];
	pthread_barrier_init(&child_met, NULL, 3);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, child_worker, &want[1 + i]))
			return 1;
	pthread_barrier_wait(&child_met);
	int ok = lists_hold("child with two threads", want, 3);
	pthread_barrier_wait(&child_met);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return ok && lists_hold("child after join", want, 1) ? 0 : 1;
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	worker_tp[id] = self_tp();
	pthread_barrier_wait(&met);
	pthread_barrier_wait(&met); /* the main thread checked */
	intptr_t status = 0;
	if (id == 1) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(child());
		int st;
		status = pid < 0 || waitpid(pid, &st, 0) != pid ||
			 !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	return (void *)status;
}

int main(void)
{
	rtld_global = dlsym(RTLD_DEFAULT, "_rtld_global");
	stack_used = dlsym(RTLD_DEFAULT, "_thread_db_rtld_global__dl_stack_used");
	stack_user = dlsym(RTLD_DEFAULT, "_thread_db_rtld_global__dl_stack_user");
	pthread_list = dlsym(RTLD_DEFAULT, "_thread_db_pthread_list");
	if (!rtld_global || !stack_used || !stack_user || !pthread_list) {
		printf("glibc's thread-list symbols are not there: %s\n", dlerror());
		return 1;
	}
	void *want[4] = {self_tp()};
	pthread_t t[3];
	pthread_barrier_init(&met, NULL, 4);
	for (int i = 0; i < 3; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i))
			return 1;
	pthread_barrier_wait(&met);
	for (int i = 0; i < 3; i++)
		want[1 + i] = worker_tp[i];
	int ok = lists_hold("three workers running", want, 4);
	pthread_barrier_wait(&met);
	for (int i = 0; i < 3; i++) {
		void *r;
		pthread_join(t[i], &r);
		if (r != NULL) {
			printf("FAIL: the child forked by a worker failed\n");
			ok = 0;
		}
	}
	ok = lists_hold("workers joined", want, 1) && ok;
	printf("threads made: 3\n");
	return ok ? 0 : 1;
}
