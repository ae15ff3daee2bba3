/*
 * libshim/sched.c -- identity and scheduling of a thread: names, affinity,
 * scheduling policy, CPU-time clock.  Each acts on the target's kernel tid;
 * a thread that has exited is ESRCH, as with glibc.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "libshim/mutex.h"
#include "libshim/nocancel.h"
#include "libshim/shim.h"
#include "libshim/thread.h"

#define TASK_COMM_LEN 16

/* Another thread's name is its /proc comm file. */
static int open_comm(pid_t tid, int flags)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", tid);
	return nocancel_open(path, flags | O_CLOEXEC, 0);
}

SHIM_EXPORT int pthread_setname_np(pthread_t t, const char *name)
{
	size_t len = strlen(name);
	if (len >= TASK_COMM_LEN)
		return ERANGE;
	pid_t tid = shim_thread_tid(t);
	if (tid <= 0)
		return ESRCH;
	if (tid == shim_tid())
		return prctl(PR_SET_NAME, name) ? errno : 0;
	int fd = open_comm(tid, O_WRONLY);
	if (fd < 0)
		return errno;
	ssize_t w = nocancel_write(fd, name, len);
	int e = w < 0 ? errno : (size_t)w == len ? 0 : EIO;
	nocancel_close(fd);
	return e;
}

SHIM_EXPORT int pthread_getname_np(pthread_t t, char *buf, size_t len)
{
	if (len < TASK_COMM_LEN)
		return ERANGE;
	pid_t tid = shim_thread_tid(t);
	if (tid <= 0)
		return ESRCH;
	if (tid == shim_tid())
		return prctl(PR_GET_NAME, buf) ? errno : 0;
	int fd = open_comm(tid, O_RDONLY);
	if (fd < 0)
		return errno;
	ssize_t r = nocancel_read(fd, buf, len);
	int e = r < 0 ? errno : 0;
	nocancel_close(fd);
	if (e == 0) {
		if (r > 0 && buf[r - 1] == '\n')
			r--;
		buf[r] = '\0';
	}
	return e;
}

SHIM_EXPORT int pthread_setaffinity_np(pthread_t t, size_t size,
				       const cpu_set_t *set)
{
	pid_t tid = shim_thread_tid(t);
	if (tid <= 0)
		return ESRCH;
	return lwp_setaffinity(tid, size, set);
}

SHIM_EXPORT int pthread_getaffinity_np(pthread_t t, size_t size,
				       cpu_set_t *set)
{
	pid_t tid = shim_thread_tid(t);
	if (tid <= 0)
		return ESRCH;
	/* glibc clears the CPUs beyond the kernel's mask, as this does. */
	return lwp_getaffinity(tid, size, set);
}

SHIM_EXPORT int pthread_setschedparam(pthread_t t, int policy,
				      const struct sched_param *p)
{
	pid_t tid = shim_thread_tid(t);
	if (tid <= 0)
		return ESRCH;
	int e = tid == shim_tid() ? mutex_pp_setsched(policy, p->sched_priority)
				  : -1;
	if (e >= 0)
		return e;
	e = lwp_setparam(tid, policy, p);
	if (e != 0)
		return e;
	shim_sched_changed(shim_thread_from(t));
	return 0;
}

SHIM_EXPORT int pthread_getschedparam(pthread_t t, int *policy,
				      struct sched_param *p)
{
	pid_t tid = shim_thread_tid(t);
	if (tid <= 0)
		return ESRCH;
	if (tid == shim_tid() && mutex_pp_getsched(policy, &p->sched_priority))
		return 0;
	return lwp_getparam(tid, policy, p);
}

int shim_rt_priority(void)
{
	struct sched_param p;
	int pol;
	if (lwp_getparam(0, &pol, &p) != 0 ||
	    (pol != SCHED_FIFO && pol != SCHED_RR))
		return 0;
	return p.sched_priority;
}

SHIM_EXPORT int pthread_setschedprio(pthread_t t, int prio)
{
	pid_t tid = shim_thread_tid(t);
	if (tid <= 0)
		return ESRCH;
	int policy, own;
	if (tid == shim_tid() && mutex_pp_getsched(&policy, &own))
		return mutex_pp_setsched(policy, prio);
	struct sched_param p = {.sched_priority = prio};
	int e = lwp_setparam(tid, LWP_SCHED_KEEP, &p);
	if (e != 0)
		return e;
	shim_sched_changed(shim_thread_from(t));
	return 0;
}

SHIM_EXPORT int pthread_getcpuclockid(pthread_t t, clockid_t *clock)
{
	pid_t tid = shim_thread_tid(t);
	if (tid <= 0)
		return ESRCH;
	/* The kernel's per-thread CPU clock id: ~tid << 3 | PERTHREAD | SCHED */
	*clock = (clockid_t)((~(unsigned)tid << 3) | 4 | 2);
	return 0;
}

/* glibc's <pthread.h> renames pthread_yield to sched_yield; binaries
 * built before that still import pthread_yield. */
SHIM_EXPORT int shim_pthread_yield(void) __asm__("pthread_yield");
int shim_pthread_yield(void)
{
	lwp_yield();
	return 0;
}

static _Atomic int concurrency;

SHIM_EXPORT int pthread_setconcurrency(int level)
{
	if (level < 0)
		return EINVAL;
	concurrency = level; /* a hint only, as in glibc: 1:1 threads */
	return 0;
}

SHIM_EXPORT int pthread_getconcurrency(void)
{
	return concurrency;
}
