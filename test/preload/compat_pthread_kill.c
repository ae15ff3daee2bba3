/*
 * compat_pthread_kill: a program linked before glibc 2.34 calls
 * pthread_kill at the CPU's first glibc version (x86_64's GLIBC_2.2.5,
 * arm64's GLIBC_2.17), and glibc keeps that version's answer for a
 * thread that has exited but is not yet joined: ESRCH.  The current
 * pthread_kill@GLIBC_2.34 says 0 (glibc's tst-pthread_kill-exited).
 * Last line on stdout: "threads made: N".
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tcb_layout.h" /* GLIBC_BASE_VERSION */

extern __typeof(pthread_kill) old_pthread_kill;
__asm__(".symver old_pthread_kill, pthread_kill@" GLIBC_BASE_VERSION);

static void *noop(void *arg)
{
	return arg;
}

/* The kernel clears the thread's tid before its task leaves
 * /proc/self/task: back to the tasks there were before the create, the
 * thread has exited (counted, not assumed 1: qemu-user has a thread of
 * its own). */
static int tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
		n += e->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n;
}

int main(void)
{
	int before = tasks();
	pthread_t t;
	if (pthread_create(&t, NULL, noop, NULL) != 0) {
		puts("FAIL: pthread_create");
		return 1;
	}
	while (tasks() > before)
		usleep(1000);
	int now = pthread_kill(t, SIGUSR1), old = old_pthread_kill(t, SIGUSR1);
	int bad = old_pthread_kill(t, __SIGRTMIN);
	pthread_join(t, NULL);
	if (now != 0 || old != ESRCH || bad != EINVAL) {
		printf("FAIL: exited thread: pthread_kill %s, "
		       "pthread_kill@" GLIBC_BASE_VERSION " %s (want ESRCH), "
		       "its signal 32 %s (want EINVAL)\n",
		       strerror(now), strerror(old), strerror(bad));
		return 1;
	}
	puts("threads made: 1");
	return 0;
}
