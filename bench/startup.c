/*
 * bench/startup.c -- what LD_PRELOAD=libshim.so costs a program that never
 * makes a thread: run /bin/true many times, with or without the preload in
 * its environment, and report the average time per run (fork+exec+exit+wait,
 * dominated by the dynamic loader).
 *
 *   bench_startup [-n runs] [-p library-to-preload] [-e empty-library]
 *
 * This program itself never runs preloaded; only its children do, so the
 * only difference between the two runs is the loader mapping, relocating
 * and initialising the preloaded library.  With -e it also times the same
 * runs preloading an empty library (floor.startup_empty_preload: what any
 * preload costs), in alternating batches so that drift in the machine's
 * load falls on both alike.
 */
#include "bench.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The environment minus any LD_PRELOAD, plus LD_PRELOAD=preload if given. */
static char **child_environment(const char *preload)
{
	size_t n = 0, out = 0;

	while (environ[n] != NULL)
		n++;
	char **env = calloc(n + 2, sizeof *env);
	if (env == NULL)
		bench_fail("out of memory");
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
			env[out++] = environ[i];
	if (preload != NULL) {
		size_t len = strlen(preload) + sizeof "LD_PRELOAD=";
		env[out] = malloc(len);
		if (env[out] == NULL)
			bench_fail("out of memory");
		snprintf(env[out], len, "LD_PRELOAD=%s", preload);
	}
	return env;
}

/* The loader skips a preload it cannot open with only a warning, which
 * would quietly measure nothing. */
static void check_readable(const char *lib)
{
	if (lib != NULL && access(lib, R_OK) != 0)
		bench_fail("cannot read %s: %s", lib, strerror(errno));
}

/* Seconds for runs start-ups of /bin/true in environment env. */
static double time_runs(char **env, const char *preload, long runs)
{
	char *child_argv[] = { "/bin/true", NULL };
	double t0 = bench_now();
	for (long i = 0; i < runs; i++) {
		pid_t pid;
		int status, err = posix_spawn(&pid, "/bin/true", NULL, NULL, child_argv, env);

		if (err != 0)
			bench_fail("posix_spawn /bin/true: %s", strerror(err));
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				bench_fail("waitpid: %s", strerror(errno));
		/* A preload the loader cannot use still lets /bin/true exit 0 after a
		 * warning; a crash or a non-zero exit is a real failure. */
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bench_fail("/bin/true (preload %s) ended with status %#x",
				   preload ? preload : "none", status);
	}
	return bench_now() - t0;
}

int main(int argc, char **argv)
{
	const char *preload = NULL, *empty = NULL;
	long runs = 1000;
	int opt;

	while ((opt = getopt(argc, argv, "n:p:e:")) != -1) {
		if (opt == 'n' && (runs = strtol(optarg, NULL, 10)) > 0)
			continue;
		if (opt == 'p' || opt == 'e') {
			*(opt == 'p' ? &preload : &empty) = optarg;
			continue;
		}
		fprintf(stderr, "usage: %s [-n runs] [-p library-to-preload] [-e empty-library]\n",
			argv[0]);
		return 2;
	}
	check_readable(preload);
	check_readable(empty);
	char **env = child_environment(preload);
	char **empty_env = empty != NULL ? child_environment(empty) : NULL;
	enum { BATCHES = 10 };
	double seconds = 0, empty_seconds = 0;
	for (int b = 0; b < BATCHES; b++) {
		long n = runs / BATCHES + (b < runs % BATCHES);
		seconds += time_runs(env, preload, n);
		if (empty_env != NULL)
			empty_seconds += time_runs(empty_env, empty, n);
	}
	bench_metric("startup.true", seconds / (double)runs * 1e6, "us", false);
	if (empty_env != NULL)
		bench_metric("floor.startup_empty_preload",
			     empty_seconds / (double)runs * 1e6, "us", false);
	return 0;
}
