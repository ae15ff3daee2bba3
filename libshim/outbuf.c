/*
 * libshim/outbuf.c -- async-signal-safe formatted output (outbuf.h).
 */
#include <errno.h>

#include "compat/lwp.h"
#include "libshim/outbuf.h"

void out_flush(struct outbuf *o)
{
	size_t done = 0;
	/* The raw call: libshim's write() is a cancellation point, which
	 * must not act inside a lock call or a signal handler; and errno
	 * stays the interrupted code's. */
	while (done < o->len) {
		ssize_t w = lwp_write(o->fd, o->buf + done, o->len - done);
		if (w == -EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	o->len = 0;
}

static void out_char(struct outbuf *o, char c)
{
	if (o->len == sizeof o->buf)
		out_flush(o);
	o->buf[o->len++] = c;
}

void out_str(struct outbuf *o, const char *s)
{
	while (*s != '\0')
		out_char(o, *s++);
}

void out_dec(struct outbuf *o, uint64_t v)
{
	char tmp[24];
	int k = 0;
	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (k != 0)
		out_char(o, tmp[--k]);
}

void out_hex(struct outbuf *o, uintptr_t v)
{
	char tmp[20];
	int k = 0;
	do {
		tmp[k++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v != 0);
	out_str(o, "0x");
	while (k != 0)
		out_char(o, tmp[--k]);
}

void out_ms(struct outbuf *o, uint64_t ns)
{
	uint64_t us = ns / 1000;
	out_dec(o, us / 1000);
	out_char(o, '.');
	out_char(o, (char)('0' + us / 100 % 10));
	out_char(o, (char)('0' + us / 10 % 10));
	out_char(o, (char)('0' + us % 10));
}
