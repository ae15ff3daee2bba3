/*
 * test/preload/deepbind_race.c -- libshim's rebinding of RTLD_DEEPBIND
 * loads while other threads load and unload objects.
 *
 * Two threads each load, check and unload their own RTLD_DEEPBIND library
 * (deepmod.c built twice) in a loop, while a third loads and unloads a
 * plain library: rebinding passes meet each other (RELRO pages opened and
 * closed by both), objects unloaded during a load (libshim then looks at
 * every object), and objects another thread is still relocating.  Every
 * load must come back rebound: the library's GOT and relocated-data
 * addresses of API functions are the program's.
 *
 * Usage: deepbind_race DEEPLIB1 DEEPLIB2 PLAINLIB.  Exit 0 when every
 * check holds; the last line on stdout is "threads made: 3".
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "deepbind.h"

#define ROUNDS 1000

static atomic_int failures, stop;

static void *deep_loop(void *path)
{
	for (int r = 0; r < ROUNDS; r++) {
		void *h = dlopen(path, RTLD_NOW | RTLD_DEEPBIND);
		deep_addr_fn *addr = h ? (deep_addr_fn *)dlsym(h, "deep_lib_addr")
				       : NULL;
		if (addr == NULL) {
			fprintf(stderr, "deepbind_race: %s: %s\n",
				(const char *)path, dlerror());
			atomic_fetch_add(&failures, 1);
			break;
		}
		for (int data = 0; data < 2; data++)
			if (addr("pthread_mutex_lock", data) !=
			    dlsym(RTLD_DEFAULT, "pthread_mutex_lock")) {
				fprintf(stderr, "deepbind_race: %s round %d: "
					"not rebound (%s)\n", (const char *)path,
					r, data ? "data" : "GOT");
				atomic_fetch_add(&failures, 1);
			}
		dlclose(h);
	}
	return NULL;
}

static void *plain_loop(void *path)
{
	while (!atomic_load(&stop)) {
		void *h = dlopen(path, RTLD_NOW);
		if (h != NULL)
			dlclose(h);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: deepbind_race DEEPLIB1 DEEPLIB2 PLAINLIB\n");
		return 2;
	}
	alarm(60); /* a hang fails, by SIGALRM */
	pthread_t deep[2], plain;
	pthread_create(&plain, NULL, plain_loop, argv[3]);
	for (int i = 0; i < 2; i++)
		pthread_create(&deep[i], NULL, deep_loop, argv[1 + i]);
	for (int i = 0; i < 2; i++)
		pthread_join(deep[i], NULL);
	atomic_store(&stop, 1);
	pthread_join(plain, NULL);
	printf("deepbind_race: %d rounds on each of 2 threads, %d failures\n",
	       ROUNDS, atomic_load(&failures));
	printf("threads made: 3\n");
	return atomic_load(&failures) != 0;
}
