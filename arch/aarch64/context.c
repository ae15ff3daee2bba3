/*
 * arch/aarch64/context.c -- the first register state of a new LWP, built by
 * hand as NetBSD's lwp_mcontext_init builds one for _lwp_create.
 */
#include <string.h>

#include "arch.h"

/* What clone.S loads: regs[0..30], sp, pc, in mcontext_t's order. */
enum { IMAGE_WORDS = 33 };
_Static_assert(offsetof(mcontext_t, sp) == offsetof(mcontext_t, regs) + 31 * 8 &&
	       offsetof(mcontext_t, pc) == offsetof(mcontext_t, sp) + 8,
	       "clone.S's image is regs[], sp, pc back to back");

void arch_mcontext_init(mcontext_t *mc, void (*entry)(void *), void *arg,
			void *stack_top, void *tp)
{
	memset(mc, 0, sizeof *mc);
	mc->pc = (uintptr_t)arch_lwp_trampoline;
	mc->sp = (uintptr_t)stack_top;
	mc->regs[19] = (uintptr_t)entry;
	mc->regs[20] = (uintptr_t)arg;
	mc->regs[21] = (uintptr_t)tp;
}

void *arch_clone_image_at(const mcontext_t *mc, size_t *span)
{
	uintptr_t sp = (uintptr_t)mc->sp;
	uintptr_t img = (sp - IMAGE_WORDS * 8) & ~(uintptr_t)15;
	*span = sp - img;
	return (void *)img;
}

void arch_clone_image(void *img, const mcontext_t *mc)
{
	memcpy(img, mc->regs, IMAGE_WORDS * 8);
}
