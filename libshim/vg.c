/*
 * libshim/vg.c -- the client requests behind vg.h, for helgrind or drd.
 *
 * Which tool runs decides the requests, since the two share some numbers
 * (helgrind's rwlock requests are drd's rwlock annotations) but not all:
 *
 *   event            helgrind (as hg_intercepts.c)    drd (drd.h)
 *   mutex, spin      VALGRIND_HG_MUTEX_*              happens-before/after
 *                                                    (a writer rwlock
 *                                                    cannot recurse)
 *   rwlock           ANNOTATE_RWLOCK_*                ANNOTATE_RWLOCK_*
 *   semaphore        VALGRIND_HG_SEM_*                ANNOTATE_SEM_*
 *   barrier          VALGRIND_HG_BARRIER_*            happens-before/after
 *   cond, once, join happens-before/after             happens-before/after
 *
 * Without valgrind's headers (its development files) every hook is empty.
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>

#include "compat/valgrind.h"
#include "libshim/vg.h"

#if __has_include(<valgrind/helgrind.h>) && __has_include(<valgrind/drd.h>)
#include <valgrind/helgrind.h>
#include <valgrind/drd.h>

/* drd's own happens-before requests: drd.h leaves its macros undefined
 * once helgrind.h is in, and helgrind's are other numbers. */
#define DRD_BEFORE(o) VALGRIND_DO_CLIENT_REQUEST_STMT( \
	VG_USERREQ__DRD_ANNOTATE_HAPPENS_BEFORE, (o), 0, 0, 0, 0)
#define DRD_AFTER(o) VALGRIND_DO_CLIENT_REQUEST_STMT( \
	VG_USERREQ__DRD_ANNOTATE_HAPPENS_AFTER, (o), 0, 0, 0, 0)

/*
 * Inside a wrapped call of glibc's (valgrind_glibc_call_begin): nothing is
 * told, but under drd a mutex made there is drd's semaphore's, which
 * drd's wrapper then names to drd as a mutex it should know
 * (ignore_mutex_ordering): glibc's pthread_mutex_init, which drd wraps,
 * makes it one.  Its words are a default mutex's in glibc's layout, which
 * is libshim's.
 */

/* libshim's own mapping: its locks (lock.h), once words and data. */
static const char *own_lo, *own_hi;

/* What is not for the tool: libshim's own objects (their ordering is
 * libshim's, and would hide the program's races), and anything inside a
 * wrapped glibc call. */
static bool untold(const void *obj)
{
	return valgrind_in_glibc_call() ||
	       ((const char *)obj >= own_lo && (const char *)obj < own_hi);
}

static void drd_glibc_mutex(const void *obj)
{
	int (*init)(pthread_mutex_t *, const pthread_mutexattr_t *) =
		(int (*)(pthread_mutex_t *, const pthread_mutexattr_t *))dlvsym(
			RTLD_NEXT, "pthread_mutex_init", "GLIBC_2.2.5");
	if (valgrind_tool() == VALGRIND_DRD && init != NULL)
		init((pthread_mutex_t *)obj, NULL);
}

static bool is_lock(unsigned kind)
{
	return kind == PROF_MUTEX || kind == PROF_SPIN;
}

static bool is_rwlock(unsigned kind)
{
	return kind == PROF_RWLOCK_RD || kind == PROF_RWLOCK_WR;
}

/* The object's own words are libshim's (vg.h): marked at every event,
 * since a statically initialised object has no init call. */
static void object_private(const void *obj, unsigned kind)
{
	static const size_t size[PROF_KINDS] = {
		[PROF_MUTEX] = sizeof(pthread_mutex_t),
		[PROF_COND] = sizeof(pthread_cond_t),
		[PROF_RWLOCK_RD] = sizeof(pthread_rwlock_t),
		[PROF_RWLOCK_WR] = sizeof(pthread_rwlock_t),
		[PROF_SEM] = sizeof(sem_t),
		[PROF_BARRIER] = sizeof(pthread_barrier_t),
		[PROF_ONCE] = sizeof(pthread_once_t),
		[PROF_SPIN] = sizeof(pthread_spinlock_t),
	};
	if (kind < PROF_KINDS && size[kind] != 0)
		valgrind_private(obj, size[kind]);
}

void vg__lock_pre(const void *obj, unsigned kind, bool try)
{
	if (untold(obj))
		return;
	object_private(obj, kind);
	if (valgrind_tool() == VALGRIND_HELGRIND && is_lock(kind)) {
		VALGRIND_HG_MUTEX_LOCK_PRE(obj, try);
	} else if (valgrind_tool() == VALGRIND_DRD && kind == PROF_SEM) {
		ANNOTATE_SEM_WAIT_PRE(obj);
	}
}

void vg__locked(const void *obj, unsigned kind, bool got)
{
	if (untold(obj))
		return;
	if (!got)
		return;
	if (is_rwlock(kind)) {
		ANNOTATE_RWLOCK_ACQUIRED(obj, kind != PROF_RWLOCK_RD);
	} else if (is_lock(kind) && valgrind_tool() == VALGRIND_DRD) {
		DRD_AFTER(obj);
	} else if (is_lock(kind)) {
		VALGRIND_HG_MUTEX_LOCK_POST(obj);
	} else if (kind == PROF_SEM && valgrind_tool() == VALGRIND_HELGRIND) {
		VALGRIND_HG_SEM_WAIT_POST(obj);
	} else if (kind == PROF_SEM) {
		ANNOTATE_SEM_WAIT_POST(obj);
	}
}

void vg__unlock_pre(const void *obj, unsigned kind)
{
	if (untold(obj))
		return;
	object_private(obj, kind);
	if (is_rwlock(kind)) {
		ANNOTATE_RWLOCK_RELEASED(obj, kind != PROF_RWLOCK_RD);
	} else if (is_lock(kind) && valgrind_tool() == VALGRIND_DRD) {
		DRD_BEFORE(obj);
	} else if (is_lock(kind)) {
		VALGRIND_HG_MUTEX_UNLOCK_PRE(obj);
	}
}

void vg__init(const void *obj, unsigned kind, unsigned long arg)
{
	if (valgrind_in_glibc_call() && kind == PROF_MUTEX)
		drd_glibc_mutex(obj);
	if (untold(obj))
		return;
	object_private(obj, kind);
	if (is_rwlock(kind)) {
		ANNOTATE_RWLOCK_CREATE(obj);
	} else if (is_lock(kind) && valgrind_tool() == VALGRIND_HELGRIND) {
		VALGRIND_HG_MUTEX_INIT_POST(obj, arg);
	} else if (kind == PROF_SEM && valgrind_tool() == VALGRIND_HELGRIND) {
		VALGRIND_HG_SEM_INIT_POST(obj, arg);
	} else if (kind == PROF_SEM) {
		ANNOTATE_SEM_INIT_PRE(obj, arg);
	} else if (kind == PROF_BARRIER && valgrind_tool() == VALGRIND_HELGRIND) {
		VALGRIND_HG_BARRIER_INIT_PRE(obj, arg, 0);
	}
}

void vg__destroy(const void *obj, unsigned kind)
{
	if (untold(obj))
		return;
	if (is_rwlock(kind)) {
		ANNOTATE_RWLOCK_DESTROY(obj);
	} else if (is_lock(kind) && valgrind_tool() == VALGRIND_HELGRIND) {
		VALGRIND_HG_MUTEX_DESTROY_PRE(obj);
	} else if (kind == PROF_SEM && valgrind_tool() == VALGRIND_HELGRIND) {
		VALGRIND_HG_SEM_DESTROY_PRE(obj);
	} else if (kind == PROF_SEM) {
		ANNOTATE_SEM_DESTROY_POST(obj);
	} else if (kind == PROF_BARRIER && valgrind_tool() == VALGRIND_HELGRIND) {
		VALGRIND_HG_BARRIER_DESTROY_PRE(obj);
	}
}

void vg__release(const void *obj, unsigned kind)
{
	if (untold(obj))
		return;
	object_private(obj, kind);
	if (valgrind_tool() == VALGRIND_HELGRIND && kind == PROF_SEM) {
		VALGRIND_HG_SEM_POST_PRE(obj);
	} else if (valgrind_tool() == VALGRIND_HELGRIND && kind == PROF_BARRIER) {
		VALGRIND_HG_BARRIER_WAIT_PRE(obj);
	} else if (valgrind_tool() == VALGRIND_HELGRIND) {
		ANNOTATE_HAPPENS_BEFORE(obj);
	} else if (kind == PROF_SEM) {
		ANNOTATE_SEM_POST_PRE(obj);
	} else {
		DRD_BEFORE(obj);
	}
}

void vg__acquire(const void *obj, unsigned kind)
{
	if (untold(obj))
		return;
	/* helgrind's barrier request did both halves at arrival. */
	if (valgrind_tool() == VALGRIND_HELGRIND && kind != PROF_BARRIER) {
		ANNOTATE_HAPPENS_AFTER(obj);
	} else if (valgrind_tool() == VALGRIND_DRD) {
		DRD_AFTER(obj);
	}
}

void vg__recycled(const void *p, size_t n)
{
	/* One request for both tools: drd's clean-memory request has
	 * helgrind's number. */
	VALGRIND_HG_CLEAN_MEMORY(p, n);
}

/* Before main, so that every object the program makes is seen (a lock
 * taken by an earlier constructor and released after is an unlock the
 * tool never saw locked: it says so); before libshim's other
 * constructors, which map the diagnostics' tables (diag_map). */
__attribute__((constructor(101))) static void vg_start(void)
{
	if (valgrind_tool() == VALGRIND_NONE)
		return; /* memcheck and the others: nothing to tell */
	shim_diag |= DIAG_VALGRIND;
	/* libshim's own data: its locks' words, the park layer's buckets,
	 * the stack cache and thread lists. */
	struct dl_find_object fo;
	if (_dl_find_object((void *)&vg_start, &fo) == 0) {
		own_lo = fo.dlfo_map_start;
		own_hi = fo.dlfo_map_end;
		valgrind_private(own_lo, (size_t)(own_hi - own_lo));
	}
}

#else

void vg__lock_pre(const void *obj, unsigned kind, bool try) {}
void vg__locked(const void *obj, unsigned kind, bool got) {}
void vg__unlock_pre(const void *obj, unsigned kind) {}
void vg__init(const void *obj, unsigned kind, unsigned long arg) {}
void vg__destroy(const void *obj, unsigned kind) {}
void vg__release(const void *obj, unsigned kind) {}
void vg__acquire(const void *obj, unsigned kind) {}
void vg__recycled(const void *p, size_t n) {}

#endif
