/*
 * libshim/unwind.c -- loading libgcc_s's unwinder on demand (unwind.h).
 */
#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <stddef.h>

#include "libshim/unwind.h"

static struct shim_unwind unwinder;
static _Atomic int unwinder_state; /* 0 not tried, 1 loaded, -1 unavailable */

static _Unwind_Reason_Code first_frame_only(struct _Unwind_Context *ctx,
					    void *arg)
{
	(void)ctx;
	(void)arg;
	return _URC_END_OF_STACK;
}

const struct shim_unwind *shim_unwinder(void)
{
	struct shim_unwind *u = &unwinder;
	int s = atomic_load_explicit(&unwinder_state, memory_order_acquire);
	if (s == 0) {
		/* Racing first callers both load it: dlopen counts, and the
		 * pointers they store are the same. */
		void *h = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL);
		if (h) {
			u->forced_unwind = (void *)dlsym(h, "_Unwind_ForcedUnwind");
			u->get_cfa = (void *)dlsym(h, "_Unwind_GetCFA");
			u->backtrace = (void *)dlsym(h, "_Unwind_Backtrace");
			u->get_ip = (void *)dlsym(h, "_Unwind_GetIP");
		}
		s = h && u->forced_unwind && u->get_cfa && u->backtrace &&
				    u->get_ip
			    ? 1
			    : -1;
		/* The unwinder's first use runs its own one-time set-up
		 * through pthread_once, which may need this thread's
		 * descriptor (malloc): do it here, not first in a lock call
		 * or a signal handler of the diagnostics. */
		if (s == 1)
			u->backtrace(first_frame_only, NULL);
		atomic_store_explicit(&unwinder_state, s, memory_order_release);
	}
	return s == 1 ? u : NULL;
}

const struct shim_unwind *shim_unwinder_if_loaded(void)
{
	return atomic_load_explicit(&unwinder_state, memory_order_acquire) == 1
		       ? &unwinder
		       : NULL;
}

/* libshim's own ELF header, from the linker; its executable segment is
 * found from the program headers, with no libc call. */
extern const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));

bool shim_in_libshim(uintptr_t pc)
{
	static uintptr_t lo, hi; /* the same for every caller: races are benign */
	if (hi == 0) {
		const ElfW(Ehdr) *eh = &__ehdr_start;
		const ElfW(Phdr) *ph =
			(const ElfW(Phdr) *)((const char *)eh + eh->e_phoff);
		uintptr_t base = (uintptr_t)eh;
		for (int i = 0; i < eh->e_phnum; i++)
			if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
				base = (uintptr_t)eh - ph[i].p_vaddr;
		for (int i = 0; i < eh->e_phnum; i++)
			if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
				lo = base + ph[i].p_vaddr;
				hi = lo + ph[i].p_memsz;
			}
	}
	return pc >= lo && pc < hi;
}

struct trace {
	const struct shim_unwind *u;
	uintptr_t *out;
	unsigned n, max;
};

static _Unwind_Reason_Code trace_frame(struct _Unwind_Context *ctx, void *arg)
{
	struct trace *t = arg;
	uintptr_t pc = t->u->get_ip(ctx);
	if (pc == 0)
		return _URC_END_OF_STACK;
	if (t->n == 0 && shim_in_libshim(pc))
		return _URC_NO_REASON; /* libshim's own frames: not a call site */
	t->out[t->n++] = pc - 1; /* inside the call instruction */
	return t->n == t->max ? _URC_END_OF_STACK : _URC_NO_REASON;
}

unsigned shim_backtrace(uintptr_t *out, unsigned max)
{
	struct trace t = { shim_unwinder_if_loaded(), out, 0, max };
	if (t.u == NULL || max == 0)
		return 0;
	t.u->backtrace(trace_frame, &t);
	return t.n;
}
