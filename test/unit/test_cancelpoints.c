/* libshim/cancelpoints.c: blocking calls as cancellation points, and their
 * results equal to glibc's. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/msg.h>
#include <mqueue.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "testutil.h"

/* ---- a thread blocked in one call, cancelled ---- */

struct blocker {
	void (*call)(struct blocker *);
	int fd;            /* what the call waits on */
	pid_t child;       /* waitpid */
	_Atomic pid_t tid; /* set just before the call */
	_Atomic int cleaned;
	_Atomic int returned;
};

static void mark_cleaned(void *arg)
{
	((struct blocker *)arg)->cleaned = 1;
}

static void *blocker_main(void *arg)
{
	struct blocker *b = arg;
	pthread_cleanup_push(mark_cleaned, b);
	b->tid = (pid_t)syscall(SYS_gettid);
	b->call(b);
	b->returned = 1;
	pthread_cleanup_pop(0);
	return NULL;
}

/* The system call thread tid is blocked in, or -1 while it runs. */
static long blocked_in(pid_t tid)
{
	char path[64], line[256] = "";
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	fclose(f);
	return strncmp(line, "running", 7) == 0 ? -1 : strtol(line, NULL, 10);
}

/* Wait until tid sleeps in system call nr: a cancellation that arrives
 * then must interrupt the call, not be seen on the way in. */
static void wait_blocked_in(pid_t tid, long nr)
{
	for (int i = 0; i < 5000; i++) {
		if (blocked_in(tid) == nr)
			return;
		usleep(1000);
	}
	fail_msg("thread %d never blocked in system call %ld", tid, nr);
}

/* These tests see where a thread sleeps through /proc, which under an
 * emulator names the emulator's own host calls. */
static void need_syscall_view(void)
{
	if (testutil_emulated())
		TESTUTIL_SKIP("/proc/<tid>/syscall shows the emulator's host calls");
}

static void start_blocker(pthread_t *t, struct blocker *b)
{
	assert_int_equal(pthread_create(t, NULL, blocker_main, b), 0);
	while (b->tid == 0)
		usleep(100);
}

static void cancel_blocked(struct blocker *b, long nr)
{
	pthread_t t;
	void *res = NULL;
	need_syscall_view();
	start_blocker(&t, b);
	wait_blocked_in(b->tid, nr);
	assert_int_equal(pthread_cancel(t), 0);
	assert_int_equal(pthread_join(t, &res), 0);
	assert_ptr_equal(res, PTHREAD_CANCELED);
	assert_int_equal(b->cleaned, 1);
	assert_int_equal(b->returned, 0);
}

static void call_read(struct blocker *b)
{
	char c;
	read(b->fd, &c, 1);
}

static void test_cancel_read(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct blocker b = { .call = call_read, .fd = p[0] };
	cancel_blocked(&b, SYS_read);
	close(p[0]);
	close(p[1]);
}

static void call_accept(struct blocker *b)
{
	accept(b->fd, NULL, NULL);
}

static void test_cancel_accept(void **state)
{
	(void)state;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	/* Abstract name: nothing to clean up in the file system. */
	snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "shim-cp-%d", getpid());
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 +
			strlen(a.sun_path + 1);
	assert_int_equal(bind(s, (struct sockaddr *)&a, len), 0);
	assert_int_equal(listen(s, 1), 0);
	struct blocker b = { .call = call_accept, .fd = s };
	cancel_blocked(&b, SYS_accept);
	close(s);
}

static void call_nanosleep(struct blocker *b)
{
	(void)b;
	struct timespec ts = { .tv_sec = 60 };
	nanosleep(&ts, NULL);
}

static void test_cancel_nanosleep(void **state)
{
	(void)state;
	struct blocker b = { .call = call_nanosleep };
	cancel_blocked(&b, SYS_clock_nanosleep);
}

static void call_poll(struct blocker *b)
{
	struct pollfd pfd = { .fd = b->fd, .events = POLLIN };
	poll(&pfd, 1, -1);
}

static void test_cancel_poll(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct blocker b = { .call = call_poll, .fd = p[0] };
	cancel_blocked(&b, SYS_ppoll); /* poll's successor, on every CPU */
	close(p[0]);
	close(p[1]);
}

static void call_sigwait(struct blocker *b)
{
	(void)b;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	int sig;
	sigwait(&set, &sig);
}

static void test_cancel_sigwait(void **state)
{
	(void)state;
	struct blocker b = { .call = call_sigwait };
	cancel_blocked(&b, SYS_rt_sigtimedwait);
}

static void call_waitpid(struct blocker *b)
{
	int st;
	waitpid(b->child, &st, 0);
}

static void test_cancel_waitpid(void **state)
{
	(void)state;
	need_syscall_view(); /* before the child */
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		for (;;)
			pause();
	struct blocker b = { .call = call_waitpid, .child = child };
	cancel_blocked(&b, SYS_wait4);
	/* The cancelled waitpid reaped nothing: the child is still ours. */
	assert_int_equal(kill(child, SIGKILL), 0);
	int st;
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* ---- cancellation disabled, then enabled again ---- */

struct disabled {
	int fd;
	_Atomic pid_t tid;
	ssize_t got;
	char byte;
	_Atomic int enabled;  /* pthread_setcancelstate(ENABLE) returned */
	_Atomic int survived; /* the next cancellation point returned */
};

static void *read_while_disabled(void *arg)
{
	struct disabled *d = arg;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	d->tid = (pid_t)syscall(SYS_gettid);
	d->got = read(d->fd, &d->byte, 1);
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	d->enabled = 1;
	struct timespec ts = { .tv_sec = 60 };
	nanosleep(&ts, NULL);
	d->survived = 1;
	return NULL;
}

static void test_disabled_read_completes(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct disabled d = { .fd = p[0] };
	pthread_t t;
	void *res = NULL;
	need_syscall_view();
	assert_int_equal(pthread_create(&t, NULL, read_while_disabled, &d), 0);
	while (d.tid == 0)
		usleep(100);
	wait_blocked_in(d.tid, SYS_read);
	assert_int_equal(pthread_cancel(t), 0);
	usleep(50 * 1000);
	assert_int_equal(blocked_in(d.tid), SYS_read); /* still reading */
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(pthread_join(t, &res), 0);
	assert_ptr_equal(res, PTHREAD_CANCELED);
	assert_int_equal(d.got, 1);
	assert_int_equal(d.byte, 'x');
	assert_int_equal(d.enabled, 1); /* deferred: not acted on by enabling */
	assert_int_equal(d.survived, 0);
	close(p[0]);
	close(p[1]);
}

struct pending {
	int fd;
	_Atomic int enabled;
	_Atomic int wrote;
};

static void *write_with_pending_cancel(void *arg)
{
	struct pending *p = arg;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_cancel(pthread_self());
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	p->enabled = 1;
	write(p->fd, "x", 1);
	p->wrote = 1;
	return NULL;
}

/* A cancellation already pending is acted on before the system call. */
static void test_pending_cancel_acts_before_call(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
	struct pending p = { .fd = fds[1] };
	pthread_t t;
	void *res = NULL;
	assert_int_equal(pthread_create(&t, NULL, write_with_pending_cancel, &p),
			 0);
	assert_int_equal(pthread_join(t, &res), 0);
	assert_ptr_equal(res, PTHREAD_CANCELED);
	assert_int_equal(p.enabled, 1);
	assert_int_equal(p.wrote, 0);
	char c;
	assert_int_equal(read(fds[0], &c, 1), -1); /* nothing was written */
	assert_int_equal(errno, EAGAIN);
	close(fds[0]);
	close(fds[1]);
}

/* The bracket leaves the caller's cancel type as it found it. */
static void test_type_restored(void **state)
{
	(void)state;
	int p[2], old;
	char c;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "ab", 2), 2);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old), 0);
	assert_int_equal(old, PTHREAD_CANCEL_DEFERRED);
	assert_int_equal(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL),
			 0);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old), 0);
	assert_int_equal(old, PTHREAD_CANCEL_ASYNCHRONOUS);
	close(p[0]);
	close(p[1]);
}

/* ---- sigwait restarts after a handler ---- */

static _Atomic int usr2_seen;

static void on_usr2(int sig)
{
	(void)sig;
	usr2_seen++;
}

struct sigwaiter {
	_Atomic pid_t tid;
	int r, sig;
};

static void *sigwait_usr1(void *arg)
{
	struct sigwaiter *w = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	w->tid = (pid_t)syscall(SYS_gettid);
	w->r = sigwait(&set, &w->sig);
	return NULL;
}

static void test_sigwait_not_eintr(void **state)
{
	(void)state;
	need_syscall_view();
	/* No SA_RESTART: the kernel's wait fails with EINTR. */
	struct sigaction sa = { .sa_handler = on_usr2 }, old;
	assert_int_equal(sigaction(SIGUSR2, &sa, &old), 0);
	struct sigwaiter w = { .r = -1 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, sigwait_usr1, &w), 0);
	while (w.tid == 0)
		usleep(100);
	wait_blocked_in(w.tid, SYS_rt_sigtimedwait);
	assert_int_equal(pthread_kill(t, SIGUSR2), 0);
	while (usr2_seen == 0)
		usleep(100);
	wait_blocked_in(w.tid, SYS_rt_sigtimedwait); /* waiting again */
	assert_int_equal(pthread_kill(t, SIGUSR1), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.r, 0);
	assert_int_equal(w.sig, SIGUSR1);
	sigaction(SIGUSR2, &old, NULL);
}

/* ---- normal results: as the system call, or as glibc ---- */

/* glibc's own definition of one of the functions under test. */
static void *glibc_fn(const char *name, void *ours)
{
	void *f = dlsym(RTLD_NEXT, name);
	assert_non_null(f);
	assert_ptr_not_equal(f, ours);
	return f;
}

static void test_read_write_roundtrip(void **state)
{
	(void)state;
	int p[2];
	char buf[16] = "";
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "hello", 5), 5);
	assert_int_equal(read(p[0], buf, sizeof buf), 5);
	assert_memory_equal(buf, "hello", 5);

	char a[3] = "ab", b[4] = "cde";
	struct iovec out[2] = { { a, 2 }, { b, 3 } };
	assert_int_equal(writev(p[1], out, 2), 5);
	char x[2], y[8];
	struct iovec in[2] = { { x, 2 }, { y, sizeof y } };
	assert_int_equal(readv(p[0], in, 2), 5);
	assert_memory_equal(x, "ab", 2);
	assert_memory_equal(y, "cde", 3);
	assert_int_equal(close(p[0]), 0);
	assert_int_equal(close(p[1]), 0);
}

static void test_ebadf(void **state)
{
	(void)state;
	int p[2];
	char c = 0;
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	close(p[1]);
	errno = 0;
	assert_int_equal(read(p[0], &c, 1), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(write(p[1], &c, 1), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(close(p[0]), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(fsync(p[0]), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(recv(p[0], &c, 1, 0), -1);
	assert_int_equal(errno, EBADF);
}

static void test_open_create_mode(void **state)
{
	(void)state;
	char dir[] = "/tmp/shim-cp-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/f", dir);
	mode_t mask = umask(022);
	struct stat st;

	int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0640);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(pwrite(fd, "xyz", 3, 10), 3);
	char buf[3];
	assert_int_equal(pread64(fd, buf, 3, 10), 3);
	assert_memory_equal(buf, "xyz", 3);
	assert_int_equal(fdatasync(fd), 0);
	close(fd);

	errno = 0;
	assert_int_equal(open(path, O_CREAT | O_EXCL | O_RDWR, 0600), -1);
	assert_int_equal(errno, EEXIST);

	/* creat truncates and opens for writing only. */
	fd = creat(path, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_mode & 0777, 0640); /* existing file keeps it */
	errno = 0;
	assert_int_equal(read(fd, buf, 1), -1);
	assert_int_equal(errno, EBADF);
	close(fd);

	/* openat relative to a directory; the umask applies to the mode. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	fd = openat(dfd, "g", O_CREAT | O_WRONLY, 0777);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	close(fd);
	/* O_TMPFILE takes a mode as O_CREAT does. */
	fd = openat64(dfd, ".", O_TMPFILE | O_RDWR, 0600);
	if (fd >= 0) { /* the file system may not support it */
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		close(fd);
	}
	unlinkat(dfd, "g", 0);
	close(dfd);
	umask(mask);
	unlink(path);
	rmdir(dir);
}

static void test_sleeps(void **state)
{
	(void)state;
	errno = 1234;
	assert_int_equal(sleep(0), 0);
	assert_int_equal(errno, 1234); /* kept on success */
	assert_int_equal(usleep(0), 0);
	struct timespec bad = { .tv_nsec = 1000000000 };
	errno = 0;
	assert_int_equal(nanosleep(&bad, NULL), -1);
	assert_int_equal(errno, EINVAL);

	/* clock_nanosleep returns the error; errno is left alone. */
	struct timespec zero = { 0 };
	errno = 0;
	assert_int_equal(clock_nanosleep(12345, 0, &zero, NULL), EINVAL);
	assert_int_equal(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &zero,
					 NULL), EINVAL);
	assert_int_equal(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL),
			 EINVAL);
	assert_int_equal(errno, 0);
	assert_int_equal(clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &zero,
					 NULL), 0);
	assert_int_equal(clock_nanosleep(CLOCK_MONOTONIC, 0, &zero, NULL), 0);

	/* Every clock id as glibc answers it (it leaves most to the kernel). */
	typedef int (*cns_fn)(clockid_t, int, const struct timespec *,
			      struct timespec *);
	cns_fn real = (cns_fn)glibc_fn("clock_nanosleep",
				       (void *)clock_nanosleep);
	for (clockid_t c = -16; c < 16; c++)
		assert_int_equal(clock_nanosleep(c, 0, &zero, NULL),
				 real(c, 0, &zero, NULL));
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A handler cuts sleep short: it returns the whole seconds left. */
static void test_sleep_interrupted(void **state)
{
	(void)state;
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	struct itimerval it = { .it_value = { .tv_usec = 20000 } };
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	unsigned left = sleep(5);
	assert_true(left >= 4 && left <= 5);
	assert_int_equal(errno, EINTR);
	sigaction(SIGALRM, &old, NULL);
}

static void test_select_family(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	fd_set rd;

	/* select normalises the timeout and writes the time left back. */
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	struct timeval tv = { .tv_sec = 0, .tv_usec = 1000000 + 10000 };
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(select(p[0] + 1, &rd, NULL, NULL, &tv), 1);
	assert_true(FD_ISSET(p[0], &rd));
	assert_true(tv.tv_sec == 1 && tv.tv_usec <= 10000); /* normalised */
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);

	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	tv = (struct timeval){ .tv_usec = 10000 };
	assert_int_equal(select(p[0] + 1, &rd, NULL, NULL, &tv), 0);
	assert_true(tv.tv_sec == 0 && tv.tv_usec == 0);
	/* Timeouts glibc refuses or normalises: the same answers, and the
	 * same value written back. */
	typedef int (*select_fn)(int, fd_set *, fd_set *, fd_set *,
				 struct timeval *);
	select_fn real = (select_fn)glibc_fn("select", (void *)select);
	static const struct timeval tvs[] = {
		{ 0, 0 }, { -1, 0 }, { 0, -1 }, { 1, -1000000 }, { 0, 5000 },
	};
	for (size_t i = 0; i < sizeof tvs / sizeof tvs[0]; i++) {
		struct timeval ours = tvs[i], theirs = tvs[i];
		errno = 0;
		int r = select(0, NULL, NULL, NULL, &ours);
		int e = errno;
		errno = 0;
		assert_int_equal(r, real(0, NULL, NULL, NULL, &theirs));
		assert_int_equal(e, errno);
		assert_int_equal(ours.tv_sec, theirs.tv_sec);
		assert_int_equal(ours.tv_usec, theirs.tv_usec);
	}
	tv = (struct timeval){ .tv_sec = 1, .tv_usec = -1000000 };
	errno = 0;
	assert_int_equal(select(0, NULL, NULL, NULL, &tv), -1);
	assert_int_equal(errno, EINVAL);

	/* pselect and ppoll leave the caller's timeout alone. */
	struct timespec ts = { .tv_nsec = 10000000 };
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	assert_int_equal(pselect(p[0] + 1, &rd, NULL, NULL, &ts, NULL), 0);
	assert_true(ts.tv_sec == 0 && ts.tv_nsec == 10000000);
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	sigset_t none;
	sigemptyset(&none);
	assert_int_equal(ppoll(&pfd, 1, &ts, &none), 0);
	assert_true(ts.tv_sec == 0 && ts.tv_nsec == 10000000);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(write(p[1], "y", 1), 1);
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_int_equal(pfd.revents, POLLIN);

	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 }, got;
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	assert_int_equal(epoll_wait(ep, &got, 1, 0), 1);
	assert_int_equal(got.data.u32, 7);
	assert_int_equal(epoll_pwait(ep, &got, 1, 0, &none), 1);
	errno = 0;
	assert_int_equal(epoll_wait(ep, &got, 0, 0), -1);
	assert_int_equal(errno, EINVAL);
	close(ep);
	close(p[0]);
	close(p[1]);
}

static void test_sockets(void **state)
{
	(void)state;
	int sv[2];
	char buf[8];
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	assert_int_equal(send(sv[0], "ab", 2, 0), 2);
	assert_int_equal(recv(sv[1], buf, sizeof buf, 0), 2);
	assert_memory_equal(buf, "ab", 2);
	assert_int_equal(sendto(sv[0], "cd", 2, 0, NULL, 0), 2);
	assert_int_equal(recvfrom(sv[1], buf, sizeof buf, 0, NULL, NULL), 2);
	assert_memory_equal(buf, "cd", 2);
	struct iovec iov = { (void *)"efg", 3 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	assert_int_equal(sendmsg(sv[0], &m, 0), 3);
	iov = (struct iovec){ buf, sizeof buf };
	assert_int_equal(recvmsg(sv[1], &m, 0), 3);
	assert_memory_equal(buf, "efg", 3);
	errno = 0;
	assert_int_equal(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	close(sv[0]);
	close(sv[1]);

	/* connect and accept4 on a listening socket. */
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "shim-cp2-%d", getpid());
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 +
			strlen(a.sun_path + 1);
	assert_int_equal(bind(l, (struct sockaddr *)&a, len), 0);
	assert_int_equal(listen(l, 1), 0);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, len), 0);
	int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(s >= 0);
	assert_int_equal(fcntl(s, F_GETFD), FD_CLOEXEC);
	errno = 0;
	assert_int_equal(accept4(l, NULL, NULL, 0x7fff0000), -1);
	assert_int_equal(errno, EINVAL);
	close(s);
	close(c);
	/* A name nobody listens on. */
	a.sun_path[1] ^= 1;
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	errno = 0;
	assert_int_equal(connect(c, (struct sockaddr *)&a, len), -1);
	assert_int_equal(errno, ECONNREFUSED);
	close(c);
	close(l);
}

static void test_children(void **state)
{
	(void)state;
	int st = 0;
	errno = 0;
	assert_int_equal(waitpid(-1, &st, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	errno = 0;
	assert_int_equal(wait(&st), -1);
	assert_int_equal(errno, ECHILD);

	pid_t c = fork();
	if (c == 0)
		_exit(7);
	assert_int_equal(wait(&st), c);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 7);

	c = fork();
	if (c == 0)
		_exit(9);
	siginfo_t si = { 0 };
	assert_int_equal(waitid(P_PID, (id_t)c, &si, WEXITED), 0);
	assert_int_equal(si.si_pid, c);
	assert_int_equal(si.si_code, CLD_EXITED);
	assert_int_equal(si.si_status, 9);
	errno = 0;
	assert_int_equal(waitid(P_PID, (id_t)c, &si, 0), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_signal_waits(void **state)
{
	(void)state;
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &set, &old), 0);

	struct timespec zero = { 0 };
	siginfo_t si;
	errno = 0;
	assert_int_equal(sigtimedwait(&set, &si, &zero), -1);
	assert_int_equal(errno, EAGAIN);

	/* A signal sent with tgkill is reported as SI_USER, as glibc does. */
	assert_int_equal(pthread_kill(pthread_self(), SIGUSR1), 0);
	memset(&si, 0, sizeof si);
	assert_int_equal(sigwaitinfo(&set, &si), SIGUSR1);
	assert_int_equal(si.si_code, SI_USER);

	assert_int_equal(pthread_kill(pthread_self(), SIGUSR1), 0);
	assert_int_equal(sigtimedwait(&set, &si, &zero), SIGUSR1);
	assert_int_equal(si.si_code, SI_USER);

	assert_int_equal(pthread_kill(pthread_self(), SIGUSR1), 0);
	int sig = 0;
	assert_int_equal(sigwait(&set, &sig), 0);
	assert_int_equal(sig, SIGUSR1);

	/* sigsuspend always fails: EINTR once the handler ran. */
	struct sigaction sa = { .sa_handler = on_alarm }, olda;
	assert_int_equal(sigaction(SIGUSR1, &sa, &olda), 0);
	assert_int_equal(pthread_kill(pthread_self(), SIGUSR1), 0);
	sigset_t open;
	sigemptyset(&open);
	errno = 0;
	assert_int_equal(sigsuspend(&open), -1);
	assert_int_equal(errno, EINTR);
	sigaction(SIGUSR1, &olda, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void test_msync_tcdrain(void **state)
{
	(void)state;
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_ptr_not_equal(m, MAP_FAILED);
	assert_int_equal(msync(m, pg, MS_SYNC), 0);
	errno = 0;
	assert_int_equal(msync(m + 1, pg, MS_SYNC), -1);
	assert_int_equal(errno, EINVAL);
	munmap(m, pg);
	/* tcdrain on something that is not a terminal. */
	int p[2];
	assert_int_equal(pipe(p), 0);
	errno = 0;
	assert_int_equal(tcdrain(p[0]), -1);
	assert_int_equal(errno, ENOTTY);
	close(p[0]);
	close(p[1]);
}

static void call_msgrcv(struct blocker *b)
{
	struct { long type; char text[8]; } m;
	msgrcv(b->fd, &m, sizeof m.text, 0, 0);
}

static void test_cancel_msgrcv(void **state)
{
	(void)state;
	int q = msgget(IPC_PRIVATE, 0600);
	assert_true(q >= 0);
	struct blocker b = { .call = call_msgrcv, .fd = q };
	cancel_blocked(&b, SYS_msgrcv);
	msgctl(q, IPC_RMID, NULL);
}

static void call_lockf(struct blocker *b)
{
	lockf(b->fd, F_LOCK, 0);
}

/* A record lock another process holds: lockf(F_LOCK) waits in fcntl. */
static void test_cancel_lockf_and_record_locks(void **state)
{
	(void)state;
	need_syscall_view(); /* before the child that cancel_blocked outlives */
	char path[] = "/tmp/shim-lockf-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t child = fork();
	if (child == 0) {
		lockf(fd, F_LOCK, 0);
		write(go[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	assert_int_equal(read(go[0], &c, 1), 1);
	/* Normal results while the child holds the lock. */
	assert_int_equal(lockf(fd, F_TLOCK, 0), -1);
	assert_true(errno == EACCES || errno == EAGAIN);
	assert_int_equal(lockf(fd, F_TEST, 0), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(lockf(fd, 12345, 0), -1);
	assert_int_equal(errno, EINVAL);
	struct blocker b = { .call = call_lockf, .fd = fd };
	cancel_blocked(&b, SYS_fcntl);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(lockf(fd, F_TLOCK, 0), 0);
	assert_int_equal(lockf(fd, F_TEST, 0), 0); /* our own lock */
	assert_int_equal(lockf(fd, F_ULOCK, 0), 0);
	/* fcntl's other commands, as glibc answers them. */
	int fl = fcntl(fd, F_GETFL);
	assert_true(fl >= 0);
	assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(fcntl(fd, F_SETOWN, getpid()), 0);
	assert_int_equal(fcntl(fd, F_GETOWN), getpid());
	assert_int_equal(fcntl(-1, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	close(fd);
	close(go[0]);
	close(go[1]);
}

static void test_vectors_children_queues(void **state)
{
	(void)state;
	/* preadv / pwritev at an offset. */
	char path[] = "/tmp/shim-vec-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	char a[] = "abc", b2[] = "def", out[7] = "";
	struct iovec w[2] = {{a, 3}, {b2, 3}};
	assert_int_equal(pwritev(fd, w, 2, 10), 6);
	struct iovec r[1] = {{out, 6}};
	assert_int_equal(preadv(fd, r, 1, 10), 6);
	assert_string_equal(out, "abcdef");
	/* preadv2 / pwritev2: at an offset, and at the file position with
	 * offset -1 (which moves it); flags the kernel does not know fail. */
	char c[] = "ghi", in[4] = "";
	struct iovec wc[1] = {{c, 3}}, rc[1] = {{in, 3}};
	assert_int_equal(pwritev2(fd, wc, 1, 16, 0), 3);
	assert_int_equal(preadv2(fd, rc, 1, 16, 0), 3);
	assert_string_equal(in, "ghi");
	assert_int_equal(lseek(fd, 13, SEEK_SET), 13);
	assert_int_equal(preadv2(fd, rc, 1, -1, 0), 3);
	assert_string_equal(in, "def");
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 16);
	assert_int_equal(pwritev2(fd, wc, 1, -1, 0), 3);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 19);
	assert_int_equal(preadv2(fd, rc, 1, 0, 0x40000000), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	close(fd);
	/* wait4 / wait3 with resource usage. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int st;
	struct rusage ru;
	assert_int_equal(wait4(pid, &st, 0, &ru), pid);
	assert_int_equal(WEXITSTATUS(st), 7);
	pid = fork();
	if (pid == 0)
		_exit(8);
	assert_int_equal(wait3(&st, 0, &ru), pid);
	assert_int_equal(WEXITSTATUS(st), 8);
	assert_int_equal(wait3(&st, WNOHANG, NULL), -1);
	assert_int_equal(errno, ECHILD);
	/* System V and POSIX message queues. */
	int q = msgget(IPC_PRIVATE, 0600);
	struct { long type; char text[8]; } m = {5, "hello"}, got;
	assert_int_equal(msgsnd(q, &m, sizeof m.text, 0), 0);
	assert_int_equal(msgrcv(q, &got, sizeof got.text, 5, 0),
			 (ssize_t)sizeof got.text);
	assert_string_equal(got.text, "hello");
	assert_int_equal(msgrcv(q, &got, sizeof got.text, 0, IPC_NOWAIT), -1);
	assert_int_equal(errno, ENOMSG);
	msgctl(q, IPC_RMID, NULL);
	struct mq_attr at = {.mq_maxmsg = 4, .mq_msgsize = 16};
	mqd_t mq = mq_open("/shim-cp-test", O_CREAT | O_RDWR, 0600, &at);
	assert_true(mq != (mqd_t)-1);
	mq_unlink("/shim-cp-test");
	assert_int_equal(mq_send(mq, "ping", 5, 3), 0);
	char buf[16];
	unsigned prio = 0;
	assert_int_equal(mq_receive(mq, buf, sizeof buf, &prio), 5);
	assert_string_equal(buf, "ping");
	assert_int_equal(prio, 3);
	struct timespec past = {0, 0};
	assert_int_equal(mq_timedreceive(mq, buf, sizeof buf, NULL, &past), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(mq_timedsend(mq, "x", 2, 0, &past), 0);
	mq_close(mq);
}

/* libc's own cancellation points: fgets's read is glibc's, not libshim's
 * (glibc's tst-cancel6). */
static void call_fgets(struct blocker *b)
{
	char buf[16];
	FILE *f = fdopen(b->fd, "r");
	fgets(buf, sizeof buf, f);
}

static void test_cancel_libc_internal_read(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct blocker b = { .call = call_fgets, .fd = p[0] };
	cancel_blocked(&b, SYS_read);
	close(p[1]); /* p[0] is the cancelled thread's FILE's, leaked */
}

static void call_sigpause(struct blocker *b)
{
	(void)b;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	sigpause(SIGUSR1);
#pragma GCC diagnostic pop
}

static void call_recvmmsg(struct blocker *b)
{
	char buf[8];
	struct iovec iov = { buf, sizeof buf };
	struct mmsghdr m = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	recvmmsg(b->fd, &m, 1, 0, NULL);
}

/* glibc's tst-cancel4 and tst-cancel4_2: calls glibc makes cancellation
 * points that libshim did not replace. */
static void test_cancel_sigpause_recvmmsg(void **state)
{
	(void)state;
	struct blocker b = { .call = call_sigpause };
	cancel_blocked(&b, SYS_rt_sigsuspend);
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	struct blocker r = { .call = call_recvmmsg, .fd = sv[0] };
	cancel_blocked(&r, SYS_recvmmsg);
	close(sv[0]);
	close(sv[1]);
}

/* Cancelled while it waits at a barrier (no cancellation point), then
 * only libc's own cancellation points: fprintf's write never blocks, so
 * only a signal that lands inside it can act (glibc's tst-cancel9 and
 * tst-cancel17's early case). */
static pthread_barrier_t early_barrier;

static void *write_after_barrier(void *arg)
{
	FILE *f = arg;
	pthread_barrier_wait(&early_barrier);
	for (;;)
		fprintf(f, "foo");
	return NULL;
}

static void test_early_cancel_then_libc_writes(void **state)
{
	(void)state;
	FILE *f = fopen("/dev/null", "w");
	assert_non_null(f);
	assert_int_equal(pthread_barrier_init(&early_barrier, NULL, 2), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, write_after_barrier, f), 0);
	usleep(20000); /* let it wait at the barrier */
	assert_int_equal(pthread_cancel(t), 0);
	pthread_barrier_wait(&early_barrier);
	void *res = NULL;
	assert_int_equal(pthread_join(t, &res), 0);
	assert_ptr_equal(res, PTHREAD_CANCELED);
	pthread_barrier_destroy(&early_barrier);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cancel_read),
		cmocka_unit_test(test_cancel_accept),
		cmocka_unit_test(test_cancel_nanosleep),
		cmocka_unit_test(test_cancel_poll),
		cmocka_unit_test(test_cancel_sigwait),
		cmocka_unit_test(test_cancel_waitpid),
		cmocka_unit_test(test_disabled_read_completes),
		cmocka_unit_test(test_pending_cancel_acts_before_call),
		cmocka_unit_test(test_type_restored),
		cmocka_unit_test(test_sigwait_not_eintr),
		cmocka_unit_test(test_read_write_roundtrip),
		cmocka_unit_test(test_ebadf),
		cmocka_unit_test(test_open_create_mode),
		cmocka_unit_test(test_sleeps),
		cmocka_unit_test(test_sleep_interrupted),
		cmocka_unit_test(test_select_family),
		cmocka_unit_test(test_sockets),
		cmocka_unit_test(test_children),
		cmocka_unit_test(test_signal_waits),
		cmocka_unit_test(test_msync_tcdrain),
		cmocka_unit_test(test_cancel_msgrcv),
		cmocka_unit_test(test_cancel_lockf_and_record_locks),
		cmocka_unit_test(test_vectors_children_queues),
		cmocka_unit_test(test_cancel_libc_internal_read),
		cmocka_unit_test(test_cancel_sigpause_recvmmsg),
		cmocka_unit_test(test_early_cancel_then_libc_writes),
	};
	return testutil_status(cmocka_run_group_tests(tests, NULL, NULL));
}
