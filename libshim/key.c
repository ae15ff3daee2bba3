/*
 * libshim/key.c -- thread-specific data (pthread_key_*), owned by libshim:
 * glibc's key destructors are glibc-internal and never run for libshim's
 * threads.
 *
 * A key is an index into keys[]; its seq is odd while the key is in use
 * and bumps on create and delete.  A thread's value counts only while the
 * slot's seq equals the key's current seq, so pthread_key_delete never
 * visits other threads and a recycled key reads NULL everywhere.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "libshim/shim.h"
#include "libshim/thread.h"

static struct key {
	_Atomic unsigned seq;
	void (*_Atomic dtor)(void *);
} keys[SHIM_KEYS_MAX];

static bool in_use(unsigned seq)
{
	return seq & 1;
}

SHIM_EXPORT int pthread_key_create(pthread_key_t *key, void (*dtor)(void *))
{
	for (unsigned i = 0; i < SHIM_KEYS_MAX; i++) {
		unsigned s = atomic_load_explicit(&keys[i].seq,
						  memory_order_relaxed);
		if (in_use(s))
			continue;
		/* The destructor is stored before the seq makes the key
		 * live, so a thread exiting concurrently never sees a live
		 * key with a stale destructor. */
		keys[i].dtor = dtor;
		if (atomic_compare_exchange_strong_explicit(
			    &keys[i].seq, &s, s + 1, memory_order_release,
			    memory_order_relaxed)) {
			*key = i;
			return 0;
		}
	}
	return EAGAIN;
}

/* libstdc++ and libgcc test for this name to decide threads are in use. */
SHIM_EXPORT int __pthread_key_create(pthread_key_t *key, void (*dtor)(void *))
{
	return pthread_key_create(key, dtor);
}

SHIM_EXPORT int pthread_key_delete(pthread_key_t key)
{
	if (key >= SHIM_KEYS_MAX)
		return EINVAL;
	unsigned s = atomic_load_explicit(&keys[key].seq, memory_order_relaxed);
	if (!in_use(s) || !atomic_compare_exchange_strong_explicit(
				  &keys[key].seq, &s, s + 1,
				  memory_order_release, memory_order_relaxed))
		return EINVAL;
	return 0;
}

static struct shim_tsd *slot(struct shim_thread *td, pthread_key_t key,
			     bool create)
{
	if (key < SHIM_KEYS_INLINE)
		return &td->td_tsd[key];
	if (td->td_tsd_more == NULL) {
		if (!create)
			return NULL;
		td->td_tsd_more = calloc(SHIM_KEYS_MAX - SHIM_KEYS_INLINE,
					 sizeof *td->td_tsd_more);
		if (td->td_tsd_more == NULL)
			return NULL;
	}
	return &td->td_tsd_more[key - SHIM_KEYS_INLINE];
}

SHIM_EXPORT void *pthread_getspecific(pthread_key_t key)
{
	if (key >= SHIM_KEYS_MAX)
		return NULL;
	struct shim_thread *td = shim_self();
	struct shim_tsd *s = td ? slot(td, key, false) : NULL;
	if (s == NULL || s->seq != atomic_load_explicit(&keys[key].seq,
							memory_order_relaxed))
		return NULL;
	return s->value;
}

SHIM_EXPORT int pthread_setspecific(pthread_key_t key, const void *value)
{
	if (key >= SHIM_KEYS_MAX)
		return EINVAL;
	unsigned seq =
		atomic_load_explicit(&keys[key].seq, memory_order_acquire);
	if (!in_use(seq))
		return EINVAL;
	struct shim_thread *td = shim_self();
	struct shim_tsd *s = td ? slot(td, key, true) : NULL;
	if (s == NULL)
		return ENOMEM;
	s->value = (void *)value;
	s->seq = seq;
	td->td_tsd_used = true;
	return 0;
}

void shim_tsd_run_destructors(struct shim_thread *td)
{
	/* POSIX: repeat while destructors set new values, at most
	 * PTHREAD_DESTRUCTOR_ITERATIONS rounds. */
	for (int round = 0; td->td_tsd_used && round < PTHREAD_DESTRUCTOR_ITERATIONS;
	     round++) {
		td->td_tsd_used = false;
		for (unsigned k = 0; k < SHIM_KEYS_MAX; k++) {
			struct shim_tsd *s = slot(td, k, false);
			if (s == NULL)
				break;
			unsigned seq = atomic_load_explicit(
				&keys[k].seq, memory_order_acquire);
			if (s->value == NULL || s->seq != seq)
				continue;
			void *v = s->value;
			s->value = NULL;
			void (*dtor)(void *) = keys[k].dtor;
			if (dtor)
				dtor(v);
		}
	}
	free(td->td_tsd_more);
	td->td_tsd_more = NULL;
}

/* The double-underscore names old binaries bind (libpthread exported
 * them for years). */
SHIM_ALIAS(pthread_getspecific, __pthread_getspecific);
SHIM_ALIAS(pthread_setspecific, __pthread_setspecific);
