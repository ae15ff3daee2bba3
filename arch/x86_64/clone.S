/*
 * arch/x86_64/clone.S -- clone(2) for lwp_create, Linux x86_64.
 *
 * long arch_clone(unsigned long flags, void *child_sp,
 *                 pid_t *ptid, pid_t *ctid, void *tls);
 *
 * child_sp points at a gregset_t image (REG_* order of <sys/ucontext.h>)
 * that arch_clone_image wrote onto the child's stack.  The child loads rdi, rsi,
 * rdx, rcx, r8, r9, r12-r15, rbx and rbp from it, then switches to the
 * image's rsp and jumps to its rip.  The child has no valid frame: it must
 * touch nothing but the image.
 *
 * Linux: clone(flags, newsp, parent_tid, child_tid, tls); the fourth
 * argument goes in r10.  The kernel clobbers rcx and r11.
 */
#define SYS_clone 56

/* byte offsets of REG_* in gregset_t */
#define G_R8   0
#define G_R9   8
#define G_R12  32
#define G_R13  40
#define G_R14  48
#define G_R15  56
#define G_RDI  64
#define G_RSI  72
#define G_RBP  80
#define G_RBX  88
#define G_RDX  96
#define G_RCX  112
#define G_RSP  120
#define G_RIP  128

	.text
	.globl	arch_clone
	.hidden	arch_clone
	.type	arch_clone, @function
arch_clone:
	.cfi_startproc
	mov	%rcx, %r10		/* ctid: 4th syscall argument */
					/* tls: already in r8, 5th of both */
	mov	$SYS_clone, %eax
	syscall
	test	%rax, %rax
	jz	1f
	ret				/* parent: tid or -errno */
1:	/* child: rsp == child_sp, the register image */
	.cfi_undefined rip
	mov	%rsp, %r11
	mov	G_R8(%r11), %r8
	mov	G_R9(%r11), %r9
	mov	G_R12(%r11), %r12
	mov	G_R13(%r11), %r13
	mov	G_R14(%r11), %r14
	mov	G_R15(%r11), %r15
	mov	G_RDI(%r11), %rdi
	mov	G_RSI(%r11), %rsi
	mov	G_RBP(%r11), %rbp
	mov	G_RBX(%r11), %rbx
	mov	G_RDX(%r11), %rdx
	mov	G_RCX(%r11), %rcx
	/* rip first: once rsp moves up, the image lies below the stack
	 * pointer, memory the ABI (and valgrind) considers dead.  rax, the
	 * clone result, is free. */
	mov	G_RIP(%r11), %rax
	mov	G_RSP(%r11), %rsp
	jmp	*%rax
	.cfi_endproc
	.size	arch_clone, .-arch_clone

	.section .note.GNU-stack,"",@progbits
