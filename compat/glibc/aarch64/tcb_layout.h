/*
 * compat/glibc/aarch64/tcb_layout.h -- glibc's struct pthread on arm64,
 * and what reads it through the thread pointer.  The interface of
 * compat/glibc/x86_64/tcb_layout.h; see doc/aarch64.md.
 *
 * arm64 uses TLS variant I: TPIDR_EL0 points at a 16-byte tcbhead_t
 * {dtv, private}, the static TLS blocks follow above it, and struct
 * pthread lies immediately below it (glibc's TLS_PRE_TCB_SIZE), so every
 * field is at a negative offset from the thread pointer.  There is no
 * header with self pointers, guards or a multiple_threads flag: the stack
 * and pointer guards are ld.so globals (__stack_chk_guard,
 * __pointer_chk_guard) and glibc's single-thread test reads the global
 * __libc_single_threaded (2.36: malloc's ldrb of it, checked with objdump).
 *
 * tcb_host_init checks the offsets against glibc's _thread_db_*
 * descriptors (given from the start of struct pthread, hence
 * TCB_OFF_PTHREAD), against glibc's pthread_self() and against the main
 * thread's TCB, which glibc built; the static asserts below check them
 * against glibc's declaration order.
 */
#ifndef SHIM_COMPAT_GLIBC_TCB_LAYOUT_H
#define SHIM_COMPAT_GLIBC_TCB_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The base symbol version of arm64's glibc: its first release. */
#define GLIBC_BASE_VERSION "GLIBC_2.17"

/* Offsets inside struct pthread, glibc 2.34..2.40 arm64.  Its first member
 * is a 24-pointer pad where x86_64 has tcbhead_t: everything from list on
 * is x86_64's offset less 512. */
#define PD(off) ((off) - TCB_SIZEOF_PTHREAD)
enum {
	TCB_SIZEOF_PTHREAD = 1856,
	TCB_OFF_PTHREAD = -TCB_SIZEOF_PTHREAD, /* glibc's pthread_t */
	TCB_OFF_DTV = 0,                 /* tcbhead_t.dtv, at the tp */
	TCB_OFF_LIST = PD(192),          /* list_t {next, prev} */
	TCB_OFF_TID = PD(208),
	TCB_OFF_ROBUST_PREV = PD(216),
	TCB_OFF_ROBUST_HEAD = PD(224),   /* struct robust_list_head (24) */
	TCB_OFF_CLEANUP = PD(248),       /* x86_64's 760, less 512 */
	TCB_OFF_CLEANUP_JMP_BUF = PD(256),
	TCB_OFF_CANCELHANDLING = PD(264),
	TCB_OFF_SPECIFIC_1STBLOCK = PD(272),
	TCB_OFF_SPECIFIC = PD(784),
	TCB_OFF_REPORT_EVENTS = PD(1041),
	TCB_OFF_USER_STACK = PD(1042),   /* bool, right after report_events */
	TCB_OFF_STACKBLOCK = PD(1168),
	TCB_OFF_STACKBLOCK_SIZE = PD(1176),
	TCB_OFF_GUARDSIZE = PD(1184),    /* mapped: at least 64 KiB */
	TCB_OFF_REPORTED_GUARDSIZE = PD(1192), /* the size asked for */
	TCB_OFF_RES = PD(1208),          /* struct __res_state (__resp) */
};
#undef PD

_Static_assert(TCB_OFF_TID == TCB_OFF_LIST + 2 * (int)sizeof(void *),
	       "tid follows list");
_Static_assert(TCB_OFF_ROBUST_HEAD == TCB_OFF_ROBUST_PREV + (int)sizeof(void *),
	       "robust_head follows robust_prev");
_Static_assert(TCB_OFF_CLEANUP == TCB_OFF_ROBUST_HEAD + 3 * (int)sizeof(void *),
	       "cleanup follows robust_head");
_Static_assert(TCB_OFF_USER_STACK == TCB_OFF_REPORT_EVENTS + 1,
	       "user_stack follows report_events");
_Static_assert(TCB_OFF_CLEANUP_JMP_BUF == TCB_OFF_CLEANUP + (int)sizeof(void *) &&
	       TCB_OFF_CANCELHANDLING ==
		       TCB_OFF_CLEANUP_JMP_BUF + (int)sizeof(void *),
	       "cleanup_jmp_buf lies between cleanup and cancelhandling");
_Static_assert(TCB_OFF_SPECIFIC == TCB_OFF_SPECIFIC_1STBLOCK + 32 * 16,
	       "specific follows 32 pthread_key_data");
_Static_assert(TCB_OFF_REPORTED_GUARDSIZE == TCB_OFF_GUARDSIZE + 8,
	       "reported_guardsize follows guardsize");
_Static_assert(sizeof(pid_t) == 4, "tcb_self_tid reads 32 bits");

/* Bytes of a TCB area beyond glibc's static TLS size and alignment:
 * struct pthread, which variant I keeps out of dl_tls_static_size. */
enum { TCB_AREA_EXTRA = TCB_SIZEOF_PTHREAD };

/* The thread pointer of a TCB built in an area ending at area_top, as
 * glibc's allocate_stack places it: the static TLS above the tp fills the
 * area's top, struct pthread below it. */
static inline char *tcb_layout_tp(uintptr_t area_top, size_t static_size,
				  size_t align)
{
	return (char *)((area_top - static_size) & ~(uintptr_t)(align - 1));
}

/* Nothing to copy: the guards are process-wide, the header is the dtv
 * _dl_allocate_tls wrote. */
static inline void tcb_layout_header_init(char *tp, const char *creator)
{
	(void)tp;
	(void)creator;
}

/* A glibc-built TCB: its dtv is set (the rest is checked portably). */
static inline bool tcb_layout_header_ok(const char *tp)
{
	return *(void *const *)(tp + TCB_OFF_DTV) != NULL;
}

/* glibc's multi-threaded mode is __libc_single_threaded alone here. */
static inline void tcb_layout_set_threaded(char *tp)
{
	(void)tp;
}

/* The calling thread's kernel tid, which glibc keeps in its TCB (no
 * system call): one load through the thread pointer. */
static inline pid_t tcb_self_tid(void)
{
	const char *tp;
	__asm__("mrs %0, tpidr_el0" : "=r"(tp));
	return *(const volatile pid_t *)(tp + TCB_OFF_TID);
}

/* The stack pointer a jmp_buf saved (JB_SP, the 14th word): glibc's arm64
 * PTR_MANGLE is an xor with ld.so's __pointer_chk_guard. */
extern const uintptr_t __pointer_chk_guard;
static inline uintptr_t tcb_jmpbuf_sp(const long *jb)
{
	return (uintptr_t)jb[13] ^ __pointer_chk_guard;
}

#endif
