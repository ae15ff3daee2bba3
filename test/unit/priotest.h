/*
 * test/unit/priotest.h -- what the priority and robust mutex tests share
 * (priotest.c).
 */
#ifndef SHIM_PRIOTEST_H
#define SHIM_PRIOTEST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#define CEILING_SHIFT 19
#define CEILING_MASK 0xfff80000u

/* Every mutex type, for the tests that try each. */
extern const int types[4];

typedef int (*mutex_fn)(pthread_mutex_t *);

/* glibc's own functions, as a program without libshim calls them. */
void *glibc_fn(const char *name);
pid_t gettid_(void);

void make_attr(pthread_mutexattr_t *a, int protocol, int type, bool robust,
	       bool pshared, int ceiling);
void init_pp(pthread_mutex_t *m, int type, bool pshared, int ceiling);
int lock_word(pthread_mutex_t *m);

long kernel_prio(pid_t tid);
int my_prio(void);
int set_sched(int policy, int prio);
/* Run the calling thread at SCHED_FIFO prio; skip where refused. */
void fifo_or_skip(int prio);
/* A teardown: the thread back at SCHED_OTHER. */
int back_to_other(void **state);

/* A thread that holds m until told to let go. */
struct holder {
	pthread_mutex_t *m;
	_Atomic int state; /* 0 starting, 1 holding, 2 release */
	pthread_t t;
};

/* Start a thread that runs fn (hold: holds m until hold_end) and wait
 * until it holds m. */
void hold_with(struct holder *h, pthread_mutex_t *m, void *(*fn)(void *));
void hold_start(struct holder *h, pthread_mutex_t *m);
void hold_end(struct holder *h);

#define THREADS 8

struct counter {
	pthread_mutex_t m;
	long n;
	int rounds; /* per thread */
};

/* A trylock round's retries before it waits in pthread_mutex_lock:
 * unbounded retries can livelock under SCHED_FIFO, whatever the library
 * (sched_yield yields only to equal priorities, so higher-priority
 * workers retrying on every CPU starve for good a lower thread the
 * holder needs; test_mutex_pp.c has the case). */
#define BUMP_TRY_SPINS 1000

/* Take and release c->m c->rounds times (trylock, clocklock and lock in
 * turn), counting in c->n and in *tried the trylock rounds the trylock
 * itself won: NULL, or why it failed. */
void *bump_counting(struct counter *c, long *tried);
/* The same for a thread: arg is the counter. */
void *bump(void *arg);

struct cv {
	pthread_mutex_t m;
	pthread_cond_t c;
	int flag;
	int depth;
};

struct shared {
	pthread_mutex_t m;
	long counter;
	_Atomic int locked;
};

/* A struct shared in MAP_SHARED memory. */
struct shared *shared_area(void);
/* Wait for pid; it must have exited 0. */
void wait_child(pid_t pid);
/* A child process bumps s->counter with lock/unlock (libshim's or
 * glibc's) while two libshim threads of this one do; free_word: the lock
 * word of the mutex when nobody holds it. */
void bump_across_fork(struct shared *s, mutex_fn lock, mutex_fn unlock,
		      int free_word);

#endif
