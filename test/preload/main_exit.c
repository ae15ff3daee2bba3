/*
 * main_exit: pthread_exit from the main thread while another thread still
 * works.  The process must live on until that thread returns, then end
 * through exit(0): atexit handlers run, the status is 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile int worker_finished;

static void at_exit(void)
{
	/* exit(0) comes from the last thread, after the worker finished. */
	if (!worker_finished) {
		printf("atexit ran before the worker finished\n");
		fflush(stdout);
		_exit(1);
	}
	printf("ok\n");
	fflush(stdout);
}

static void *worker(void *arg)
{
	(void)arg;
	usleep(100 * 1000);
	worker_finished = 1;
	return NULL;
}

int main(void)
{
	atexit(at_exit);
	pthread_t t;
	if (pthread_create(&t, NULL, worker, NULL) != 0)
		return 1;
	printf("threads made: 1\n");
	fflush(stdout);
	pthread_exit(NULL);
}
