/*
 * compat/glibc/x86_64/tcb_layout.h -- glibc's struct pthread on x86_64,
 * and what reads it straight through the thread pointer.  Found through
 * the include path (meson.build's arch gate), as arch/<cpu>/ is: another
 * CPU has its own offsets and its own way to reach them.
 *
 * tcb_host_init checks these offsets against the descriptors glibc
 * publishes for debuggers and against a TCB glibc built itself; the
 * static asserts below check them against glibc's declaration order.
 */
#ifndef SHIM_COMPAT_GLIBC_TCB_LAYOUT_H
#define SHIM_COMPAT_GLIBC_TCB_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The base symbol version of x86_64's glibc. */
#define GLIBC_BASE_VERSION "GLIBC_2.2.5"

/* struct pthread offsets on glibc 2.34..2.40 x86_64 (glibc-tcb.md). */
enum {
	TCB_OFF_TCB = 0x0,               /* header.tcb: the TCB's own address */
	TCB_OFF_DTV = 0x8,
	TCB_OFF_SELF = 0x10,             /* header.self */
	TCB_OFF_MULTIPLE_THREADS = 0x18,
	TCB_OFF_STACK_GUARD = 0x28,      /* read by -fstack-protector code */
	TCB_OFF_POINTER_GUARD = 0x30,    /* PTR_MANGLE: setjmp, atexit, iconv */
	TCB_OFF_FEATURE_1 = 0x48,        /* CET state */
	TCB_OFF_LIST = 704,              /* list_t {next, prev} */
	TCB_OFF_TID = 720,
	TCB_OFF_ROBUST_PREV = 728,
	TCB_OFF_ROBUST_HEAD = 736,       /* struct robust_list_head (24 bytes) */
	TCB_OFF_CLEANUP = 760,          /* right before cleanup_jmp_buf */
	TCB_OFF_CLEANUP_JMP_BUF = 768,   /* __pthread_unwind_buf_t chain */
	TCB_OFF_CANCELHANDLING = 776,
	TCB_OFF_SPECIFIC_1STBLOCK = 784,
	TCB_OFF_SPECIFIC = 1296,
	TCB_OFF_REPORT_EVENTS = 1553,
	TCB_OFF_USER_STACK = 1554,       /* bool, right after report_events */
	TCB_OFF_STACKBLOCK = 1680,
	TCB_OFF_STACKBLOCK_SIZE = 1688,
	TCB_OFF_GUARDSIZE = 1696,
	TCB_OFF_REPORTED_GUARDSIZE = 1704, /* the size asked for */
	TCB_OFF_RES = 1720,              /* struct __res_state (__resp) */
	TCB_SIZEOF_PTHREAD = 2368,
	TCB_OFF_PTHREAD = 0,             /* glibc's pthread_t is the tp */
};

/* struct pthread declares list_t list; pid_t tid; void *robust_prev;
 * struct robust_list_head robust_head; in that order, and user_stack
 * right after report_events. */
_Static_assert(TCB_OFF_TID == TCB_OFF_LIST + 2 * sizeof(void *),
	       "tid follows list");
_Static_assert(TCB_OFF_ROBUST_HEAD == TCB_OFF_ROBUST_PREV + sizeof(void *),
	       "robust_head follows robust_prev");
_Static_assert(TCB_OFF_USER_STACK == TCB_OFF_REPORT_EVENTS + 1,
	       "user_stack follows report_events");
_Static_assert(TCB_OFF_REPORTED_GUARDSIZE == TCB_OFF_GUARDSIZE + 8,
	       "reported_guardsize follows guardsize");
/* ...and struct _pthread_cleanup_buffer *cleanup; struct
 * pthread_unwind_buf *cleanup_jmp_buf; int cancelhandling; in that order. */
_Static_assert(TCB_OFF_CLEANUP_JMP_BUF == TCB_OFF_CLEANUP + sizeof(void *) &&
	       TCB_OFF_CANCELHANDLING == TCB_OFF_CLEANUP_JMP_BUF + sizeof(void *),
	       "cleanup_jmp_buf lies between cleanup and cancelhandling");
_Static_assert(sizeof(pid_t) == 4, "tcb_self_tid reads 32 bits");

/* Bytes of a TCB area beyond glibc's static TLS size and alignment:
 * none, struct pthread is part of dl_tls_static_size (variant II). */
enum { TCB_AREA_EXTRA = 0 };

/* The thread pointer of a TCB built in an area ending at area_top:
 * struct pthread at the top, the static TLS below it. */
static inline char *tcb_layout_tp(uintptr_t area_top, size_t static_size,
				  size_t align)
{
	(void)static_size;
	return (char *)((area_top - TCB_SIZEOF_PTHREAD) &
			~(uintptr_t)(align - 1));
}

/* tcbhead_t, struct pthread's first member: self pointers, and what
 * glibc's pthread_create copies from the creator. */
static inline void tcb_layout_header_init(char *tp, const char *creator)
{
	*(char **)(tp + TCB_OFF_TCB) = tp;
	*(char **)(tp + TCB_OFF_SELF) = tp;
	/* Without it glibc's fastbins drop their lock prefix. */
	*(int *)(tp + TCB_OFF_MULTIPLE_THREADS) = 1;
	*(uintptr_t *)(tp + TCB_OFF_STACK_GUARD) =
		*(const uintptr_t *)(creator + TCB_OFF_STACK_GUARD);
	*(uintptr_t *)(tp + TCB_OFF_POINTER_GUARD) =
		*(const uintptr_t *)(creator + TCB_OFF_POINTER_GUARD);
	*(unsigned *)(tp + TCB_OFF_FEATURE_1) =
		*(const unsigned *)(creator + TCB_OFF_FEATURE_1);
}

/* A glibc-built TCB points at itself. */
static inline bool tcb_layout_header_ok(const char *tp)
{
	return *(char *const *)(tp + TCB_OFF_TCB) == tp &&
	       *(char *const *)(tp + TCB_OFF_SELF) == tp;
}

/* What glibc's pthread_create sets in the creator's TCB. */
static inline void tcb_layout_set_threaded(char *tp)
{
	*(int *)(tp + TCB_OFF_MULTIPLE_THREADS) = 1;
}

/* The calling thread's kernel tid, which glibc keeps in its TCB (no
 * system call): one load through the thread pointer. */
static inline pid_t tcb_self_tid(void)
{
	pid_t tid;
	__asm__("movl %%fs:%c1, %0" : "=r"(tid) : "i"(TCB_OFF_TID));
	return tid;
}

/* The stack pointer a jmp_buf saved: glibc mangles it with the pointer
 * guard (xor, then rotate left by 17). */
static inline uintptr_t tcb_jmpbuf_sp(const long *jb)
{
	uintptr_t v = (uintptr_t)jb[6], guard;
	__asm__("mov %%fs:%c1, %0" : "=r"(guard) : "i"(TCB_OFF_POINTER_GUARD));
	v = (v >> 17) | (v << 47);
	return v ^ guard;
}

#endif
