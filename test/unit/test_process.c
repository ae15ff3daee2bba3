/* fork.c, setxid.c, signal.c, sched.c: threads and the process around them. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

static _Atomic int stop;
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;

static void *lock_churn(void *arg)
{
	(void)arg;
	while (!stop) {
		pthread_mutex_lock(&busy_lock);
		pthread_mutex_unlock(&busy_lock);
	}
	return NULL;
}

static void *child_worker(void *arg);

static void *create_churn(void *arg)
{
	(void)arg;
	while (!stop) {
		pthread_t t;
		if (pthread_create(&t, NULL, child_worker, NULL) == 0)
			pthread_join(t, NULL);
	}
	return NULL;
}

static void *child_worker(void *arg)
{
	return arg;
}

/* In a fork child: lock, create and join threads, exit cleanly. */
static pthread_mutex_t child_lock = PTHREAD_MUTEX_INITIALIZER;
static long child_count;

static void *child_locker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&child_lock);
		child_count++;
		pthread_mutex_unlock(&child_lock);
	}
	return NULL;
}

/* A user mutex another thread held at fork stays held in the child (POSIX):
 * the child uses its own.  libshim's internal locks must all be usable. */
static int child_body(void)
{
	pthread_t l[3];
	for (int i = 0; i < 3; i++)
		if (pthread_create(&l[i], NULL, child_locker, NULL))
			return 3;
	for (int i = 0; i < 3; i++)
		pthread_join(l[i], NULL);
	if (child_count != 3 * 2000)
		return 4;
	for (int i = 0; i < 4; i++) {
		pthread_t t;
		void *r;
		if (pthread_create(&t, NULL, child_worker, (void *)(intptr_t)(i + 1)))
			return 1;
		if (pthread_join(t, &r) || (intptr_t)r != i + 1)
			return 2;
	}
	return 0;
}

static void *forker(void *arg)
{
	int rounds = (int)(intptr_t)arg, bad = 0;
	for (int i = 0; i < rounds; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(child_body());
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			bad++;
	}
	return (void *)(intptr_t)bad;
}

static void test_fork_from_thread_while_others_lock(void **state)
{
	(void)state;
	/* Seen with glibc's own pthreads under qemu-aarch64 7.2: nearly
	 * every such child hangs on a futex of qemu's or exits 127. */
	if (testutil_emulated())
		TESTUTIL_SKIP("qemu-user: a child forked while other threads "
			      "run hangs in the emulator's own locks");
	pthread_t a, b, c, f;
	stop = 0;
	pthread_create(&a, NULL, lock_churn, NULL);
	pthread_create(&b, NULL, lock_churn, NULL);
	pthread_create(&c, NULL, create_churn, NULL);
	void *bad;
	pthread_create(&f, NULL, forker, (void *)60);
	pthread_join(f, &bad);
	stop = 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_join(c, NULL);
	assert_int_equal((intptr_t)bad, 0);
}

static _Atomic int phase;

static void *report_euid(void *arg)
{
	uid_t *out = arg;
	while (phase == 0)
		usleep(1000);
	out[0] = (uid_t)syscall(SYS_geteuid); /* this LWP's own credentials */
	return NULL;
}

static void test_setresuid_reaches_libshim_threads(void **state)
{
	(void)state;
	if (getuid() != 0) {
		/* Changing credentials needs root; the check runs in CI,
		 * which runs as root.  Fail loudly rather than pass blind. */
		fail_msg("test_setresuid needs root (CI runs as root)");
	}
	pid_t pid = fork();
	if (pid == 0) {
		uid_t seen[4] = {0};
		pthread_t t[4];
		for (int i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, report_euid, &seen[i]);
		usleep(20000);
		if (setresuid(0, 12345, 0) != 0)
			_exit(10);
		phase = 1;
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		for (int i = 0; i < 4; i++)
			if (seen[i] != 12345)
				_exit(20 + i);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static _Atomic int got_sig, got_val;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_val = si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
}

static void *wait_for_signal(void *arg)
{
	(void)arg;
	while (!got_sig)
		usleep(1000);
	return NULL;
}

static void test_kill_sigqueue_sigmask(void **state)
{
	(void)state;
	struct sigaction sa = {0};
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_t t;
	got_sig = 0;
	pthread_create(&t, NULL, wait_for_signal, NULL);
	assert_int_equal(pthread_kill(t, 0), 0);
	assert_int_equal(pthread_kill(t, 32), EINVAL); /* SIGCANCEL: glibc's */
	assert_int_equal(pthread_kill(t, 4096), EINVAL);
	union sigval v = {.sival_int = 77};
	assert_int_equal(pthread_sigqueue(t, SIGUSR1, v), 0);
	pthread_join(t, NULL);
	assert_int_equal(got_sig, SIGUSR1);
	assert_int_equal(got_val, 77);

	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &s, &old), 0);
	assert_int_equal(pthread_sigmask(12345, &s, NULL), EINVAL);
	sigset_t now;
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	assert_true(sigismember(&now, SIGUSR2));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void *idle(void *arg)
{
	while (!stop)
		usleep(1000);
	return arg;
}

static void test_names_affinity_sched_clock(void **state)
{
	(void)state;
	pthread_t t;
	stop = 0;
	pthread_create(&t, NULL, idle, NULL);
	char name[16];
	assert_int_equal(pthread_setname_np(t, "0123456789abcdefg"), ERANGE);
	assert_int_equal(pthread_setname_np(t, "worker-1"), 0);
	assert_int_equal(pthread_getname_np(t, name, 8), ERANGE);
	assert_int_equal(pthread_getname_np(t, name, sizeof name), 0);
	assert_string_equal(name, "worker-1");
	assert_int_equal(pthread_setname_np(pthread_self(), "main-x"), 0);
	assert_int_equal(pthread_getname_np(pthread_self(), name, sizeof name), 0);
	assert_string_equal(name, "main-x");

	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	assert_int_equal(pthread_setaffinity_np(t, sizeof set, &set), 0);
	cpu_set_t got;
	assert_int_equal(pthread_getaffinity_np(t, sizeof got, &got), 0);
	assert_true(CPU_ISSET(0, &got));
	assert_int_equal(CPU_COUNT(&got), 1);

	int pol;
	struct sched_param p;
	assert_int_equal(pthread_getschedparam(t, &pol, &p), 0);
	assert_int_equal(pol, SCHED_OTHER);
	p.sched_priority = 50;
	assert_int_equal(pthread_setschedparam(t, 12345, &p), EINVAL);

	clockid_t c;
	assert_int_equal(pthread_getcpuclockid(t, &c), 0);
	struct timespec ts;
	assert_int_equal(clock_gettime(c, &ts), 0);

	assert_int_equal(pthread_setconcurrency(-1), EINVAL);
	assert_int_equal(pthread_setconcurrency(3), 0);
	assert_int_equal(pthread_getconcurrency(), 3);
	stop = 1;
	pthread_join(t, NULL);
	/* A joined thread is gone. */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifndef __SANITIZE_ADDRESS__
		/* Not in the AddressSanitizer build: GCC 12's ASan allocator
		 * is not fork-safe (a lock another thread holds at fork stays
		 * held in the child, whose first malloc then spins for ever).
		 * The ordinary build runs it, and fault.forkstorm too. */
		cmocka_unit_test(test_fork_from_thread_while_others_lock),
#endif
		cmocka_unit_test(test_setresuid_reaches_libshim_threads),
		cmocka_unit_test(test_kill_sigqueue_sigmask),
		cmocka_unit_test(test_names_affinity_sched_clock),
	};
	return testutil_status(cmocka_run_group_tests(tests, NULL, NULL));
}
