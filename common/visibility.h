/*
 * common/visibility.h -- which names leave the library.  Every layer
 * (arch/, compat/, libshim/) includes it: it holds attributes, no code.
 *
 * libshim is built with -fvisibility=hidden: an internal name must never
 * interpose a symbol of the host program or of glibc.  SHIM_EXPORT marks the
 * public pthread/semaphore/C11 API and nothing else.
 */
#ifndef SHIM_VISIBILITY_H
#define SHIM_VISIBILITY_H

#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_HIDDEN __attribute__((visibility("hidden")))

/*
 * SHIM_ALIAS(target, name): export name as another name of target, defined
 * in the same file: one function at one address, as glibc's own aliases
 * are (no forwarding call, nothing for a debugger to step through).  The
 * C name is made up and the symbol given with an asm label, because the
 * headers turn some of glibc's names into macros or redirects, and declare
 * others with types of their own (off64_t).
 */
#define SHIM_ALIAS(target, name)                                              \
	extern __typeof(target) shim_alias_##name __asm__(#name) SHIM_EXPORT  \
		__attribute__((alias(#target), copy(target)))

#endif
