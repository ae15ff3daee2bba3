/*
 * libshim/symbol.h -- naming a code or data address for the diagnostics.
 * See symbol.c.
 */
#ifndef SHIM_SYMBOL_H
#define SHIM_SYMBOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libshim/outbuf.h"
#include "common/visibility.h"

/*
 * Write "symbol+0xoff (object)" for addr into buf (n bytes, always
 * terminated), or "object+0xoff" when no exported symbol covers it, or ""
 * when no loaded object contains it (heap, stack).  Returns whether a
 * symbol was found.  Takes no lock and allocates nothing:
 * async-signal-safe.
 */
SHIM_HIDDEN bool shim_symbolize(uintptr_t addr, char *buf, size_t n);

/* For the diagnostics' reports (async-signal-safe too): "KIND 0xADDR NAME"
 * for a lock or other object, and a call stack as "#i NAME" lines. */
SHIM_HIDDEN void out_named_object(struct outbuf *o, const void *obj,
				  unsigned kind);
SHIM_HIDDEN void out_named_stack(struct outbuf *o, const uintptr_t *frames,
				 unsigned n);

#endif
