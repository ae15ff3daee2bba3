/*
 * libshim/unwind.h -- the unwinder, from libgcc_s, loaded when needed.
 *
 * libshim does not link libgcc_s: a preload is mapped into every process a
 * program starts, and loading one more library costs each of them start-up
 * time.  glibc, too, opens libgcc_s only when a thread first unwinds.
 * libshim opens it at its own initialisation (before any libshim thread
 * exists: dlopen takes the loader's lock), when profiling starts, or -- if
 * neither happened -- when a thread that is not libshim's first exits.
 */
#ifndef SHIM_UNWIND_H
#define SHIM_UNWIND_H

#include <stdbool.h>
#include <unwind.h>

#include "libshim/visibility.h"

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

#endif
