/*
 * test/emulated.h -- whether the calling program runs under a user-mode
 * emulator (qemu-user, doc/aarch64.md), probed rather than assumed: /proc
 * then shows the emulator's host system call, not the read(2) the calling
 * thread is in.  For the unit tests (testutil_emulated) and the preload
 * programs alike; C and C++.
 */
#ifndef SHIM_TEST_EMULATED_H
#define SHIM_TEST_EMULATED_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>

static inline int test_emulated(void)
{
	char line[64] = "";
	FILE *f = fopen("/proc/thread-self/syscall", "r");
	if (f == NULL)
		return 0;
	/* The read below is the call the line describes. */
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = '\0';
	fclose(f);
	return strtol(line, NULL, 10) != SYS_read;
}

#endif
