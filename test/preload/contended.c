/*
 * contended: eight threads fight over one global mutex, hot_lock, always
 * from one function, bump; a second lock is taken rarely.  Under
 * SHIM_STATS=1 libshim's contention profiler must name hot_lock as the
 * most contended object and bump as where it blocked (check_profile.py).
 * Linked with -rdynamic so that dladdr can name the program's symbols.
 */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t hot_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t cold_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

__attribute__((noinline)) void bump(void)
{
	pthread_mutex_lock(&hot_lock);
	for (volatile int i = 0; i < 200; i++)
		;
	counter++;
	pthread_mutex_unlock(&hot_lock);
}

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 50000; i++) {
		bump();
		if (i % 5000 == 0) {
			pthread_mutex_lock(&cold_lock);
			pthread_mutex_unlock(&cold_lock);
		}
	}
	return NULL;
}

int main(void)
{
	pthread_t t[8];
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	printf("threads made: 8\n");
	return counter != 8 * 50000;
}
