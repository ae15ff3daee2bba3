/*
 * libshim/attr.h -- pthread_attr_t, laid out exactly as glibc's struct
 * pthread_attr: glibc code that is not interposed (timer_create's
 * SIGEV_THREAD, for one) may read an attribute object libshim initialised.
 */
#ifndef SHIM_ATTR_H
#define SHIM_ATTR_H

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/visibility.h"
#include "object_layout.h"

struct shim_thread;

/* glibc's ATTR_FLAG_* bits of struct pthread_attr.flags. */
#define ATTR_DETACHSTATE     0x0001
#define ATTR_NOTINHERITSCHED 0x0002
#define ATTR_SCOPEPROCESS    0x0004
#define ATTR_STACKADDR       0x0008
#define ATTR_SCHED_SET       0x0020
#define ATTR_POLICY_SET      0x0040

struct attr_ext {               /* glibc's struct pthread_attr_extension */
	cpu_set_t *cpuset;
	size_t cpusetsize;
	sigset_t sigmask;
	bool sigmask_set;
};

struct attr {
	struct sched_param schedparam;
	int schedpolicy;
	int flags;
	size_t guardsize;
	void *stackaddr;        /* top of the stack, as glibc stores it */
	size_t stacksize;       /* 0: the default */
	struct attr_ext *ext;   /* malloc'd, freed by pthread_attr_destroy */
	void *unused;
};
_Static_assert(sizeof(struct attr) <= GLIBC_SIZEOF_ATTR &&
	       _Alignof(struct attr) <= GLIBC_ALIGNOF_ATTR, "attr size");
_Static_assert(offsetof(struct attr, schedparam) == GLIBC_ATTR_OFF_SCHEDPARAM &&
	       offsetof(struct attr, schedpolicy) ==
		       GLIBC_ATTR_OFF_SCHEDPOLICY &&
	       offsetof(struct attr, flags) == GLIBC_ATTR_OFF_FLAGS &&
	       offsetof(struct attr, guardsize) == GLIBC_ATTR_OFF_GUARDSIZE &&
	       offsetof(struct attr, stackaddr) == GLIBC_ATTR_OFF_STACKADDR &&
	       offsetof(struct attr, stacksize) == GLIBC_ATTR_OFF_STACKSIZE &&
	       offsetof(struct attr, ext) == GLIBC_ATTR_OFF_EXTENSION,
	       "glibc's struct pthread_attr");

static inline struct attr *attr_of(const pthread_attr_t *a)
{
	return (struct attr *)a;
}

/* What thread creation needs, decoded. */
struct attr_view {
	bool detached;
	size_t stack_size, guard_size;
	void *user_stack;       /* lowest address, or NULL */
	size_t user_size;
	const sigset_t *sigmask; /* NULL: inherit the creator's */
};

/* Copy attr (or the process default when NULL) into *out, with its own
 * extension: the new thread keeps it for pthread_getattr_np. */
SHIM_HIDDEN void attr_resolve(pthread_attr_t *out, const pthread_attr_t *attr);
SHIM_HIDDEN struct attr_view attr_view(const pthread_attr_t *a);
SHIM_HIDDEN void attr_release(pthread_attr_t *a);
/* Whether the attribute asks for affinity or explicit scheduling, which
 * the new thread sets on itself before its start routine runs. */
SHIM_HIDDEN bool attr_needs_apply(const pthread_attr_t *attr);
/* In the new thread: set them; 0 or the kernel's errno. */
SHIM_HIDDEN int attr_apply_to_self(struct shim_thread *td);

#endif
