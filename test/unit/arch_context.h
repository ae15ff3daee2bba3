/*
 * test/unit/arch_context.h -- unit.arch_context in two halves:
 * arch_context.c checks what every CPU promises alike (where the clone
 * image lies, what a raw LWP finds at its entry, glibc's jmp_buf stack
 * pointer, the tid read through the thread pointer) and runs the tests;
 * test/unit/<cpu>/test_arch_context.c gives it the CPU's registers, and
 * checks its own register image and signal-return code.
 */
#ifndef SHIM_TEST_ARCH_CONTEXT_H
#define SHIM_TEST_ARCH_CONTEXT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>
#include <cmocka.h>

/* An entry that is never run: only its address goes into a context. */
void dummy_entry(void *arg);

/* ---- from the CPU's half ---- */

/* Its own tests. */
extern const struct CMUnitTest cpu_tests[];
extern const size_t cpu_ntests;

/* The clone image arch_clone_image wrote at img (span bytes) from mc
 * holds mc's registers where the CPU's clone code loads them. */
void check_clone_image(const char *img, size_t span, const mcontext_t *mc);

/* A raw LWP's first instruction: records in probe_at_entry the registers
 * as the trampoline left them, then jumps to probe_entry_c. */
void probe_entry(void *arg);
/* Give mc's register that probe_entry records as .extra (one the clone
 * image carries beyond arch_mcontext_init's contract) the value v. */
void probe_set_extra(mcontext_t *mc, uintptr_t v);

/* ---- from arch_context.c ---- */

/* Written by probe_entry (asm: the fields at 0, 8, 16). */
extern struct probe_regs {
	uintptr_t sp;    /* the caller's, before its call instruction */
	uintptr_t fp;    /* the frame pointer */
	uintptr_t extra; /* see probe_set_extra */
} probe_at_entry;

/* Where probe_entry goes on: records what C sees and ends the LWP. */
void probe_entry_c(void *arg);

#endif
