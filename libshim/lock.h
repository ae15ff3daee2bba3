/*
 * libshim/lock.h -- the lock libshim uses for its own lists (threads,
 * stack cache, keys).  It is libshim's normal mutex: waiting goes through
 * the park layer like every other wait.  libshim links with
 * -Bsymbolic-functions, so these calls bind to libshim's own definition.
 */
#ifndef SHIM_LOCK_H
#define SHIM_LOCK_H

#include <pthread.h>
#include <string.h>

typedef pthread_mutex_t shim_lock_t;
#define SHIM_LOCK_INIT PTHREAD_MUTEX_INITIALIZER

static inline void shim_lock(shim_lock_t *l)
{
	pthread_mutex_lock(l);
}

static inline void shim_unlock(shim_lock_t *l)
{
	pthread_mutex_unlock(l);
}

/* After fork, in the child: the holder may be a thread that is gone. */
static inline void shim_lock_init(shim_lock_t *l)
{
	memset(l, 0, sizeof *l);
}

#endif
