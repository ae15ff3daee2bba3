/*
 * arch/arch_common.h -- the part of arch.h that every CPU declares alike:
 * the LWP start-up code each arch/<cpu>/ implements in its context.c,
 * clone.S, trampoline.S and sigreturn.S.  Each arch/<cpu>/arch.h includes
 * it and adds its own inlines (arch_mcontext_tp, arch_thread_pointer,
 * arch_cycles, arch_spin_pause) and constants (ARCH_R_*,
 * ARCH_MIN_GUARD_SIZE).
 */
#ifndef SHIM_ARCH_COMMON_H
#define SHIM_ARCH_COMMON_H

#include <stddef.h>
#include <sys/types.h>
#include <ucontext.h>

#include "common/visibility.h"

/*
 * The register image a new LWP starts from, on its own stack: the
 * creator's ucontext may be gone (or reused) by the time the child runs,
 * while the new stack belongs to the child alone.
 * arch_clone_image_at(mc, &span): where the image goes, below mc's stack
 * pointer (and its red zone, where the ABI has one); the span bytes from
 * there up to the stack pointer are the new LWP's from now on (the caller
 * tells valgrind and ASan so before anything is written there).
 * arch_clone_image(img, mc): write the image; img is arch_clone's child_sp.
 */
SHIM_HIDDEN void *arch_clone_image_at(const mcontext_t *mc, size_t *span);
SHIM_HIDDEN void arch_clone_image(void *img, const mcontext_t *mc);

/*
 * clone(2) whose child loads the image at child_sp (clone.S), arguments
 * in the order of x86_64's clone(flags, newsp, parent_tid, child_tid, tls)
 * whatever the kernel's own order.  Returns the child's tid or -errno in
 * the parent; the child jumps to the image's program counter.
 */
SHIM_HIDDEN long arch_clone(unsigned long flags, void *child_sp, pid_t *ptid,
			    pid_t *ctid, void *tls);

/* The trampoline itself (trampoline.S); never called from C. */
SHIM_HIDDEN void arch_lwp_trampoline(void);

/* Signal-return trampoline for raw rt_sigaction (sigreturn.S). */
SHIM_HIDDEN void arch_sigreturn(void);

#endif
