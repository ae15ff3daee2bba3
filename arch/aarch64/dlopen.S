/*
 * arch/aarch64/dlopen.S -- libshim's dlopen: a branch to glibc's unless the
 * mode asks for RTLD_DEEPBIND (libshim/deepbind.c).  Why it is assembly:
 * arch/x86_64/dlopen.S.
 *
 * void *dlopen(const char *file, int mode);	x0 = file, w1 = mode
 *
 * glibc's dlopen takes x30 at its entry as the caller; a branch with x30
 * unchanged names libshim's caller.  x16 carries the target: br x16 is a
 * valid entry into a function starting with bti c.
 */
#define RTLD_DEEPBIND_BIT 3		/* RTLD_DEEPBIND == 0x00008 */

/* Call fn (a C function), keeping dlopen's arguments for the branch after;
 * fn's result is left in x16. */
.macro call_keeping_args fn
	stp	x29, x30, [sp, #-32]!
	.cfi_adjust_cfa_offset 32
	.cfi_rel_offset x29, 0
	.cfi_rel_offset x30, 8
	mov	x29, sp
	stp	x0, x1, [sp, #16]
	bl	\fn
	mov	x16, x0
	ldp	x0, x1, [sp, #16]
	ldp	x29, x30, [sp], #32
	.cfi_adjust_cfa_offset -32
	.cfi_restore x29
	.cfi_restore x30
.endm

	.text
	.globl	dlopen
	.type	dlopen, %function
	.p2align 2
dlopen:
	.cfi_startproc
	hint	34			/* bti c */
	tbz	w1, #RTLD_DEEPBIND_BIT, 2f
	mov	x2, x30			/* the caller */
	call_keeping_args shim_dlopen_as_caller
	cbz	w16, 2f
	b	shim_dlopen_deepbind	/* a tail call: only its result returns */
2:	adrp	x16, shim_glibc_dlopen
	ldr	x16, [x16, :lo12:shim_glibc_dlopen]
	cbz	x16, 1f
	br	x16
1:	/* First call: look glibc's function up, keeping the arguments. */
	call_keeping_args shim_glibc_dlopen_lookup
	br	x16
	.cfi_endproc
	.size	dlopen, .-dlopen

	.section .note.GNU-stack,"",%progbits
