/* libshim/thread.c, attr.c, key.c, cancel.c: the thread life cycle. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "libshim/shim.h"
#include "libshim/thread.h"
#include "testutil.h"

int __pthread_key_create(pthread_key_t *, void (*)(void *));

static void *ret_arg(void *arg)
{
	return arg;
}

static void test_create_join_returns_value(void **state)
{
	(void)state;
	unsigned long before = shim_stats.threads_created;
	for (int i = 0; i < 200; i++) {
		pthread_t t;
		void *r = NULL;
		assert_int_equal(pthread_create(&t, NULL, ret_arg, (void *)(intptr_t)(i + 1)), 0);
		assert_int_equal(pthread_join(t, &r), 0);
		assert_int_equal((intptr_t)r, i + 1);
	}
	assert_int_equal(shim_stats.threads_created - before, 200);
}

struct tls_probe {
	pid_t tid;
	void *self;
	int errno_after;
	void *tls_addr;
	int canary_ok;
};
static __thread int tls_var = 42;

static void *probe(void *arg)
{
	struct tls_probe *p = arg;
	p->tid = (pid_t)syscall(SYS_gettid);
	p->self = (void *)pthread_self();
	errno = 0;
	close(-1);
	p->errno_after = errno;
	p->tls_addr = &tls_var;
	p->canary_ok = tls_var == 42;
	tls_var = 7;
	char buf[64];
	snprintf(buf, sizeof buf, "%d", p->tid); /* stdio in the thread */
	return NULL;
}

static void test_thread_has_own_tls_tid_errno(void **state)
{
	(void)state;
	struct tls_probe p = {0};
	pthread_t t;
	errno = 1234;
	assert_int_equal(pthread_create(&t, NULL, probe, &p), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(errno, 1234); /* not the thread's EBADF */
	assert_int_equal(p.errno_after, EBADF);
	assert_true(p.tid > 0 && p.tid != getpid());
	assert_ptr_equal(p.self, (void *)t);
	assert_ptr_not_equal(p.tls_addr, &tls_var);
	assert_true(p.canary_ok);
	assert_int_equal(tls_var, 42); /* initial image, untouched here */
}

static void test_join_errors(void **state)
{
	(void)state;
	assert_int_equal(pthread_join(pthread_self(), NULL), EDEADLK);
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	int gate = 0;
	assert_int_equal(pthread_create(&t, &a, ret_arg, &gate), 0);
	/* A detached thread cannot be joined (while it is alive, glibc says
	 * EINVAL; afterwards its pthread_t is dead and cannot be used). */
	int r = pthread_join(t, NULL);
	assert_true(r == EINVAL || r == ESRCH);
	pthread_attr_destroy(&a);
	usleep(10000);

	/* A joined thread's handle is stale and glibc (which keeps its
	 * descriptor cached, tid -1) says ESRCH for it: while nothing has
	 * reused the descriptor, so does libshim. */
	assert_int_equal(pthread_create(&t, NULL, ret_arg, &gate), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), ESRCH);
	assert_int_equal(pthread_detach(t), ESRCH);
}

static void *sleep_ms(void *arg)
{
	usleep((useconds_t)(intptr_t)arg * 1000);
	return (void *)7;
}

static void test_tryjoin_timedjoin(void **state)
{
	(void)state;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, sleep_ms, (void *)200), 0);
	assert_int_equal(pthread_tryjoin_np(t, NULL), EBUSY);
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += 20 * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	assert_int_equal(pthread_timedjoin_np(t, NULL, &dl), ETIMEDOUT);
	struct timespec bad = {0, 1000000000};
	assert_int_equal(pthread_clockjoin_np(t, NULL, CLOCK_MONOTONIC, &bad), EINVAL);
	assert_int_equal(pthread_clockjoin_np(t, NULL, CLOCK_PROCESS_CPUTIME_ID, &dl), EINVAL);
	void *r;
	assert_int_equal(pthread_join(t, &r), 0);
	assert_int_equal((intptr_t)r, 7);
}

static _Atomic int detached_done;

static void *detached_body(void *arg)
{
	(void)arg;
	char *p = malloc(100);
	free(p);
	detached_done++;
	return NULL;
}

static void test_detach_many(void **state)
{
	(void)state;
	detached_done = 0;
	for (int i = 0; i < 300; i++) {
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, detached_body, NULL), 0);
		assert_int_equal(pthread_detach(t), 0);
	}
	for (int i = 0; i < 500 && detached_done < 300; i++)
		usleep(10000);
	assert_int_equal(detached_done, 300);
}

static void *report_stack(void *arg)
{
	pthread_attr_t a;
	void **out = arg;
	int local;
	assert_int_equal(pthread_getattr_np(pthread_self(), &a), 0);
	void *addr;
	size_t size;
	pthread_attr_getstack(&a, &addr, &size);
	out[0] = addr;
	out[1] = (void *)size;
	out[2] = &local;
	pthread_attr_destroy(&a);
	return NULL;
}

static void test_attr_stack_size_and_user_stack(void **state)
{
	(void)state;
	pthread_attr_t a;
	void *out[3];
	pthread_t t;
	assert_int_equal(pthread_attr_init(&a), 0);
	assert_int_equal(pthread_attr_setstacksize(&a, 1000), EINVAL);
	assert_int_equal(pthread_attr_setstacksize(&a, 256 * 1024), 0);
	assert_int_equal(pthread_create(&t, &a, report_stack, out), 0);
	pthread_join(t, NULL);
	/* As glibc: the requested size, TCB and TLS included. */
	assert_int_equal((size_t)out[1], 256 * 1024);
	assert_true((char *)out[2] > (char *)out[0] &&
		    (char *)out[2] < (char *)out[0] + (size_t)out[1]);
	pthread_attr_destroy(&a);

	size_t sz = 512 * 1024;
	char *mine = mmap(NULL, sz, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pthread_attr_init(&a);
	assert_int_equal(pthread_attr_setstack(&a, mine, sz), 0);
	assert_int_equal(pthread_create(&t, &a, report_stack, out), 0);
	pthread_join(t, NULL);
	assert_true((char *)out[2] > mine && (char *)out[2] < mine + sz);
	/* glibc reports the caller's stack exactly as it was given. */
	assert_ptr_equal(out[0], mine);
	assert_int_equal((size_t)out[1], sz);
	pthread_attr_destroy(&a);
	munmap(mine, sz);
}

static void test_main_thread_getattr(void **state)
{
	(void)state;
	void *out[3];
	report_stack(out);
	assert_true((char *)out[2] > (char *)out[0] &&
		    (char *)out[2] < (char *)out[0] + (size_t)out[1]);
	assert_ptr_equal((void *)pthread_self(), (void *)pthread_self());
}

static void attr_defaults_and_errors(void)
{
	pthread_attr_t a;
	int v;
	size_t s;
	pthread_attr_init(&a);
	pthread_attr_getdetachstate(&a, &v);
	assert_int_equal(v, PTHREAD_CREATE_JOINABLE);
	assert_int_equal(pthread_attr_setdetachstate(&a, 99), EINVAL);
	pthread_attr_getguardsize(&a, &s);
	assert_int_equal(s, (size_t)sysconf(_SC_PAGESIZE));
	assert_int_equal(pthread_attr_setscope(&a, PTHREAD_SCOPE_PROCESS), ENOTSUP);
	assert_int_equal(pthread_attr_setschedpolicy(&a, 99), EINVAL);
	assert_int_equal(pthread_attr_setinheritsched(&a, 99), EINVAL);
	pthread_attr_getstacksize(&a, &s);
	assert_true(s >= (size_t)PTHREAD_STACK_MIN);
	pthread_attr_destroy(&a);
}

static void test_attr_defaults(void **state)
{
	(void)state;
	attr_defaults_and_errors();
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int child_overflow(int depth)
{
	volatile char buf[4096];
	buf[0] = (char)depth;
	return child_overflow(depth + 1) + buf[0];
}

static void *overflow(void *arg)
{
	(void)arg;
	child_overflow(0);
	return NULL;
}

/* glibc's least mapped guard (its ARCH_MIN_GUARD_SIZE): GCC's arm64
 * stack-clash probes assume 64 KiB, so a frame may skip a smaller one. */
#ifdef __aarch64__
enum { GLIBC_MIN_GUARD = 64 * 1024 };
#else
enum { GLIBC_MIN_GUARD = 0 };
#endif

/* Whether the page holding p can be read (write(2) says EFAULT if not). */
static bool readable(const char *p)
{
	int fd[2];
	if (pipe(fd) != 0)
		abort();
	bool ok = write(fd[1], p, 1) == 1;
	close(fd[0]);
	close(fd[1]);
	return ok;
}

/* What a thread sees of its own stack: its reported guard, and the
 * mapping (from /proc/self/maps, which qemu-user emulates too) holding
 * the page right below the stack's low end. */
struct guard_probe {
	size_t mapped;           /* in: the guard glibc would map */
	size_t guard;            /* pthread_getattr_np's */
	char *low;
	bool low_readable, guard_readable;
	uintptr_t vma_lo, vma_hi;
	char perms[5];
};

static void *probe_guard(void *arg)
{
	struct guard_probe *g = arg;
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), size;
	pthread_attr_t a;
	void *stack;
	if (pthread_getattr_np(pthread_self(), &a) != 0 ||
	    pthread_attr_getstack(&a, &stack, &size) != 0 ||
	    pthread_attr_getguardsize(&a, &g->guard) != 0)
		abort();
	pthread_attr_destroy(&a);
	g->low = stack;
	g->low_readable = readable(g->low);
	g->guard_readable = false;
	for (size_t off = ps; off <= g->mapped; off += ps)
		g->guard_readable |= readable(g->low - off);
	FILE *f = fopen("/proc/self/maps", "r");
	if (f == NULL)
		abort();
	uintptr_t below = (uintptr_t)g->low - ps, lo, hi;
	char perms[5];
	while (fscanf(f, "%lx-%lx %4s%*[^\n]", &lo, &hi, perms) == 3)
		if (lo <= below && below < hi) {
			g->vma_lo = lo;
			g->vma_hi = hi;
			memcpy(g->perms, perms, sizeof perms);
		}
	fclose(f);
	return NULL;
}

/* As glibc: a guard asked for is reported in whole pages, and what is
 * mapped PROT_NONE below the stack is at least the CPU's minimum (a
 * mapping of its own, not a hole some other mmap could fill). */
static void test_guard_mapped_as_glibc(void **state)
{
	(void)state;
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	const size_t asked[] = {1, ps, 2 * ps, 128 * 1024};
	for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
		size_t reported = (asked[i] + ps - 1) & ~(ps - 1);
		struct guard_probe g = {
			.mapped = reported > GLIBC_MIN_GUARD ? reported
							     : GLIBC_MIN_GUARD,
		};
		pthread_attr_t a;
		pthread_t t;
		pthread_attr_init(&a);
		assert_int_equal(pthread_attr_setguardsize(&a, asked[i]), 0);
		assert_int_equal(pthread_create(&t, &a, probe_guard, &g), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
		pthread_attr_destroy(&a);
		assert_int_equal(g.guard, reported);
		assert_true(g.low_readable);
		assert_false(g.guard_readable);
		assert_string_equal(g.perms, "---p");
		assert_true(g.vma_hi == (uintptr_t)g.low);
		assert_true(g.vma_lo <= (uintptr_t)g.low - g.mapped);
	}
}

static void test_guard_page_stops_overflow(void **state)
{
	(void)state;
	pid_t pid = fork();
	if (pid == 0) {
		pthread_attr_t a;
		pthread_t t;
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 64 * 1024);
		pthread_create(&t, &a, overflow, NULL);
		pthread_join(t, NULL);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
}

static pthread_key_t key1, key2;
static _Atomic int dtor_calls;

static void dtor_reset(void *v)
{
	dtor_calls++;
	/* Setting a value again forces another round, up to the limit. */
	if ((intptr_t)v < 3)
		pthread_setspecific(key1, (void *)((intptr_t)v + 1));
}

static void dtor_count(void *v)
{
	(void)v;
	dtor_calls++;
}

static void *use_keys(void *arg)
{
	(void)arg;
	assert_null(pthread_getspecific(key1));
	pthread_setspecific(key1, (void *)1);
	pthread_setspecific(key2, (void *)1);
	assert_ptr_equal(pthread_getspecific(key1), (void *)1);
	return NULL;
}

static void test_tsd_destructors(void **state)
{
	(void)state;
	assert_int_equal(pthread_key_create(&key1, dtor_reset), 0);
	assert_int_equal(__pthread_key_create(&key2, dtor_count), 0);
	assert_int_not_equal(key1, key2);
	dtor_calls = 0;
	pthread_t t;
	pthread_create(&t, NULL, use_keys, NULL);
	pthread_join(t, NULL);
	/* key1: values 1,2,3 -> 3 calls; key2: 1 call. */
	assert_int_equal(dtor_calls, 4);
	pthread_setspecific(key1, (void *)99);
	assert_int_equal(pthread_key_delete(key1), 0);
	assert_int_equal(pthread_key_delete(key1), EINVAL);
	assert_int_equal(pthread_setspecific(key1, NULL), EINVAL);
	pthread_key_t k3;
	pthread_key_create(&k3, NULL);
	/* A recycled key reads NULL, never the old key's value. */
	assert_null(pthread_getspecific(k3));
	pthread_key_delete(k3);
	pthread_key_delete(key2);
	assert_int_equal(pthread_setspecific(SHIM_KEYS_MAX + 5, NULL), EINVAL);
}

static _Atomic int cleanup_ran;

static void cleanup(void *arg)
{
	cleanup_ran += (int)(intptr_t)arg;
}

static void *exit_with_cleanup(void *arg)
{
	(void)arg;
	pthread_cleanup_push(cleanup, (void *)1);
	pthread_cleanup_push(cleanup, (void *)10);
	pthread_exit((void *)5);
	pthread_cleanup_pop(0);
	pthread_cleanup_pop(0);
	return NULL;
}

static void test_exit_runs_cleanup(void **state)
{
	(void)state;
	cleanup_ran = 0;
	pthread_t t;
	void *r;
	pthread_create(&t, NULL, exit_with_cleanup, NULL);
	assert_int_equal(pthread_join(t, &r), 0);
	assert_int_equal((intptr_t)r, 5);
	assert_int_equal(cleanup_ran, 11);
}

static void *spin_until_cancelled(void *arg)
{
	(void)arg;
	pthread_cleanup_push(cleanup, (void *)100);
	for (;;) {
		pthread_testcancel();
		usleep(1000);
	}
	pthread_cleanup_pop(0);
	return NULL;
}

static void *wait_on_join(void *arg)
{
	pthread_cleanup_push(cleanup, (void *)1000);
	pthread_join(*(pthread_t *)arg, NULL);
	pthread_cleanup_pop(0);
	return NULL;
}

static void test_cancel_deferred(void **state)
{
	(void)state;
	cleanup_ran = 0;
	pthread_t t, j;
	void *r;
	pthread_create(&t, NULL, spin_until_cancelled, NULL);
	usleep(20000);
	assert_int_equal(pthread_cancel(t), 0);
	assert_int_equal(pthread_join(t, &r), 0);
	assert_ptr_equal(r, PTHREAD_CANCELED);
	assert_int_equal(cleanup_ran, 100);

	/* Cancelled while parked in pthread_join (a cancellation point). */
	pthread_t sleeper;
	pthread_create(&sleeper, NULL, sleep_ms, (void *)300);
	pthread_create(&j, NULL, wait_on_join, &sleeper);
	usleep(50000);
	pthread_cancel(j);
	assert_int_equal(pthread_join(j, &r), 0);
	assert_ptr_equal(r, PTHREAD_CANCELED);
	assert_int_equal(cleanup_ran, 1100);
	/* The join it gave up can be done again. */
	assert_int_equal(pthread_join(sleeper, &r), 0);
	assert_int_equal((intptr_t)r, 7);
}

/* Asynchronous mode, then block on a lock main holds: POSIX leaves this
 * undefined (the lock calls are not async-cancel-safe), glibc acts on the
 * cancellation at once, and libshim must not leave its queue node behind
 * on the dead stack. */
struct async_blocker {
	pthread_mutex_t *m;
	pthread_rwlock_t *rw;
	_Atomic pid_t tid;
};

/* (No cleanup handler: built with -fexceptions, as the unit tests are,
 * the macros make landing pads, and GCC makes none around the lock calls,
 * which glibc's header declares nothrow; glibc runs none there either.) */
static void *async_block(void *arg)
{
	struct async_blocker *b = arg;
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	b->tid = (pid_t)syscall(SYS_gettid);
	if (b->m)
		pthread_mutex_lock(b->m);
	else
		pthread_rwlock_wrlock(b->rw);
	return arg; /* the lock was taken: the cancellation was lost */
}

static void cancel_blocked(struct async_blocker *b)
{
	pthread_t t;
	void *r;
	b->tid = 0;
	assert_int_equal(pthread_create(&t, NULL, async_block, b), 0);
	while (b->tid == 0 || !thread_asleep(b->tid))
		usleep(1000);
	assert_int_equal(pthread_cancel(t), 0);
	assert_int_equal(pthread_join(t, &r), 0);
	assert_ptr_equal(r, PTHREAD_CANCELED);
}

static void test_cancel_async_blocked_on_lock(void **state)
{
	(void)state;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	struct async_blocker bm = { &m, NULL, 0 }, brw = { NULL, &rw, 0 };

	pthread_mutex_lock(&m);
	cancel_blocked(&bm);
	cancel_blocked(&bm);
	/* Its queue node is gone: unlock wakes nobody stale, and another
	 * waiter is served. */
	pthread_mutex_unlock(&m);
	assert_int_equal(in_thread(mutex_lock_op, &m), 0);
	assert_int_equal(pthread_mutex_trylock(&m), EBUSY);
	assert_int_equal(in_thread(mutex_unlock_op, &m), 0);
	assert_int_equal(pthread_mutex_destroy(&m), 0);

	assert_int_equal(pthread_rwlock_rdlock(&rw), 0);
	cancel_blocked(&brw);
	/* The writer that left no longer holds new readers back. */
	assert_int_equal(pthread_rwlock_tryrdlock(&rw), 0);
	assert_int_equal(pthread_rwlock_unlock(&rw), 0);
	assert_int_equal(pthread_rwlock_unlock(&rw), 0);
	assert_int_equal(pthread_rwlock_trywrlock(&rw), 0);
	assert_int_equal(pthread_rwlock_unlock(&rw), 0);
	assert_int_equal(pthread_rwlock_destroy(&rw), 0);
}

static void test_cancel_state_errors(void **state)
{
	(void)state;
	int old;
	assert_int_equal(pthread_setcancelstate(99, &old), EINVAL);
	assert_int_equal(pthread_setcanceltype(99, &old), EINVAL);
	assert_int_equal(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old), 0);
	assert_int_equal(old, PTHREAD_CANCEL_ENABLE);
	assert_int_equal(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old), 0);
	assert_int_equal(old, PTHREAD_CANCEL_DISABLE);
}

static void *many_body(void *arg)
{
	_Atomic long *sum = arg;
	for (int i = 0; i < 1000; i++)
		(*sum)++;
	return NULL;
}

static void test_many_threads_at_once(void **state)
{
	(void)state;
	enum { N = 64 };
	pthread_t t[N];
	_Atomic long sum = 0;
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_create(&t[i], NULL, many_body, &sum), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(sum, N * 1000);
}

int __pthread_mutex_lock(pthread_mutex_t *);
int __pthread_mutex_unlock(pthread_mutex_t *);
void *__pthread_getspecific(pthread_key_t);
size_t __pthread_get_minstack(const pthread_attr_t *);

static void *defer_np(void *arg)
{
	(void)arg;
	int type;
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	pthread_cleanup_push_defer_np(cleanup, (void *)3);
	pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &type);
	assert_int_equal(type, PTHREAD_CANCEL_DEFERRED); /* while pushed */
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	pthread_cleanup_pop_restore_np(1);
	pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &type);
	assert_int_equal(type, PTHREAD_CANCEL_ASYNCHRONOUS); /* restored */
	return NULL;
}

static void test_glibc_other_names(void **state)
{
	(void)state;
	cleanup_ran = 0;
	pthread_t t;
	pthread_create(&t, NULL, defer_np, NULL);
	pthread_join(t, NULL);
	assert_int_equal(cleanup_ran, 3);
	pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
	assert_int_equal(__pthread_mutex_lock(&m), 0);
	assert_int_equal(__pthread_mutex_lock(&m), EDEADLK);
	assert_int_equal(__pthread_mutex_unlock(&m), 0);
	/* Aliases, not forwarding functions: one function at one address. */
	assert_ptr_equal((void *)__pthread_mutex_lock,
			 (void *)pthread_mutex_lock);
	assert_ptr_equal((void *)__pthread_getspecific,
			 (void *)pthread_getspecific);
	pthread_attr_t a;
	pthread_attr_init(&a);
	assert_true(__pthread_get_minstack(&a) >= (size_t)PTHREAD_STACK_MIN + 4096);
	pthread_attr_destroy(&a);
}

static pthread_key_t timer_key;
static _Atomic int timer_ok, timer_value_destroyed;

static void timer_value_gone(void *v)
{
	timer_value_destroyed = v == (void *)1 ? 1 : -1;
}

static void on_timer(union sigval v)
{
	(void)v;
	/* A thread glibc started: adopted on first use. */
	pthread_t me = pthread_self();
	int ok = me != 0 && pthread_equal(me, pthread_self()) &&
		 pthread_getspecific(timer_key) == NULL &&
		 pthread_setspecific(timer_key, (void *)1) == 0 &&
		 pthread_getspecific(timer_key) == (void *)1;
	pthread_attr_t a;
	void *addr;
	size_t size;
	int local;
	ok = ok && pthread_getattr_np(me, &a) == 0 &&
	     pthread_attr_getstack(&a, &addr, &size) == 0 &&
	     (char *)&local > (char *)addr && (char *)&local < (char *)addr + size;
	pthread_attr_destroy(&a);
	timer_ok = ok ? 1 : -1;
}

static void test_glibc_timer_thread_is_adopted(void **state)
{
	(void)state;
	pthread_key_create(&timer_key, timer_value_gone);
	struct sigevent sev = {0};
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = on_timer;
	timer_t tm;
	assert_int_equal(timer_create(CLOCK_MONOTONIC, &sev, &tm), 0);
	struct itimerspec its = {.it_value = {0, 10 * 1000000}};
	assert_int_equal(timer_settime(tm, 0, &its, NULL), 0);
	for (int i = 0; i < 300 && timer_ok == 0; i++)
		usleep(10000);
	/* glibc ends the notification thread after the call: libshim's TSD
	 * destructors run then, from glibc's exit path. */
	for (int i = 0; i < 300 && timer_value_destroyed == 0; i++)
		usleep(10000);
	timer_delete(tm);
	assert_int_equal(timer_ok, 1);
	assert_int_equal(timer_value_destroyed, 1);
	pthread_key_delete(timer_key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_join_returns_value),
		cmocka_unit_test(test_thread_has_own_tls_tid_errno),
		cmocka_unit_test(test_join_errors),
		cmocka_unit_test(test_tryjoin_timedjoin),
		cmocka_unit_test(test_detach_many),
		cmocka_unit_test(test_attr_stack_size_and_user_stack),
		cmocka_unit_test(test_main_thread_getattr),
		cmocka_unit_test(test_attr_defaults),
#ifndef __SANITIZE_ADDRESS__
		/* ASan catches the SIGSEGV itself and exits with its report:
		 * what this checks is what a plain program sees. */
		cmocka_unit_test(test_guard_page_stops_overflow),
#endif
		cmocka_unit_test(test_guard_mapped_as_glibc),
		cmocka_unit_test(test_tsd_destructors),
		cmocka_unit_test(test_exit_runs_cleanup),
		cmocka_unit_test(test_cancel_deferred),
		cmocka_unit_test(test_cancel_async_blocked_on_lock),
		cmocka_unit_test(test_cancel_state_errors),
		cmocka_unit_test(test_many_threads_at_once),
		cmocka_unit_test(test_glibc_timer_thread_is_adopted),
		cmocka_unit_test(test_glibc_other_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
