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

#endif
