/*
 * arch/x86_64/sigreturn.S -- the signal-return trampoline for handlers
 * libshim installs with the raw rt_sigaction system call (glibc's
 * sigaction() refuses its reserved SIGCANCEL, 32).
 *
 * void arch_sigreturn(void);   never called: the kernel returns into it.
 *
 * The exact bytes `48 c7 c0 0f 00 00 00 0f 05` (mov $15, %rax; syscall)
 * are what libgcc's unwinder recognises as a signal frame, so a
 * cancellation acted on inside the handler can unwind through it.
 */
	.text
	.globl	arch_sigreturn
	.hidden	arch_sigreturn
	.type	arch_sigreturn, @function
	nop				/* unwinders look at pc - 1 */
arch_sigreturn:
	mov	$15, %rax		/* SYS_rt_sigreturn */
	syscall
	.size	arch_sigreturn, .-arch_sigreturn

	.section .note.GNU-stack,"",@progbits
