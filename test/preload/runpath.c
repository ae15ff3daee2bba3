/*
 * test/preload/runpath.c -- libshim's dlopen keeps glibc's idea of the
 * caller.  glibc searches a bare name along the DT_RUNPATH of the object
 * that called dlopen, which it finds from its return address: were
 * libshim's wrapper a call rather than a jump, the caller would be
 * libshim, with no DT_RUNPATH, and the sibling not found.  Both with and
 * without RTLD_DEEPBIND (libshim leaves such a RTLD_DEEPBIND load to
 * glibc).
 *
 * Usage: runpath LIBRUNPATH_MOD SIBLING SIBLING2, the siblings bare names
 * of libraries beside it and nowhere on the search path.  Exit 0 when both
 * are found; the last line on stdout is "threads made: 0".
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: runpath LIBRUNPATH_MOD SIBLING SIBLING2\n");
		return 2;
	}
	/* meson puts the siblings' directory on LD_LIBRARY_PATH, where they
	 * are found for any caller: start again without it (the loader reads
	 * the variable at start-up only), keeping the rest (libshim's). */
	const char *lp = getenv("LD_LIBRARY_PATH");
	char dir[PATH_MAX], copy[4096], kept[4096] = "";
	if (lp != NULL && strlen(lp) < sizeof copy &&
	    realpath(argv[1], dir) != NULL) {
		*strrchr(dir, '/') = '\0';
		strcpy(copy, lp);
		int dropped = 0;
		char *save, real[PATH_MAX];
		for (char *e = strtok_r(copy, ":", &save); e != NULL;
		     e = strtok_r(NULL, ":", &save)) {
			if (realpath(e, real) != NULL && strcmp(real, dir) == 0) {
				dropped = 1;
				continue;
			}
			if (kept[0] != '\0')
				strcat(kept, ":");
			strcat(kept, e); /* no longer than lp */
		}
		if (dropped) {
			setenv("LD_LIBRARY_PATH", kept, 1);
			execv("/proc/self/exe", argv);
			int e = errno;
			perror("runpath: execv");
			/* qemu-user without binfmt_misc: the kernel cannot
			 * start a program of the emulated CPU. */
			return e == ENOEXEC ? 77 : 1;
		}
	}
	void *mod = dlopen(argv[1], RTLD_NOW);
	void *(*open_sibling)(const char *, int) =
		mod != NULL ? (void *(*)(const char *, int))dlsym(mod, "runpath_open")
			    : NULL;
	if (open_sibling == NULL) {
		fprintf(stderr, "runpath: %s\n", dlerror());
		return 1;
	}
	int failures = 0;
	const int modes[] = {RTLD_NOW, RTLD_NOW | RTLD_DEEPBIND};
	for (int i = 0; i < 2; i++)
		if (open_sibling(argv[2 + i], modes[i]) == NULL) {
			fprintf(stderr, "runpath: %s (mode %#x) not found along "
				"its caller's DT_RUNPATH: %s\n", argv[2 + i],
				modes[i], dlerror());
			failures++;
		}
	printf("threads made: 0\n");
	return failures != 0;
}
