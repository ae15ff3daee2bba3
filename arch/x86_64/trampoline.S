/*
 * arch/x86_64/trampoline.S -- first instructions of every libshim LWP.
 *
 * void arch_lwp_trampoline(void);   entered by jump from lwp_clone_raw
 *   r12 = entry (void (*)(void *), never returns)
 *   r13 = arg
 *   r14 = thread pointer: glibc-compatible TCB (compat/glibc/tcb.c)
 *
 * No C may run before the FS base is set: compiled code reads the stack
 * guard at %fs:0x28, errno and every __thread variable through %fs.
 */
#define SYS_arch_prctl 158
#define ARCH_SET_FS    0x1002

	.text
	.globl	arch_lwp_trampoline
	.hidden	arch_lwp_trampoline
	.type	arch_lwp_trampoline, @function
arch_lwp_trampoline:
	.cfi_startproc
	.cfi_undefined rip		/* outermost frame: unwinders stop */
	xor	%ebp, %ebp		/* and frame-pointer walkers too */
	mov	$SYS_arch_prctl, %eax
	mov	$ARCH_SET_FS, %edi
	mov	%r14, %rsi
	syscall				/* clobbers rcx, r11 */
	test	%rax, %rax
	jnz	1f
	and	$-16, %rsp		/* SysV: rsp % 16 == 0 at the call */
	mov	%r13, %rdi
	call	*%r12
1:	ud2				/* entry returned, or no thread pointer */
	.cfi_endproc
	.size	arch_lwp_trampoline, .-arch_lwp_trampoline

	.section .note.GNU-stack,"",@progbits
