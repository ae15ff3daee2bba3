/*
 * test/preload/execstack.c -- dlopen of a library that needs an
 * executable stack (execstack_mod.c) while threads run, as glibc's
 * tst-execstack: glibc then makes every thread's stack executable, so
 * threads that were running before the dlopen, a thread made after it
 * (on a stack reused from the cache), and one made in a fork child can
 * all run code on their stacks.  This program is linked -z noexecstack:
 * until the dlopen no stack is executable.
 *
 * Usage: execstack PATH-TO-libexecstack_mod.so.  Exit 0 when every
 * thread ran the library's trampoline (a fault kills the process), 77
 * when the system refuses executable stacks; the last line on stdout is
 * "threads made: N".
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../emulated.h"

#define EARLY 4

static pthread_barrier_t started, go;
static int (*tryme)(int);

static void *call_tryme(void *arg)
{
	return (void *)(intptr_t)tryme((int)(intptr_t)arg);
}

static void *early(void *arg)
{
	pthread_barrier_wait(&started);
	pthread_barrier_wait(&go); /* after the dlopen */
	return call_tryme(arg);
}

static void *nothing(void *arg)
{
	return arg;
}

static int run_one(int x)
{
	pthread_t t;
	void *r;
	if (pthread_create(&t, NULL, call_tryme, (void *)(intptr_t)x) != 0 ||
	    pthread_join(t, &r) != 0)
		return -1;
	return (int)(intptr_t)r;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: execstack LIBRARY\n");
		return 2;
	}
	int made = 0, bad = 0;
	/* A stack for the cache, mapped while stacks are not executable. */
	pthread_t t;
	if (pthread_create(&t, NULL, nothing, NULL) != 0 ||
	    pthread_join(t, NULL) != 0)
		return 1;
	made++;
	pthread_barrier_init(&started, NULL, EARLY + 1);
	pthread_barrier_init(&go, NULL, EARLY + 1);
	pthread_t th[EARLY];
	for (int i = 0; i < EARLY; i++) {
		if (pthread_create(&th[i], NULL, early, (void *)(intptr_t)i))
			return 1;
		made++;
	}
	pthread_barrier_wait(&started);

	void *h = dlopen(argv[1], RTLD_NOW);
	if (h == NULL) {
		const char *e = dlerror();
		printf("execstack: %s\n", e);
		return strstr(e, "executable stack") ? 77 : 1;
	}
	tryme = (int (*)(int))dlsym(h, "tryme");
	if (tryme == NULL || tryme(41) != 42)
		return 1;

	/* A fork child: glibc's fork put the other threads' stacks in its
	 * own cache; the child's new thread must still work.  qemu-user 7.2
	 * asserts in a child forked while other threads run. */
	bool forked = !test_emulated();
	if (!forked)
		fprintf(stderr, "skipped: the fork child (qemu-user: a fork "
				"with threads running asserts in the emulator)\n");
	pid_t pid = forked ? fork() : 1;
	if (pid == 0)
		_exit(run_one(9) == 10 && run_one(19) == 20 ? 0 : 1);
	int status;
	if (forked && (pid < 0 || waitpid(pid, &status, 0) != pid ||
		       !WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		fprintf(stderr, "execstack: the fork child failed\n");
		bad++;
	}

	pthread_barrier_wait(&go);
	for (int i = 0; i < EARLY; i++) {
		void *r;
		if (pthread_join(th[i], &r) != 0 || (intptr_t)r != i + 1)
			bad++;
	}
	if (run_one(99) != 100)
		bad++;
	made++;
	printf("threads made: %d\n", made);
	return bad != 0 ? 1 : forked ? 0 : 77;
}
