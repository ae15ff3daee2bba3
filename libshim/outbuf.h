/*
 * libshim/outbuf.h -- formatted output that is async-signal-safe.
 *
 * The lock-order detector prints from inside lock calls and the thread
 * dump from a signal handler, where stdio (its locks, its malloc) may not
 * be used.  Text collects in a buffer on the caller's stack and goes out
 * with write(2) when full or flushed.
 */
#ifndef SHIM_OUTBUF_H
#define SHIM_OUTBUF_H

#include <stddef.h>
#include <stdint.h>

#include "common/visibility.h"

struct outbuf {
	int fd;
	size_t len;
	char buf[2048];
};

SHIM_HIDDEN void out_str(struct outbuf *o, const char *s);
SHIM_HIDDEN void out_dec(struct outbuf *o, uint64_t v);
SHIM_HIDDEN void out_hex(struct outbuf *o, uintptr_t v);
/* v/1e6 with three decimals: nanoseconds shown as milliseconds. */
SHIM_HIDDEN void out_ms(struct outbuf *o, uint64_t ns);
SHIM_HIDDEN void out_flush(struct outbuf *o);

#endif
