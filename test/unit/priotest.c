/*
 * test/unit/priotest.c -- what the priority tests (test_mutex_pi.c,
 * test_mutex_pp.c, test_rwlock_rt.c, test_wake_order.c) and the robust
 * mutex tests (test_robust.c) share: glibc's
 * own mutex functions, mutex attributes, the thread's and the kernel's
 * view of its priority, a holder thread, counters bumped under contention
 * and across fork.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "priotest.h"
#include "tcb_layout.h" /* GLIBC_BASE_VERSION */
#include "testutil.h"

const int types[4] = { PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_RECURSIVE,
			     PTHREAD_MUTEX_ERRORCHECK,
			     PTHREAD_MUTEX_ADAPTIVE_NP };

/* glibc's own functions, as a program without libshim calls them. */
void *glibc_fn(const char *name)
{
	void *f = dlvsym(RTLD_NEXT, name, GLIBC_BASE_VERSION);
	assert_non_null(f);
	return f;
}

pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

void make_attr(pthread_mutexattr_t *a, int protocol, int type,
		      bool robust, bool pshared, int ceiling)
{
	assert_int_equal(pthread_mutexattr_init(a), 0);
	assert_int_equal(pthread_mutexattr_settype(a, type), 0);
	assert_int_equal(pthread_mutexattr_setprotocol(a, protocol), 0);
	if (robust)
		assert_int_equal(pthread_mutexattr_setrobust(
					 a, PTHREAD_MUTEX_ROBUST),
				 0);
	if (pshared)
		assert_int_equal(pthread_mutexattr_setpshared(
					 a, PTHREAD_PROCESS_SHARED),
				 0);
	if (ceiling != 0)
		assert_int_equal(pthread_mutexattr_setprioceiling(a, ceiling),
				 0);
}

void init_pp(pthread_mutex_t *m, int type, bool pshared, int ceiling)
{
	pthread_mutexattr_t a;
	make_attr(&a, PTHREAD_PRIO_PROTECT, type, false, pshared, ceiling);
	assert_int_equal(pthread_mutex_init(m, &a), 0);
}

int lock_word(pthread_mutex_t *m)
{
	return __atomic_load_n(&m->__data.__lock, __ATOMIC_ACQUIRE);
}

/* The priority the scheduler runs tid at: -1 - rt_priority for a real-
 * time (or boosted) thread, 20 + nice otherwise. */
long kernel_prio(pid_t tid)
{
	return task_stat_field(tid, 18);
}

int my_prio(void)
{
	struct sched_param p;
	assert_int_equal(sched_getparam(0, &p), 0);
	return p.sched_priority;
}

int set_sched(int policy, int prio)
{
	struct sched_param p = { .sched_priority = prio };
	return pthread_setschedparam(pthread_self(), policy, &p);
}

/* The PP tests run the main thread at SCHED_FIFO; skip where refused. */
void fifo_or_skip(int prio)
{
	if (set_sched(SCHED_FIFO, prio) != 0)
		skip();
}

int back_to_other(void **state)
{
	(void)state;
	return set_sched(SCHED_OTHER, 0);
}

static void *hold(void *arg)
{
	struct holder *h = arg;
	if (pthread_mutex_lock(h->m) != 0)
		return (void *)1;
	atomic_store(&h->state, 1);
	while (atomic_load(&h->state) != 2)
		usleep(1000);
	return (void *)(intptr_t)pthread_mutex_unlock(h->m);
}

void hold_with(struct holder *h, pthread_mutex_t *m,
		      void *(*fn)(void *))
{
	h->m = m;
	atomic_store(&h->state, 0);
	assert_int_equal(pthread_create(&h->t, NULL, fn, h), 0);
	while (atomic_load(&h->state) != 1)
		usleep(1000);
}

void hold_start(struct holder *h, pthread_mutex_t *m)
{
	hold_with(h, m, hold);
}

void hold_end(struct holder *h)
{
	void *r;
	atomic_store(&h->state, 2);
	assert_int_equal(pthread_join(h->t, &r), 0);
	assert_null(r);
}

void *bump_counting(struct counter *c, long *tried)
{
	for (int i = 0; i < c->rounds; i++) {
		int r = EBUSY;
		if (i % 3 == 0) {
			for (int k = 0; k < BUMP_TRY_SPINS && r == EBUSY; k++)
				if ((r = pthread_mutex_trylock(&c->m)) == EBUSY)
					sched_yield();
			*tried += r == 0;
		}
		if (i % 3 == 1) {
			struct timespec d = deadline_in(CLOCK_MONOTONIC, 10000);
			r = pthread_mutex_clocklock(&c->m, CLOCK_MONOTONIC, &d);
		} else if (r == EBUSY) {
			r = pthread_mutex_lock(&c->m);
		}
		if (r != 0)
			return (void *)1;
		c->n++;
		if (pthread_mutex_unlock(&c->m) != 0)
			return (void *)2;
	}
	return NULL;
}

void *bump(void *arg)
{
	long tried = 0;
	return bump_counting(arg, &tried);
}

struct shared *shared_area(void)
{
	struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(s != MAP_FAILED);
	return s;
}

void wait_child(pid_t pid)
{
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

#define FORK_ROUNDS 20000

/* Take and release s->m FORK_ROUNDS times, bumping s->counter under it:
 * 0, or 1 (a lock failed) or 2 (an unlock did). */
static int bump_rounds(struct shared *s, mutex_fn lock, mutex_fn unlock)
{
	for (int i = 0; i < FORK_ROUNDS; i++) {
		if (lock(&s->m) != 0)
			return 1;
		s->counter++;
		if (unlock(&s->m) != 0)
			return 2;
	}
	return 0;
}

/* The child bumps with lock/unlock (libshim's or glibc's), the parent
 * with two threads of libshim. */
static void *shim_bumps(void *arg)
{
	return bump_rounds(arg, pthread_mutex_lock, pthread_mutex_unlock)
		       ? (void *)1
		       : NULL;
}

/* free_word: the lock word of the mutex when nobody holds it. */
void bump_across_fork(struct shared *s, mutex_fn lock,
			     mutex_fn unlock, int free_word)
{
	s->counter = 0;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(bump_rounds(s, lock, unlock));
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, shim_bumps, s), 0);
	for (int i = 0; i < 2; i++) {
		void *r;
		assert_int_equal(pthread_join(t[i], &r), 0);
		assert_null(r);
	}
	wait_child(pid);
	assert_int_equal(s->counter, 3L * FORK_ROUNDS);
	assert_int_equal(lock_word(&s->m), free_word);
}
