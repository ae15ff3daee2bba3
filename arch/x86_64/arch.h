/*
 * arch/x86_64/arch.h -- what the portable layers need of the CPU.
 */
#ifndef SHIM_ARCH_H
#define SHIM_ARCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ucontext.h>

#include "arch/arch_common.h"
#include "common/visibility.h"

/*
 * arch_mcontext_init(mc, entry, arg, stack_top, tp): fill mc so that an LWP
 * started from it (lwp_create) has tp as its thread pointer (FS base) from
 * its first instruction on, and runs the trampoline, which
 *   1. aligns the stack below stack_top as the SysV ABI wants at a call;
 *   2. marks the outermost frame so backtraces stop there;
 *   3. calls entry(arg), which must not return.
 * Registers used (the trampoline's contract): rip = trampoline,
 * rsp = stack_top, r12 = entry, r13 = arg, r14 = tp.  The rest are zeroed.
 */
SHIM_HIDDEN void arch_mcontext_init(mcontext_t *mc, void (*entry)(void *),
				    void *arg, void *stack_top, void *tp);

/* The thread pointer arch_mcontext_init put in mc: lwp_create has the
 * kernel install it (CLONE_SETTLS). */
static inline void *arch_mcontext_tp(const mcontext_t *mc)
{
	return (void *)(uintptr_t)mc->gregs[REG_R14];
}

/*
 * The relocations that put a symbol's address in a slot of a loaded object
 * (libshim/deepbind.c rebinds them): a PLT slot, a GOT slot, and a pointer
 * in data, which adds r_addend.
 */
#define ARCH_R_JUMP_SLOT R_X86_64_JUMP_SLOT
#define ARCH_R_GLOB_DAT R_X86_64_GLOB_DAT
#define ARCH_R_ABS R_X86_64_64

/*
 * libshim's exported dlopen (dlopen.S) is this folder's one call upward:
 * it must be assembly to jump to glibc's dlopen with the caller's return
 * address on the stack, and for RTLD_DEEPBIND it asks libshim/deepbind.c
 * (shim_dlopen_as_caller) whether to hand over to shim_dlopen_deepbind.
 */

/* The least guard glibc maps below a thread's stack whenever the guard
 * size asked for is not 0 (its ARCH_MIN_GUARD_SIZE): x86_64 has none. */
#define ARCH_MIN_GUARD_SIZE 0

/* The thread pointer of the calling thread. */
static inline void *arch_thread_pointer(void)
{
	void *tp;
	__asm__("mov %%fs:0, %0" : "=r"(tp));
	return tp;
}

/* A cheap, monotonic cycle count (the TSC; ~10 ns to read here), for
 * measuring short intervals against each other, never against time. */
static inline uint64_t arch_cycles(void)
{
	return __builtin_ia32_rdtsc();
}

/* Tell the CPU we are in a spin-wait loop. */
static inline void arch_spin_pause(void)
{
	__builtin_ia32_pause();
}

#endif
