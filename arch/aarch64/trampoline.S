/*
 * arch/aarch64/trampoline.S -- first instructions of every libshim LWP.
 *
 * void arch_lwp_trampoline(void);   entered by branch from arch_clone
 *   x19 = entry (void (*)(void *), never returns)
 *   x20 = arg
 *   x21 = thread pointer: glibc-compatible TCB (compat/glibc/tcb.c)
 */

	.text
	.globl	arch_lwp_trampoline
	.hidden	arch_lwp_trampoline
	.type	arch_lwp_trampoline, %function
	.p2align 2
arch_lwp_trampoline:
	.cfi_startproc
	.cfi_undefined x30		/* outermost frame: unwinders stop */
	hint	34			/* bti c: a valid target of br x17 */
	/* The thread pointer comes from the register image, whatever the
	 * clone flags did: C code below reads glibc's TCB through it at
	 * once (errno, the stack guard's neighbours, __thread). */
	msr	tpidr_el0, x21
	mov	x29, #0			/* frame-pointer walkers stop too */
	mov	x30, #0
	mov	x9, sp
	and	x9, x9, #-16		/* AAPCS64: sp % 16 == 0 always */
	mov	sp, x9
	mov	x0, x20
	blr	x19
	brk	#0x3e8			/* entry returned */
	.cfi_endproc
	.size	arch_lwp_trampoline, .-arch_lwp_trampoline

	.section .note.GNU-stack,"",%progbits
