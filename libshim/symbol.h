/*
 * libshim/symbol.h -- naming a code or data address for the diagnostics.
 * See symbol.c.
 */
#ifndef SHIM_SYMBOL_H
#define SHIM_SYMBOL_H

#include <link.h>
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

/* What libshim reads of a loaded object's dynamic section: its symbol
 * tables and relocations (deepbind.c rebinds them). */
struct shim_dynamic {
	const ElfW(Sym) *symtab;
	const char *strtab;
	const uint32_t *hash, *gnu;
	const ElfW(Rela) *rela, *jmprel;
	size_t relasz, jmprelsz; /* bytes */
};

/* Fill d from the dynamic section dyn of the object loaded at base. */
SHIM_HIDDEN void shim_dynamic_read(uintptr_t base, const ElfW(Dyn) *dyn,
				   struct shim_dynamic *d);

/* The symbol NAME that the object defines, found by its GNU hash table
 * (NULL when it defines none or has no such table). */
SHIM_HIDDEN const ElfW(Sym) *shim_dynamic_lookup(const struct shim_dynamic *d,
						 const char *name);

#endif
