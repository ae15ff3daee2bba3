/*
 * glibc_thread_exit: the first pthread call of the process is
 * pthread_exit, from a thread glibc made (a SIGEV_THREAD timer's), before
 * libshim has made any thread or done its set-up.  libshim hands such a
 * thread back to glibc's own pthread_exit, which only its set-up looks
 * up: the thread must end cleanly and the process live on.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile int notified;

static void on_timer(union sigval v)
{
	(void)v;
	notified = 1;
	pthread_exit(NULL);
}

int main(void)
{
	struct sigevent sev = {0};
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = on_timer;
	timer_t tm;
	if (timer_create(CLOCK_MONOTONIC, &sev, &tm) != 0) {
		perror("timer_create");
		return 1;
	}
	struct itimerspec its = {.it_value = {0, 10 * 1000000}};
	if (timer_settime(tm, 0, &its, NULL) != 0) {
		perror("timer_settime");
		return 1;
	}
	for (int i = 0; i < 300 && !notified; i++)
		usleep(10000);
	if (!notified) {
		printf("the timer's thread never ran\n");
		return 1;
	}
	/* Time for the thread to finish its exit: a crash there ends the
	 * whole process before main returns. */
	usleep(200 * 1000);
	timer_delete(tm);
	printf("threads made: 0\n");
	return 0;
}
