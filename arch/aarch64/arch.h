/*
 * arch/aarch64/arch.h -- what the portable layers need of the CPU (arm64,
 * Linux, LP64).  The same interface as arch/x86_64/arch.h;
 * the declarations both share are arch/arch_common.h's.
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
 * started from it (lwp_create) runs the trampoline, which
 *   1. installs tp in tpidr_el0 before any C runs;
 *   2. aligns the stack below stack_top to 16 bytes (AAPCS64);
 *   3. marks the outermost frame (x29 = x30 = 0) so backtraces stop;
 *   4. calls entry(arg), which must not return.
 * Registers used (the trampoline's contract): pc = trampoline,
 * sp = stack_top, x19 = entry, x20 = arg, x21 = tp.  The rest are zeroed.
 */
SHIM_HIDDEN void arch_mcontext_init(mcontext_t *mc, void (*entry)(void *),
				    void *arg, void *stack_top, void *tp);

/* The thread pointer arch_mcontext_init put in mc: lwp_create has the
 * kernel install it too (CLONE_SETTLS). */
static inline void *arch_mcontext_tp(const mcontext_t *mc)
{
	return (void *)(uintptr_t)mc->regs[21];
}

/* The clone image (arch_common.h) is x0..x30, sp and pc, 16-byte aligned
 * below mc's stack pointer (AAPCS64 has no red zone); mcontext_t's 4 KiB
 * of FP/SIMD reserve is not part of it: a new LWP starts with none.
 * arch_clone: arm64's kernel takes tls before ctid; clone.S reorders. */

/* The relocations libshim/deepbind.c rebinds (arch/x86_64/arch.h): a PLT
 * slot, a GOT slot, and a pointer in data, which adds r_addend. */
#define ARCH_R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#define ARCH_R_GLOB_DAT R_AARCH64_GLOB_DAT
#define ARCH_R_ABS R_AARCH64_ABS64

/* libshim's exported dlopen (dlopen.S) is this folder's one call upward,
 * as on x86_64. */

/* The least guard glibc maps below a thread's stack whenever the guard
 * size asked for is not 0 (its ARCH_MIN_GUARD_SIZE): 64 KiB, the guard
 * GCC's arm64 stack-clash probing assumes; frames below it may skip a
 * smaller one.  pthread_getattr_np still reports the size asked for. */
#define ARCH_MIN_GUARD_SIZE (64 * 1024)

/* The thread pointer of the calling thread: TPIDR_EL0, which points at
 * glibc's tcbhead_t (TLS variant I: struct pthread lies below it). */
static inline void *arch_thread_pointer(void)
{
	void *tp;
	__asm__("mrs %0, tpidr_el0" : "=r"(tp));
	return tp;
}

/* A cheap, monotonic count (the generic timer's virtual counter), for
 * measuring short intervals against each other, never against time. */
static inline uint64_t arch_cycles(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

/* Tell the CPU we are in a spin-wait loop. */
static inline void arch_spin_pause(void)
{
	__asm__ volatile("yield" ::: "memory");
}

#endif
