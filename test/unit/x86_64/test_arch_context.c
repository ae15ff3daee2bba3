/* arch/x86_64: the hand-built first register state, the clone image and
 * the trampoline; and glibc's mangled jmp_buf stack pointer. */
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
	assert_ptr_equal((void *)mc.gregs[REG_RIP], (void *)arch_lwp_trampoline);
	assert_ptr_equal((void *)mc.gregs[REG_RSP], &stack);
	assert_ptr_equal((void *)mc.gregs[REG_R12], (void *)dummy_entry);
	assert_ptr_equal((void *)mc.gregs[REG_R13], &arg);
	assert_ptr_equal((void *)mc.gregs[REG_R14], (void *)0x1234);
	assert_int_equal(mc.gregs[REG_RAX], 0); /* the rest zeroed */
	assert_int_equal(mc.gregs[REG_RBP], 0);
}

/* The image the clone child loads: below the stack pointer and the red
 * zone a signal frame must not overwrite, aligned, and a copy of gregs. */
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
		assert_true(span >= 128 + sizeof(gregset_t));
		arch_clone_image(img, &mc);
		assert_memory_equal(img, mc.gregs, sizeof(gregset_t));
	}
}

/* What the raw LWP saw, written without libc (its TCB is a fake one). */
static struct { void *tp; void *arg; uintptr_t sp_mod16; uintptr_t rbp; } seen;

/* The trampoline calls probe_entry: record rsp exactly at entry, where
 * the SysV ABI wants rsp + 8 (past the return address) 16-byte aligned. */
uintptr_t probe_entry_sp;
void probe_entry(void *arg);
__asm__(".text\n"
	"probe_entry:\n"
	"	mov %rsp, probe_entry_sp(%rip)\n"
	"	jmp raw_entry_c\n");

/* No sanitizer hooks: they would read the fake TCB as glibc's. */
__attribute__((no_stack_protector, no_sanitize_address, used)) void
raw_entry_c(void *arg)
{
	uintptr_t bp;
	__asm__ volatile("mov %%rbp, %0" : "=r"(bp));
	seen.sp_mod16 = (probe_entry_sp + 8) % 16;
	seen.arg = arg;
	seen.tp = arch_thread_pointer();
	seen.rbp = bp;
	lwp_exit();
}

static void test_new_lwp_has_tp_and_aligned_stack(void **state)
{
	(void)state;
	size_t sz = 1 << 16;
	char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_ptr_not_equal(stack, MAP_FAILED);
	/* A fake TCB: just the self pointer at %fs:0. */
	static void *fake_tcb[64] __attribute__((aligned(64)));
	fake_tcb[0] = fake_tcb;
	/* A deliberately misaligned stack top: the trampoline must fix it. */
	for (int mis = 0; mis < 16; mis += 8) {
		memset(&seen, 0, sizeof seen);
		ucontext_t uc;
		arch_mcontext_init(&uc.uc_mcontext, probe_entry, (void *)0xfeed,
				   stack + sz - 64 - mis, fake_tcb);
		pid_t tid = 0;
		assert_int_equal(lwp_create(&uc, 0, &tid), 0);
		lwp_wait_gone(&tid);
		assert_int_equal(tid, 0);
		assert_ptr_equal(seen.tp, fake_tcb);
		assert_ptr_equal(seen.arg, (void *)0xfeed);
		assert_int_equal(seen.sp_mod16, 0);
	}
	munmap(stack, sz);
}

static void test_sigreturn_bytes(void **state)
{
	(void)state;
	/* libgcc recognises a signal frame by exactly these bytes. */
	static const unsigned char want[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00,
					     0x00, 0x00, 0x0f, 0x05};
	assert_memory_equal((const void *)arch_sigreturn, want, sizeof want);
}

static void test_jmpbuf_sp(void **state)
{
	(void)state;
	jmp_buf jb;
	uintptr_t here;
	__asm__ volatile("mov %%rsp, %0" : "=r"(here));
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
		cmocka_unit_test(test_sigreturn_bytes),
		cmocka_unit_test(test_jmpbuf_sp),
		cmocka_unit_test(test_clone_image),
		cmocka_unit_test(test_self_tid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
