/*
 * libshim/vg.h -- what valgrind's thread checkers, helgrind and drd, are
 * told about libshim's synchronisation.
 *
 * Both tools learn of a program's locks by wrapping glibc's pthread
 * functions: their preloaded vgpreload_helgrind/drd object redirects
 * pthread_mutex_lock & co. of the objects whose soname is libc.so.* or
 * libpthread.so.*.  A program under libshim calls libshim.so's, which no
 * wrapper names (--soname-synonyms covers the malloc family only), so
 * without help every lock is invisible and every protected access a
 * "race".  The documented help is the client requests of
 * <valgrind/helgrind.h> and <valgrind/drd.h>: libshim makes, at each
 * event, the requests helgrind's own wrappers (hg_intercepts.c) make, or
 * drd's annotations for the same event.  Thread creation needs none:
 * both tools order a thread after its creator at the clone itself.
 *
 * What libshim does with memory only it uses (its own data, thread
 * descriptors, the words inside the program's pthread objects, park queue
 * nodes) is correct by its own protocols, which the tools cannot see --
 * atomics and futexes, as inside glibc, whose races valgrind suppresses by
 * object name.  libshim marks that memory as not the program's instead
 * (vg_private), so no suppression file is needed.  It adds no ordering
 * of its own between the program's threads: a racy program stays racy.
 *
 * The gate is DIAG_VALGRIND in shim_diag, set by a constructor when
 * running under helgrind or drd: the objects already test shim_diag at
 * every lock and unlock, so an ordinary run pays nothing more, and the
 * hooks ride on the diagnostics' (profile.c).  Each hook is one call,
 * named for the event.
 */
#ifndef SHIM_VG_H
#define SHIM_VG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/visibility.h"
#include "compat/valgrind.h"
#include "libshim/profile.h"

static inline bool vg_on(void)
{
	return __builtin_expect((shim_diag & DIAG_VALGRIND) != 0, 0);
}

/* kind: enum prof_kind.  A blocking or try acquisition of obj begins; it
 * ended (got: the caller has it); the caller is about to release it. */
SHIM_HIDDEN void vg__lock_pre(const void *obj, unsigned kind, bool try);
SHIM_HIDDEN void vg__locked(const void *obj, unsigned kind, bool got);
SHIM_HIDDEN void vg__unlock_pre(const void *obj, unsigned kind);
/* obj was made (arg: a mutex's recursiveness, a semaphore's value, a
 * barrier's count) / is about to be destroyed. */
SHIM_HIDDEN void vg__init(const void *obj, unsigned kind, unsigned long arg);
SHIM_HIDDEN void vg__destroy(const void *obj, unsigned kind);
/* A release of obj, ordering what the caller did before it before what
 * any later acquirer does after vg__acquire: a post, a signal, a
 * barrier arrival, a once completed, a thread's end. */
SHIM_HIDDEN void vg__release(const void *obj, unsigned kind);
SHIM_HIDDEN void vg__acquire(const void *obj, unsigned kind);
/* [p, p+n), last used by a thread now gone, is the caller's now. */
SHIM_HIDDEN void vg__recycled(const void *p, size_t n);

#define VG_HOOK(name, params, args)                                        \
	static inline void vg_##name params                                \
	{                                                                  \
		if (vg_on())                                               \
			vg__##name args;                                   \
	}
VG_HOOK(lock_pre, (const void *o, unsigned k, bool t), (o, k, t))
VG_HOOK(locked, (const void *o, unsigned k, bool got), (o, k, got))
VG_HOOK(unlock_pre, (const void *o, unsigned k), (o, k))
VG_HOOK(init, (const void *o, unsigned k, unsigned long a), (o, k, a))
VG_HOOK(destroy, (const void *o, unsigned k), (o, k))
VG_HOOK(release, (const void *o, unsigned k), (o, k))
VG_HOOK(acquire, (const void *o, unsigned k), (o, k))
VG_HOOK(recycled, (const void *p, size_t n), (p, n))
#undef VG_HOOK

/* [p, p+n) is libshim's alone: its races are not the program's. */
static inline void vg_private(const void *p, size_t n)
{
	if (vg_on())
		valgrind_private(p, n);
}

#endif
