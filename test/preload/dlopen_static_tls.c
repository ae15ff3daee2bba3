/*
 * test/preload/dlopen_static_tls.c -- dlopen of a library with
 * initial-exec TLS while threads run.
 *
 * glibc's dlopen copies the library's TLS image into the static TLS of
 * every thread on its lists of running threads; a thread it missed would
 * read whatever its static TLS held (zero here).  Threads already running
 * when the library comes, and one created after, each read the initial
 * value.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define RUNNING 3

static pthread_barrier_t loaded;
static int (*get)(void);
static int want;

static void *reader(void *arg)
{
	int *seen = arg;
	pthread_barrier_wait(&loaded); /* running before the dlopen */
	pthread_barrier_wait(&loaded); /* the library is there */
	*seen = get();
	return NULL;
}

static void *late_reader(void *arg)
{
	*(int *)arg = get();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dlopen_static_tls LIBTLSMOD_IE\n");
		return 2;
	}
	pthread_t t[RUNNING + 1];
	int seen[RUNNING + 1];
	pthread_barrier_init(&loaded, NULL, RUNNING + 1);
	for (int i = 0; i < RUNNING; i++)
		if (pthread_create(&t[i], NULL, reader, &seen[i]))
			return 1;
	pthread_barrier_wait(&loaded);
	void *lib = dlopen(argv[1], RTLD_NOW);
	if (lib == NULL) {
		printf("dlopen: %s\n", dlerror());
		return 1;
	}
	get = (int (*)(void))dlsym(lib, "tlsmod_ie_get");
	int (*initial)(void) = (int (*)(void))dlsym(lib, "tlsmod_ie_initial");
	if (get == NULL || initial == NULL)
		return 1;
	want = initial();
	pthread_barrier_wait(&loaded);
	if (pthread_create(&t[RUNNING], NULL, late_reader, &seen[RUNNING]))
		return 1;
	int ok = get() == want;
	if (!ok)
		printf("FAIL: the main thread reads %d, not %d\n", get(), want);
	for (int i = 0; i <= RUNNING; i++) {
		pthread_join(t[i], NULL);
		if (seen[i] != want) {
			printf("FAIL: thread %d (%s) read %d, not %d\n", i,
			       i < RUNNING ? "running at dlopen" : "made after",
			       seen[i], want);
			ok = 0;
		}
	}
	printf("threads made: %d\n", RUNNING + 1);
	return ok ? 0 : 1;
}
