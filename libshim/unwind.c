/*
 * libshim/unwind.c -- loading libgcc_s's unwinder on demand (unwind.h).
 */
#include <dlfcn.h>
#include <stddef.h>

#include "libshim/unwind.h"

const struct shim_unwind *shim_unwinder(void)
{
	static struct shim_unwind u;
	static _Atomic int state; /* 0 not tried, 1 loaded, -1 unavailable */
	int s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
	if (s == 0) {
		/* Racing first callers both load it: dlopen counts, and the
		 * pointers they store are the same. */
		void *h = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
		if (h) {
			u.forced_unwind = (void *)dlsym(h, "_Unwind_ForcedUnwind");
			u.get_cfa = (void *)dlsym(h, "_Unwind_GetCFA");
			u.backtrace = (void *)dlsym(h, "_Unwind_Backtrace");
			u.get_ip = (void *)dlsym(h, "_Unwind_GetIP");
		}
		s = h && u.forced_unwind && u.get_cfa && u.backtrace &&
				    u.get_ip
			    ? 1
			    : -1;
		__atomic_store_n(&state, s, __ATOMIC_RELEASE);
	}
	return s == 1 ? &u : NULL;
}
