/*
 * libshim/nocancel.h -- file calls for libshim's own use that are not
 * cancellation points.  libshim exports open, read, write and close as
 * cancellation points (cancelpoints.c) and binds its own calls to its own
 * definitions (-Bsymbolic-functions), so code such as
 * pthread_setname_np, which glibc makes with its no-cancel calls, uses
 * these instead.  -1 and errno, as the libc calls.
 */
#ifndef SHIM_NOCANCEL_H
#define SHIM_NOCANCEL_H

#include <errno.h>
#include <fcntl.h>
#include <sys/types.h>

#include "compat/lwp.h"
#include "libshim/shim.h"

static inline int nocancel_open(const char *path, int flags, mode_t mode)
{
	return (int)shim_errno_ret(lwp_open(path, flags, mode));
}

static inline ssize_t nocancel_read(int fd, void *buf, size_t n)
{
	return shim_errno_ret(lwp_read(fd, buf, n));
}

static inline ssize_t nocancel_write(int fd, const void *buf, size_t n)
{
	return shim_errno_ret(lwp_write(fd, buf, n));
}

static inline int nocancel_close(int fd)
{
	return (int)shim_errno_ret(lwp_close(fd));
}

#endif
