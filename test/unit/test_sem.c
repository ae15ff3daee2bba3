/* libshim/sem.c: unnamed and named semaphores. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

static int value_of(sem_t *s)
{
	int v = -1;
	assert_int_equal(sem_getvalue(s, &v), 0);
	return v;
}

/* White box: registered waiters are the high half of the first word
 * (libshim/sem.c, glibc's layout). */
static uint32_t waiters_of(sem_t *s)
{
	return (uint32_t)(__atomic_load_n((uint64_t *)s, __ATOMIC_ACQUIRE) >> 32);
}

/* Wait until thread *tid (published by the thread) has registered on s
 * and fallen asleep. */
static void until_asleep_on(sem_t *s, _Atomic pid_t *tid)
{
	while (*tid == 0 || waiters_of(s) == 0 || !thread_asleep(*tid))
		usleep(1000);
}

/* A join that fails the test instead of hanging it. */
static int join_within(pthread_t t, void **ret, int seconds)
{
	struct timespec dl = deadline_in(CLOCK_REALTIME, seconds * 1000L);
	return pthread_timedjoin_np(t, ret, &dl);
}

static void test_init_post_trywait_getvalue(void **state)
{
	(void)state;
	sem_t s;
	errno = 0;
	assert_int_equal(sem_init(&s, 0, (unsigned)SEM_VALUE_MAX + 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(sem_init(&s, 0, 2), 0);
	assert_int_equal(value_of(&s), 2);
	assert_int_equal(sem_trywait(&s), 0);
	assert_int_equal(sem_wait(&s), 0);
	assert_int_equal(value_of(&s), 0);
	errno = 0;
	assert_int_equal(sem_trywait(&s), -1);
	assert_int_equal(errno, EAGAIN);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sem_post(&s), 0);
	assert_int_equal(value_of(&s), 5);
	assert_int_equal(sem_destroy(&s), 0);

	static sem_t zero; /* all-zero: a private semaphore of value 0 */
	assert_int_equal(sem_trywait(&zero), -1);
	assert_int_equal(sem_post(&zero), 0);
	assert_int_equal(sem_trywait(&zero), 0);
}

static void test_overflow(void **state)
{
	(void)state;
	sem_t s;
	assert_int_equal(sem_init(&s, 0, SEM_VALUE_MAX - 1), 0);
	assert_int_equal(sem_post(&s), 0);
	errno = 0;
	assert_int_equal(sem_post(&s), -1);
	assert_int_equal(errno, EOVERFLOW);
	assert_int_equal(value_of(&s), SEM_VALUE_MAX);
	assert_int_equal(sem_trywait(&s), 0);
	assert_int_equal(sem_post(&s), 0);
}

static void test_timeouts_both_clocks(void **state)
{
	(void)state;
	sem_t s;
	assert_int_equal(sem_init(&s, 0, 0), 0);

	struct timespec t0, dl;
	clock_gettime(CLOCK_REALTIME, &t0);
	dl = deadline_in(CLOCK_REALTIME, 50);
	errno = 0;
	assert_int_equal(sem_timedwait(&s, &dl), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(ms_since(CLOCK_REALTIME, &t0) >= 49);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	dl = deadline_in(CLOCK_MONOTONIC, 50);
	errno = 0;
	assert_int_equal(sem_clockwait(&s, CLOCK_MONOTONIC, &dl), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(ms_since(CLOCK_MONOTONIC, &t0) >= 49);

	clock_gettime(CLOCK_REALTIME, &t0);
	dl = deadline_in(CLOCK_REALTIME, 30);
	errno = 0;
	assert_int_equal(sem_clockwait(&s, CLOCK_REALTIME, &dl), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(ms_since(CLOCK_REALTIME, &t0) >= 29);

	/* Deadlines already past, and negative ones, time out at once. */
	struct timespec past = { 0, 0 }, neg = { -1, 0 };
	errno = 0;
	assert_int_equal(sem_timedwait(&s, &past), -1);
	assert_int_equal(errno, ETIMEDOUT);
	errno = 0;
	assert_int_equal(sem_timedwait(&s, &neg), -1);
	assert_int_equal(errno, ETIMEDOUT);
	errno = 0;
	assert_int_equal(sem_clockwait(&s, CLOCK_MONOTONIC, &neg), -1);
	assert_int_equal(errno, ETIMEDOUT);

	/* With a unit available a past deadline does not matter. */
	sem_post(&s);
	assert_int_equal(sem_timedwait(&s, &past), 0);
	sem_post(&s);
	assert_int_equal(sem_clockwait(&s, CLOCK_MONOTONIC, &past), 0);
	assert_int_equal(waiters_of(&s), 0);
}

static void test_invalid_timeouts(void **state)
{
	(void)state;
	sem_t s;
	assert_int_equal(sem_init(&s, 0, 1), 0);
	struct timespec bad = { 0, 1000000000 }, neg = { 0, -1 }, ok = { 0, 0 };
	/* glibc checks tv_nsec first, even when a unit is available. */
	errno = 0;
	assert_int_equal(sem_timedwait(&s, &bad), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(sem_timedwait(&s, &neg), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(sem_clockwait(&s, CLOCK_MONOTONIC, &bad), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(sem_clockwait(&s, CLOCK_PROCESS_CPUTIME_ID, &ok), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(value_of(&s), 1);
}

/* A timed wait that a post ends well before its deadline. */
struct delayed_post {
	sem_t *s;
	long ms;
};

static void *post_later(void *arg)
{
	struct delayed_post *d = arg;
	usleep((useconds_t)d->ms * 1000);
	sem_post(d->s);
	return NULL;
}

static void test_timedwait_woken_by_post(void **state)
{
	(void)state;
	sem_t s;
	assert_int_equal(sem_init(&s, 0, 0), 0);
	struct delayed_post d = { &s, 30 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, post_later, &d), 0);
	struct timespec dl = deadline_in(CLOCK_MONOTONIC, 10000);
	assert_int_equal(sem_clockwait(&s, CLOCK_MONOTONIC, &dl), 0);
	assert_int_equal(join_within(t, NULL, 10), 0);
	assert_int_equal(value_of(&s), 0);
	assert_int_equal(waiters_of(&s), 0);
}

/*
 * Counting: 12 threads each take 2000 units while the main thread posts
 * them one at a time; every wait is matched by exactly one post, so all
 * threads finish and the semaphore ends at zero with nobody registered.
 */
#define COUNT_THREADS 12
#define COUNT_TAKES 2000

static void *taker(void *arg)
{
	for (int i = 0; i < COUNT_TAKES; i++)
		if (sem_wait(arg) != 0)
			return (void *)1;
	return NULL;
}

static void counting(int pshared)
{
	sem_t s;
	assert_int_equal(sem_init(&s, pshared, 0), 0);
	pthread_t t[COUNT_THREADS];
	for (int i = 0; i < COUNT_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, taker, &s), 0);
	for (int i = 0; i < COUNT_THREADS * COUNT_TAKES; i++)
		assert_int_equal(sem_post(&s), 0);
	for (int i = 0; i < COUNT_THREADS; i++) {
		void *r = (void *)1;
		assert_int_equal(join_within(t[i], &r, 60), 0);
		assert_null(r);
	}
	assert_int_equal(value_of(&s), 0);
	assert_int_equal(waiters_of(&s), 0);
}

static void test_counting_private(void **state)
{
	(void)state;
	counting(0);
}

static void test_counting_shared_flag(void **state)
{
	(void)state;
	counting(1);
}

/*
 * Producer/consumer over a ring of 8 slots: "free" counts empty slots,
 * "full" filled ones; 4 producers and 4 consumers move 40000 distinct
 * items.  Every item must arrive exactly once.
 */
#define RING 8
#define PRODUCERS 4
#define CONSUMERS 4
#define ITEMS_EACH 10000
#define ITEMS (PRODUCERS * ITEMS_EACH)

struct ring {
	sem_t free, full;
	pthread_mutex_t lock;
	int slot[RING];
	unsigned head, tail;
	_Atomic unsigned char seen[ITEMS];
	_Atomic int dups;
};

struct ring_arg {
	struct ring *r;
	int id;
};

static void *producer(void *p)
{
	struct ring_arg *a = p;
	struct ring *r = a->r;
	for (int i = 0; i < ITEMS_EACH; i++) {
		sem_wait(&r->free);
		pthread_mutex_lock(&r->lock);
		r->slot[r->head++ % RING] = a->id * ITEMS_EACH + i;
		pthread_mutex_unlock(&r->lock);
		sem_post(&r->full);
	}
	return NULL;
}

static void *consumer(void *p)
{
	struct ring_arg *a = p;
	struct ring *r = a->r;
	for (int i = 0; i < ITEMS / CONSUMERS; i++) {
		sem_wait(&r->full);
		pthread_mutex_lock(&r->lock);
		int item = r->slot[r->tail++ % RING];
		pthread_mutex_unlock(&r->lock);
		sem_post(&r->free);
		if (r->seen[item]++ != 0)
			r->dups++;
	}
	return NULL;
}

static void test_producer_consumer(void **state)
{
	(void)state;
	struct ring *r = calloc(1, sizeof *r);
	assert_non_null(r);
	sem_init(&r->free, 0, RING);
	sem_init(&r->full, 0, 0);
	pthread_mutex_init(&r->lock, NULL);
	pthread_t t[PRODUCERS + CONSUMERS];
	struct ring_arg args[PRODUCERS + CONSUMERS];
	for (int i = 0; i < PRODUCERS + CONSUMERS; i++) {
		args[i] = (struct ring_arg){ r, i };
		assert_int_equal(pthread_create(&t[i], NULL,
						i < PRODUCERS ? producer : consumer,
						&args[i]), 0);
	}
	for (int i = 0; i < PRODUCERS + CONSUMERS; i++)
		assert_int_equal(join_within(t[i], NULL, 60), 0);
	assert_int_equal(r->dups, 0);
	for (int i = 0; i < ITEMS; i++)
		assert_int_equal(r->seen[i], 1);
	assert_int_equal(value_of(&r->free), RING);
	assert_int_equal(value_of(&r->full), 0);
	free(r);
}

/*
 * Process-shared semaphores in MAP_SHARED memory, parent and fork child
 * playing ping-pong; then the child blocks in sem_wait and a post from
 * the parent must wake it.
 */
#define PINGS 2000

struct pingpong {
	sem_t ping, pong, done;
};

static void test_pshared_across_fork(void **state)
{
	(void)state;
	struct pingpong *p = mmap(NULL, sizeof *p, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(sem_init(&p->ping, 1, 0), 0);
	assert_int_equal(sem_init(&p->pong, 1, 0), 0);
	assert_int_equal(sem_init(&p->done, 1, 0), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		for (int i = 0; i < PINGS; i++) {
			if (sem_wait(&p->ping) != 0)
				_exit(1);
			sem_post(&p->pong);
		}
		sem_post(&p->done);
		/* Block until the parent's last post. */
		_exit(sem_wait(&p->ping) == 0 ? 0 : 2);
	}
	for (int i = 0; i < PINGS; i++) {
		assert_int_equal(sem_post(&p->ping), 0);
		assert_int_equal(sem_wait(&p->pong), 0);
	}
	assert_int_equal(sem_wait(&p->done), 0);
	usleep(20000); /* the child is asleep by now, most likely */
	assert_int_equal(sem_post(&p->ping), 0);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(value_of(&p->ping), 0);
	assert_int_equal(waiters_of(&p->ping), 0);
	munmap(p, sizeof *p);
}

/*
 * Signals.  A shared wait interrupted by a handler returns EINTR as
 * glibc's does: sem_wait only for a handler without SA_RESTART (the
 * kernel restarts it otherwise), sem_timedwait always.
 */
static void on_usr1(int sig)
{
	(void)sig;
}

struct intr {
	sem_t *s;
	bool timed;
	_Atomic pid_t tid;
	int ret, err;
};

static void *intr_waiter(void *arg)
{
	struct intr *w = arg;
	w->tid = (pid_t)syscall(SYS_gettid);
	struct timespec dl = deadline_in(CLOCK_REALTIME, 20000);
	errno = 0;
	w->ret = w->timed ? sem_timedwait(w->s, &dl) : sem_wait(w->s);
	w->err = errno;
	return NULL;
}

static void interrupt_wait(sem_t *s, bool timed, int sa_flags, int *ret,
			   int *err)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = sa_flags };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	struct intr w = { .s = s, .timed = timed };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, intr_waiter, &w), 0);
	until_asleep_on(s, &w.tid);
	syscall(SYS_tgkill, getpid(), w.tid, SIGUSR1);
	usleep(30000);
	/* Still asleep (restarted) or already out with EINTR: post either
	 * way so a restarted wait ends. */
	sem_post(s);
	assert_int_equal(join_within(t, NULL, 10), 0);
	*ret = w.ret;
	*err = w.err;
	signal(SIGUSR1, SIG_DFL);
}

static void test_shared_wait_eintr(void **state)
{
	(void)state;
	sem_t s;
	int ret, err;
	sem_init(&s, 1, 0);
	interrupt_wait(&s, false, 0, &ret, &err);
	assert_int_equal(ret, -1);
	assert_int_equal(err, EINTR);
	assert_int_equal(sem_trywait(&s), 0); /* the post is still there */

	interrupt_wait(&s, false, SA_RESTART, &ret, &err);
	assert_int_equal(ret, 0);
	assert_int_equal(value_of(&s), 0);

	interrupt_wait(&s, true, SA_RESTART, &ret, &err);
	assert_int_equal(ret, -1);
	assert_int_equal(err, EINTR);
	assert_int_equal(sem_trywait(&s), 0);
	assert_int_equal(waiters_of(&s), 0);
}

/* A private wait does not lose its post to a signal. */
static void test_private_wait_survives_signal(void **state)
{
	(void)state;
	sem_t s;
	int ret, err;
	sem_init(&s, 0, 0);
	interrupt_wait(&s, false, SA_RESTART, &ret, &err);
	assert_int_equal(ret, 0);
	assert_int_equal(value_of(&s), 0);
	assert_int_equal(waiters_of(&s), 0);
}

/*
 * Cancellation: a thread blocked in sem_wait is cancelled; it leaves
 * without a unit and without staying registered as a waiter.
 */
struct cancel_wait {
	sem_t s;
	_Atomic pid_t tid;
};

static void *cancel_waiter(void *arg)
{
	struct cancel_wait *w = arg;
	w->tid = (pid_t)syscall(SYS_gettid);
	sem_wait(&w->s);
	return (void *)1;
}

static void cancel_blocked_wait(int pshared)
{
	struct cancel_wait w = { .tid = 0 };
	sem_t *s = &w.s;
	sem_init(s, pshared, 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, cancel_waiter, &w), 0);
	until_asleep_on(s, &w.tid);
	assert_int_equal(pthread_cancel(t), 0);
	void *ret = NULL;
	assert_int_equal(join_within(t, &ret, 10), 0);
	assert_ptr_equal(ret, PTHREAD_CANCELED);
	assert_int_equal(waiters_of(s), 0);
	assert_int_equal(value_of(s), 0);
}

static void test_cancel_blocked_private(void **state)
{
	(void)state;
	cancel_blocked_wait(0);
}

static void test_cancel_blocked_shared(void **state)
{
	(void)state;
	cancel_blocked_wait(1);
}

/* sem_wait is a cancellation point even when it need not block. */
static void *cancel_self_then_wait(void *arg)
{
	pthread_cancel(pthread_self());
	sem_wait(arg);
	return (void *)1;
}

static void test_wait_is_cancellation_point(void **state)
{
	(void)state;
	sem_t s;
	sem_init(&s, 0, 5);
	pthread_t t;
	void *ret = NULL;
	assert_int_equal(pthread_create(&t, NULL, cancel_self_then_wait, &s), 0);
	assert_int_equal(join_within(t, &ret, 10), 0);
	assert_ptr_equal(ret, PTHREAD_CANCELED);
	assert_int_equal(value_of(&s), 5);
}

/* ---- named semaphores ---- */

static char sem_name[64];
static char sem_file[96];

static void name_for_test(const char *tag)
{
	snprintf(sem_name, sizeof sem_name, "/libshim-test-%s-%d", tag,
		 (int)getpid());
	snprintf(sem_file, sizeof sem_file, "/dev/shm/sem.%s", sem_name + 1);
	sem_unlink(sem_name);
}

static void test_named_open_close_unlink(void **state)
{
	(void)state;
	name_for_test("basic");
	errno = 0;
	assert_ptr_equal(sem_open(sem_name, 0), SEM_FAILED);
	assert_int_equal(errno, ENOENT);

	mode_t old = umask(022);
	sem_t *a = sem_open(sem_name, O_CREAT | O_EXCL, 0660, 3);
	umask(old);
	assert_ptr_not_equal(a, SEM_FAILED);
	struct stat st;
	assert_int_equal(stat(sem_file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640); /* mode & ~umask */
	assert_int_equal(st.st_size, sizeof(sem_t));
	assert_int_equal(value_of(a), 3);

	/* The same name maps to the same address, however it is opened. */
	sem_t *b = sem_open(sem_name, 0);
	sem_t *c = sem_open(sem_name, O_CREAT, 0600, 99);
	assert_ptr_equal(b, a);
	assert_ptr_equal(c, a);
	assert_int_equal(value_of(c), 3); /* O_CREAT did not re-initialise */
	errno = 0;
	assert_ptr_equal(sem_open(sem_name, O_CREAT | O_EXCL, 0600, 0),
			 SEM_FAILED);
	assert_int_equal(errno, EEXIST);

	assert_int_equal(sem_trywait(b), 0);
	assert_int_equal(value_of(a), 2);

	/* Three references: the third close unmaps, a fourth is EINVAL. */
	assert_int_equal(sem_close(a), 0);
	assert_int_equal(sem_close(b), 0);
	assert_int_equal(value_of(c), 2);
	assert_int_equal(sem_close(c), 0);
	errno = 0;
	assert_int_equal(sem_close(c), -1);
	assert_int_equal(errno, EINVAL);
	sem_t unnamed;
	sem_init(&unnamed, 0, 0);
	errno = 0;
	assert_int_equal(sem_close(&unnamed), -1);
	assert_int_equal(errno, EINVAL);

	/* The file keeps the value across a close and reopen. */
	sem_t *d = sem_open(sem_name, 0);
	assert_ptr_not_equal(d, SEM_FAILED);
	assert_int_equal(value_of(d), 2);
	assert_int_equal(sem_close(d), 0);

	assert_int_equal(sem_unlink(sem_name), 0);
	errno = 0;
	assert_int_equal(sem_unlink(sem_name), -1);
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_int_equal(stat(sem_file, &st), -1);
}

static void test_named_errors(void **state)
{
	(void)state;
	static const char *bad[] = { "", "/", "//", "a/b", "/x/" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		assert_ptr_equal(sem_open(bad[i], O_CREAT, 0600, 0), SEM_FAILED);
		assert_int_equal(errno, EINVAL);
		errno = 0;
		assert_int_equal(sem_unlink(bad[i]), -1);
		assert_int_equal(errno, ENOENT);
	}
	char longname[300];
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	errno = 0;
	assert_ptr_equal(sem_open(longname, O_CREAT, 0600, 0), SEM_FAILED);
	assert_int_equal(errno, EINVAL);
	/* 255 fits glibc's buffer, but "sem." + 255 is too long a file name. */
	longname[255] = '\0';
	errno = 0;
	assert_ptr_equal(sem_open(longname, O_CREAT, 0600, 0), SEM_FAILED);
	assert_int_equal(errno, ENAMETOOLONG);

	name_for_test("errors");
	errno = 0;
	assert_ptr_equal(sem_open(sem_name, O_CREAT, 0600,
				  (unsigned)SEM_VALUE_MAX + 1), SEM_FAILED);
	assert_int_equal(errno, EINVAL);
	/* Leading slashes are skipped for the file, as glibc does. */
	sem_t *s = sem_open(sem_name + 1, O_CREAT | O_EXCL, 0600, 1);
	assert_ptr_not_equal(s, SEM_FAILED);
	assert_int_equal(access(sem_file, F_OK), 0);
	assert_int_equal(sem_close(s), 0);
	assert_int_equal(sem_unlink(sem_name), 0);
}

/* Named semaphore across fork: the child opens it by name and posts;
 * the parent, blocked in sem_wait, takes every post. */
static void test_named_across_fork(void **state)
{
	(void)state;
	name_for_test("fork");
	sem_t *s = sem_open(sem_name, O_CREAT | O_EXCL, 0600, 0);
	assert_ptr_not_equal(s, SEM_FAILED);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(30);
		sem_t *c = sem_open(sem_name, 0);
		if (c == SEM_FAILED)
			_exit(1);
		for (int i = 0; i < 1000; i++) {
			if (i % 100 == 0)
				usleep(2000); /* let the parent fall asleep */
			sem_post(c);
		}
		_exit(sem_close(c) == 0 ? 0 : 2);
	}
	for (int i = 0; i < 1000; i++)
		assert_int_equal(sem_wait(s), 0);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(value_of(s), 0);
	assert_int_equal(sem_close(s), 0);
	assert_int_equal(sem_unlink(sem_name), 0);
}

/*
 * The layout is glibc's: a fork child that uses glibc's own semaphore
 * functions on the same named semaphores interoperates with libshim in
 * the parent, both ways: on "down" glibc sleeps and libshim posts, on
 * "up" libshim sleeps and glibc posts.
 */
typedef sem_t *(*open_fn)(const char *, int, ...);
typedef int (*sem_fn)(sem_t *);

static void test_named_interoperates_with_glibc(void **state)
{
	(void)state;
	open_fn g_open = (open_fn)dlvsym(RTLD_NEXT, "sem_open", "GLIBC_2.34");
	sem_fn g_wait = (sem_fn)dlvsym(RTLD_NEXT, "sem_wait", "GLIBC_2.34");
	sem_fn g_post = (sem_fn)dlvsym(RTLD_NEXT, "sem_post", "GLIBC_2.34");
	if (g_open == NULL || g_wait == NULL || g_post == NULL)
		skip();
	char up[sizeof sem_name];
	name_for_test("glibc-up");
	memcpy(up, sem_name, sizeof up);
	name_for_test("glibc-down");
	sem_t *down_s = sem_open(sem_name, O_CREAT | O_EXCL, 0600, 0);
	sem_t *up_s = sem_open(up, O_CREAT | O_EXCL, 0600, 0);
	assert_ptr_not_equal(down_s, SEM_FAILED);
	assert_ptr_not_equal(up_s, SEM_FAILED);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(30);
		sem_t *d = g_open(sem_name, 0), *u = g_open(up, 0);
		if (d == SEM_FAILED || u == SEM_FAILED)
			_exit(1);
		for (int i = 0; i < 200; i++)
			if (g_wait(d) != 0)
				_exit(2);
		for (int i = 0; i < 200; i++) {
			if (i % 20 == 0)
				usleep(2000); /* let the parent fall asleep */
			g_post(u);
		}
		_exit(0);
	}
	for (int i = 0; i < 200; i++) {
		if (i % 20 == 0)
			usleep(2000);
		assert_int_equal(sem_post(down_s), 0);
	}
	for (int i = 0; i < 200; i++)
		assert_int_equal(sem_wait(up_s), 0);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(value_of(down_s), 0);
	assert_int_equal(waiters_of(down_s), 0);
	assert_int_equal(value_of(up_s), 0);
	assert_int_equal(waiters_of(up_s), 0);
	assert_int_equal(sem_close(down_s), 0);
	assert_int_equal(sem_close(up_s), 0);
	assert_int_equal(sem_unlink(sem_name), 0);
	assert_int_equal(sem_unlink(up), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_post_trywait_getvalue),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_timeouts_both_clocks),
		cmocka_unit_test(test_invalid_timeouts),
		cmocka_unit_test(test_timedwait_woken_by_post),
		cmocka_unit_test(test_counting_private),
		cmocka_unit_test(test_counting_shared_flag),
		cmocka_unit_test(test_producer_consumer),
		cmocka_unit_test(test_pshared_across_fork),
		cmocka_unit_test(test_shared_wait_eintr),
		cmocka_unit_test(test_private_wait_survives_signal),
		cmocka_unit_test(test_cancel_blocked_private),
		cmocka_unit_test(test_cancel_blocked_shared),
		cmocka_unit_test(test_wait_is_cancellation_point),
		cmocka_unit_test(test_named_open_close_unlink),
		cmocka_unit_test(test_named_errors),
		cmocka_unit_test(test_named_across_fork),
		cmocka_unit_test(test_named_interoperates_with_glibc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
