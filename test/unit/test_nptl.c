/*
 * What glibc 2.36's own nptl tests found libshim doing differently from
 * glibc, one reproducer each, named after the glibc test (the tests
 * themselves run with test/glibc/run.py, outside CI).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

/* ---- tst-pthread_kill-exiting ------------------------------------ */

static _Atomic pthread_t kill_target;
static _Atomic int kill_stop, kill_errors;
static _Atomic int kill_busy; /* senders that may hold kill_target */

static void *kill_sender(void *arg)
{
	(void)arg;
	while (!kill_stop) {
		kill_busy++;
		pthread_t t = kill_target;
		if (t != 0 && pthread_kill(t, SIGUSR1) != 0)
			kill_errors++;
		kill_busy--;
	}
	return NULL;
}

static void *exit_at_once(void *arg)
{
	return arg;
}

/* A thread that exits while others signal it: pthread_kill says 0, even
 * when the thread is gone between the read of its tid and the tgkill. */
static void test_kill_exiting(void **state)
{
	(void)state;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	sigaction(SIGUSR1, &ign, &old);
	pthread_t senders[3];
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&senders[i], NULL, kill_sender,
						NULL), 0);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (ms_since(CLOCK_MONOTONIC, &start) < 500) {
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, exit_at_once, NULL), 0);
		kill_target = t;
		usleep(50);
		kill_target = 0;
		while (kill_busy != 0) /* no sender still holds t */
			;
		assert_int_equal(pthread_join(t, NULL), 0);
	}
	kill_stop = 1;
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_join(senders[i], NULL), 0);
	sigaction(SIGUSR1, &old, NULL);
	assert_int_equal(kill_errors, 0);
}

/* ---- tst-join5 (and join8, join10, join12) ----------------------- */

static void *join_creator(void *main_thread)
{
	pthread_join((pthread_t)main_thread, NULL); /* cancelled here */
	return NULL;
}

/* A thread joins us and is cancelled there: joining it is no deadlock. */
static void test_join_cancelled_joiner(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, join_creator,
						(void *)pthread_self()), 0);
		usleep(100 * 1000); /* it is parked in its join of us */
		assert_int_equal(pthread_cancel(t), 0);
		void *r = NULL;
		assert_int_equal(pthread_join(t, &r), 0);
		assert_ptr_equal(r, PTHREAD_CANCELED);
		assert_int_equal(pthread_join(pthread_self(), NULL), EDEADLK);
	}
}

/* ---- tst-attr3, tst-pthread-getattr ------------------------------ */

extern void *__libc_stack_end;

static void main_stack(void **low, size_t *size)
{
	pthread_attr_t a;
	assert_int_equal(pthread_getattr_np(pthread_self(), &a), 0);
	assert_int_equal(pthread_attr_getstack(&a, low, size), 0);
	size_t guard = 1;
	assert_int_equal(pthread_attr_getguardsize(&a, &guard), 0);
	assert_int_equal(guard, 0);
	pthread_attr_destroy(&a);
}

/* Touch the page that holds target: a stack that is not there faults. */
static __attribute__((noinline)) uintptr_t reach(char *target)
{
	volatile char *mem = (char *)&mem;
	mem = __builtin_alloca((size_t)(mem - target));
	*mem = 42;
	return (uintptr_t)mem;
}

/* The initial thread's stack as glibc reports it: its top the page above
 * __libc_stack_end, its size in pages and within RLIMIT_STACK, all of it
 * usable; and its affinity the thread's. */
static void test_getattr_main_stack(void **state)
{
	(void)state;
	uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	void *low;
	size_t size;
	main_stack(&low, &size);
	uintptr_t top = (uintptr_t)low + size;
	assert_true(low != NULL);
	assert_int_equal(top, ((uintptr_t)__libc_stack_end & ~(ps - 1)) + ps);
	assert_int_equal(size % ps, 0);
	assert_true((uintptr_t)low < (uintptr_t)&low && (uintptr_t)&low < top);

	struct rlimit old, rl;
	assert_int_equal(getrlimit(RLIMIT_STACK, &old), 0);
	rl = old;
	rl.rlim_cur = 2 * 1024 * 1024 + 1; /* unaligned on purpose */
	assert_int_equal(setrlimit(RLIMIT_STACK, &rl), 0);
	/* qemu-user takes the call and leaves the host's limit as it was. */
	struct rlimit now;
	assert_int_equal(getrlimit(RLIMIT_STACK, &now), 0);
	bool limit_set = now.rlim_cur == rl.rlim_cur;
	if (limit_set) {
		main_stack(&low, &size);
		assert_int_equal(size % ps, 0);
		assert_true(size <= rl.rlim_cur);
		uintptr_t mem = reach((char *)low + ps / 2);
		assert_int_equal(mem & ~(ps - 1), (uintptr_t)low & ~(ps - 1));
	}
	assert_int_equal(setrlimit(RLIMIT_STACK, &old), 0);

	cpu_set_t mine, reported;
	pthread_attr_t a;
	assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof mine,
						&mine), 0);
	assert_int_equal(pthread_getattr_np(pthread_self(), &a), 0);
	memset(&reported, 0x55, sizeof reported);
	assert_int_equal(pthread_attr_getaffinity_np(&a, sizeof reported,
						     &reported), 0);
	assert_memory_equal(&mine, &reported, sizeof mine);
	pthread_attr_destroy(&a);
	if (!limit_set)
		TESTUTIL_SKIP("setrlimit(RLIMIT_STACK) left the limit as it "
			      "was (qemu-user): a lower limit was not tried");
}

/* ---- tst-mutex8, tst-mutexpi8 ------------------------------------ */

static pthread_mutex_t waited_m;
static pthread_cond_t waited_c = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t waited_b;
static _Atomic int waited_done;

static void *cond_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&waited_m);
	pthread_barrier_wait(&waited_b);
	while (!waited_done)
		pthread_cond_wait(&waited_c, &waited_m);
	pthread_mutex_unlock(&waited_m);
	return NULL;
}

/* A mutex a condition variable's waiter released is still in use:
 * destroying it is EBUSY, of every type and protocol, as with glibc. */
static void test_destroy_mutex_of_cond_waiter(void **state)
{
	(void)state;
	static const int types[] = { PTHREAD_MUTEX_NORMAL,
				     PTHREAD_MUTEX_RECURSIVE,
				     PTHREAD_MUTEX_ERRORCHECK };
	for (int pi = 0; pi < 2; pi++)
		for (unsigned i = 0; i < sizeof types / sizeof *types; i++) {
			pthread_mutexattr_t ma;
			pthread_mutexattr_init(&ma);
			pthread_mutexattr_settype(&ma, types[i]);
			if (pi)
				pthread_mutexattr_setprotocol(
					&ma, PTHREAD_PRIO_INHERIT);
			assert_int_equal(pthread_mutex_init(&waited_m, &ma), 0);
			pthread_mutexattr_destroy(&ma);
			pthread_barrier_init(&waited_b, NULL, 2);
			waited_done = 0;
			pthread_t t;
			assert_int_equal(pthread_create(&t, NULL, cond_waiter,
							NULL), 0);
			pthread_barrier_wait(&waited_b);
			assert_int_equal(pthread_mutex_lock(&waited_m), 0);
			assert_int_equal(pthread_mutex_unlock(&waited_m), 0);
			assert_int_equal(pthread_mutex_destroy(&waited_m),
					 EBUSY);
			pthread_mutex_lock(&waited_m);
			waited_done = 1;
			pthread_cond_signal(&waited_c);
			pthread_mutex_unlock(&waited_m);
			assert_int_equal(pthread_join(t, NULL), 0);
			assert_int_equal(pthread_mutex_destroy(&waited_m), 0);
			pthread_barrier_destroy(&waited_b);
		}
}

/* ---- tst-mutexpp10 ----------------------------------------------- */

static int kernel_priority(void)
{
	struct sched_param p;
	assert_int_equal(sched_getparam(0, &p), 0);
	return p.sched_priority;
}

static int own_priority(void)
{
	struct sched_param p;
	int policy;
	assert_int_equal(pthread_getschedparam(pthread_self(), &policy, &p), 0);
	return p.sched_priority;
}

static int set_fifo(int prio)
{
	struct sched_param p = { .sched_priority = prio };
	return pthread_setschedparam(pthread_self(), SCHED_FIFO, &p);
}

/* Changing one's priority while holding a PP mutex keeps the boost, and
 * the new priority is the thread's own: reported, and returned to. */
static void test_pp_setschedparam_while_boosted(void **state)
{
	(void)state;
	if (set_fifo(4) != 0)
		skip(); /* SCHED_FIFO refused: not root */
	pthread_mutexattr_t ma;
	pthread_mutex_t m3, m7;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_PROTECT);
	pthread_mutexattr_setprioceiling(&ma, 5);
	assert_int_equal(pthread_mutex_init(&m3, &ma), 0);
	pthread_mutexattr_setprioceiling(&ma, 7);
	assert_int_equal(pthread_mutex_init(&m7, &ma), 0);
	pthread_mutexattr_destroy(&ma);

	assert_int_equal(pthread_mutex_lock(&m7), 0);
	assert_int_equal(kernel_priority(), 7);
	assert_int_equal(own_priority(), 4);
	assert_int_equal(set_fifo(6), 0);
	assert_int_equal(kernel_priority(), 7); /* still boosted */
	assert_int_equal(own_priority(), 6);
	assert_int_equal(set_fifo(8), 0);
	assert_int_equal(kernel_priority(), 8);
	assert_int_equal(pthread_mutex_unlock(&m7), 0);
	assert_int_equal(kernel_priority(), 8); /* its own, not 4 */
	/* Own priority 8 is above m3's ceiling 5: EINVAL (POSIX). */
	assert_int_equal(pthread_mutex_lock(&m3), EINVAL);
	assert_int_equal(pthread_mutex_lock(&m7), EINVAL);
	assert_int_equal(pthread_setschedprio(pthread_self(), 6), 0);
	assert_int_equal(pthread_mutex_lock(&m7), 0);
	assert_int_equal(pthread_setschedprio(pthread_self(), 5), 0);
	assert_int_equal(kernel_priority(), 7);
	assert_int_equal(own_priority(), 5);
	assert_int_equal(pthread_mutex_unlock(&m7), 0);
	assert_int_equal(kernel_priority(), 5);

	pthread_mutex_destroy(&m3);
	pthread_mutex_destroy(&m7);
	struct sched_param other = { 0 };
	assert_int_equal(pthread_setschedparam(pthread_self(), SCHED_OTHER,
					       &other), 0);
}

/* ---- tst-rwlock16 ------------------------------------------------ */

static pthread_rwlock_t rw16;
static pthread_mutex_t rw16_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rw16_c = PTHREAD_COND_INITIALIZER;
static _Atomic int rw16_holding, rw16_signalled, rw16_stop;

/* Holds a read lock while it waits for a reader to signal it. */
static void *rw16_consumer(void *warm)
{
	/* warm: enough read locks first that the lock takes its read bias
	 * and this reader's next share is in its slot. */
	for (int i = 0; warm && i < 256; i++) {
		pthread_rwlock_rdlock(&rw16);
		pthread_rwlock_unlock(&rw16);
	}
	pthread_rwlock_rdlock(&rw16);
	pthread_mutex_lock(&rw16_m);
	rw16_holding = 1;
	struct timespec d = deadline_in(CLOCK_REALTIME, 5000);
	int e = 0;
	while (!rw16_signalled && e == 0)
		e = pthread_cond_timedwait(&rw16_c, &rw16_m, &d);
	pthread_mutex_unlock(&rw16_m);
	pthread_rwlock_unlock(&rw16);
	return (void *)(intptr_t)e;
}

static void *rw16_writer(void *arg)
{
	(void)arg;
	while (!rw16_stop) {
		pthread_rwlock_wrlock(&rw16);
		pthread_rwlock_unlock(&rw16);
	}
	return NULL;
}

/* With glibc's default (reader-preferring) kind, a reader may wait for
 * another reader while a writer waits: the second reader gets in. */
static void rw16_case(bool warm)
{
	pthread_rwlock_init(&rw16, NULL);
	rw16_holding = rw16_signalled = rw16_stop = 0;
	pthread_t c, w;
	assert_int_equal(pthread_create(&c, NULL, rw16_consumer,
					(void *)(intptr_t)warm), 0);
	while (!rw16_holding)
		usleep(1000);
	assert_int_equal(pthread_create(&w, NULL, rw16_writer, NULL), 0);
	usleep(50 * 1000); /* the writer waits for the consumer */
	struct timespec d = deadline_in(CLOCK_REALTIME, 3000);
	assert_int_equal(pthread_rwlock_timedrdlock(&rw16, &d), 0);
	pthread_mutex_lock(&rw16_m);
	rw16_signalled = 1;
	pthread_cond_signal(&rw16_c);
	pthread_mutex_unlock(&rw16_m);
	assert_int_equal(pthread_rwlock_unlock(&rw16), 0);
	void *r;
	assert_int_equal(pthread_join(c, &r), 0);
	assert_int_equal((intptr_t)r, 0);
	rw16_stop = 1;
	assert_int_equal(pthread_join(w, NULL), 0);
	pthread_rwlock_destroy(&rw16);
}

static void test_rwlock_reader_waits_for_reader(void **state)
{
	(void)state;
	rw16_case(false); /* the consumer's share in the lock word */
	rw16_case(true);  /* in its bias slot */
}

/* glibc's loop itself: two writers, a reader that signals, and a reader
 * that holds its share while it waits for that signal.  The signalling
 * reader often arrives while a writer holds the lock; the write unlock
 * then hands the lock to the other writer, which waits for the holding
 * reader: the signalling reader must not sleep there for good. */
static _Atomic int rw16_loop_stop, rw16_consumer_stop;

static void *rw16_loop_writer(void *arg)
{
	(void)arg;
	while (!rw16_loop_stop) {
		pthread_rwlock_wrlock(&rw16);
		pthread_rwlock_unlock(&rw16);
	}
	return NULL;
}

static void *rw16_loop_producer(void *arg)
{
	(void)arg;
	for (int stop = 0; !stop;) {
		pthread_rwlock_rdlock(&rw16);
		stop = rw16_loop_stop;
		pthread_mutex_lock(&rw16_m);
		if (stop)
			rw16_consumer_stop = 1;
		pthread_cond_signal(&rw16_c);
		pthread_mutex_unlock(&rw16_m);
		pthread_rwlock_unlock(&rw16);
	}
	return NULL;
}

static void *rw16_loop_consumer(void *arg)
{
	(void)arg;
	for (int stop = 0; !stop;) {
		pthread_rwlock_rdlock(&rw16);
		pthread_mutex_lock(&rw16_m);
		stop = rw16_consumer_stop;
		if (!stop)
			pthread_cond_wait(&rw16_c, &rw16_m);
		pthread_mutex_unlock(&rw16_m);
		pthread_rwlock_unlock(&rw16);
	}
	return NULL;
}

static void test_rwlock_reader_behind_writer_handoff(void **state)
{
	(void)state;
	pthread_rwlock_init(&rw16, NULL);
	rw16_loop_stop = rw16_consumer_stop = 0;
	void *(*fn[])(void *) = { rw16_loop_writer, rw16_loop_writer,
				  rw16_loop_producer, rw16_loop_consumer };
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, fn[i], NULL), 0);
	usleep(500 * 1000);
	rw16_loop_stop = 1;
	/* A reader asleep for good is a hang: a failure here instead (the
	 * stuck threads keep the process from exiting: leave at once). */
	for (int i = 0; i < 4; i++) {
		struct timespec d = deadline_in(CLOCK_REALTIME, 10000);
		if (pthread_timedjoin_np(t[i], NULL, &d) != 0) {
			fprintf(stderr, "tst-rwlock16's loop hung\n");
			_exit(1);
		}
	}
	pthread_rwlock_destroy(&rw16);
}

/* ---- tst-setuid1 ------------------------------------------------ */

static _Atomic int setuid_phase;

static void *report_uids(void *arg)
{
	uid_t *out = arg;
	while (setuid_phase == 0)
		usleep(1000);
	/* This LWP's own credentials, not glibc's idea of the process's. */
	syscall(SYS_getresuid, &out[0], &out[1], &out[2]);
	return NULL;
}

/* Unprivileged with a saved uid 0, setuid(0) changes only the effective
 * uid, in every thread: none of them ends up with real or saved uid 0
 * changed (run twice in a thread, the second setuid(0) is privileged and
 * sets all three). */
static void test_setuid_applied_once(void **state)
{
	(void)state;
	if (getuid() != 0) /* CI runs as root; fail rather than pass blind */
		fail_msg("test_setuid_applied_once needs root");
	pid_t pid = fork();
	if (pid == 0) {
		if (setresuid(65534, 65534, -1) != 0)
			_exit(10);
		uid_t seen[3] = {0};
		pthread_t t;
		if (pthread_create(&t, NULL, report_uids, seen) != 0)
			_exit(11);
		usleep(20000); /* it is running, on glibc's list too */
		if (setuid(0) != 0)
			_exit(12);
		setuid_phase = 1;
		pthread_join(t, NULL);
		_exit(seen[0] == 65534 && seen[1] == 0 && seen[2] == 0 ? 0 : 20);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- tst-pthread-setuid-loop ------------------------------------ */

static void *setuid_same(void *arg)
{
	(void)arg;
	setuid(getuid()); /* still a broadcast to every thread */
	return NULL;
}

static void *idle_thread(void *arg)
{
	for (;;)
		pause();
	return arg;
}

/* For a second, make threads that call setuid, four at a time. */
static void *create_setuid_threads(void *arg)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (ms_since(CLOCK_MONOTONIC, &start) < 1000) {
		pthread_t t[4];
		for (int i = 0; i < 4; i++)
			if (pthread_create(&t[i], NULL, setuid_same, NULL) != 0)
				_exit(11);
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
	}
	return arg;
}

/* Threads that call setuid while others are being created: every
 * broadcast ends (one whose count of threads missed a thread that its
 * signals reached waited for ever).  In a child, so that a hang is seen
 * as one. */
static void test_setuid_while_creating(void **state)
{
	(void)state;
	pid_t pid = fork();
	if (pid == 0) {
		/* Idle threads make each broadcast's walk of the list long. */
		for (int i = 0; i < 16; i++) {
			pthread_t idle;
			if (pthread_create(&idle, NULL, idle_thread, NULL) != 0)
				_exit(12);
		}
		pthread_t c[3];
		for (int i = 0; i < 3; i++)
			if (pthread_create(&c[i], NULL, create_setuid_threads,
					   NULL) != 0)
				_exit(10);
		for (int i = 0; i < 3; i++)
			pthread_join(c[i], NULL);
		_exit(0);
	}
	int st = 0;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid_t done;
	while ((done = waitpid(pid, &st, WNOHANG)) == 0 &&
	       ms_since(CLOCK_MONOTONIC, &start) < 30000)
		usleep(10000);
	if (done == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fail_msg("a set*id broadcast never ended");
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- tst-cancel25 ------------------------------------------------ */

static pthread_t c25_child;
static _Atomic int c25_blocked = -1;

static void *c25_report_mask(void *arg)
{
	(void)arg;
	sigset_t mask;
	pthread_sigmask(SIG_SETMASK, NULL, &mask);
	c25_blocked = sigismember(&mask, 32); /* glibc's SIGCANCEL */
	for (;;)
		pause();
	return NULL;
}

static void c25_cleanup(void *arg)
{
	(void)arg;
	assert_int_equal(pthread_create(&c25_child, NULL, c25_report_mask,
					NULL), 0);
}

static void *c25_cancelled(void *arg)
{
	(void)arg;
	pthread_cleanup_push(c25_cleanup, NULL);
	for (;;)
		pause();
	pthread_cleanup_pop(0);
	return NULL;
}

/* A thread made by the cleanup handler of a cancelled thread does not
 * start with SIGCANCEL blocked, so it can be cancelled in turn. */
static void test_create_in_cancel_cleanup(void **state)
{
	(void)state;
	pthread_t t;
	void *r;
	assert_int_equal(pthread_create(&t, NULL, c25_cancelled, NULL), 0);
	usleep(20 * 1000);
	assert_int_equal(pthread_cancel(t), 0);
	assert_int_equal(pthread_join(t, &r), 0);
	assert_ptr_equal(r, PTHREAD_CANCELED);
	while (c25_blocked < 0)
		usleep(1000);
	assert_int_equal(c25_blocked, 0);
	assert_int_equal(pthread_cancel(c25_child), 0);
	assert_int_equal(pthread_join(c25_child, &r), 0);
	assert_ptr_equal(r, PTHREAD_CANCELED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_exiting),
		cmocka_unit_test(test_join_cancelled_joiner),
		cmocka_unit_test(test_getattr_main_stack),
		cmocka_unit_test(test_destroy_mutex_of_cond_waiter),
		cmocka_unit_test(test_pp_setschedparam_while_boosted),
		cmocka_unit_test(test_rwlock_reader_waits_for_reader),
		cmocka_unit_test(test_rwlock_reader_behind_writer_handoff),
		cmocka_unit_test(test_setuid_applied_once),
		cmocka_unit_test(test_setuid_while_creating),
		cmocka_unit_test(test_create_in_cancel_cleanup),
	};
	return testutil_status(cmocka_run_group_tests(tests, NULL, NULL));
}
