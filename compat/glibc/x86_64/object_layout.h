/*
 * compat/glibc/x86_64/object_layout.h -- where glibc 2.36 keeps, on
 * x86_64, the fields of its synchronisation objects that libshim reads
 * and writes in place, and how large and aligned each object and
 * attribute type is.  libshim's objects overlay glibc's (a program's
 * static initialisers, and glibc code that is not interposed, see these
 * bytes), so each of libshim's structs asserts its fields against these
 * names where it is declared; compat/glibc/object_layout.c checks the
 * names against the host's <pthread.h> and <semaphore.h>.  Found through
 * the include path, as tcb_layout.h is: arm64 has its own.
 *
 * The reference is glibc's bits/struct_mutex.h, bits/struct_rwlock.h,
 * bits/thread-shared-types.h and bits/pthreadtypes-arch.h for x86_64;
 * the attribute and semaphore layouts, which no public header spells
 * out, are nptl/internaltypes.h's struct pthread_attr, pthread_mutexattr,
 * pthread_condattr, pthread_rwlockattr, pthread_barrierattr and new_sem.
 */
#ifndef SHIM_COMPAT_GLIBC_OBJECT_LAYOUT_H
#define SHIM_COMPAT_GLIBC_OBJECT_LAYOUT_H

/* struct __pthread_mutex_s: __spins and __elision are two shorts here,
 * __list a __pthread_list_t {__prev, __next}. */
enum {
	GLIBC_MUTEX_OFF_LOCK = 0,
	GLIBC_MUTEX_OFF_COUNT = 4,
	GLIBC_MUTEX_OFF_OWNER = 8,
	GLIBC_MUTEX_OFF_NUSERS = 12,
	GLIBC_MUTEX_OFF_KIND = 16,   /* fixed by the static initialisers */
	GLIBC_MUTEX_OFF_SPINS = 20,
	GLIBC_MUTEX_OFF_LIST = 24,   /* __list.__prev */
	GLIBC_MUTEX_OFF_LIST_NEXT = 32,
	GLIBC_SIZEOF_MUTEX = 40,
	GLIBC_ALIGNOF_MUTEX = 8,
	GLIBC_SIZEOF_MUTEXATTR = 4,  /* int mutexkind */
};

/* The robust list's futex_offset: from a node (__list.__next) back to
 * the mutex's lock word, as glibc registers it with the kernel. */
#define GLIBC_ROBUST_FUTEX_OFFSET (GLIBC_MUTEX_OFF_LOCK - \
				   GLIBC_MUTEX_OFF_LIST_NEXT)

/* struct __pthread_cond_s: only __wrefs keeps what libshim shares with
 * glibc (its clock and process-shared bits). */
enum {
	GLIBC_COND_OFF_WREFS = 36,
	GLIBC_SIZEOF_COND = 48,
	GLIBC_ALIGNOF_COND = 8,
	GLIBC_SIZEOF_CONDATTR = 4,   /* int value */
};

/* struct __pthread_rwlock_arch_t. */
enum {
	GLIBC_RWLOCK_OFF_READERS = 0,
	GLIBC_RWLOCK_OFF_CUR_WRITER = 24,
	GLIBC_RWLOCK_OFF_SHARED = 28,
	GLIBC_RWLOCK_OFF_FLAGS = 48, /* fixed by the static initialisers */
	GLIBC_SIZEOF_RWLOCK = 56,
	GLIBC_ALIGNOF_RWLOCK = 8,
	GLIBC_SIZEOF_RWLOCKATTR = 8, /* int lockkind, int pshared */
};

/* pthread_barrier_t is opaque to programs: only its size and alignment
 * bind libshim's own layout. */
enum {
	GLIBC_SIZEOF_BARRIER = 32,
	GLIBC_ALIGNOF_BARRIER = 8,
	GLIBC_SIZEOF_BARRIERATTR = 4, /* int pshared */
};

/* struct pthread_attr, read by glibc's own code (timer_create's
 * SIGEV_THREAD copies one libshim initialised). */
enum {
	GLIBC_ATTR_OFF_SCHEDPARAM = 0,
	GLIBC_ATTR_OFF_SCHEDPOLICY = 4,
	GLIBC_ATTR_OFF_FLAGS = 8,
	GLIBC_ATTR_OFF_GUARDSIZE = 16,
	GLIBC_ATTR_OFF_STACKADDR = 24,
	GLIBC_ATTR_OFF_STACKSIZE = 32,
	GLIBC_ATTR_OFF_EXTENSION = 40,
	GLIBC_SIZEOF_ATTR = 56,
	GLIBC_ALIGNOF_ATTR = 8,
};

/* struct new_sem: the value and waiter count in one 64-bit word, then
 * the private flag; a semaphore in shared memory speaks glibc's protocol
 * through them. */
enum {
	GLIBC_SEM_OFF_DATA = 0,
	GLIBC_SEM_OFF_PRIVATE = 8,
	GLIBC_SIZEOF_SEM = 32,
	GLIBC_ALIGNOF_SEM = 8,
};

#endif
