/*
 * test/preload/deepbind.h -- what deepbind.c (the program) and deepmod.c
 * (the library it loads with RTLD_DEEPBIND) share: one of each object, used
 * from both sides at once.
 */
#ifndef DEEPBIND_H
#define DEEPBIND_H

#include <pthread.h>
#include <semaphore.h>

#define DEEP_THREADS 2		/* per side and per role */
#define DEEP_ITERS 50000	/* lock rounds per thread */
#define DEEP_ITEMS 20000	/* items through each queue, ping-pongs per pair */
#define DEEP_QCAP 4

/* A bounded queue: one side produces 1..DEEP_ITEMS, the other consumes
 * them and checks the sum, so both condvars see waiters of both kinds. */
struct deep_queue {
	pthread_mutex_t lock;
	pthread_cond_t nonempty, nonfull;
	int buf[DEEP_QCAP];
	unsigned head, count;
	long sum;
};

struct deep_shared {
	pthread_mutex_t mutex;
	long counter;
	struct deep_queue to_main, to_lib;
	pthread_rwlock_t rwlock;
	long a, b;		/* written together under the write lock */
	long torn;		/* readers that saw a != b */
	sem_t sem[4];		/* ping-pong pairs: [0]/[1] the program serves first,
				 * [2]/[3] the library */
};

enum deep_phase { DEEP_MUTEX, DEEP_COND, DEEP_RWLOCK, DEEP_SEM, DEEP_PHASES };

/* deepwork.c, compiled into both objects so that each side's calls go
 * through that object's own bindings: start this side's threads for a
 * phase (side 0 is the program, 1 the library), then join them; the
 * number of threads started is returned. */
int deep_side_start(struct deep_shared *sh, enum deep_phase phase, int side);
void deep_side_join(void);

/* The library's entry points (deepmod.c). */
typedef int deep_start_fn(struct deep_shared *, enum deep_phase);
typedef void deep_join_fn(void);
/* The address of NAME as the library sees it: its GOT entry, a data
 * pointer it was relocated with, NULL for an unknown name. */
typedef void *deep_addr_fn(const char *name, int data);

#endif
