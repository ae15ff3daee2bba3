/*
 * compat/valgrind.h -- which of valgrind's thread checkers runs the
 * process, and the two requests compat/ itself needs (the glibc TCB code:
 * memory only libshim and glibc touch, and glibc calls the tool wraps).
 * The requests that describe libshim's objects are libshim/vg.h's, over
 * these.
 */
#ifndef SHIM_COMPAT_VALGRIND_H
#define SHIM_COMPAT_VALGRIND_H

#include <stdbool.h>
#include <stddef.h>

#include "common/visibility.h"

enum valgrind_tool {
	VALGRIND_NONE,     /* no valgrind, or a tool that checks no threads */
	VALGRIND_HELGRIND,
	VALGRIND_DRD,
};

/* Decided once, by the first call (a client request: no system call). */
SHIM_HIDDEN enum valgrind_tool valgrind_tool(void);
/* Any valgrind tool, memcheck too. */
SHIM_HIDDEN bool valgrind_running(void);

/* [p, p+n) is ordered by protocols the tool cannot see (atomics, futexes,
 * glibc's own locks): its accesses are not the program's races. */
SHIM_HIDDEN void valgrind_private(const void *p, size_t n);

/* Around a call of glibc's that the tool wraps (tcb.c): what its wrapper
 * makes and uses through libshim's calls meanwhile (drd's semaphore around
 * pthread_create) is the tool's own business.  Single-threaded only. */
SHIM_HIDDEN void valgrind_glibc_call_begin(void);
SHIM_HIDDEN void valgrind_glibc_call_end(void);
SHIM_HIDDEN bool valgrind_in_glibc_call(void);

#endif
