/* test/unit/testutil.c -- see testutil.h. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "../emulated.h"
#include "testutil.h"

struct timespec deadline_in(clockid_t clock, long ms)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

long ms_since(clockid_t clock, const struct timespec *start)
{
	struct timespec now;
	clock_gettime(clock, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

int in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	void *r;
	assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
	assert_int_equal(pthread_join(t, &r), 0);
	return (int)(intptr_t)r;
}

void *mutex_lock_op(void *m)
{
	return (void *)(intptr_t)pthread_mutex_lock(m);
}

void *mutex_trylock_op(void *m)
{
	return (void *)(intptr_t)pthread_mutex_trylock(m);
}

void *mutex_unlock_op(void *m)
{
	return (void *)(intptr_t)pthread_mutex_unlock(m);
}

pid_t fork_holder(pthread_mutex_t *m, int (*lock)(pthread_mutex_t *),
		  _Atomic int *held)
{
	atomic_store(held, 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (lock(m) != 0)
			_exit(1);
		atomic_store(held, 1);
		for (;;)
			pause();
	}
	while (!atomic_load(held))
		usleep(1000);
	return pid;
}

long task_stat_field(pid_t tid, int field)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return LONG_MIN;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The name (field 2) may hold spaces and parentheses: count from the
	 * last ')'. */
	char *p = strrchr(buf, ')');
	if (p == NULL)
		return LONG_MIN;
	p += 2;
	for (int i = 3; i < field; i++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return LONG_MIN;
		p++;
	}
	return field == 3 ? *p : strtol(p, NULL, 10);
}

bool thread_asleep(pid_t tid)
{
	return task_stat_field(tid, 3) == 'S';
}

static _Atomic bool stalled;
static int stall_pipe[2];

static void stall_handler(int sig)
{
	(void)sig;
	char byte;
	atomic_store(&stalled, true);
	while (read(stall_pipe[0], &byte, 1) < 0 && errno == EINTR)
		continue;
	close(stall_pipe[0]);
}

void stall_thread(pthread_t t)
{
	assert_int_equal(pipe(stall_pipe), 0);
	struct sigaction sa = { .sa_handler = stall_handler };
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	atomic_store(&stalled, false);
	assert_int_equal(pthread_kill(t, SIGUSR1), 0);
	while (!atomic_load(&stalled))
		usleep(1000);
}

void release_stalled(void)
{
	assert_int_equal(write(stall_pipe[1], "x", 1), 1);
	close(stall_pipe[1]);
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	assert_int_equal(sigaction(SIGUSR1, &dfl, NULL), 0);
}

bool testutil_emulated(void)
{
	return test_emulated();
}

static _Atomic int skipped;

void testutil_note_skip(const char *why)
{
	fprintf(stderr, "skipped: %s\n", why);
	skipped = 1;
}

int testutil_status(int failed)
{
	return failed ? failed : skipped ? 77 : 0;
}

bool testutil_no_robust_lists(void)
{
	void *head;
	size_t len;
	return syscall(SYS_get_robust_list, 0, &head, &len) != 0 &&
	       errno == ENOSYS;
}
