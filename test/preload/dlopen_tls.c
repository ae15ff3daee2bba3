/*
 * test/preload/dlopen_tls.c -- __thread variables of a library that is
 * loaded with dlopen (tlsmod.c), used from several threads: threads that
 * were running before the dlopen, threads made after it, and threads the
 * library makes itself.
 *
 * Under LD_PRELOAD=libshim.so all of them are libshim threads, and dynamic
 * TLS works only if each one has a dtv glibc's __tls_get_addr can grow: the
 * check is that every thread sees the initial value, its own copy (distinct
 * addresses while all are alive), and its own updates.
 *
 * Usage: dlopen_tls PATH-TO-libtlsmod.so.  Exit status 0 when every check
 * holds; the last line on stdout is "threads made: N".
 */
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define EARLY 4	/* started before dlopen */
#define LATE 4	/* started after */
#define SPAWNED 4	/* started by the library */

static atomic_int failures;

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "dlopen_tls: %s:%d: ", __func__,  \
				__LINE__);                                \
			fprintf(stderr, __VA_ARGS__);                     \
			fputc('\n', stderr);                              \
			atomic_fetch_add(&failures, 1);                   \
		}                                                         \
	} while (0)

static struct {
	int (*initial)(void);
	int (*bump)(int);
	int *(*counter_addr)(void);
	void (*set_name)(const char *);
	const char *(*name_of_thread)(void);
	int (*spawn)(int);
} mod;

static atomic_int loaded;	/* mod is filled in */
static atomic_int arrived;	/* threads that recorded their address */
static int *addr[EARLY + LATE];

static void *user(void *arg)
{
	int id = (int)(intptr_t)arg;
	char name[16];

	while (!atomic_load(&loaded))
		sched_yield();
	CHECK(*mod.counter_addr() == mod.initial(), "thread %d: counter starts at %d",
	      id, *mod.counter_addr());
	snprintf(name, sizeof name, "user%d", id);
	mod.set_name(name);
	int sum = mod.initial();
	for (int i = 1; i <= 100; i++) {
		sum += id + i;
		CHECK(mod.bump(id + i) == sum, "thread %d: counter lost an update", id);
	}
	addr[id] = mod.counter_addr();
	/* Everyone stays alive until all addresses are in. */
	atomic_fetch_add(&arrived, 1);
	while (atomic_load(&arrived) < EARLY + LATE)
		sched_yield();
	CHECK(strcmp(mod.name_of_thread(), name) == 0, "thread %d: name is \"%s\"", id,
	      mod.name_of_thread());
	CHECK(*mod.counter_addr() == sum, "thread %d: counter changed by another thread",
	      id);
	return NULL;
}

static int load(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		fprintf(stderr, "dlopen_tls: %s\n", dlerror());
		return -1;
	}
	mod.initial = (int (*)(void))dlsym(h, "tlsmod_initial");
	mod.bump = (int (*)(int))dlsym(h, "tlsmod_bump");
	mod.counter_addr = (int *(*)(void))dlsym(h, "tlsmod_counter_addr");
	mod.set_name = (void (*)(const char *))dlsym(h, "tlsmod_set_name");
	mod.name_of_thread = (const char *(*)(void))dlsym(h, "tlsmod_name_of_thread");
	mod.spawn = (int (*)(int))dlsym(h, "tlsmod_spawn");
	if (!mod.initial || !mod.bump || !mod.counter_addr || !mod.set_name ||
	    !mod.name_of_thread || !mod.spawn) {
		fprintf(stderr, "dlopen_tls: %s lacks a tlsmod_ function\n", path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t t[EARLY + LATE];
	int made = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: dlopen_tls PATH-TO-libtlsmod.so\n");
		return 2;
	}
	for (int i = 0; i < EARLY; i++)
		if (pthread_create(&t[made], NULL, user, (void *)(intptr_t)made) == 0)
			made++;
	if (load(argv[1]) != 0)
		return 1;
	atomic_store(&loaded, 1);
	for (int i = 0; i < LATE; i++)
		if (pthread_create(&t[made], NULL, user, (void *)(intptr_t)made) == 0)
			made++;
	CHECK(made == EARLY + LATE, "only %d threads started", made);
	if (made != EARLY + LATE)
		atomic_store(&arrived, EARLY + LATE);	/* release those that did */
	for (int i = 0; i < made; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < made; i++)
		for (int k = 0; k < i; k++)
			CHECK(addr[i] != addr[k], "threads %d and %d share one counter", i, k);

	int fresh = mod.spawn(SPAWNED);
	CHECK(fresh == SPAWNED, "%d of %d threads made by the library saw fresh TLS",
	      fresh, SPAWNED);
	CHECK(*mod.counter_addr() == mod.initial() + 1000, "main's counter is %d",
	      *mod.counter_addr());

	printf("threads made: %d\n", made + (fresh < 0 ? 0 : SPAWNED));
	return atomic_load(&failures) == 0 ? 0 : 1;
}
