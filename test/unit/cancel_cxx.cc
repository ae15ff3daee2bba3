// libshim/cancelpoints.c and cancel.c from C++: cancelling a thread blocked
// in read() unwinds its C++ frames, running destructors, as glibc does.
// A plain program (no cmocka): exit 0 when every check holds.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			std::fprintf(stderr, "%s:%d: check failed: %s\n",      \
				     __FILE__, __LINE__, #cond);               \
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
	return std::strncmp(line, "running", 7) == 0 ? -1
						     : std::strtol(line, nullptr, 10);
}

static bool wait_blocked_in(pid_t tid, long nr)
{
	for (int i = 0; i < 5000; i++) {
		if (blocked_in(tid) == nr)
			return true;
		usleep(1000);
	}
	return false;
}

struct blocked {
	int fd;
	std::atomic<pid_t> tid{0};
	std::atomic<int> destroyed{0};
	std::atomic<int> caught{0};
	std::atomic<int> returned{0};
};

struct sets_flag_when_destroyed {
	std::atomic<int> &flag;
	~sets_flag_when_destroyed() { flag = 1; }
};

static void *read_with_local_object(void *arg)
{
	auto *b = static_cast<blocked *>(arg);
	sets_flag_when_destroyed guard{b->destroyed};
	b->tid = static_cast<pid_t>(syscall(SYS_gettid));
	char c;
	(void)read(b->fd, &c, 1);
	b->returned = 1;
	return nullptr;
}

// catch (...) sees the unwinding and must rethrow it, as with glibc.
static void *read_inside_catch_all(void *arg)
{
	auto *b = static_cast<blocked *>(arg);
	sets_flag_when_destroyed guard{b->destroyed};
	try {
		b->tid = static_cast<pid_t>(syscall(SYS_gettid));
		char c;
		(void)read(b->fd, &c, 1);
		b->returned = 1;
	} catch (...) {
		b->caught = 1;
		throw;
	}
	return nullptr;
}

static void cancel_blocked_reader(void *(*start)(void *), bool expect_catch)
{
	int p[2];
	CHECK(pipe(p) == 0);
	blocked b;
	b.fd = p[0];
	pthread_t t;
	CHECK(pthread_create(&t, nullptr, start, &b) == 0);
	while (b.tid == 0)
		usleep(100);
	CHECK(wait_blocked_in(b.tid, SYS_read));
	CHECK(pthread_cancel(t) == 0);
	void *res = nullptr;
	CHECK(pthread_join(t, &res) == 0);
	CHECK(res == PTHREAD_CANCELED);
	CHECK(b.destroyed == 1);
	CHECK(b.returned == 0);
	CHECK(b.caught == (expect_catch ? 1 : 0));
	close(p[0]);
	close(p[1]);
}

int main()
{
	cancel_blocked_reader(read_with_local_object, false);
	cancel_blocked_reader(read_inside_catch_all, true);
	if (failures != 0)
		std::fprintf(stderr, "%d check(s) failed\n", failures);
	return failures != 0;
}
