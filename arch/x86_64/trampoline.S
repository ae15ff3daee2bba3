/*
 * arch/x86_64/trampoline.S -- first instructions of every libshim LWP.
 *
 * void arch_lwp_trampoline(void);   entered by jump from arch_clone
 *   r12 = entry (void (*)(void *), never returns)
 *   r13 = arg
 *   r14 = thread pointer: glibc-compatible TCB (compat/glibc/tcb.c),
 *         already the FS base (lwp_create passes it as clone's tls)
 */

	.text
	.globl	arch_lwp_trampoline
	.hidden	arch_lwp_trampoline
	.type	arch_lwp_trampoline, @function
arch_lwp_trampoline:
	.cfi_startproc
	.cfi_undefined rip		/* outermost frame: unwinders stop */
	xor	%ebp, %ebp		/* and frame-pointer walkers too */
	and	$-16, %rsp		/* SysV: rsp % 16 == 0 at the call */
	mov	%r13, %rdi
	call	*%r12
	ud2				/* entry returned */
	.cfi_endproc
	.size	arch_lwp_trampoline, .-arch_lwp_trampoline

	.section .note.GNU-stack,"",@progbits
