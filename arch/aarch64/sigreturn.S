/*
 * arch/aarch64/sigreturn.S -- the signal-return trampoline for handlers
 * libshim installs with the raw rt_sigaction system call (SA_RESTORER).
 *
 * void arch_sigreturn(void);   never called: the kernel returns into it.
 *
 * The exact words d2801168 d4000001 (mov x8, #139; svc #0) are what
 * libgcc's arm64 unwinder recognises as a signal frame, so a cancellation
 * acted on inside the handler can unwind through it.
 */
	.text
	.globl	arch_sigreturn
	.hidden	arch_sigreturn
	.type	arch_sigreturn, %function
	.p2align 2
	nop				/* unwinders look at pc - 4 */
arch_sigreturn:
	mov	x8, #139		/* SYS_rt_sigreturn */
	svc	#0
	.size	arch_sigreturn, .-arch_sigreturn

	.section .note.GNU-stack,"",%progbits
