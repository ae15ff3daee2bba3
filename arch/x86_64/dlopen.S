/*
 * arch/x86_64/dlopen.S -- libshim's dlopen: a jump to glibc's unless the
 * mode asks for RTLD_DEEPBIND (libshim/deepbind.c).
 *
 * void *dlopen(const char *file, int mode);	rdi = file, esi = mode
 *
 * glibc's dlopen takes its own return address as the caller: the object
 * whose DT_RPATH/DT_RUNPATH is searched, against which "$ORIGIN" in file
 * expands, and whose namespace gets the new objects.  A call from here
 * would name libshim; a jump with the caller's return address still on
 * the stack names the caller.  C cannot promise a jump, hence this file.
 * A RTLD_DEEPBIND load is opened by libshim (a call) only where glibc
 * finds the same file for libshim as for the caller
 * (shim_dlopen_as_caller); elsewhere it is glibc's, by a jump.
 */
#define RTLD_DEEPBIND 0x00008

/* Call fn (a C function), keeping dlopen's arguments for the jump after. */
.macro call_keeping_args fn
	push	%rdi
	.cfi_adjust_cfa_offset 8
	push	%rsi
	.cfi_adjust_cfa_offset 8
	sub	$8, %rsp		/* SysV: rsp % 16 == 0 at the call */
	.cfi_adjust_cfa_offset 8
	call	\fn
	add	$8, %rsp
	.cfi_adjust_cfa_offset -8
	pop	%rsi
	.cfi_adjust_cfa_offset -8
	pop	%rdi
	.cfi_adjust_cfa_offset -8
.endm

	.text
	.globl	dlopen
	.type	dlopen, @function
dlopen:
	.cfi_startproc
	test	$RTLD_DEEPBIND, %esi
	jz	2f
	mov	(%rsp), %rdx		/* the caller */
	call_keeping_args shim_dlopen_as_caller
	test	%eax, %eax
	jnz	shim_dlopen_deepbind	/* a tail call: only its result returns */
2:	mov	shim_glibc_dlopen(%rip), %rax
	test	%rax, %rax
	jz	1f
	jmp	*%rax
1:	/* First call: look glibc's function up, keeping the arguments. */
	call_keeping_args shim_glibc_dlopen_lookup
	jmp	*%rax
	.cfi_endproc
	.size	dlopen, .-dlopen

	.section .note.GNU-stack,"",@progbits
