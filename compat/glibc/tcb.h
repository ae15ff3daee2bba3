/*
 * compat/glibc/tcb.h -- a thread pointer the host glibc accepts as its own.
 *
 * glibc-compiled code reads the thread pointer directly (stack guard at
 * %fs:0x28, pointer guard at %fs:0x30, errno and __thread at fixed
 * offsets, malloc and stdio at fields of struct pthread), so each libshim
 * thread gets a real glibc TCB: static TLS of every start-up module, a dtv,
 * and the fields listed in tcb.c.  See ../shared/notes/glibc-tcb.md.
 */
#ifndef SHIM_COMPAT_TCB_H
#define SHIM_COMPAT_TCB_H

#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <sys/types.h>

#include "common/visibility.h"
#include "tcb_layout.h"

/*
 * Check the host glibc once: every private symbol resolved, every field
 * offset matching glibc's own descriptors and a TCB glibc built itself, and
 * glibc switched to multi-threaded mode.  On a mismatch prints
 * "libshim: ..." on stderr and exits(127): running on would corrupt memory.
 */
SHIM_HIDDEN void tcb_host_init(void);

/* Bytes and alignment the TCB with its static TLS needs at the top of a
 * thread's area (valid after tcb_host_init). */
SHIM_HIDDEN size_t tcb_area_size(void);

/*
 * Build a TCB in zeroed memory ending at area_top; returns the thread
 * pointer (NULL: out of memory for the dtv).  The static TLS lies in
 * [tp - tls size, tp).  Fields are copied from the calling thread.
 */
SHIM_HIDDEN void *tcb_create(void *area_top);

/* Re-initialise the TCB of a thread that has exited (its tid word is 0)
 * for a new thread.  libc's own TLS block is kept, so the new thread takes
 * over the dead one's malloc cache instead of leaking it. */
SHIM_HIDDEN void tcb_recycle(void *tp);

/*
 * libc's own TLS block of a TCB holds the thread's malloc state (tcache,
 * arena), which glibc frees only from its own thread exit.  A TCB that is
 * destroyed hands its block to the next TCB created instead: size (0 if
 * unknown), copy out of a dead TCB, copy into a fresh one.
 */
SHIM_HIDDEN size_t tcb_libc_tls_size(void);
SHIM_HIDDEN void tcb_libc_tls_save(const void *tp, void *block);
SHIM_HIDDEN void tcb_libc_tls_restore(void *tp, const void *block);

/*
 * Put a running thread's TCB on glibc's list of threads with user stacks,
 * and take it off, as glibc's pthread_create and thread exit do for
 * theirs: libthread_db (gdb, also on a core file), dlopen's static TLS
 * set-up and glibc's own set*id broadcast find threads there.  Entered by
 * the thread itself just before it unblocks signals, left by it before it
 * blocks them for good: glibc's set*id waits, under the list lock, for
 * every listed thread to run its SIGSETXID handler.
 */
SHIM_HIDDEN void tcb_list_enter(void *tp, bool user_stack);
SHIM_HIDDEN void tcb_list_leave(void *tp);
/* A TCB whose stack libshim mapped goes on glibc's list of the stacks it
 * manages, so that a dlopen needing an executable stack makes its stack
 * executable (tcb.c); in a fork child, tcb_fork_child takes the dead
 * ones back out of glibc's stack cache, where glibc's fork put them. */
SHIM_HIDDEN void tcb_fork_child(void);

/* Release what tcb_create allocated (the dtv), before the area is unmapped. */
SHIM_HIDDEN void tcb_destroy(void *tp);

/* In the new thread, first thing after the trampoline: per-thread kernel
 * registrations (robust list, rseq) and libc per-thread state. */
SHIM_HIDDEN void tcb_thread_start(void *tp);

/* In an exiting thread: C++ thread_local destructors. */
SHIM_HIDDEN void tcb_thread_exit(void);

/*
 * glibc's own cancellation points inside libc (the read under fgets, the
 * write under printf, the waitpid of system, the futex wait of
 * aio_suspend) bracket their system call with __pthread_enable_asynccancel,
 * which sets CANCELTYPE_BITMASK in the TCB's cancelhandling word for the
 * call's length; libshim never sets that bit otherwise.  True while the
 * calling thread is inside such a call.
 */
SHIM_HIDDEN bool tcb_in_glibc_cancel_call(void);

/* The head of the calling thread's chain of glibc-internal cleanup
 * handlers (struct _pthread_cleanup_buffer, pushed by libc's own
 * functions, such as system's handler that kills its child). */
SHIM_HIDDEN struct _pthread_cleanup_buffer **tcb_glibc_cleanup_head(void);

/*
 * glibc's own cancellation points (the write under printf) act on glibc's
 * bits, not libshim's: __pthread_enable_asynccancel unwinds the thread
 * itself (glibc's __do_cancel, hidden in libc) when CANCELED is set and
 * neither CANCELSTATE (disabled) nor EXITING is.  libshim mirrors its own
 * state there: a request into the target's TCB (any thread), disabling
 * and the start of its own unwinding in the caller's.  EXITING set while
 * libshim is not unwinding means glibc's __do_cancel is, or was.
 */
SHIM_HIDDEN void tcb_glibc_cancel_request(void *tp);
SHIM_HIDDEN void tcb_glibc_cancel_disable(bool disabled);
SHIM_HIDDEN void tcb_glibc_cancel_exiting(void);
SHIM_HIDDEN bool tcb_glibc_exiting(void);

/* The head of the calling thread's chain of pthread_cleanup_push buffers,
 * where glibc keeps it (cleanup_jmp_buf): glibc's __do_cancel unwinds to
 * the buffer there, whether glibc or libshim registered it. */
SHIM_HIDDEN __pthread_unwind_buf_t **tcb_cleanup_jmp_buf(void);

/* End a thread that glibc created, through glibc's own pthread_exit, so
 * glibc's bookkeeping for it stays right.  Only after tcb_host_init, which
 * resolved that function: dlsym takes the loader lock, which a thread
 * inside dlopen may hold, so it is never looked up here. */
SHIM_HIDDEN _Noreturn void tcb_glibc_thread_exit(void *result);

/*
 * Have glibc call fn(arg) when the calling thread, one glibc created, ends
 * (after its C++ thread_local destructors, among glibc's own TSD
 * destructors).  fn must be the same function on every call.  Allocates
 * nothing: the thread may be inside a malloc replacement.
 */
SHIM_HIDDEN void tcb_at_glibc_thread_exit(void (*fn)(void *), void *arg);

/* Keep glibc's own count of threads (+1 on create, -1 on exit). */
SHIM_HIDDEN void tcb_count_thread(int delta);

/* Record the thread's stack in the TCB where glibc code looks for it. */
SHIM_HIDDEN void tcb_set_stackblock(void *tp, void *base, size_t size,
				    size_t guard);
/* ...and read it back (threads glibc created: its guard lies inside):
 * base and size above the mapped guard, and the guard glibc reports, the
 * size asked for (on arm64 glibc maps at least 64 KiB). */
SHIM_HIDDEN void tcb_get_stackblock(void *tp, void **base, size_t *size,
				    size_t *guard);

/* The calling thread's robust-futex list head (struct robust_list_head of
 * <linux/futex.h>), registered with the kernel by set_robust_list in every
 * thread: glibc's for threads glibc made, tcb_thread_start's for ours.
 * Robust mutexes link themselves into it; the kernel walks it when the
 * thread dies and marks each mutex still held FUTEX_OWNER_DIED. */
SHIM_HIDDEN struct robust_list_head *tcb_robust_head(void);

/* The word the kernel fills with the tid (CLONE_PARENT_SETTID) and clears
 * at exit; glibc reads the same word as the thread's tid. */
SHIM_HIDDEN pid_t *shim_tcb_tid_word(void *tp);

#endif
