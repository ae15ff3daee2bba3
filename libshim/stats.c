/*
 * libshim/stats.c -- SHIM_STATS=1: what libshim did, printed at exit.
 * The visible evidence that a program was served by libshim.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "libshim/profile.h"
#include "libshim/shim.h"

struct shim_stats shim_stats;

/* A private copy of stderr, taken at load time only when statistics are
 * asked for: programs such as xz close stderr before they exit. */
static int report_fd = -1;

__attribute__((constructor)) static void stats_setup(void)
{
	const char *v = getenv("SHIM_STATS");
	if (v == NULL || *v == '\0' || (v[0] == '0' && v[1] == '\0'))
		return;
	report_fd = fcntl(2, F_DUPFD_CLOEXEC, 100);
	profile_start();
}

/* A destructor, not atexit(): it also runs when the program leaves
 * through exit() from any thread, and nothing is registered otherwise. */
__attribute__((destructor)) static void stats_report(void)
{
	if (report_fd < 0)
		return;
	dprintf(report_fd, "libshim: threads created: %lu, parks: %lu\n",
		(unsigned long)shim_stats.threads_created,
		(unsigned long)shim_stats.parks);
	profile_report(report_fd, 10);
}
