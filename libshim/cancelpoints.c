/*
 * libshim/cancelpoints.c -- the blocking libc calls POSIX names as
 * cancellation points, replaced so that libshim's pthread_cancel reaches a
 * thread blocked in them.
 *
 * Why libshim has its own: glibc's read(), accept(), nanosleep() ... are
 * cancellation points only for glibc's cancellation.  They test the
 * cancelhandling word of glibc's struct pthread and count on glibc's
 * SIGCANCEL handler, and libshim's pthread_cancel touches neither: it marks
 * libshim's descriptor and sends SIGCANCEL to libshim's handler.  A thread
 * blocked in glibc's read() would see the read fail with EINTR and go on.  So
 * libshim exports these names; with LD_PRELOAD, or -lshim ahead of libc,
 * the program's calls bind to them instead of glibc's.
 *
 * Every call is the same bracket (thread.h): shim_cancel_enter() acts on a
 * cancellation already pending, then makes the thread asynchronously
 * cancellable while the system call runs, so SIGCANCEL arriving during the
 * call acts at once from the handler and unwinds through the signal frame;
 * shim_cancel_leave() restores the thread's type.  Around the bracket each
 * function does what glibc 2.36's wrapper does on x86_64: the same system
 * call, the same adjustments (open is openat(AT_FDCWD); nanosleep and sleep
 * are clock_nanosleep; select is pselect6, normalising the timeout and
 * writing back the time left; ppoll and pselect hand the kernel a copy of
 * the timeout; sigtimedwait reports SI_TKILL as SI_USER; sigwait retries
 * EINTR) and the same error convention: -1 and errno, except for
 * clock_nanosleep and sigwait, which return the error number.
 *
 * Limits:
 *  - Only calls that reach these symbols are cancellation points.  The
 *    calls glibc makes inside its own functions (fread and the rest of
 *    stdio, __read_chk and the other _FORTIFY_SOURCE checks, system,
 *    getaddrinfo, ...) stay glibc's and are not cancellation points under
 *    libshim.
 *  - fcntl is every fcntl call of the program: only F_SETLKW and
 *    F_OFD_SETLKW are cancellation points, and F_GETOWN is answered through
 *    F_GETOWN_EX as glibc does (a process group comes back negative).
 *  - aio_suspend is glibc's: its futex wait is one of libc's own
 *    cancellable calls, which cancel.c's handler acts on.
 *  - The classic race of asynchronous cancellation, which glibc 2.36's own
 *    wrappers share (their SYSCALL_CANCEL brackets the call the same way):
 *    a system call that completes just as SIGCANCEL arrives, before
 *    shim_cancel_leave, is cancelled all the same and its result is lost
 *    (bytes read or written, a descriptor opened, a child reaped).  And a
 *    signal handler that runs while the thread waits in one of these calls
 *    runs asynchronously cancellable too.
 *  - SIGCANCEL is installed without SA_RESTART (cancel.c).  A thread that
 *    disables cancellation just as another thread cancels it can take the
 *    signal anyway, and the call it is blocked in then fails with EINTR.
 */
/* These definitions replace the fortified inlines, and define open and
 * open64 (and the rest) as two names: meson's _FILE_OFFSET_BITS=64 would
 * rename open to open64 in the headers. */
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <mqueue.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "compat/lwp.h"
#include "libshim/shim.h"
#include "libshim/thread.h"

#define SIGSET_BYTES (_NSIG / 8) /* the kernel's sigset_t, as glibc passes */

/* The kernel's own id for the calling process's CPU clock
 * (MAKE_PROCESS_CPUCLOCK(0, CPUCLOCK_SCHED)), which glibc's
 * clock_nanosleep passes in place of CLOCK_PROCESS_CPUTIME_ID. */
#define PROCESS_CPU_CLOCK ((clockid_t)(~0u << 3 | 2))

/* A system call (compat/lwp.h's lwp_syscall) as a cancellation point;
 * -errno on failure.  Unused trailing arguments are passed as 0: the
 * kernel ignores them. */
static long cancel_syscall(enum lwp_sys call, long a, long b, long c, long d,
			   long e, long f)
{
	unsigned token = shim_cancel_enter();
	long r = lwp_syscall(call, a, b, c, d, e, f);
	shim_cancel_leave(token);
	return r;
}

#define CANCEL_SYSCALL(name, a, b, c, d, e, f)                                 \
	cancel_syscall(LWP_SYS_##name, (long)(a), (long)(b), (long)(c),        \
		       (long)(d), (long)(e), (long)(f))

/* Descriptors and files */

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	return shim_errno_ret(CANCEL_SYSCALL(read, fd, buf, n, 0, 0, 0));
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	return shim_errno_ret(CANCEL_SYSCALL(write, fd, buf, n, 0, 0, 0));
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
	return shim_errno_ret(CANCEL_SYSCALL(readv, fd, iov, n, 0, 0, 0));
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
	return shim_errno_ret(CANCEL_SYSCALL(writev, fd, iov, n, 0, 0, 0));
}

SHIM_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	return shim_errno_ret(CANCEL_SYSCALL(pread64, fd, buf, n, off, 0, 0));
}
SHIM_ALIAS(pread, pread64);

SHIM_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return shim_errno_ret(CANCEL_SYSCALL(pwrite64, fd, buf, n, off, 0, 0));
}
SHIM_ALIAS(pwrite, pwrite64);

/* The offset's high half, which x86_64 passes as 0 (glibc's LO_HI_LONG). */
SHIM_EXPORT ssize_t preadv(int fd, const struct iovec *iov, int n, off_t off)
{
	return shim_errno_ret(CANCEL_SYSCALL(preadv, fd, iov, n, off, 0, 0));
}
SHIM_ALIAS(preadv, preadv64);

SHIM_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	return shim_errno_ret(CANCEL_SYSCALL(pwritev, fd, iov, n, off, 0, 0));
}
SHIM_ALIAS(pwritev, pwritev64);

/* As glibc: the system call's result r, and on a kernel without it the
 * call without flags (seq at offset -1, at off otherwise), ENOTSUP if
 * flags ask for more. */
static ssize_t v2_result(long r, int fd, const struct iovec *iov, int n,
			 off_t off, int flags,
			 ssize_t (*seq)(int, const struct iovec *, int),
			 ssize_t (*at)(int, const struct iovec *, int, off_t))
{
	if (r != -ENOSYS)
		return shim_errno_ret(r);
	if (flags != 0)
		return shim_errno_ret(-ENOTSUP);
	return off == -1 ? seq(fd, iov, n) : at(fd, iov, n, off);
}

SHIM_EXPORT ssize_t preadv2(int fd, const struct iovec *iov, int n, off_t off,
			    int flags)
{
	return v2_result(CANCEL_SYSCALL(preadv2, fd, iov, n, off, 0, flags),
			 fd, iov, n, off, flags, readv, preadv);
}
SHIM_ALIAS(preadv2, preadv64v2);

SHIM_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int n, off_t off,
			     int flags)
{
	return v2_result(CANCEL_SYSCALL(pwritev2, fd, iov, n, off, 0, flags),
			 fd, iov, n, off, flags, writev, pwritev);
}
SHIM_ALIAS(pwritev2, pwritev64v2);

/* Record locks.  F_SETLKW waits and is the cancellation point; the rest
 * is glibc's fcntl on x86_64, F_GETOWN included. */
SHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	if (cmd == F_SETLKW || cmd == F_OFD_SETLKW)
		return shim_errno_ret(
			CANCEL_SYSCALL(fcntl, fd, cmd, arg, 0, 0, 0));
	if (cmd == F_GETOWN) {
		struct f_owner_ex ex;
		long r = lwp_syscall(LWP_SYS_fcntl, fd, F_GETOWN_EX, (long)&ex,
				     0, 0, 0);
		if (r < 0)
			return shim_errno_ret(r);
		return ex.type == F_OWNER_PGRP ? -ex.pid : ex.pid;
	}
	return shim_errno_ret(
		lwp_syscall(LWP_SYS_fcntl, fd, cmd, (long)arg, 0, 0, 0));
}
SHIM_ALIAS(fcntl, fcntl64);

/* glibc's lockf: a write lock (or test) on [current offset, +len). */
SHIM_EXPORT int lockf(int fd, int cmd, off_t len)
{
	struct flock fl = {.l_whence = SEEK_CUR, .l_start = 0, .l_len = len};
	switch (cmd) {
	case F_TEST:
		fl.l_type = F_RDLCK;
		if (fcntl(fd, F_GETLK, &fl) < 0)
			return -1;
		if (fl.l_type == F_UNLCK || fl.l_pid == getpid())
			return 0;
		errno = EACCES;
		return -1;
	case F_ULOCK:
		fl.l_type = F_UNLCK;
		return fcntl(fd, F_SETLK, &fl);
	case F_LOCK:
		fl.l_type = F_WRLCK;
		return fcntl(fd, F_SETLKW, &fl);
	case F_TLOCK:
		fl.l_type = F_WRLCK;
		return fcntl(fd, F_SETLK, &fl);
	}
	errno = EINVAL;
	return -1;
}
SHIM_ALIAS(lockf, lockf64);

/* Whether open's variadic mode argument is there (glibc's
 * __OPEN_NEEDS_MODE); without it the kernel gets 0. */
static mode_t open_mode(int flags, va_list ap)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return va_arg(ap, mode_t);
	return 0;
}

SHIM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = open_mode(flags, ap);
	va_end(ap);
	return shim_errno_ret(
		CANCEL_SYSCALL(openat, dirfd, path, flags, mode, 0, 0));
}
SHIM_ALIAS(openat, openat64);

SHIM_EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = open_mode(flags, ap);
	va_end(ap);
	return shim_errno_ret(
		CANCEL_SYSCALL(openat, AT_FDCWD, path, flags, mode, 0, 0));
}
SHIM_ALIAS(open, open64);

SHIM_EXPORT int creat(const char *path, mode_t mode)
{
	return shim_errno_ret(CANCEL_SYSCALL(openat, AT_FDCWD, path,
					     O_CREAT | O_WRONLY | O_TRUNC, mode,
					     0, 0));
}
SHIM_ALIAS(creat, creat64);

SHIM_EXPORT int close(int fd)
{
	return shim_errno_ret(CANCEL_SYSCALL(close, fd, 0, 0, 0, 0, 0));
}

SHIM_EXPORT int fsync(int fd)
{
	return shim_errno_ret(CANCEL_SYSCALL(fsync, fd, 0, 0, 0, 0, 0));
}

SHIM_EXPORT int fdatasync(int fd)
{
	return shim_errno_ret(CANCEL_SYSCALL(fdatasync, fd, 0, 0, 0, 0, 0));
}

SHIM_EXPORT int msync(void *addr, size_t len, int flags)
{
	return shim_errno_ret(CANCEL_SYSCALL(msync, addr, len, flags, 0, 0, 0));
}

SHIM_EXPORT int tcdrain(int fd)
{
	return shim_errno_ret(CANCEL_SYSCALL(ioctl, fd, TCSBRK, 1, 0, 0, 0));
}

/* Sleeping */

/* clock_nanosleep's body, shared by the sleeps as glibc shares it:
 * 0 or a positive errno. */
static int clock_sleep(clockid_t clock, int flags, const struct timespec *req,
		       struct timespec *rem)
{
	if (clock == CLOCK_THREAD_CPUTIME_ID)
		return EINVAL; /* glibc refuses it before the kernel */
	if (clock == CLOCK_PROCESS_CPUTIME_ID)
		clock = PROCESS_CPU_CLOCK;
	return (int)-CANCEL_SYSCALL(clock_nanosleep, clock, flags, req, rem, 0,
				    0);
}

SHIM_EXPORT int clock_nanosleep(clockid_t clock, int flags,
				const struct timespec *req,
				struct timespec *rem)
{
	return clock_sleep(clock, flags, req, rem);
}

SHIM_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
	int e = clock_sleep(CLOCK_REALTIME, 0, req, rem);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}

/* The whole seconds not slept when a signal cut the sleep short. */
SHIM_EXPORT unsigned sleep(unsigned seconds)
{
	struct timespec ts = { .tv_sec = seconds };
	return nanosleep(&ts, &ts) < 0 ? (unsigned)ts.tv_sec : 0;
}

SHIM_EXPORT int usleep(useconds_t us)
{
	struct timespec ts = { .tv_sec = us / 1000000,
			       .tv_nsec = us % 1000000 * 1000l };
	return nanosleep(&ts, NULL);
}

/* ppoll watching nothing, with no deadline, sleeps until a handler runs,
 * as pause does.  One way on every CPU: arm64 has no pause, poll or
 * epoll_wait system call (glibc uses the same successors there). */
SHIM_EXPORT int pause(void)
{
	return shim_errno_ret(CANCEL_SYSCALL(ppoll, 0, 0, 0, 0, 0, 0));
}

/* Waiting for descriptors */

SHIM_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	struct timespec ts = { .tv_sec = timeout_ms / 1000,
			       .tv_nsec = timeout_ms % 1000 * 1000000l };
	return shim_errno_ret(CANCEL_SYSCALL(
		ppoll, fds, n, timeout_ms < 0 ? NULL : &ts, 0, 0, 0));
}

/* ppoll and pselect must leave *timeout alone; the kernel writes the
 * time left into the copy. */
SHIM_EXPORT int ppoll(struct pollfd *fds, nfds_t n,
		      const struct timespec *timeout, const sigset_t *mask)
{
	struct timespec copy, *t = NULL;
	if (timeout != NULL) {
		copy = *timeout;
		t = &copy;
	}
	return shim_errno_ret(
		CANCEL_SYSCALL(ppoll, fds, n, t, mask, SIGSET_BYTES, 0));
}

SHIM_EXPORT int pselect(int n, fd_set *rd, fd_set *wr, fd_set *ex,
			const struct timespec *timeout, const sigset_t *mask)
{
	struct timespec copy, *t = NULL;
	if (timeout != NULL) {
		copy = *timeout;
		t = &copy;
	}
	/* pselect6's sixth argument: the mask and its size, by address. */
	unsigned long mask_arg[2] = { (unsigned long)mask, SIGSET_BYTES };
	return shim_errno_ret(
		CANCEL_SYSCALL(pselect6, n, rd, wr, ex, t, mask_arg));
}

/* As glibc 2.36: pselect6 with the timeval normalised (tv_usec may
 * exceed a second; negative fields are EINVAL; the sum saturates), and
 * the time left written back to *tv, as Linux's select does, whether the
 * call succeeds or fails. */
SHIM_EXPORT int select(int n, fd_set *rd, fd_set *wr, fd_set *ex,
		       struct timeval *tv)
{
	struct timespec ts, *t = NULL;
	if (tv != NULL) {
		time_t s = tv->tv_sec;
		int32_t us = (int32_t)tv->tv_usec; /* glibc's width */
		if (s < 0 || us < 0) {
			errno = EINVAL;
			return -1;
		}
		if (us / 1000000 > INT64_MAX - s)
			ts = (struct timespec){ INT64_MAX, 999999999 };
		else
			ts = (struct timespec){ s + us / 1000000,
						us % 1000000 * 1000l };
		t = &ts;
	}
	long r = CANCEL_SYSCALL(pselect6, n, rd, wr, ex, t, NULL);
	if (tv != NULL) {
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = ts.tv_nsec / 1000;
	}
	return shim_errno_ret(r);
}

SHIM_EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max,
			   int timeout_ms)
{
	return shim_errno_ret(
		CANCEL_SYSCALL(epoll_pwait, epfd, ev, max, timeout_ms, 0, 0));
}

SHIM_EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max,
			    int timeout_ms, const sigset_t *mask)
{
	return shim_errno_ret(CANCEL_SYSCALL(epoll_pwait, epfd, ev, max,
					     timeout_ms, mask, SIGSET_BYTES));
}

/* Sockets (glibc's transparent-union address arguments) */

SHIM_EXPORT int accept(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
	return shim_errno_ret(
		CANCEL_SYSCALL(accept, fd, addr.__sockaddr__, len, 0, 0, 0));
}

SHIM_EXPORT int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *len,
			int flags)
{
	return shim_errno_ret(CANCEL_SYSCALL(accept4, fd, addr.__sockaddr__,
					     len, flags, 0, 0));
}

SHIM_EXPORT int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	return shim_errno_ret(
		CANCEL_SYSCALL(connect, fd, addr.__sockaddr__, len, 0, 0, 0));
}

SHIM_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags,
			     __SOCKADDR_ARG addr, socklen_t *len)
{
	return shim_errno_ret(CANCEL_SYSCALL(recvfrom, fd, buf, n, flags,
					     addr.__sockaddr__, len));
}

SHIM_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	return shim_errno_ret(
		CANCEL_SYSCALL(recvfrom, fd, buf, n, flags, NULL, NULL));
}

SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	return shim_errno_ret(CANCEL_SYSCALL(recvmsg, fd, msg, flags, 0, 0, 0));
}

SHIM_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			   __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	return shim_errno_ret(CANCEL_SYSCALL(sendto, fd, buf, n, flags,
					     addr.__sockaddr__, len));
}

SHIM_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	return shim_errno_ret(
		CANCEL_SYSCALL(sendto, fd, buf, n, flags, NULL, 0));
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return shim_errno_ret(CANCEL_SYSCALL(sendmsg, fd, msg, flags, 0, 0, 0));
}

SHIM_EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
	return (int)shim_errno_ret(
		CANCEL_SYSCALL(sendmmsg, fd, v, n, flags, 0, 0));
}

SHIM_EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags,
			 struct timespec *timeout)
{
	return (int)shim_errno_ret(
		CANCEL_SYSCALL(recvmmsg, fd, v, n, flags, timeout, 0));
}

/* Children */

SHIM_EXPORT pid_t wait(int *status)
{
	return shim_errno_ret(CANCEL_SYSCALL(wait4, -1, status, 0, NULL, 0, 0));
}

SHIM_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
	return shim_errno_ret(
		CANCEL_SYSCALL(wait4, pid, status, options, NULL, 0, 0));
}

SHIM_EXPORT pid_t wait4(pid_t pid, int *status, int options,
			struct rusage *usage)
{
	return shim_errno_ret(
		CANCEL_SYSCALL(wait4, pid, status, options, usage, 0, 0));
}

SHIM_EXPORT pid_t wait3(int *status, int options, struct rusage *usage)
{
	return wait4(-1, status, options, usage);
}

SHIM_EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
	return shim_errno_ret(
		CANCEL_SYSCALL(waitid, type, id, info, options, NULL, 0));
}

/* Signals */

/* sigtimedwait's body, shared with sigwaitinfo and sigwait. */
static int wait_signal(const sigset_t *set, siginfo_t *info,
		       const struct timespec *timeout)
{
	long r = CANCEL_SYSCALL(rt_sigtimedwait, set, info, timeout,
				SIGSET_BYTES, 0, 0);
	/* raise() and pthread_kill() send with tgkill; glibc reports
	 * those as sent by kill(). */
	if (r >= 0 && info != NULL && info->si_code == SI_TKILL)
		info->si_code = SI_USER;
	return (int)shim_errno_ret(r);
}

SHIM_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info,
			     const struct timespec *timeout)
{
	return wait_signal(set, info, timeout);
}

SHIM_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	return wait_signal(set, info, NULL);
}

/* Programs do not expect EINTR from sigwait (POSIX does not list it), so
 * a handler running meanwhile only restarts the wait. */
SHIM_EXPORT int sigwait(const sigset_t *set, int *sig)
{
	siginfo_t si;
	int r;
	do
		r = wait_signal(set, &si, NULL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno;
	*sig = si.si_signo;
	return 0;
}

SHIM_EXPORT int sigsuspend(const sigset_t *mask)
{
	return shim_errno_ret(
		CANCEL_SYSCALL(rt_sigsuspend, mask, SIGSET_BYTES, 0, 0, 0, 0));
}

/* glibc's sigpause: the calling thread's mask less one signal (is_sig,
 * System V, what <signal.h> names sigpause), or a BSD mask word. */
SHIM_EXPORT int __sigpause(int sig_or_mask, int is_sig)
{
	sigset_t set;
	if (is_sig) {
		if (pthread_sigmask(SIG_BLOCK, NULL, &set) != 0 ||
		    sigdelset(&set, sig_or_mask) < 0)
			return -1;
	} else {
		sigemptyset(&set);
		set.__val[0] = (unsigned)sig_or_mask;
	}
	return sigsuspend(&set);
}

SHIM_EXPORT int __xpg_sigpause(int sig)
{
	return __sigpause(sig, 1);
}

/* The BSD entry point of that name (<signal.h> binds sigpause to
 * __xpg_sigpause). */
SHIM_EXPORT int shim_bsd_sigpause(int mask) __asm__("sigpause");
int shim_bsd_sigpause(int mask)
{
	return __sigpause(mask, 0);
}

/* Message queues */

SHIM_EXPORT ssize_t msgrcv(int id, void *msg, size_t size, long type, int flags)
{
	return shim_errno_ret(
		CANCEL_SYSCALL(msgrcv, id, msg, size, type, flags, 0));
}

SHIM_EXPORT int msgsnd(int id, const void *msg, size_t size, int flags)
{
	return shim_errno_ret(
		CANCEL_SYSCALL(msgsnd, id, msg, size, flags, 0, 0));
}

/* (glibc declares the deadline of the timed calls non-null; the untimed
 * ones pass none.) */
static ssize_t mq_recv(mqd_t q, char *msg, size_t len, unsigned *prio,
		       const struct timespec *abstime)
{
	return shim_errno_ret(
		CANCEL_SYSCALL(mq_timedreceive, q, msg, len, prio, abstime, 0));
}

static int mq_snd(mqd_t q, const char *msg, size_t len, unsigned prio,
		  const struct timespec *abstime)
{
	return shim_errno_ret(
		CANCEL_SYSCALL(mq_timedsend, q, msg, len, prio, abstime, 0));
}

SHIM_EXPORT ssize_t mq_timedreceive(mqd_t q, char *msg, size_t len,
				    unsigned *prio,
				    const struct timespec *abstime)
{
	return mq_recv(q, msg, len, prio, abstime);
}

SHIM_EXPORT ssize_t mq_receive(mqd_t q, char *msg, size_t len, unsigned *prio)
{
	return mq_recv(q, msg, len, prio, NULL);
}

SHIM_EXPORT int mq_timedsend(mqd_t q, const char *msg, size_t len,
			     unsigned prio, const struct timespec *abstime)
{
	return mq_snd(q, msg, len, prio, abstime);
}

SHIM_EXPORT int mq_send(mqd_t q, const char *msg, size_t len, unsigned prio)
{
	return mq_snd(q, msg, len, prio, NULL);
}
