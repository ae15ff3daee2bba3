/*
 * libshim/stats.c -- SHIM_STATS: what libshim did, printed at exit, and
 * the contention profiler's options (profile.c).
 *
 * SHIM_STATS=1 (or yes, on, true) turns the report on with the defaults;
 * 0, no, off, false or empty leave it off; anything else is a list of
 * options in the style of MALLOC_CONF, "top=20,sort=wait,frames=4".  A
 * value not understood is refused with a message and the report stays
 * off: a typo must not pass for a profile that found nothing.
 *
 * Nothing of the program's is taken at start-up: no descriptor, no
 * library.  The report is written at exit to stderr, or to the file named
 * by file= (%p in it becomes the process id, so that every process of a
 * tree writes its own), opened then.  A program that closed its stderr
 * before exiting (xz does) leaves the report nowhere to go: file= is for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libshim/diag.h"
#include "libshim/shim.h"

struct shim_stats shim_stats;

static bool report_on;
static char report_path[256]; /* file=, "" for stderr */

static const char *const sort_names[] = {
	[SORT_WAIT] = "wait",   [SORT_CONTENDED] = "contended",
	[SORT_ACQ] = "acquired", [SORT_MAX] = "max",
	[SORT_AVG] = "avg",     [SORT_HOLD] = "hold",
	[SORT_CHANGES] = "owners",
};

static bool word_is(const char *v, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(v, *words) == 0)
			return true;
	return false;
}

/* A decimal in [lo, hi], the whole of s. */
static bool parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v < lo ||
	    v > hi)
		return false;
	*out = (unsigned)v;
	return true;
}

static void refuse(const char *what, size_t len, const char *why)
{
	fprintf(stderr, "libshim: SHIM_STATS: %.*s: %s; the report stays off "
		"(options: top=N, sort=wait|contended|acquired|max|avg|hold|"
		"owners, min=N, frames=1-%d, hold, file=PATH with %%p for the "
		"pid)\n", (int)len, what, why, DIAG_FRAMES_MAX);
}

/* One "key=value" (or "hold") of the list. */
static bool parse_option(const char *opt, size_t len, struct prof_opts *o)
{
	char buf[300];
	if (len >= sizeof buf) {
		refuse(opt, len, "too long");
		return false;
	}
	memcpy(buf, opt, len);
	buf[len] = '\0';
	char *val = strchr(buf, '=');
	if (val != NULL)
		*val++ = '\0';
	if (strcmp(buf, "hold") == 0 && val == NULL) {
		o->hold = true;
		return true;
	}
	if (val == NULL) {
		refuse(opt, len, "not a key=value option");
		return false;
	}
	if (strcmp(buf, "top") == 0 && parse_uint(val, 1, 100000, &o->top))
		return true;
	if (strcmp(buf, "min") == 0 && parse_uint(val, 0, ~0u, &o->min))
		return true;
	if (strcmp(buf, "frames") == 0 &&
	    parse_uint(val, 1, DIAG_FRAMES_MAX, &o->frames))
		return true;
	if (strcmp(buf, "sort") == 0) {
		for (unsigned i = 0; i < sizeof sort_names / sizeof *sort_names;
		     i++)
			if (strcmp(val, sort_names[i]) == 0) {
				o->sort = (enum prof_sort)i;
				return true;
			}
	}
	if (strcmp(buf, "file") == 0 && *val != '\0' &&
	    strlen(val) < sizeof report_path) {
		strcpy(report_path, val);
		return true;
	}
	bool known = word_is(buf, (const char *const[]){ "top", "min", "frames",
							  "sort", "file", NULL });
	refuse(opt, len, known ? "invalid value" : "unknown option");
	return false;
}

__attribute__((constructor)) static void stats_setup(void)
{
	static const char *const on[] = { "1", "yes", "on", "true", NULL };
	static const char *const off[] = { "", "0", "no", "off", "false", NULL };
	const char *v = getenv("SHIM_STATS");
	if (v == NULL || word_is(v, off))
		return;
	struct prof_opts o = { .top = 10, .min = 1, .frames = 1,
			       .sort = SORT_WAIT };
	if (!word_is(v, on)) {
		for (const char *p = v;;) {
			size_t len = strcspn(p, ",");
			if (!parse_option(p, len, &o))
				return;
			if (p[len] == '\0')
				break;
			p += len + 1;
		}
		if (o.sort == SORT_HOLD && !o.hold) {
			refuse("sort=hold", 9, "needs hold");
			return;
		}
	}
	report_on = profile_start(&o);
}

/* file= with %p replaced by the pid (and %% by %). */
static void expand_path(char *out, size_t n, pid_t pid)
{
	size_t j = 0;
	for (const char *p = report_path; *p != '\0' && j + 1 < n; p++) {
		if (p[0] == '%' && p[1] == 'p') {
			j += (size_t)snprintf(out + j, n - j, "%d", (int)pid);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			out[j++] = '%';
			p++;
		} else {
			out[j++] = *p;
		}
		if (j >= n)
			j = n - 1;
	}
	out[j] = '\0';
}

/* A destructor, not atexit(): it also runs when the program leaves
 * through exit() from any thread, and nothing is registered otherwise. */
__attribute__((destructor)) static void stats_report(void)
{
	if (!report_on)
		return;
	pid_t pid = shim_pid();
	int fd = 2;
	if (report_path[0] != '\0') {
		char path[sizeof report_path + 16];
		expand_path(path, sizeof path, pid);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return;
	}
	dprintf(fd, "libshim: pid %d (%s)\n", (int)pid,
		program_invocation_short_name);
	dprintf(fd, "libshim: threads created: %lu, parks: %lu\n",
		(unsigned long)shim_stats.threads_created,
		(unsigned long)shim_stats.parks);
	profile_report(fd);
	if (fd != 2)
		close(fd);
}
