/*
 * compat/glibc/object_layout.c -- the names of object_layout.h (this
 * CPU's, compat/glibc/<cpu>/) checked against the host's own headers at
 * build time: a glibc whose public layout moved fails the build here,
 * not a program at run time.  What the public headers do not spell out
 * (the attribute structs, new_sem) can only be checked for size.
 *
 * No code: libshim's structs check themselves against the same names
 * where they are declared (libshim/mutex.h, cond.c, rwlock_impl.h, ...).
 */
#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <stdint.h>
#include <threads.h>

#include "object_layout.h"

#define FIELD_AT(type, field, off) \
	_Static_assert(offsetof(type, field) == (off), #type "." #field)
#define SIZE_ALIGN(type, size, align)                                  \
	_Static_assert(sizeof(type) == (size) && _Alignof(type) == (align), \
		       #type " size and alignment")

FIELD_AT(pthread_mutex_t, __data.__lock, GLIBC_MUTEX_OFF_LOCK);
FIELD_AT(pthread_mutex_t, __data.__count, GLIBC_MUTEX_OFF_COUNT);
FIELD_AT(pthread_mutex_t, __data.__owner, GLIBC_MUTEX_OFF_OWNER);
FIELD_AT(pthread_mutex_t, __data.__nusers, GLIBC_MUTEX_OFF_NUSERS);
FIELD_AT(pthread_mutex_t, __data.__kind, GLIBC_MUTEX_OFF_KIND);
FIELD_AT(pthread_mutex_t, __data.__spins, GLIBC_MUTEX_OFF_SPINS);
FIELD_AT(pthread_mutex_t, __data.__list.__prev, GLIBC_MUTEX_OFF_LIST);
FIELD_AT(pthread_mutex_t, __data.__list.__next, GLIBC_MUTEX_OFF_LIST_NEXT);
SIZE_ALIGN(pthread_mutex_t, GLIBC_SIZEOF_MUTEX, GLIBC_ALIGNOF_MUTEX);
_Static_assert(sizeof(pthread_mutexattr_t) == GLIBC_SIZEOF_MUTEXATTR,
	       "pthread_mutexattr_t size");
/* glibc's pthread_create registers this with set_robust_list. */
_Static_assert(GLIBC_ROBUST_FUTEX_OFFSET ==
		       (long)offsetof(pthread_mutex_t, __data.__lock) -
			       (long)offsetof(pthread_mutex_t,
					      __data.__list.__next),
	       "robust futex_offset");

FIELD_AT(pthread_cond_t, __data.__wrefs, GLIBC_COND_OFF_WREFS);
SIZE_ALIGN(pthread_cond_t, GLIBC_SIZEOF_COND, GLIBC_ALIGNOF_COND);
_Static_assert(sizeof(pthread_condattr_t) == GLIBC_SIZEOF_CONDATTR,
	       "pthread_condattr_t size");

FIELD_AT(pthread_rwlock_t, __data.__readers, GLIBC_RWLOCK_OFF_READERS);
FIELD_AT(pthread_rwlock_t, __data.__cur_writer, GLIBC_RWLOCK_OFF_CUR_WRITER);
FIELD_AT(pthread_rwlock_t, __data.__shared, GLIBC_RWLOCK_OFF_SHARED);
FIELD_AT(pthread_rwlock_t, __data.__flags, GLIBC_RWLOCK_OFF_FLAGS);
SIZE_ALIGN(pthread_rwlock_t, GLIBC_SIZEOF_RWLOCK, GLIBC_ALIGNOF_RWLOCK);
_Static_assert(sizeof(pthread_rwlockattr_t) == GLIBC_SIZEOF_RWLOCKATTR,
	       "pthread_rwlockattr_t size");

SIZE_ALIGN(pthread_barrier_t, GLIBC_SIZEOF_BARRIER, GLIBC_ALIGNOF_BARRIER);
_Static_assert(sizeof(pthread_barrierattr_t) == GLIBC_SIZEOF_BARRIERATTR,
	       "pthread_barrierattr_t size");

SIZE_ALIGN(pthread_attr_t, GLIBC_SIZEOF_ATTR, GLIBC_ALIGNOF_ATTR);

SIZE_ALIGN(sem_t, GLIBC_SIZEOF_SEM, GLIBC_ALIGNOF_SEM);

/* glibc's C11 types are its pthread types (libshim/c11.c passes one for
 * the other). */
SIZE_ALIGN(thrd_t, sizeof(pthread_t), _Alignof(pthread_t));
SIZE_ALIGN(mtx_t, GLIBC_SIZEOF_MUTEX, GLIBC_ALIGNOF_MUTEX);
SIZE_ALIGN(cnd_t, GLIBC_SIZEOF_COND, GLIBC_ALIGNOF_COND);
_Static_assert(sizeof(tss_t) == sizeof(pthread_key_t), "tss_t size");
_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag size");
