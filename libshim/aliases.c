/*
 * libshim/aliases.c -- glibc's obsolete and internal-but-exported entry
 * points that are functions of their own.  The names that are only other
 * names of a call (__pthread_mutex_lock, pread64, ...) are SHIM_ALIASes
 * beside the call.
 */
#include <pthread.h>
#include <unistd.h>

#include "compat/glibc/tcb.h"
#include "common/visibility.h"

/* glibc's C++ cleanup frames call this when the compiler did not inline it. */
SHIM_EXPORT void __pthread_cleanup_routine(struct __pthread_cleanup_frame *f);
void __pthread_cleanup_routine(struct __pthread_cleanup_frame *f)
{
	if (f->__do_it)
		f->__cancel_routine(f->__cancel_arg);
}

/* Obsolete (LinuxThreads); glibc's does nothing either. */
SHIM_EXPORT void pthread_kill_other_threads_np(void);
void pthread_kill_other_threads_np(void)
{
}

/* The smallest stack a thread with this attribute can have: room for the
 * TCB and static TLS, a guard page and PTHREAD_STACK_MIN, as glibc's. */
SHIM_EXPORT size_t __pthread_get_minstack(const pthread_attr_t *attr);
size_t __pthread_get_minstack(const pthread_attr_t *attr)
{
	(void)attr;
	return (size_t)sysconf(_SC_PAGESIZE) + tcb_area_size() +
	       PTHREAD_STACK_MIN;
}
