/* unit.arch_context, what every CPU shares (arch_context.h): the clone
 * image's place, a raw LWP's entry, glibc's mangled jmp_buf stack pointer
 * and the tid read through the thread pointer (compat/glibc/<cpu>/). */
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
#include "arch_context.h"

void dummy_entry(void *arg) { (void)arg; }

/* The image the clone child loads: below the stack pointer (x86_64's
 * also below the red zone a signal frame must not overwrite), 16-byte
 * aligned, and the registers where the CPU's clone code looks. */
static void test_clone_image(void **state)
{
	(void)state;
	static char stack[4096] __attribute__((aligned(16)));
	mcontext_t mc;
	for (int mis = 0; mis < 16; mis++) {
		char *top = stack + sizeof stack - mis;
		arch_mcontext_init(&mc, dummy_entry, (void *)0xfeed, top,
				   (void *)0x1234);
		size_t span;
		char *img = arch_clone_image_at(&mc, &span);
		assert_int_equal((uintptr_t)img % 16, 0);
		assert_ptr_equal(img + span, top);
		arch_clone_image(img, &mc);
		check_clone_image(img, span, &mc);
	}
}

struct probe_regs probe_at_entry;

/* What the raw LWP saw, written without libc (its TCB is a fake one). */
static struct { void *tp; void *arg; } seen;

/* No sanitizer hooks: they would read the fake TCB as glibc's. */
__attribute__((no_stack_protector, no_sanitize_address, used)) void
probe_entry_c(void *arg)
{
	seen.arg = arg;
	seen.tp = arch_thread_pointer();
	lwp_exit();
}

/* The trampoline installs the thread pointer, hands over the argument,
 * aligns the stack as the ABI wants at a call, clears the frame pointer
 * (the outermost frame) and keeps the registers the image carries. */
static void test_new_lwp_has_tp_and_aligned_stack(void **state)
{
	(void)state;
	size_t sz = 1 << 16;
	char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_ptr_not_equal(stack, MAP_FAILED);
	/* A fake TCB: just the self pointer (x86_64's %fs:0). */
	static void *fake_tcb[64] __attribute__((aligned(64)));
	fake_tcb[0] = fake_tcb;
	/* A deliberately misaligned stack top: the trampoline must fix it. */
	for (int mis = 0; mis < 16; mis += 4) {
		memset(&seen, 0, sizeof seen);
		memset(&probe_at_entry, 0xab, sizeof probe_at_entry);
		ucontext_t uc;
		arch_mcontext_init(&uc.uc_mcontext, probe_entry, (void *)0xfeed,
				   stack + sz - 64 - mis, fake_tcb);
		probe_set_extra(&uc.uc_mcontext, 0x2222);
		pid_t tid = 0;
		assert_int_equal(lwp_create(&uc, 0, &tid), 0);
		lwp_wait_gone(&tid);
		assert_int_equal(tid, 0);
		assert_ptr_equal(seen.tp, fake_tcb);
		assert_ptr_equal(seen.arg, (void *)0xfeed);
		assert_int_equal(probe_at_entry.sp % 16, 0);
		assert_int_equal(probe_at_entry.fp, 0);
		assert_int_equal(probe_at_entry.extra, 0x2222);
	}
	munmap(stack, sz);
}

static void test_jmpbuf_sp(void **state)
{
	(void)state;
	jmp_buf jb;
	if (setjmp(jb) == 0) {
		uintptr_t sp = tcb_jmpbuf_sp((const long *)jb);
		uintptr_t here = (uintptr_t)&jb;
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
		cmocka_unit_test(test_new_lwp_has_tp_and_aligned_stack),
		cmocka_unit_test(test_jmpbuf_sp),
		cmocka_unit_test(test_clone_image),
		cmocka_unit_test(test_self_tid),
	};
	/* The CPU's group has no array to take the size of: the function
	 * cmocka's macro calls, with the size it would pass. */
	return cmocka_run_group_tests_name("arch_context", tests, NULL, NULL) +
	       _cmocka_run_group_tests("arch_context_cpu", cpu_tests,
				       cpu_ntests, NULL, NULL);
}
