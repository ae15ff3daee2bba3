/*
 * test/preload/runpath_mod.c -- a library with DT_RUNPATH $ORIGIN that
 * opens its siblings by bare name (runpath.c).  Built without sibling
 * calls: a jump to dlopen would make the program glibc's caller.
 */
#include <dlfcn.h>

__attribute__((visibility("default"))) void *runpath_open(const char *name,
							  int mode)
{
	return dlopen(name, mode);
}
