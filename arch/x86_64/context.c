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
