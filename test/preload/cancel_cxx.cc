/*
 * test/preload/cancel_cxx.cc -- a plain C++ program, built against glibc
 * and never linked to libshim, whose threads are cancelled while blocked.
 *
 * Under LD_PRELOAD=libshim.so, read() is libshim's cancellation point
 * (cancelpoints.c) and pthread_cond_wait libshim's (cond.c); cancelling
 * must unwind the thread's C++ frames as glibc's forced unwinding does:
 *  - a thread blocked in read() runs the destructors of its locals;
 *  - a catch (...) around that read() sees the unwinding and rethrows it;
 *  - a thread blocked in pthread_cond_wait runs its pthread_cleanup_push
 *    handler with the mutex locked again, as POSIX requires, and the
 *    handler's unlock releases it.
 *
 * Exit status 0 when every check holds; the last line on stdout is
 * "threads made: N".  pthread_exit from nested frames runs every C++
 * destructor as well.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "../emulated.h"

static int failures;
static int threads_made;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			std::fprintf(stderr, "cancel_cxx: %s:%d: %s\n",        \
				     __func__, __LINE__, #cond);               \
			failures++;                                            \
		}                                                              \
	} while (0)

// The system call thread tid is blocked in, or -1 while it runs.
static long blocked_in(pid_t tid)
{
	char path[64], line[256] = "";
	std::snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
	FILE *f = std::fopen(path, "r");
	if (f == nullptr)
		return -1;
	if (std::fgets(line, sizeof line, f) == nullptr)
		line[0] = '\0';
	std::fclose(f);
	if (std::strncmp(line, "running", 7) == 0)
		return -1;
	return std::strtol(line, nullptr, 10);
}

// Wait until tid sleeps in system call nr: the cancellation must then
// interrupt the wait, not be seen on the way in.
static bool wait_blocked_in(pid_t tid, long nr)
{
	for (int i = 0; i < 5000; i++) {
		if (blocked_in(tid) == nr)
			return true;
		usleep(1000);
	}
	return false;
}

static pid_t my_tid()
{
	return static_cast<pid_t>(syscall(SYS_gettid));
}

struct sets_flag_when_destroyed {
	std::atomic<int> &flag;
	~sets_flag_when_destroyed() { flag = 1; }
};

struct reader {
	int fd;
	std::atomic<pid_t> tid{0};
	std::atomic<int> destroyed{0};
	std::atomic<int> caught{0};
	std::atomic<int> returned{0};
};

static void *read_with_local_object(void *arg)
{
	auto *r = static_cast<reader *>(arg);
	sets_flag_when_destroyed guard{r->destroyed};
	r->tid = my_tid();
	char c;
	(void)read(r->fd, &c, 1);
	r->returned = 1;
	return nullptr;
}

static void *read_inside_catch_all(void *arg)
{
	auto *r = static_cast<reader *>(arg);
	sets_flag_when_destroyed guard{r->destroyed};
	try {
		r->tid = my_tid();
		char c;
		(void)read(r->fd, &c, 1);
		r->returned = 1;
	} catch (...) {
		r->caught = 1;
		throw; // swallowing a cancellation is not allowed
	}
	return nullptr;
}

static void cancel_reader(void *(*start)(void *), bool expect_catch)
{
	int p[2];
	CHECK(pipe(p) == 0);
	reader r;
	r.fd = p[0];
	pthread_t t;
	CHECK(pthread_create(&t, nullptr, start, &r) == 0);
	threads_made++;
	while (r.tid == 0)
		usleep(100);
	CHECK(wait_blocked_in(r.tid, SYS_read));
	CHECK(pthread_cancel(t) == 0);
	void *res = nullptr;
	CHECK(pthread_join(t, &res) == 0);
	CHECK(res == PTHREAD_CANCELED);
	CHECK(r.destroyed == 1);
	CHECK(r.returned == 0);
	CHECK(r.caught == (expect_catch ? 1 : 0));
	close(p[0]);
	close(p[1]);
}

struct cond_waiter {
	pthread_mutex_t m;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	std::atomic<pid_t> tid{0};
	std::atomic<int> cleaned{0};
	int unlock_in_cleanup = -1;
	std::atomic<int> returned{0};
};

// An error-checking mutex: unlocking succeeds only for its owner, so the
// handler's unlock proves the wait re-acquired the mutex.
static void unlock_in_cleanup(void *arg)
{
	auto *w = static_cast<cond_waiter *>(arg);
	w->unlock_in_cleanup = pthread_mutex_unlock(&w->m);
	w->cleaned = 1;
}

static void *wait_on_cond(void *arg)
{
	auto *w = static_cast<cond_waiter *>(arg);
	pthread_mutex_lock(&w->m);
	pthread_cleanup_push(unlock_in_cleanup, w);
	w->tid = my_tid();
	for (;;) // nobody signals; only the cancellation ends the wait
		pthread_cond_wait(&w->c, &w->m);
	pthread_cleanup_pop(1);
	w->returned = 1;
	return nullptr;
}

static void cancel_cond_waiter()
{
	cond_waiter w;
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	CHECK(pthread_mutex_init(&w.m, &a) == 0);
	pthread_mutexattr_destroy(&a);
	pthread_t t;
	CHECK(pthread_create(&t, nullptr, wait_on_cond, &w) == 0);
	threads_made++;
	while (w.tid == 0)
		usleep(100);
	CHECK(wait_blocked_in(w.tid, SYS_futex));
	// The waiter released the mutex while it waits.
	CHECK(pthread_mutex_trylock(&w.m) == 0);
	CHECK(pthread_mutex_unlock(&w.m) == 0);
	CHECK(pthread_cancel(t) == 0);
	void *res = nullptr;
	CHECK(pthread_join(t, &res) == 0);
	CHECK(res == PTHREAD_CANCELED);
	CHECK(w.cleaned == 1);
	CHECK(w.unlock_in_cleanup == 0);
	CHECK(w.returned == 0);
	// And the handler's unlock left it free.
	CHECK(pthread_mutex_trylock(&w.m) == 0);
	CHECK(pthread_mutex_unlock(&w.m) == 0);
	pthread_cond_destroy(&w.c);
	pthread_mutex_destroy(&w.m);
}

/* pthread_exit unwinds too: every object of every frame is destroyed. */
static std::atomic<int> exit_dtors;

struct CountsExit {
	~CountsExit() { exit_dtors++; }
};

static void exit_from_inside()
{
	CountsExit inner;
	pthread_exit(reinterpret_cast<void *>(42));
}

static void *exit_with_locals(void *)
{
	CountsExit outer;
	exit_from_inside();
	return nullptr;
}

static void exit_runs_destructors()
{
	pthread_t t;
	void *res = nullptr;
	CHECK(pthread_create(&t, nullptr, exit_with_locals, nullptr) == 0);
	threads_made++;
	CHECK(pthread_join(t, &res) == 0);
	CHECK(res == reinterpret_cast<void *>(42));
	CHECK(exit_dtors == 2);
}

int main()
{
	if (test_emulated()) {
		/* wait_blocked_in reads the emulator's host system call. */
		std::fprintf(stderr, "skipped: /proc/<tid>/syscall shows the "
				     "emulator's calls (qemu-user)\n");
		return 77;
	}
	exit_runs_destructors();
	cancel_reader(read_with_local_object, false);
	cancel_reader(read_inside_catch_all, true);
	cancel_cond_waiter();
	if (failures != 0)
		std::fprintf(stderr, "cancel_cxx: %d check(s) failed\n", failures);
	std::cout << "threads made: " << threads_made << std::endl;
	return failures != 0;
}
