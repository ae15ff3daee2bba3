/*
 * test/fault/exhaust.c -- running out of resources.
 *
 * Each case runs in a child process of its own (its limits must not
 * touch the others), and the parent reports how the child ended.
 *
 *  - address space (RLIMIT_AS a little above what the child uses) and
 *    processes (RLIMIT_NPROC, which needs a non-root uid: the child drops
 *    to an unused one first): pthread_create fails with EAGAIN, never
 *    crashes, and leaves no half-made thread behind (the kernel's task
 *    list holds exactly the threads that were made); once the threads are
 *    joined the same number can be made again, and the maps and fds are
 *    back where they were;
 *  - a thread overflowing its stack kills the process with SIGSEGV, as
 *    on glibc (the guard page is there and nothing swallows the fault).
 *
 * "same:" lines carry the outcomes the runner compares with glibc's.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"

#define MAX_MADE 4096
#define UNUSED_UID 54321 /* a uid nothing else on the machine runs as */
#define MAPS_SLACK 4     /* one more cached stack, its guard, a heap */

static int gate[2]; /* the made threads wait for a byte each */
static pthread_t made[MAX_MADE];
static int alive; /* made[0 .. alive) are waiting at the gate */

static void *wait_gate(void *arg)
{
	char c;
	while (read(gate[0], &c, 1) < 0 && errno == EINTR)
		continue;
	return arg;
}

static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	if (d == NULL)
		return -1;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Make threads until pthread_create fails; return how many were made and
 * the error in *err.  After the first failure, a few more attempts must
 * fail the same way (and not crash). */
static int make_until_failure(const pthread_attr_t *attr, int *err)
{
	int first = alive;
	*err = 0;
	while (alive < MAX_MADE && *err == 0) {
		*err = pthread_create(&made[alive], attr, wait_gate,
				      (void *)(intptr_t)alive);
		alive += *err == 0;
	}
	for (int i = 0; i < 5 && *err != 0; i++) {
		int e = pthread_create(&made[alive], attr, wait_gate,
				       (void *)(intptr_t)alive);
		CHECK(e == *err, "create after a failure: %s, first %s",
		      fault_errname(e), fault_errname(*err));
		alive += e == 0;
	}
	CHECK(count_tasks() == alive + 1, "%d tasks for %d threads made: a "
	      "half-made thread?", count_tasks(), alive);
	return alive - first;
}

/* Let every waiting thread go and join it. */
static void release_and_join(void)
{
	for (int i = 0; i < alive; i++)
		CHECK(write(gate[1], "x", 1) == 1, "write");
	for (int i = 0; i < alive; i++) {
		void *ret;
		CHECK0(pthread_join(made[i], &ret));
		CHECK(ret == (void *)(intptr_t)i, "thread %d returned %p", i,
		      ret);
	}
	alive = 0;
}

static void warm_up(void)
{
	pthread_t t;
	for (int i = 0; i < 4; i++) {
		CHECK0(pthread_create(&t, NULL, wait_gate, NULL));
		CHECK(write(gate[1], "x", 1) == 1, "write");
		CHECK0(pthread_join(t, NULL));
	}
}

static void check_footprint(const struct footprint *before)
{
	struct footprint after;
	footprint_take(&after);
	footprint_print("before", before);
	footprint_print("after", &after);
	CHECK(after.fds == before->fds, "%d fds, %d before", after.fds,
	      before->fds);
	CHECK(after.maps <= before->maps + MAPS_SLACK,
	      "%d lines of maps, %d before", after.maps, before->maps);
}

/* What the second round made, against the first: the same again. */
static void check_again(const char *what, int first, int again, int err)
{
	printf("%s: %d threads made, then %s; %d again after joining\n",
	       what, first, fault_errname(err), again);
	CHECK(again >= first, "%s: %d threads the first time, %d after "
	      "joining them: resources were not given back", what, first,
	      again);
}

/* ---- RLIMIT_AS -------------------------------------------------------- */

static long vm_size_bytes(void)
{
	long pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");
	if (f != NULL) {
		if (fscanf(f, "%ld", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * sysconf(_SC_PAGESIZE);
}

static void set_as_limit(rlim_t cur)
{
	struct rlimit r = { cur, RLIM_INFINITY };
	CHECK(setrlimit(RLIMIT_AS, &r) == 0, "setrlimit(RLIMIT_AS): %s",
	      strerror(errno));
}

/* Exhaust the address space, with default stacks and then small ones;
 * join everything; do it again.  Returns the threads made. */
static int exhaust_address_space(void)
{
	/* Room for a few default (8 MiB) stacks and not much else. */
	set_as_limit((rlim_t)vm_size_bytes() + (48ul << 20));

	int err;
	int n = make_until_failure(NULL, &err);
	CHECK(err == EAGAIN, "pthread_create at the limit: %s, want EAGAIN",
	      fault_errname(err));
	CHECK(n < MAX_MADE, "RLIMIT_AS never stopped pthread_create");
	printf("same: RLIMIT_AS, default stacks: pthread_create -> %s\n",
	       fault_errname(err));

	/* Small stacks fit where the big ones did not, up to a limit too. */
	pthread_attr_t small;
	pthread_attr_init(&small);
	pthread_attr_setstacksize(&small, 64 << 10);
	int small_err;
	int more = make_until_failure(&small, &small_err);
	pthread_attr_destroy(&small);
	printf("same: RLIMIT_AS, 64 KiB stacks after that: pthread_create "
	       "-> %s\n", fault_errname(small_err));
	release_and_join();

	int err2;
	int n2 = make_until_failure(NULL, &err2);
	check_again("RLIMIT_AS", n, n2, err);
	release_and_join();
	set_as_limit(RLIM_INFINITY);
	return n + more + n2;
}

static int case_address_space(void)
{
	warm_up();
	int n = exhaust_address_space();
	/* The thread library may keep the dead threads' memory for reuse
	 * (in amounts of its own choosing): a second round must find it
	 * and leave no more behind than the first. */
	struct footprint before;
	footprint_take(&before);
	n += exhaust_address_space();
	check_footprint(&before);
	return n + 4;
}

/* ---- RLIMIT_NPROC ----------------------------------------------------- */

/* Exhaust the task limit, join everything, do it again. */
static int exhaust_processes(void)
{
	int err;
	int n = make_until_failure(NULL, &err);
	CHECK(err == EAGAIN, "pthread_create at the limit: %s, want EAGAIN",
	      fault_errname(err));
	printf("same: RLIMIT_NPROC 6: %d threads, then pthread_create -> %s\n",
	       n, fault_errname(err));
	release_and_join();

	/* The kernel counts a task until it is reaped, a moment after the
	 * join: retry the first create for a while. */
	int e = EAGAIN;
	pthread_t t;
	for (int i = 0; i < 200 && e == EAGAIN; i++) {
		e = pthread_create(&t, NULL, wait_gate, NULL);
		if (e == EAGAIN)
			usleep(10000);
	}
	CHECK(e == 0, "pthread_create after joining: %s", fault_errname(e));
	if (e == 0) {
		CHECK(write(gate[1], "x", 1) == 1, "write");
		CHECK0(pthread_join(t, NULL));
	}
	usleep(100000);
	int err2;
	int n2 = make_until_failure(NULL, &err2);
	check_again("RLIMIT_NPROC", n, n2, err);
	release_and_join();
	usleep(100000);
	return n + n2 + 1;
}

static int case_processes(void)
{
	if (geteuid() == 0) {
		/* Root ignores RLIMIT_NPROC: become an unused user. */
		CHECK(setgroups(0, NULL) == 0, "setgroups: %s",
		      strerror(errno));
		CHECK(setresgid(UNUSED_UID, UNUSED_UID, UNUSED_UID) == 0,
		      "setresgid: %s", strerror(errno));
		CHECK(setresuid(UNUSED_UID, UNUSED_UID, UNUSED_UID) == 0,
		      "setresuid: %s", strerror(errno));
	}
	if (getuid() != UNUSED_UID) {
		printf("same: RLIMIT_NPROC: not root, case skipped\n");
		return 0;
	}
	warm_up();
	/* This process and five more tasks of this uid. */
	struct rlimit r = { 6, 6 };
	CHECK(setrlimit(RLIMIT_NPROC, &r) == 0, "setrlimit(RLIMIT_NPROC): %s",
	      strerror(errno));
	int n = exhaust_processes();
	struct footprint before;
	footprint_take(&before);
	n += exhaust_processes();
	check_footprint(&before);
	return n + 4;
}

/* ---- stack overflow --------------------------------------------------- */

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static long recurse(volatile char *up)
{
	volatile char frame[1024];
	frame[0] = up ? up[0] + 1 : 0;
	return recurse(frame) + frame[1023];
}

static void *overflow(void *arg)
{
	return (void *)recurse(arg);
}

static int case_overflow(size_t stack_size)
{
	pthread_attr_t a;
	pthread_attr_init(&a);
	if (stack_size)
		pthread_attr_setstacksize(&a, stack_size);
	pthread_t t;
	CHECK0(pthread_create(&t, &a, overflow, NULL));
	pthread_attr_destroy(&a);
	pthread_join(t, NULL);
	CHECK(0, "the overflowing thread returned");
	return 1;
}

/* ---- the parent ------------------------------------------------------- */

struct child_case {
	const char *name;
	int (*run)(void);
	int want_signal; /* 0: must exit 0 */
};

static int overflow_default(void)
{
	return case_overflow(0);
}

static int overflow_small(void)
{
	return case_overflow(64 << 10);
}

static const struct child_case cases[] = {
	{ "address space", case_address_space, 0 },
	{ "processes", case_processes, 0 },
	{ "stack overflow, default stack", overflow_default, SIGSEGV },
	{ "stack overflow, 64 KiB stack", overflow_small, SIGSEGV },
};

/* Threads made in the children, reported through a pipe. */
static long child_threads;

static void run_case(const struct child_case *c)
{
	int report[2];
	if (pipe(report) != 0 || pipe(gate) != 0)
		exit(2);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		atomic_store(&fault_failures, 0);
		close(report[0]);
		long n = c->run();
		fflush(stdout);
		CHECK(write(report[1], &n, sizeof n) == sizeof n, "write");
		/* _exit: the verdict is the exit status; no stats line
		 * from a child with a lowered limit. */
		_exit(atomic_load(&fault_failures) ? 1 : 0);
	}
	close(report[1]);
	int status = 0;
	uint64_t deadline = fault_now_ns(CLOCK_MONOTONIC) + 60000000000ull;
	pid_t w;
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	       fault_now_ns(CLOCK_MONOTONIC) < deadline)
		usleep(10000);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		CHECK(0, "%s: the child hung", c->name);
	}
	long n = 0;
	if (read(report[0], &n, sizeof n) == sizeof n)
		child_threads += n;
	close(report[0]);
	close(gate[0]);
	close(gate[1]);

	if (WIFSIGNALED(status)) {
		printf("same: %s: child killed by %s\n", c->name,
		       sigabbrev_np(WTERMSIG(status)));
		CHECK(WTERMSIG(status) == c->want_signal,
		      "%s: child killed by signal %d", c->name,
		      WTERMSIG(status));
	} else {
		printf("same: %s: child exited with %d\n", c->name,
		       WEXITSTATUS(status));
		CHECK(c->want_signal == 0 && WEXITSTATUS(status) == 0,
		      "%s: child exited with %d", c->name,
		      WEXITSTATUS(status));
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A thread in the parent too, so that the parent's own stats line
	 * shows libshim served this program. */
	pthread_t t;
	if (pipe(gate) != 0)
		return 2;
	CHECK0(pthread_create(&t, NULL, wait_gate, NULL));
	CHECK(write(gate[1], "x", 1) == 1, "write");
	CHECK0(pthread_join(t, NULL));
	close(gate[0]);
	close(gate[1]);

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_case(&cases[i]);
	fault_exit(child_threads + 1);
}
