/* arch/aarch64: the hand-built first register state, the clone image and
 * the trampoline (tpidr_el0, stack alignment, the outermost frame); the
 * signal-return words; glibc's mangled jmp_buf stack pointer and the tid
 * read through the thread pointer (compat/glibc/aarch64/tcb_layout.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "arch.h"
#include "compat/glibc/tcb.h"
#include "compat/lwp.h"

static void dummy_entry(void *arg) { (void)arg; }

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

/* The image the clone child loads: below the stack pointer, 16-byte
 * aligned, and a copy of regs[], sp and pc. */
static void test_clone_image(void **state)
{
	(void)state;
	static char stack[4096] __attribute__((aligned(16)));
	mcontext_t mc;
	for (int mis = 0; mis < 16; mis++) {
		arch_mcontext_init(&mc, dummy_entry, (void *)0xfeed,
				   stack + sizeof stack - mis, (void *)0x1234);
		size_t span;
		char *img = arch_clone_image_at(&mc, &span);
		assert_int_equal((uintptr_t)img % 16, 0);
		assert_ptr_equal(img + span, stack + sizeof stack - mis);
		assert_true(span >= 33 * 8);
		arch_clone_image(img, &mc);
		assert_memory_equal(img, mc.regs, 31 * 8);
		assert_memory_equal(img + 31 * 8, &mc.sp, 8);
		assert_memory_equal(img + 32 * 8, &mc.pc, 8);
	}
}

/* What the raw LWP saw, written without libc (its TCB is a fake one). */
static struct {
	void *tp;
	void *arg;
	uintptr_t sp_mod16, fp, lr_is_zero, x22;
} seen;

/* The trampoline calls probe_entry: record sp and the frame registers
 * exactly at entry (x30 is then the return address into the trampoline;
 * the frame record it set up is x29 = 0). */
uintptr_t probe_entry_sp, probe_entry_fp, probe_entry_x22;
void probe_entry(void *arg);
__asm__(".text\n"
	".p2align 2\n"
	"probe_entry:\n"
	"	mov x9, sp\n"
	"	adrp x10, probe_entry_sp\n"
	"	str x9, [x10, :lo12:probe_entry_sp]\n"
	"	adrp x10, probe_entry_fp\n"
	"	str x29, [x10, :lo12:probe_entry_fp]\n"
	"	adrp x10, probe_entry_x22\n"
	"	str x22, [x10, :lo12:probe_entry_x22]\n"
	"	b raw_entry_c\n");

/* No sanitizer hooks: they would read the fake TCB as glibc's. */
__attribute__((no_stack_protector, no_sanitize_address, used)) void
raw_entry_c(void *arg)
{
	seen.sp_mod16 = probe_entry_sp % 16;
	seen.fp = probe_entry_fp;
	seen.x22 = probe_entry_x22;
	seen.arg = arg;
	seen.tp = arch_thread_pointer();
	lwp_exit();
}

static void test_new_lwp_has_tp_and_aligned_stack(void **state)
{
	(void)state;
	size_t sz = 1 << 16;
	char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_ptr_not_equal(stack, MAP_FAILED);
	static void *fake_tcb[64] __attribute__((aligned(64)));
	/* A deliberately misaligned stack top: the trampoline must fix it. */
	for (int mis = 0; mis < 16; mis += 4) {
		memset(&seen, 0, sizeof seen);
		ucontext_t uc;
		arch_mcontext_init(&uc.uc_mcontext, probe_entry, (void *)0xfeed,
				   stack + sz - 64 - mis, fake_tcb);
		/* A register the image carries beyond the contract's. */
		uc.uc_mcontext.regs[22] = 0x2222;
		pid_t tid = 0;
		assert_int_equal(lwp_create(&uc, 0, &tid), 0);
		lwp_wait_gone(&tid);
		assert_int_equal(tid, 0);
		assert_ptr_equal(seen.tp, fake_tcb);
		assert_ptr_equal(seen.arg, (void *)0xfeed);
		assert_int_equal(seen.sp_mod16, 0);
		assert_int_equal(seen.fp, 0);
		assert_int_equal(seen.x22, 0x2222);
	}
	munmap(stack, sz);
}

static void test_sigreturn_words(void **state)
{
	(void)state;
	/* libgcc recognises a signal frame by exactly these two words. */
	static const uint32_t want[] = { 0xd2801168, 0xd4000001 };
	assert_memory_equal((const void *)arch_sigreturn, want, sizeof want);
}

static void test_jmpbuf_sp(void **state)
{
	(void)state;
	jmp_buf jb;
	uintptr_t here;
	__asm__ volatile("mov %0, sp" : "=r"(here));
	if (setjmp(jb) == 0) {
		uintptr_t sp = tcb_jmpbuf_sp((const long *)jb);
		/* setjmp saves the caller's sp: within this frame. */
		assert_true(sp <= here + 256 && sp + 4096 >= here);
	}
}

static void test_self_tid(void **state)
{
	(void)state;
	assert_int_equal(tcb_self_tid(), gettid());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mcontext_fields),
		cmocka_unit_test(test_new_lwp_has_tp_and_aligned_stack),
		cmocka_unit_test(test_sigreturn_words),
		cmocka_unit_test(test_jmpbuf_sp),
		cmocka_unit_test(test_clone_image),
		cmocka_unit_test(test_self_tid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
