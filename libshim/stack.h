/*
 * libshim/stack.h -- thread memory (stack, descriptor, TLS, TCB) and its
 * cache.  See stack.c for the layout.
 */
#ifndef SHIM_STACK_H
#define SHIM_STACK_H

#include <stddef.h>

#include "common/visibility.h"

struct shim_thread;

/*
 * A zeroed descriptor in a fresh or recycled mapping with a built TCB
 * (td_tp, td_map*, td_stack*, td_guard_size, td_user_stack set), and in
 * *stack_top the initial stack pointer.  user_stack: the caller's stack
 * (pthread_attr_setstack); the TCB is carved from its top.  NULL: out of
 * memory (pthread_create then says EAGAIN).
 */
SHIM_HIDDEN struct shim_thread *stack_get(size_t stack_size, size_t guard,
					  void *user_stack, size_t user_size,
					  void **stack_top);

/* A dead (or dying: its tid word not yet cleared) thread's memory. */
SHIM_HIDDEN void stack_put(struct shim_thread *td);

/* Memory of a thread that never started. */
SHIM_HIDDEN void stack_discard(struct shim_thread *td);

/* fork: held across fork() so the child inherits a consistent cache. */
SHIM_HIDDEN void stack_lock(void);
SHIM_HIDDEN void stack_unlock(void);

/* In a fork child: reset the cache's lock; dead parents' LWPs are gone. */
SHIM_HIDDEN void stack_after_fork(struct shim_thread *survivor);

#endif
