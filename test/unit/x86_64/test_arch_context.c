/* arch/x86_64's half of unit.arch_context (test/unit/arch_context.h):
 * the hand-built first register state, the clone image's gregs, what a
 * raw LWP's first instruction finds in rsp, rbp and r15, and the
 * sigreturn bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch.h"
#include "arch_context.h"

static void test_mcontext_fields(void **state)
{
	(void)state;
	mcontext_t mc;
	memset(&mc, 0xab, sizeof mc);
	int arg, stack;
	arch_mcontext_init(&mc, dummy_entry, &arg, &stack, (void *)0x1234);
	assert_ptr_equal((void *)mc.gregs[REG_RIP], (void *)arch_lwp_trampoline);
	assert_ptr_equal((void *)mc.gregs[REG_RSP], &stack);
	assert_ptr_equal((void *)mc.gregs[REG_R12], (void *)dummy_entry);
	assert_ptr_equal((void *)mc.gregs[REG_R13], &arg);
	assert_ptr_equal((void *)mc.gregs[REG_R14], (void *)0x1234);
	assert_int_equal(mc.gregs[REG_RAX], 0); /* the rest zeroed */
	assert_int_equal(mc.gregs[REG_RBP], 0);
}

/* Above the image, the red zone of the interrupted code (128 bytes). */
void check_clone_image(const char *img, size_t span, const mcontext_t *mc)
{
	assert_true(span >= 128 + sizeof(gregset_t));
	assert_memory_equal(img, mc->gregs, sizeof(gregset_t));
}

/* At a function's entry the SysV ABI wants rsp + 8 (past the return
 * address) 16-byte aligned: that is the caller's rsp.  rax is free. */
__asm__(".text\n"
	".globl probe_entry\n"
	"probe_entry:\n"
	"	lea 8(%rsp), %rax\n"
	"	mov %rax, probe_at_entry(%rip)\n"
	"	mov %rbp, probe_at_entry+8(%rip)\n"
	"	mov %r15, probe_at_entry+16(%rip)\n"
	"	jmp probe_entry_c\n");

void probe_set_extra(mcontext_t *mc, uintptr_t v)
{
	mc->gregs[REG_R15] = (greg_t)v;
}

static void test_sigreturn_bytes(void **state)
{
	(void)state;
	/* libgcc recognises a signal frame by exactly these bytes. */
	static const unsigned char want[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00,
					     0x00, 0x00, 0x0f, 0x05};
	assert_memory_equal((const void *)arch_sigreturn, want, sizeof want);
}

const struct CMUnitTest cpu_tests[] = {
	cmocka_unit_test(test_mcontext_fields),
	cmocka_unit_test(test_sigreturn_bytes),
};
const size_t cpu_ntests = sizeof cpu_tests / sizeof *cpu_tests;
