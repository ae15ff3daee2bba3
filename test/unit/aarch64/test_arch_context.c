/* arch/aarch64's half of unit.arch_context (test/unit/arch_context.h):
 * the hand-built first register state, the clone image's regs[], sp and
 * pc, what a raw LWP's first instruction finds in sp, x29 and x22, and
 * the signal-return words. */
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
	assert_ptr_equal((void *)mc.pc, (void *)arch_lwp_trampoline);
	assert_ptr_equal((void *)mc.sp, &stack);
	assert_ptr_equal((void *)mc.regs[19], (void *)dummy_entry);
	assert_ptr_equal((void *)mc.regs[20], &arg);
	assert_ptr_equal((void *)mc.regs[21], (void *)0x1234);
	assert_ptr_equal(arch_mcontext_tp(&mc), (void *)0x1234);
	assert_int_equal(mc.regs[0], 0); /* the rest zeroed */
	assert_int_equal(mc.regs[29], 0);
	assert_int_equal(mc.regs[30], 0);
}

/* regs[], then sp, then pc. */
void check_clone_image(const char *img, size_t span, const mcontext_t *mc)
{
	assert_true(span >= 33 * 8);
	assert_memory_equal(img, mc->regs, 31 * 8);
	assert_memory_equal(img + 31 * 8, &mc->sp, 8);
	assert_memory_equal(img + 32 * 8, &mc->pc, 8);
}

/* sp is what the caller had (bl leaves it alone); the frame record the
 * trampoline set up is x29 = 0. */
__asm__(".text\n"
	".p2align 2\n"
	".globl probe_entry\n"
	"probe_entry:\n"
	"	adrp x10, probe_at_entry\n"
	"	add x10, x10, :lo12:probe_at_entry\n"
	"	mov x9, sp\n"
	"	str x9, [x10]\n"
	"	str x29, [x10, #8]\n"
	"	str x22, [x10, #16]\n"
	"	b probe_entry_c\n");

void probe_set_extra(mcontext_t *mc, uintptr_t v)
{
	mc->regs[22] = v;
}

static void test_sigreturn_words(void **state)
{
	(void)state;
	/* libgcc recognises a signal frame by exactly these two words. */
	static const uint32_t want[] = { 0xd2801168, 0xd4000001 };
	assert_memory_equal((const void *)arch_sigreturn, want, sizeof want);
}

const struct CMUnitTest cpu_tests[] = {
	cmocka_unit_test(test_mcontext_fields),
	cmocka_unit_test(test_sigreturn_words),
};
const size_t cpu_ntests = sizeof cpu_tests / sizeof *cpu_tests;
