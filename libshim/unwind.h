/*
 * libshim/unwind.h -- the unwinder, from libgcc_s, loaded when needed.
 *
 * libshim does not link libgcc_s: a preload is mapped into every process a
 * program starts, and loading one more library costs each of them start-up
 * time.  glibc, too, opens libgcc_s only when a thread first unwinds.
 * libshim opens it at its own initialisation (before any libshim thread
 * exists: dlopen takes the loader's lock), or -- if that did not happen --
 * when a thread that is not libshim's first exits.  The diagnostics never
 * load it from a lock call or a signal handler: they use it once loaded.
 */
#ifndef SHIM_UNWIND_H
#define SHIM_UNWIND_H

#include <stdbool.h>
#include <stdint.h>
#include <unwind.h>

#include "common/visibility.h"

struct shim_unwind {
	_Unwind_Reason_Code (*forced_unwind)(struct _Unwind_Exception *,
					     _Unwind_Stop_Fn, void *);
	_Unwind_Word (*get_cfa)(struct _Unwind_Context *);
	_Unwind_Reason_Code (*backtrace)(_Unwind_Trace_Fn, void *);
	_Unwind_Ptr (*get_ip)(struct _Unwind_Context *);
};

/* The unwinder's entry points, or NULL if libgcc_s cannot be loaded (then
 * exiting threads run their cleanup buffers without unwinding, and the
 * profiler records no call sites). */
SHIM_HIDDEN const struct shim_unwind *shim_unwinder(void);
/* The same, but NULL unless already loaded: never opens anything, so it is
 * safe inside a lock call and in a signal handler. */
SHIM_HIDDEN const struct shim_unwind *shim_unwinder_if_loaded(void);

/* The calling thread's return addresses, innermost first, from the first
 * frame outside libshim: up to max of them into out; how many.  0 while
 * the unwinder is not loaded. */
SHIM_HIDDEN unsigned shim_backtrace(uintptr_t *out, unsigned max);
/* Is pc in libshim's own code? */
SHIM_HIDDEN bool shim_in_libshim(uintptr_t pc);

#endif
