/*
 * compat_pthread_kill: a program linked before glibc 2.34 calls
 * pthread_kill@GLIBC_2.2.5, and glibc keeps that version's answer for a
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

extern __typeof(pthread_kill) old_pthread_kill;
__asm__(".symver old_pthread_kill, pthread_kill@GLIBC_2.2.5");

static void *noop(void *arg)
{
	return arg;
}

/* The kernel clears the thread's tid before its task leaves
 * /proc/self/task: one task left is a thread that has exited. */
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
	pthread_t t;
	if (pthread_create(&t, NULL, noop, NULL) != 0) {
		puts("FAIL: pthread_create");
		return 1;
	}
	while (tasks() > 1)
		usleep(1000);
	int now = pthread_kill(t, SIGUSR1), old = old_pthread_kill(t, SIGUSR1);
	int bad = old_pthread_kill(t, __SIGRTMIN);
	pthread_join(t, NULL);
	if (now != 0 || old != ESRCH || bad != EINVAL) {
		printf("FAIL: exited thread: pthread_kill %s, "
		       "pthread_kill@GLIBC_2.2.5 %s (want ESRCH), "
		       "its signal 32 %s (want EINVAL)\n",
		       strerror(now), strerror(old), strerror(bad));
		return 1;
	}
	puts("threads made: 1");
	return 0;
}
