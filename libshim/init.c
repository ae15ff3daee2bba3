/*
 * libshim/init.c -- one-time set-up, deferred to the first call that needs
 * it.  A preload is mapped into every process a program starts (thousands
 * for a shell script); until a thread is created libshim does nothing: no
 * thread, no mapping, no look-up.
 */
#include <link.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "compat/lwp.h"
#include "libshim/shim.h"
#include "libshim/unwind.h"

/*
 * A sanitizer runtime that keeps a registry of threads (ASan, TSan, LSan,
 * HWASan intercept pthread_create) must come before libshim in the lookup
 * order: its interceptors then see every call and pass it on, through
 * dlsym(RTLD_NEXT), to libshim.  Loaded after libshim it sees none of
 * them, and its instrumented code crashes in the first thread libshim
 * makes (TSan: a null thread state).  ASan checks its own place before
 * libshim runs; the others do not, so refuse here, naming the fix.  The
 * loader's list is in lookup order; only objects after libshim's count.
 */
static int find_late_sanitizer(struct dl_phdr_info *info, size_t size,
			       void *data)
{
	(void)size;
	const char **found = data;
	uintptr_t self = (uintptr_t)&shim_init;
	if (*found == NULL) { /* still looking for libshim itself */
		for (int i = 0; i < info->dlpi_phnum; i++) {
			const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
			uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
			if (ph->p_type == PT_LOAD && self >= lo &&
			    self - lo < ph->p_memsz) {
				/* Linked into the program itself (the unit
				 * tests): first whatever the order, and no
				 * order to fix. */
				if (info->dlpi_name[0] == '\0')
					return 1;
				*found = "";
			}
		}
		return 0;
	}
	const char *base = strrchr(info->dlpi_name, '/');
	base = base ? base + 1 : info->dlpi_name;
	static const char *const runtimes[] = {
		"libasan.so", "libtsan.so", "liblsan.so", "libhwasan.so",
		"libclang_rt.asan", "libclang_rt.tsan", "libclang_rt.hwasan",
	};
	for (size_t i = 0; i < sizeof runtimes / sizeof *runtimes; i++)
		if (strncmp(base, runtimes[i], strlen(runtimes[i])) == 0) {
			*found = base;
			return 1;
		}
	return 0;
}

static void check_sanitizer_order(void)
{
	const char *late = NULL;
	if (dl_iterate_phdr(find_late_sanitizer, &late) == 0 ||
	    late == NULL || *late == '\0')
		return;
	fprintf(stderr, "libshim: %s is loaded after libshim.so and would not "
		"see its threads; run the program with shimrun, or with "
		"LD_PRELOAD=%s:libshim.so\n", late, late);
	_exit(127);
}

enum { INIT_NONE, INIT_RUNNING, INIT_DONE };
static _Atomic int init_state;

int shim_init(void)
{
	if (__builtin_expect(init_state == INIT_DONE, 1))
		return 0;
	int expect = INIT_NONE;
	if (atomic_compare_exchange_strong_explicit(&init_state, &expect,
						    INIT_RUNNING,
						    memory_order_acquire,
						    memory_order_acquire)) {
		check_sanitizer_order();
		tcb_host_init();
		shim_unwinder(); /* before any libshim thread: loader lock */
		shim_cancel_signal_init();
		shim_fork_init();
		atomic_store_explicit(&init_state, INIT_DONE,
				      memory_order_release);
		return 0;
	}
	/* Another thread (one glibc made: no libshim thread exists yet) is
	 * initialising; it finishes in microseconds.  No park layer here:
	 * it is not set up until we are done. */
	while (atomic_load_explicit(&init_state, memory_order_acquire) !=
	       INIT_DONE)
		sched_yield();
	return 0;
}

pid_t shim_pid(void)
{
	/* Not cached: a fork child must never see its parent's id, and a
	 * fork can happen before libshim has registered any fork handler.
	 * The raw call: getpid() may be interposed. */
	return lwp_getpid();
}
