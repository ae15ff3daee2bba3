/*
 * libshim/c11.c -- the C11 <threads.h> API.
 *
 * Since glibc 2.34 the C11 functions live in libc itself and call glibc's
 * internal pthread functions directly, so a program's thrd_create or
 * mtx_lock would never reach libshim through the pthread_* names.  libshim
 * therefore defines the whole C11 API too, each function a thin wrapper
 * over libshim's own pthread_* function of the same meaning (the calls
 * below bind to libshim's definitions: they are in the same library).
 *
 * The types are glibc's: thrd_t is a pthread_t, mtx_t a pthread_mutex_t,
 * cnd_t a pthread_cond_t, tss_t a pthread_key_t and once_flag wraps a
 * pthread_once_t, so the objects are the pthread objects themselves and
 * their all-zero and static-initializer forms carry over (the sizes are
 * checked with glibc's other layouts, in compat/glibc/object_layout.c).
 *
 * Errors are mapped as glibc's thrd_err_map maps them: 0 to thrd_success,
 * ENOMEM to thrd_nomem, ETIMEDOUT to thrd_timedout, EBUSY to thrd_busy and
 * everything else to thrd_error.  mtx_init, as glibc's, makes a recursive
 * mutex for exactly mtx_plain|mtx_recursive and mtx_timed|mtx_recursive
 * and a normal one for every other type, including invalid ones.
 *
 * A C11 start function returns int where a pthread one returns void *.
 * glibc marks such threads in its descriptor; libshim instead starts them
 * through c11_start, which calls the function and converts its result,
 * with the function and argument in a small block the new thread frees.
 * Results travel through the pthread exit value as (void *)(intptr_t) and
 * come back truncated to int, as in glibc, so thrd_exit and returning
 * from the start function agree.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>

#include "common/visibility.h"

static int thrd_result(int err)
{
	switch (err) {
	case 0:
		return thrd_success;
	case ENOMEM:
		return thrd_nomem;
	case ETIMEDOUT:
		return thrd_timedout;
	case EBUSY:
		return thrd_busy;
	default:
		return thrd_error;
	}
}

/* ---- threads ---- */

struct c11_start_block {
	thrd_start_t func;
	void *arg;
};

static void *c11_start(void *p)
{
	struct c11_start_block b = *(struct c11_start_block *)p;
	free(p);
	return (void *)(intptr_t)b.func(b.arg);
}

SHIM_EXPORT int thrd_create(thrd_t *thr, thrd_start_t func, void *arg)
{
	struct c11_start_block *b = malloc(sizeof *b);
	if (b == NULL)
		return thrd_nomem;
	b->func = func;
	b->arg = arg;
	int err = pthread_create((pthread_t *)thr, NULL, c11_start, b);
	if (err != 0)
		free(b);
	return thrd_result(err);
}

SHIM_EXPORT thrd_t thrd_current(void)
{
	return pthread_self();
}

SHIM_EXPORT int thrd_detach(thrd_t thr)
{
	return thrd_result(pthread_detach(thr));
}

SHIM_EXPORT int thrd_equal(thrd_t a, thrd_t b)
{
	return pthread_equal(a, b);
}

SHIM_EXPORT _Noreturn void thrd_exit(int res)
{
	pthread_exit((void *)(intptr_t)res);
}

SHIM_EXPORT int thrd_join(thrd_t thr, int *res)
{
	void *value;
	int err = pthread_join(thr, &value);
	if (err == 0 && res != NULL)
		*res = (int)(intptr_t)value;
	return thrd_result(err);
}

/* 0, -1 when a signal interrupted the sleep, -2 on any other failure. */
SHIM_EXPORT int thrd_sleep(const struct timespec *duration,
			   struct timespec *remaining)
{
	switch (clock_nanosleep(CLOCK_REALTIME, 0, duration, remaining)) {
	case 0:
		return 0;
	case EINTR:
		return -1;
	default:
		return -2;
	}
}

SHIM_EXPORT void thrd_yield(void)
{
	sched_yield();
}

/* ---- mutexes ---- */

SHIM_EXPORT int mtx_init(mtx_t *mtx, int type)
{
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	switch (type) {
	case mtx_plain | mtx_recursive:
	case mtx_timed | mtx_recursive:
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
		break;
	default:
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_NORMAL);
		break;
	}
	int err = pthread_mutex_init((pthread_mutex_t *)mtx, &attr);
	pthread_mutexattr_destroy(&attr);
	return thrd_result(err);
}

SHIM_EXPORT int mtx_lock(mtx_t *mtx)
{
	return thrd_result(pthread_mutex_lock((pthread_mutex_t *)mtx));
}

SHIM_EXPORT int mtx_timedlock(mtx_t *restrict mtx,
			      const struct timespec *restrict ts)
{
	return thrd_result(
		pthread_mutex_timedlock((pthread_mutex_t *)mtx, ts));
}

SHIM_EXPORT int mtx_trylock(mtx_t *mtx)
{
	return thrd_result(pthread_mutex_trylock((pthread_mutex_t *)mtx));
}

SHIM_EXPORT int mtx_unlock(mtx_t *mtx)
{
	return thrd_result(pthread_mutex_unlock((pthread_mutex_t *)mtx));
}

SHIM_EXPORT void mtx_destroy(mtx_t *mtx)
{
	pthread_mutex_destroy((pthread_mutex_t *)mtx);
}

/* ---- condition variables ---- */

SHIM_EXPORT int cnd_init(cnd_t *cond)
{
	return thrd_result(pthread_cond_init((pthread_cond_t *)cond, NULL));
}

SHIM_EXPORT int cnd_signal(cnd_t *cond)
{
	return thrd_result(pthread_cond_signal((pthread_cond_t *)cond));
}

SHIM_EXPORT int cnd_broadcast(cnd_t *cond)
{
	return thrd_result(pthread_cond_broadcast((pthread_cond_t *)cond));
}

SHIM_EXPORT int cnd_wait(cnd_t *cond, mtx_t *mtx)
{
	return thrd_result(pthread_cond_wait((pthread_cond_t *)cond,
					     (pthread_mutex_t *)mtx));
}

SHIM_EXPORT int cnd_timedwait(cnd_t *restrict cond, mtx_t *restrict mtx,
			      const struct timespec *restrict ts)
{
	return thrd_result(pthread_cond_timedwait(
		(pthread_cond_t *)cond, (pthread_mutex_t *)mtx, ts));
}

SHIM_EXPORT void cnd_destroy(cnd_t *cond)
{
	pthread_cond_destroy((pthread_cond_t *)cond);
}

/* ---- thread-specific storage ---- */

SHIM_EXPORT int tss_create(tss_t *key, tss_dtor_t dtor)
{
	return thrd_result(pthread_key_create(key, dtor));
}

SHIM_EXPORT void *tss_get(tss_t key)
{
	return pthread_getspecific(key);
}

SHIM_EXPORT int tss_set(tss_t key, void *value)
{
	return thrd_result(pthread_setspecific(key, value));
}

SHIM_EXPORT void tss_delete(tss_t key)
{
	pthread_key_delete(key);
}

/* ---- once ---- */

SHIM_EXPORT void call_once(once_flag *flag, void (*func)(void))
{
	pthread_once((pthread_once_t *)&flag->__data, func);
}
