/*
 * libshim/aliases.c -- the other names glibc exports for the same calls.
 *
 * Old binaries and a few libraries bind the double-underscore names
 * (__pthread_mutex_lock was libpthread's internal-but-exported name for
 * years) or glibc's obsolete entry points.  Each forwards to libshim's own
 * function (a tail call), so every name a program may bind is served here.
 */
#include <pthread.h>
#include <unistd.h>

#include "compat/glibc/tcb.h"
#include "common/visibility.h"

#define FORWARD(ret, alias, target, params, args)                             \
	SHIM_EXPORT ret alias params;                                          \
	ret alias params                                                       \
	{                                                                      \
		return target args;                                            \
	}

FORWARD(int, __pthread_mutex_init,
	pthread_mutex_init, (pthread_mutex_t *m, const pthread_mutexattr_t *a),
	(m, a))
FORWARD(int, __pthread_mutex_destroy, pthread_mutex_destroy,
	(pthread_mutex_t *m), (m))
FORWARD(int, __pthread_mutex_lock, pthread_mutex_lock, (pthread_mutex_t *m),
	(m))
FORWARD(int, __pthread_mutex_trylock, pthread_mutex_trylock,
	(pthread_mutex_t *m), (m))
FORWARD(int, __pthread_mutex_unlock, pthread_mutex_unlock,
	(pthread_mutex_t *m), (m))
FORWARD(int, __pthread_mutexattr_init, pthread_mutexattr_init,
	(pthread_mutexattr_t *a), (a))
FORWARD(int, __pthread_mutexattr_destroy, pthread_mutexattr_destroy,
	(pthread_mutexattr_t *a), (a))
FORWARD(int, __pthread_mutexattr_settype, pthread_mutexattr_settype,
	(pthread_mutexattr_t *a, int t), (a, t))
FORWARD(int, __pthread_rwlock_init, pthread_rwlock_init,
	(pthread_rwlock_t *l, const pthread_rwlockattr_t *a), (l, a))
FORWARD(int, __pthread_rwlock_destroy, pthread_rwlock_destroy,
	(pthread_rwlock_t *l), (l))
FORWARD(int, __pthread_rwlock_rdlock, pthread_rwlock_rdlock,
	(pthread_rwlock_t *l), (l))
FORWARD(int, __pthread_rwlock_wrlock, pthread_rwlock_wrlock,
	(pthread_rwlock_t *l), (l))
FORWARD(int, __pthread_rwlock_tryrdlock, pthread_rwlock_tryrdlock,
	(pthread_rwlock_t *l), (l))
FORWARD(int, __pthread_rwlock_trywrlock, pthread_rwlock_trywrlock,
	(pthread_rwlock_t *l), (l))
FORWARD(int, __pthread_rwlock_unlock, pthread_rwlock_unlock,
	(pthread_rwlock_t *l), (l))
FORWARD(int, __pthread_once, pthread_once,
	(pthread_once_t *o, void (*f)(void)), (o, f))
FORWARD(void *, __pthread_getspecific, pthread_getspecific,
	(pthread_key_t k), (k))
FORWARD(int, __pthread_setspecific, pthread_setspecific,
	(pthread_key_t k, const void *v), (k, v))

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
