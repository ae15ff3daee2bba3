/*
 * arch/aarch64/clone.S -- clone(2) for lwp_create, Linux arm64.
 *
 * long arch_clone(unsigned long flags, void *child_sp,
 *                 pid_t *ptid, pid_t *ctid, void *tls);
 *
 * child_sp points at the image arch_clone_image wrote onto the child's
 * stack: x0..x30, then sp and pc (the order of mcontext_t's regs[], sp,
 * pc).  The child loads x0..x15 and x18..x30 from it, then switches to the
 * image's sp and branches to its pc; x16 and x17 (the intra-procedure
 * scratch registers) carry pc and sp there, so their image values are not
 * loaded.  The child has no valid frame: it touches nothing but the image.
 *
 * Linux arm64 (CLONE_BACKWARDS): clone(flags, newsp, parent_tid, tls,
 * child_tid).
 */
#define SYS_clone 220

#define IMG_SP 248		/* 31 * 8 */
#define IMG_PC 256

	.text
	.globl	arch_clone
	.hidden	arch_clone
	.type	arch_clone, %function
	.p2align 2
arch_clone:
	.cfi_startproc
	hint	34			/* bti c */
	mov	x5, x3			/* ctid: 5th syscall argument */
	mov	x3, x4			/* tls: 4th */
	mov	x4, x5
	mov	x8, #SYS_clone
	svc	#0
	cbz	x0, 1f
	ret				/* parent: tid or -errno */
1:	/* child: sp == child_sp, the register image */
	.cfi_undefined x30
	mov	x16, sp
	ldr	x17, [x16, #IMG_PC]
	ldp	x0, x1, [x16, #0]
	ldp	x2, x3, [x16, #16]
	ldp	x4, x5, [x16, #32]
	ldp	x6, x7, [x16, #48]
	ldp	x8, x9, [x16, #64]
	ldp	x10, x11, [x16, #80]
	ldp	x12, x13, [x16, #96]
	ldp	x14, x15, [x16, #112]
	ldr	x18, [x16, #144]
	ldp	x19, x20, [x16, #152]
	ldp	x21, x22, [x16, #168]
	ldp	x23, x24, [x16, #184]
	ldp	x25, x26, [x16, #200]
	ldp	x27, x28, [x16, #216]
	ldp	x29, x30, [x16, #232]
	/* sp last: once it moves up, the image lies below the stack
	 * pointer, memory a signal frame may overwrite. */
	ldr	x16, [x16, #IMG_SP]
	mov	sp, x16
	br	x17
	.cfi_endproc
	.size	arch_clone, .-arch_clone

	.section .note.GNU-stack,"",%progbits
