/*
 * arch/x86_64/context.c -- the first register state of a new LWP, built by
 * hand as NetBSD's lwp_mcontext_init builds one for _lwp_create.
 */
#include <string.h>

#include "arch.h"

void arch_mcontext_init(mcontext_t *mc, void (*entry)(void *), void *arg,
			void *stack_top, void *tp)
{
	memset(mc, 0, sizeof *mc);
	mc->gregs[REG_RIP] = (greg_t)(uintptr_t)arch_lwp_trampoline;
	mc->gregs[REG_RSP] = (greg_t)(uintptr_t)stack_top;
	mc->gregs[REG_R12] = (greg_t)(uintptr_t)entry;
	mc->gregs[REG_R13] = (greg_t)(uintptr_t)arg;
	mc->gregs[REG_R14] = (greg_t)(uintptr_t)tp;
}

void *arch_clone_image_at(const mcontext_t *mc, size_t *span)
{
	uintptr_t sp = (uintptr_t)mc->gregs[REG_RSP];
	uintptr_t img = (sp - 128 - sizeof(gregset_t)) & ~(uintptr_t)15;
	*span = sp - img;
	return (void *)img;
}

void arch_clone_image(void *img, const mcontext_t *mc)
{
	memcpy(img, mc->gregs, sizeof(gregset_t));
}
