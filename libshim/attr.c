/*
 * libshim/attr.c -- thread attributes, the process default attribute, and
 * pthread_getattr_np.  Values and errors follow glibc 2.36.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "libshim/attr.h"
#include "libshim/lock.h"
#include "libshim/nocancel.h"
#include "libshim/shim.h"
#include "libshim/thread.h"

/* glibc's ARCH_STACK_DEFAULT_SIZE on x86_64, used when RLIMIT_STACK is
 * unlimited. */
#define DEFAULT_STACK_UNLIMITED (2ul << 20)

static shim_lock_t default_lock = SHIM_LOCK_INIT;
static struct attr default_attr; /* stacksize 0: from RLIMIT_STACK */

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static size_t default_stack_size(void)
{
	static size_t size;
	if (size == 0) {
		struct rlimit rl;
		size_t s = DEFAULT_STACK_UNLIMITED;
		if (getrlimit(RLIMIT_STACK, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY)
			s = rl.rlim_cur < (rlim_t)PTHREAD_STACK_MIN ? PTHREAD_STACK_MIN
							    : rl.rlim_cur;
		size = (s + page_size() - 1) & ~(page_size() - 1);
	}
	return size;
}

static int ext_get(struct attr *a, struct attr_ext **out)
{
	if (a->ext == NULL) {
		a->ext = calloc(1, sizeof *a->ext);
		if (a->ext == NULL)
			return ENOMEM;
	}
	*out = a->ext;
	return 0;
}

/* Deep copy of src's extension into dst (dst->ext is overwritten). */
static int ext_copy(struct attr *dst, const struct attr *src)
{
	dst->ext = NULL;
	if (src->ext == NULL)
		return 0;
	struct attr_ext *e;
	if (ext_get(dst, &e))
		return ENOMEM;
	*e = *src->ext;
	e->cpuset = NULL;
	if (src->ext->cpuset) {
		e->cpuset = malloc(src->ext->cpusetsize);
		if (e->cpuset == NULL)
			return ENOMEM;
		memcpy(e->cpuset, src->ext->cpuset, src->ext->cpusetsize);
	}
	return 0;
}

SHIM_EXPORT int pthread_attr_init(pthread_attr_t *attr)
{
	struct attr *a = attr_of(attr);
	memset(attr, 0, sizeof *attr);
	a->guardsize = page_size();
	return 0;
}

SHIM_EXPORT int pthread_attr_destroy(pthread_attr_t *attr)
{
	struct attr *a = attr_of(attr);
	if (a->ext) {
		free(a->ext->cpuset);
		free(a->ext);
		a->ext = NULL;
	}
	return 0;
}

void attr_release(pthread_attr_t *attr)
{
	pthread_attr_destroy(attr);
}

void attr_resolve(pthread_attr_t *out, const pthread_attr_t *attr)
{
	if (attr == NULL) {
		shim_lock(&default_lock);
		*attr_of(out) = default_attr;
		if (default_attr.guardsize == 0 && default_attr.flags == 0 &&
		    default_attr.stacksize == 0)
			attr_of(out)->guardsize = page_size();
		ext_copy(attr_of(out), &default_attr);
		shim_unlock(&default_lock);
	} else {
		*attr_of(out) = *attr_of(attr);
		ext_copy(attr_of(out), attr_of(attr));
	}
	if (attr_of(out)->stacksize == 0 && !(attr_of(out)->flags & ATTR_STACKADDR))
		attr_of(out)->stacksize = default_stack_size();
}

struct attr_view attr_view(const pthread_attr_t *attr)
{
	const struct attr *a = attr_of(attr);
	struct attr_view v = {
		.detached = a->flags & ATTR_DETACHSTATE,
		.stack_size = a->stacksize,
		.guard_size = a->guardsize,
	};
	if (a->flags & ATTR_STACKADDR) {
		v.user_stack = (char *)a->stackaddr - a->stacksize;
		v.user_size = a->stacksize;
		v.guard_size = 0;
	}
	if (a->ext && a->ext->sigmask_set)
		v.sigmask = &a->ext->sigmask;
	return v;
}

bool attr_needs_apply(const pthread_attr_t *attr)
{
	const struct attr *a = attr_of(attr);
	return (a->ext && a->ext->cpuset) || (a->flags & ATTR_NOTINHERITSCHED);
}

int attr_apply_to_self(struct shim_thread *td)
{
	struct attr *a = attr_of(&td->td_attr);
	long r = 0;
	if (a->ext && a->ext->cpuset)
		r = -lwp_setaffinity(0, a->ext->cpusetsize, a->ext->cpuset);
	if (r == 0 && (a->flags & ATTR_NOTINHERITSCHED)) {
		r = -lwp_setparam(0, a->schedpolicy, &a->schedparam);
		shim_sched_changed(td);
	}
	return (int)-r;
}

SHIM_EXPORT int pthread_attr_setdetachstate(pthread_attr_t *attr, int state)
{
	struct attr *a = attr_of(attr);
	if (state == PTHREAD_CREATE_DETACHED)
		a->flags |= ATTR_DETACHSTATE;
	else if (state == PTHREAD_CREATE_JOINABLE)
		a->flags &= ~ATTR_DETACHSTATE;
	else
		return EINVAL;
	return 0;
}

SHIM_EXPORT int pthread_attr_getdetachstate(const pthread_attr_t *attr,
					    int *state)
{
	*state = attr_of(attr)->flags & ATTR_DETACHSTATE ? PTHREAD_CREATE_DETACHED
							 : PTHREAD_CREATE_JOINABLE;
	return 0;
}

SHIM_EXPORT int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size)
{
	if (size < (size_t)PTHREAD_STACK_MIN)
		return EINVAL;
	attr_of(attr)->stacksize = size;
	return 0;
}

SHIM_EXPORT int pthread_attr_getstacksize(const pthread_attr_t *attr,
					  size_t *size)
{
	size_t s = attr_of(attr)->stacksize;
	*size = s ? s : default_stack_size();
	return 0;
}

SHIM_EXPORT int pthread_attr_setstack(pthread_attr_t *attr, void *addr,
				      size_t size)
{
	if (size < (size_t)PTHREAD_STACK_MIN)
		return EINVAL;
	struct attr *a = attr_of(attr);
	a->stackaddr = (char *)addr + size;
	a->stacksize = size;
	a->flags |= ATTR_STACKADDR;
	return 0;
}

SHIM_EXPORT int pthread_attr_getstack(const pthread_attr_t *attr, void **addr,
				      size_t *size)
{
	const struct attr *a = attr_of(attr);
	*addr = (char *)a->stackaddr - a->stacksize;
	*size = a->stacksize;
	return 0;
}

SHIM_EXPORT int pthread_attr_setstackaddr(pthread_attr_t *attr, void *addr)
{
	struct attr *a = attr_of(attr);
	a->stackaddr = addr;
	a->flags |= ATTR_STACKADDR;
	return 0;
}

SHIM_EXPORT int pthread_attr_getstackaddr(const pthread_attr_t *attr,
					  void **addr)
{
	*addr = attr_of(attr)->stackaddr;
	return 0;
}

SHIM_EXPORT int pthread_attr_setguardsize(pthread_attr_t *attr, size_t size)
{
	attr_of(attr)->guardsize = size;
	return 0;
}

SHIM_EXPORT int pthread_attr_getguardsize(const pthread_attr_t *attr,
					  size_t *size)
{
	*size = attr_of(attr)->guardsize;
	return 0;
}

SHIM_EXPORT int pthread_attr_setschedparam(pthread_attr_t *attr,
					   const struct sched_param *p)
{
	struct attr *a = attr_of(attr);
	int lo = sched_get_priority_min(a->schedpolicy);
	int hi = sched_get_priority_max(a->schedpolicy);
	if (p->sched_priority < lo || p->sched_priority > hi)
		return EINVAL;
	a->schedparam = *p;
	a->flags |= ATTR_SCHED_SET;
	return 0;
}

SHIM_EXPORT int pthread_attr_getschedparam(const pthread_attr_t *attr,
					   struct sched_param *p)
{
	*p = attr_of(attr)->schedparam;
	return 0;
}

SHIM_EXPORT int pthread_attr_setschedpolicy(pthread_attr_t *attr, int policy)
{
	if (policy != SCHED_OTHER && policy != SCHED_FIFO && policy != SCHED_RR)
		return EINVAL;
	attr_of(attr)->schedpolicy = policy;
	attr_of(attr)->flags |= ATTR_POLICY_SET;
	return 0;
}

SHIM_EXPORT int pthread_attr_getschedpolicy(const pthread_attr_t *attr,
					    int *policy)
{
	*policy = attr_of(attr)->schedpolicy;
	return 0;
}

SHIM_EXPORT int pthread_attr_setinheritsched(pthread_attr_t *attr, int inherit)
{
	struct attr *a = attr_of(attr);
	if (inherit == PTHREAD_EXPLICIT_SCHED)
		a->flags |= ATTR_NOTINHERITSCHED;
	else if (inherit == PTHREAD_INHERIT_SCHED)
		a->flags &= ~ATTR_NOTINHERITSCHED;
	else
		return EINVAL;
	return 0;
}

SHIM_EXPORT int pthread_attr_getinheritsched(const pthread_attr_t *attr,
					     int *inherit)
{
	*inherit = attr_of(attr)->flags & ATTR_NOTINHERITSCHED
			   ? PTHREAD_EXPLICIT_SCHED
			   : PTHREAD_INHERIT_SCHED;
	return 0;
}

SHIM_EXPORT int pthread_attr_setscope(pthread_attr_t *attr, int scope)
{
	if (scope == PTHREAD_SCOPE_SYSTEM)
		return 0;
	return scope == PTHREAD_SCOPE_PROCESS ? ENOTSUP : EINVAL;
}

SHIM_EXPORT int pthread_attr_getscope(const pthread_attr_t *attr, int *scope)
{
	(void)attr;
	*scope = PTHREAD_SCOPE_SYSTEM;
	return 0;
}

SHIM_EXPORT int pthread_attr_setaffinity_np(pthread_attr_t *attr, size_t size,
					    const cpu_set_t *set)
{
	struct attr *a = attr_of(attr);
	struct attr_ext *e;
	if (set == NULL || size == 0) {
		if (a->ext) {
			free(a->ext->cpuset);
			a->ext->cpuset = NULL;
			a->ext->cpusetsize = 0;
		}
		return 0;
	}
	if (ext_get(a, &e))
		return ENOMEM;
	cpu_set_t *copy = malloc(size);
	if (copy == NULL)
		return ENOMEM;
	memcpy(copy, set, size);
	free(e->cpuset);
	e->cpuset = copy;
	e->cpusetsize = size;
	return 0;
}

SHIM_EXPORT int pthread_attr_getaffinity_np(const pthread_attr_t *attr,
					    size_t size, cpu_set_t *set)
{
	const struct attr *a = attr_of(attr);
	if (a->ext && a->ext->cpuset) {
		size_t n = a->ext->cpusetsize;
		/* glibc: EINVAL if set bits would not fit the caller's set. */
		for (size_t i = size; i < n; i++)
			if (((char *)a->ext->cpuset)[i])
				return EINVAL;
		memset(set, 0, size);
		memcpy(set, a->ext->cpuset, n < size ? n : size);
	} else {
		memset(set, 0xff, size); /* no affinity: every CPU */
	}
	return 0;
}

SHIM_EXPORT int pthread_attr_setsigmask_np(pthread_attr_t *attr,
					   const sigset_t *mask)
{
	struct attr *a = attr_of(attr);
	if (mask == NULL) {
		if (a->ext)
			a->ext->sigmask_set = false;
		return 0;
	}
	struct attr_ext *e;
	if (ext_get(a, &e))
		return ENOMEM;
	e->sigmask = *mask;
	e->sigmask_set = true;
	return 0;
}

SHIM_EXPORT int pthread_attr_getsigmask_np(const pthread_attr_t *attr,
					   sigset_t *mask)
{
	const struct attr *a = attr_of(attr);
	if (a->ext == NULL || !a->ext->sigmask_set) {
		sigemptyset(mask);
		return PTHREAD_ATTR_NO_SIGMASK_NP;
	}
	*mask = a->ext->sigmask;
	return 0;
}

SHIM_EXPORT int pthread_setattr_default_np(const pthread_attr_t *attr)
{
	const struct attr *a = attr_of(attr);
	if (a->flags & ATTR_STACKADDR)
		return EINVAL; /* a shared user stack cannot be a default */
	if (a->stacksize != 0 && a->stacksize < (size_t)PTHREAD_STACK_MIN)
		return EINVAL;
	struct attr copy = *a;
	if (ext_copy(&copy, a))
		return ENOMEM;
	shim_lock(&default_lock);
	pthread_attr_t old;
	*attr_of(&old) = default_attr;
	default_attr = copy;
	shim_unlock(&default_lock);
	pthread_attr_destroy(&old);
	return 0;
}

SHIM_EXPORT int pthread_getattr_default_np(pthread_attr_t *attr)
{
	attr_resolve(attr, NULL);
	return 0;
}

/*
 * The end of the mapping in /proc/self/maps that holds addr, and the end
 * of the mapping below it (0 if none).  Raw system calls and a buffer on
 * the stack: an allocator may ask for the main thread's stack from inside
 * malloc (Boehm GC, jemalloc's start-up), so this must not call it.
 */
static void maps_around(uintptr_t addr, uintptr_t *hi, uintptr_t *prev_hi)
{
	*hi = *prev_hi = 0;
	int fd = nocancel_open("/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	/* Each line starts "start-end "; a line may straddle two reads, so
	 * parse one character at a time: 0 start, 1 end, 2 rest of line. */
	uintptr_t lo = 0, end = 0, last = 0;
	int field = 0;
	char buf[1024];
	ssize_t n;
	while (*hi == 0 && (n = nocancel_read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n && *hi == 0; i++) {
			char c = buf[i];
			int digit = c >= '0' && c <= '9' ? c - '0'
				  : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
			if (field == 0 && digit >= 0) {
				lo = lo << 4 | (unsigned)digit;
			} else if (field == 0) {
				field = 1;
			} else if (field == 1 && digit >= 0) {
				end = end << 4 | (unsigned)digit;
			} else if (field == 1) {
				if (lo <= addr && addr < end) {
					*hi = end;
					*prev_hi = last;
				}
				last = end;
				field = 2;
			} else if (c == '\n') {
				lo = end = 0;
				field = 0;
			}
		}
	}
	nocancel_close(fd);
}

/*
 * The main thread's stack as glibc reports it: from the page above
 * __libc_stack_end down by RLIMIT_STACK less what the mapping already
 * holds above that page, in whole pages (the kernel grows the stack a
 * page at a time: an unaligned bottom would end in a page beyond the
 * limit), and never into the mapping below.
 */
static void main_stack(void **low, size_t *size)
{
	extern void *__libc_stack_end;
	uintptr_t ps = page_size(), hi, prev_hi;
	uintptr_t top = ((uintptr_t)__libc_stack_end & ~(ps - 1)) + ps;
	maps_around((uintptr_t)__libc_stack_end, &hi, &prev_hi);
	if (hi < top)
		hi = top; /* no /proc: as if the mapping ended at the top */
	struct rlimit rl;
	if (getrlimit(RLIMIT_STACK, &rl) != 0)
		rl.rlim_cur = RLIM_INFINITY;
	/* As glibc's: a limit below what is mapped wraps, and the mapping
	 * below bounds it. */
	size_t n = (rl.rlim_cur - (hi - top)) & ~(ps - 1);
	if (n > top - prev_hi)
		n = top - prev_hi;
	*low = (void *)(top - n);
	*size = n;
}

SHIM_EXPORT int pthread_getattr_np(pthread_t t, pthread_attr_t *attr)
{
	struct shim_thread *td = shim_thread_from(t);
	if (td == NULL)
		return ESRCH;
	struct attr *a = attr_of(attr);
	*a = *attr_of(&td->td_attr);
	if (ext_copy(a, attr_of(&td->td_attr)))
		return ENOMEM;
	int s = atomic_load_explicit(&td->td_state, memory_order_acquire);
	if (s == TD_DETACHED)
		a->flags |= ATTR_DETACHSTATE;
	else
		a->flags &= ~ATTR_DETACHSTATE;
	if (!td->td_adopted) {
		/* The whole block above the guard, TCB and TLS included, as
		 * glibc reports it: a caller's own stack comes back exactly
		 * as it was given, a mapped one with the size requested. */
		a->stackaddr = (char *)td->td_map + td->td_map_size;
		a->stacksize = (size_t)((char *)a->stackaddr -
					(char *)td->td_stack);
		a->guardsize = td->td_guard_size;
	} else {
		/* A thread glibc made: glibc's TCB knows its stack.  Not the
		 * initial thread's (no stack block), which is measured only
		 * now, when asked, never at adoption. */
		void *base;
		tcb_get_stackblock(td->td_tp, &base, &a->stacksize,
				   &a->guardsize);
		/* The initial thread's has no block (glibc keeps
		 * __libc_stack_end in its size field) and no guard. */
		if (base == NULL) {
			main_stack(&base, &a->stacksize);
			a->guardsize = 0;
		}
		a->stackaddr = (char *)base + a->stacksize;
	}
	a->flags |= ATTR_STACKADDR;
	/* glibc reports the thread's real affinity, the bytes beyond the
	 * kernel's mask clear. */
	cpu_set_t set;
	if (pthread_getaffinity_np(t, sizeof set, &set) == 0)
		pthread_attr_setaffinity_np(attr, sizeof set, &set);
	return 0;
}

/* fork: the default attribute stays consistent in the child. */
void attr_fork_prepare(void)
{
	shim_lock(&default_lock);
}

void attr_fork_parent(void)
{
	shim_unlock(&default_lock);
}

void attr_fork_child(void)
{
	shim_lock_init(&default_lock);
}
