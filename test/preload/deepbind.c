/*
 * test/preload/deepbind.c -- a program and a library it loads with
 * RTLD_DEEPBIND (deepmod.c) working on the same mutex, condvars, rwlock
 * and semaphores from threads of both.
 *
 * RTLD_DEEPBIND puts the library's own dependencies, libc.so.6 among
 * them, ahead of the global scope that holds the preloaded libshim, so
 * the loader binds the library's pthread calls to glibc while the
 * program's go to libshim.  Two implementations on one object lose
 * wake-ups and hang; libshim's dlopen rebinds such a library to itself.
 * Checked: every count is exact, no reader saw a torn write, the library's
 * addresses of API functions (its GOT and its relocated data) are the
 * program's, its RELRO data is read-only again, and (by run_preload.py)
 * libshim made the library's threads.  A hang is reported by alarm() as
 * exit status 3, naming the phase.
 *
 * Usage: deepbind LIBRARY now|lazy [PHASE].  PHASE (mutex, condvar,
 * rwlock or semaphore) runs that one alone.  Exit 0 when every check
 * holds; the last line on stdout is "threads made: N".
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deepbind.h"

#define ROUNDS 3
#define LIMIT_S 30

static const char *const phase_names[] = {"mutex", "condvar", "rwlock",
					  "semaphore"};
static volatile sig_atomic_t current;

static void on_alarm(int sig)
{
	static const char msg[] = "deepbind: no progress within the time "
				  "limit (a hang) in phase ";
	(void)sig;
	write(2, msg, sizeof msg - 1);
	write(2, phase_names[current], strlen(phase_names[current]));
	write(2, "\n", 1);
	_exit(3);
}

static int failures;

static void check(int ok, const char *what, long got, long want)
{
	if (!ok) {
		fprintf(stderr, "deepbind: %s: %ld, expected %ld\n", what, got,
			want);
		failures++;
	}
}

static void init_shared(struct deep_shared *sh)
{
	memset(sh, 0, sizeof *sh);
	pthread_mutex_init(&sh->mutex, NULL);
	struct deep_queue *qs[] = {&sh->to_main, &sh->to_lib};
	for (int i = 0; i < 2; i++) {
		pthread_mutex_init(&qs[i]->lock, NULL);
		pthread_cond_init(&qs[i]->nonempty, NULL);
		pthread_cond_init(&qs[i]->nonfull, NULL);
	}
	pthread_rwlock_init(&sh->rwlock, NULL);
	for (int i = 0; i < 4; i++)
		sem_init(&sh->sem[i], 0, 0);
}

static void check_phase(const struct deep_shared *sh, enum deep_phase p)
{
	long items = (long)DEEP_ITEMS * (DEEP_ITEMS + 1) / 2;
	switch (p) {
	case DEEP_MUTEX:
		check(sh->counter == 4L * DEEP_THREADS * DEEP_ITERS,
		      "mutex counter", sh->counter,
		      4L * DEEP_THREADS * DEEP_ITERS);
		break;
	case DEEP_COND:
		check(sh->to_main.sum == items, "sum through the queue to the "
		      "program", sh->to_main.sum, items);
		check(sh->to_lib.sum == items, "sum through the queue to the "
		      "library", sh->to_lib.sum, items);
		break;
	case DEEP_RWLOCK:
		check(sh->a == 2L * DEEP_THREADS * DEEP_ITERS && sh->a == sh->b,
		      "rwlock counter", sh->a, 2L * DEEP_THREADS * DEEP_ITERS);
		check(sh->torn == 0, "torn reads", sh->torn, 0);
		break;
	default:
		break;	/* the ping-pongs ended: no post was lost */
	}
}

static void check_addresses(deep_addr_fn *addr)
{
	static const char *const names[] = {
		"pthread_create", "pthread_mutex_lock", "pthread_cond_wait",
		"pthread_rwlock_rdlock", "sem_post", "dlopen"};
	for (unsigned i = 0; i < sizeof names / sizeof *names; i++) {
		void *want = dlsym(RTLD_DEFAULT, names[i]);
		for (int data = 0; data < 2; data++)
			if (addr(names[i], data) != want) {
				fprintf(stderr, "deepbind: the library's %s "
					"(%s) is %p, the program's %p\n",
					names[i], data ? "relocated data" : "GOT",
					addr(names[i], data), want);
				failures++;
			}
	}
}

/* The protection of the mapping that holds p, from /proc/self/maps. */
static int writable(const void *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int w = -1;
	while (f != NULL && w < 0 && fgets(line, sizeof line, f) != NULL) {
		unsigned long lo, hi;
		char perms[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
		    (unsigned long)p >= lo && (unsigned long)p < hi)
			w = perms[1] == 'w';
	}
	if (f != NULL)
		fclose(f);
	return w;
}

static int phase_named(const char *name)
{
	for (int p = 0; p < DEEP_PHASES; p++)
		if (strcmp(name, phase_names[p]) == 0)
			return p;
	return -1;
}

int main(int argc, char **argv)
{
	int only = argc == 4 ? phase_named(argv[3]) : -2;
	if (argc < 3 || argc > 4 || only == -1 ||
	    (strcmp(argv[2], "now") && strcmp(argv[2], "lazy"))) {
		fprintf(stderr, "usage: deepbind LIBRARY now|lazy [PHASE]\n");
		return 2;
	}
	signal(SIGALRM, on_alarm);
	alarm(LIMIT_S);
	int mode = (strcmp(argv[2], "now") == 0 ? RTLD_NOW : RTLD_LAZY) |
		   RTLD_DEEPBIND;
	void *lib = dlopen(argv[1], mode);
	if (lib == NULL) {
		fprintf(stderr, "deepbind: %s\n", dlerror());
		return 1;
	}
	deep_start_fn *lib_start = (deep_start_fn *)dlsym(lib, "deep_lib_start");
	deep_join_fn *lib_join = (deep_join_fn *)dlsym(lib, "deep_lib_join");
	deep_addr_fn *lib_addr = (deep_addr_fn *)dlsym(lib, "deep_lib_addr");
	const void *(*lib_relro)(void) =
		(const void *(*)(void))dlsym(lib, "deep_lib_relro");
	if (!lib_start || !lib_join || !lib_addr || !lib_relro) {
		fprintf(stderr, "deepbind: %s lacks its entry points\n", argv[1]);
		return 1;
	}
	/* Before any lazy slot was used: the rebinding is done at dlopen. */
	check_addresses(lib_addr);
	check(writable(lib_relro()) == 0, "the library's RELRO data is "
	      "writable (1) or unmapped (-1)", writable(lib_relro()), 0);

	static struct deep_shared sh;
	int made = 0;
	for (int round = 0; round < ROUNDS; round++)
		for (enum deep_phase p = 0; p < DEEP_PHASES; p++) {
			if (only >= 0 && p != (enum deep_phase)only)
				continue;
			current = p;
			init_shared(&sh);
			made += lib_start(&sh, p);
			made += deep_side_start(&sh, p, 0);
			deep_side_join();
			lib_join();
			check_phase(&sh, p);
		}
	check_addresses(lib_addr);
	alarm(0);
	printf("deepbind: %d rounds of %d phases, %d failures\n", ROUNDS,
	       DEEP_PHASES, failures);
	printf("threads made: %d\n", made);
	return failures != 0;
}
