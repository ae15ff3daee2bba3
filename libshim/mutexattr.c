/*
 * libshim/mutexattr.c -- pthread_mutexattr_*: glibc's attribute word
 * (struct pthread_mutexattr), which pthread_mutex_init reads (mutex.c).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "libshim/mutex_impl.h"

static int *attr_word(pthread_mutexattr_t *a)
{
	return (int *)a;
}

SHIM_EXPORT int pthread_mutexattr_init(pthread_mutexattr_t *attr)
{
	memset(attr, 0, sizeof *attr);
	*attr_word(attr) = PTHREAD_MUTEX_NORMAL;
	return 0;
}

SHIM_EXPORT int pthread_mutexattr_destroy(pthread_mutexattr_t *attr)
{
	(void)attr;
	return 0;
}

SHIM_EXPORT int pthread_mutexattr_settype(pthread_mutexattr_t *attr,
					  int type)
{
	if (type < PTHREAD_MUTEX_NORMAL || type > PTHREAD_MUTEX_ADAPTIVE_NP)
		return EINVAL;
	/* glibc marks an explicit NORMAL so (it cannot tell it from
	 * DEFAULT otherwise); kept for objects that compare kinds. */
	if (type == PTHREAD_MUTEX_NORMAL)
		type |= ATTR_NO_ELISION;
	int *w = attr_word(attr);
	*w = (*w & ATTR_FLAG_BITS) | type;
	return 0;
}

SHIM_ALIAS(pthread_mutexattr_settype, pthread_mutexattr_setkind_np);

SHIM_EXPORT int pthread_mutexattr_gettype(const pthread_mutexattr_t *attr,
					  int *type)
{
	*type = attr_value(attr) & ~ATTR_FLAG_BITS & ~ATTR_NO_ELISION;
	return 0;
}

SHIM_ALIAS(pthread_mutexattr_gettype, pthread_mutexattr_getkind_np);

SHIM_EXPORT int pthread_mutexattr_setpshared(pthread_mutexattr_t *attr,
					     int pshared)
{
	int *w = attr_word(attr);
	if (pshared == PTHREAD_PROCESS_PRIVATE)
		*w &= ~ATTR_PSHARED;
	else if (pshared == PTHREAD_PROCESS_SHARED)
		*w |= ATTR_PSHARED;
	else
		return EINVAL;
	return 0;
}

SHIM_EXPORT int pthread_mutexattr_getpshared(const pthread_mutexattr_t *attr,
					     int *pshared)
{
	*pshared = (attr_value(attr) & ATTR_PSHARED) ? PTHREAD_PROCESS_SHARED
						     : PTHREAD_PROCESS_PRIVATE;
	return 0;
}

SHIM_EXPORT int pthread_mutexattr_setprotocol(pthread_mutexattr_t *attr,
					      int protocol)
{
	if (protocol != PTHREAD_PRIO_NONE && protocol != PTHREAD_PRIO_INHERIT &&
	    protocol != PTHREAD_PRIO_PROTECT)
		return EINVAL;
	int *w = attr_word(attr);
	*w = (*w & ~ATTR_PROTOCOL_MASK) | (protocol << ATTR_PROTOCOL_SHIFT);
	return 0;
}

SHIM_EXPORT int pthread_mutexattr_getprotocol(const pthread_mutexattr_t *attr,
					      int *protocol)
{
	*protocol = (attr_value(attr) & ATTR_PROTOCOL_MASK) >>
		    ATTR_PROTOCOL_SHIFT;
	return 0;
}

SHIM_EXPORT int pthread_mutexattr_setprioceiling(pthread_mutexattr_t *attr,
						 int prioceiling)
{
	if (!ceiling_valid(prioceiling))
		return EINVAL;
	int *w = attr_word(attr);
	*w = (*w & ~ATTR_CEILING_MASK) | (prioceiling << ATTR_CEILING_SHIFT);
	return 0;
}

SHIM_EXPORT int
pthread_mutexattr_getprioceiling(const pthread_mutexattr_t *attr,
				 int *prioceiling)
{
	int c = (attr_value(attr) & ATTR_CEILING_MASK) >> ATTR_CEILING_SHIFT;
	/* Never set: glibc reports the lowest SCHED_FIFO priority. */
	if (c == 0)
		c = sched_get_priority_min(SCHED_FIFO);
	*prioceiling = c;
	return 0;
}

SHIM_EXPORT int pthread_mutexattr_setrobust(pthread_mutexattr_t *attr,
					    int robust)
{
	int *w = attr_word(attr);
	if (robust == PTHREAD_MUTEX_STALLED)
		*w &= ~ATTR_ROBUST;
	else if (robust == PTHREAD_MUTEX_ROBUST)
		*w |= ATTR_ROBUST;
	else
		return EINVAL;
	return 0;
}

SHIM_ALIAS(pthread_mutexattr_setrobust, pthread_mutexattr_setrobust_np);

SHIM_EXPORT int pthread_mutexattr_getrobust(const pthread_mutexattr_t *attr,
					    int *robust)
{
	*robust = (attr_value(attr) & ATTR_ROBUST) ? PTHREAD_MUTEX_ROBUST
						   : PTHREAD_MUTEX_STALLED;
	return 0;
}

SHIM_ALIAS(pthread_mutexattr_getrobust, pthread_mutexattr_getrobust_np);

/* The double-underscore names old binaries bind (libpthread exported
 * them for years). */
SHIM_ALIAS(pthread_mutexattr_init, __pthread_mutexattr_init);
SHIM_ALIAS(pthread_mutexattr_destroy, __pthread_mutexattr_destroy);
SHIM_ALIAS(pthread_mutexattr_settype, __pthread_mutexattr_settype);
