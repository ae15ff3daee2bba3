/*
 * compat/glibc/tcb.c -- glibc 2.34+ TCBs for LWPs glibc did not create.
 *
 * The TCB is glibc's own: _dl_allocate_tls() (ld.so, GLIBC_PRIVATE) lays
 * out the static TLS of every start-up module, copies each TLS image and
 * builds the dtv, exactly as for glibc's threads.  What glibc's
 * pthread_create then writes into struct pthread, we write here, at the
 * offsets below.  Offsets glibc publishes for libthread_db (_thread_db_*
 * descriptors {bits, count, offset}) are checked against those, and all of
 * them against a TCB glibc built itself (the calling thread's); glibc's
 * own pthread_create puts glibc in multi-threaded mode, without making a
 * thread but under helgrind (switch_glibc_to_threads).  Any mismatch:
 * refuse to run.  A running
 * thread's TCB is on glibc's list of threads, as glibc's are (see
 * tcb_list_enter).
 */
#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <sys/single_threaded.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "arch_syscall.h"
#include "compat/glibc/signals.h"
#include "compat/glibc/tcb.h"
#include "compat/valgrind.h"

#define AT(tp, off, type) (*(type *)((char *)(tp) + (off)))

/* glibc internals, linked directly (their addresses are resolved at load);
 * weak so a missing one is
 * NULL and reported by tcb_host_init instead of by the loader. */
extern void *_dl_allocate_tls(void *) __attribute__((weak));
extern void *_dl_allocate_tls_init(void *, bool) __attribute__((weak));
extern void _dl_deallocate_tls(void *, bool) __attribute__((weak));
extern void _dl_get_tls_static_info(size_t *, size_t *) __attribute__((weak));
extern void __ctype_init(void) __attribute__((weak));
extern void __call_tls_dtors(void) __attribute__((weak));
extern unsigned int __nptl_nthreads __attribute__((weak));
extern const unsigned int _thread_db_sizeof_pthread[3] __attribute__((weak));
extern const unsigned int _thread_db_pthread_tid[3] __attribute__((weak));
extern const unsigned int _thread_db_pthread_list[3] __attribute__((weak));
extern const unsigned int _thread_db_pthread_cancelhandling[3] __attribute__((weak));
extern const unsigned int _thread_db_pthread_specific[3] __attribute__((weak));
extern const unsigned int _thread_db_pthread_dtvp[3] __attribute__((weak));
extern const unsigned int _thread_db_pthread_report_events[3] __attribute__((weak));
extern const unsigned int _thread_db_rtld_global__dl_stack_used[3] __attribute__((weak));
extern const unsigned int _thread_db_rtld_global__dl_stack_user[3] __attribute__((weak));
extern char _rtld_global[] __attribute__((weak));
extern void __lll_lock_wait_private(int *) __attribute__((weak));
extern void __lll_lock_wake_private(int *) __attribute__((weak));
extern void _IO_enable_locks(void) __attribute__((weak));

static size_t static_size, static_align;
static long resp_offset;    /* &__resp - tp: __resp is libc's TLS var */
static long libc_tls_offset; /* libc's static TLS block - tp */
static size_t libc_tls_size;
static bool rseq_on;        /* glibc registered rseq in its own threads */
static void (*glibc_pthread_exit)(void *);

static _Noreturn void refuse(const char *what)
{
	fprintf(stderr, "libshim: unsupported host C library (glibc %s): %s; "
		"refusing to run rather than corrupt memory\n",
		gnu_get_libc_version(), what);
	_exit(127);
}

static void check_descriptor(const unsigned int *d, unsigned bits,
			     unsigned off, const char *name)
{
	if (d == NULL)
		refuse(name);
	/* The descriptors count from the start of struct pthread. */
	off -= TCB_OFF_PTHREAD;
	if (d[0] != bits || d[2] != off) {
		char msg[160];
		snprintf(msg, sizeof msg, "%s is {%u,%u,%u}, expected offset %u",
			 name, d[0], d[1], d[2], off);
		refuse(msg);
	}
}

static int find_libc_tls(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	if (strstr(info->dlpi_name, "/libc.so.6") == NULL ||
	    info->dlpi_tls_data == NULL)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_TLS)
			libc_tls_size = info->dlpi_phdr[i].p_memsz;
	libc_tls_offset = (char *)info->dlpi_tls_data -
			  (char *)arch_thread_pointer();
	return 1;
}

/*
 * glibc's lists of running threads, list_t heads in ld.so's _rtld_global:
 * libthread_db finds threads by walking them (a debugger reading a core
 * file has no other way), dlopen copies a new module's static TLS into
 * every thread on them, and dlclose waits on their gscope flags.  A
 * libshim TCB sits on _dl_stack_user, the list of threads whose stack
 * glibc did not allocate: glibc never caches, frees or reuses those, and
 * a forked child keeps only the forking thread's entry (by its user_stack
 * flag).  The fields follow _dl_stack_used in this order on 2.34..2.40;
 * glibc publishes the offsets of the first two.
 *
 * A TCB whose stack libshim mapped sits on _dl_stack_used instead, still
 * with user_stack set: a dlopen of a module that needs an executable
 * stack (PT_GNU_STACK with PF_X) sets PF_X in _dl_stack_flags and then,
 * under the list lock, makes the stack of every thread on _dl_stack_used
 * executable -- libshim's running threads included, as glibc's own.  A
 * thread entering the list later sees the flag under the same lock and
 * does it itself.  glibc's fork child moves that list's other entries to
 * its stack cache; tcb_fork_child takes libshim's (user_stack set, which
 * no stack of glibc's own has) back out before anything can reuse them.
 */
struct glibc_list {
	struct glibc_list *next, *prev;
};
enum {                          /* from _dl_stack_used */
	RTLD_STACK_FLAGS = -72,     /* ElfW(Word) _dl_stack_flags */
	RTLD_STACK_USER = 16,
	RTLD_STACK_CACHE = 32,
	RTLD_STACK_CACHE_ACTSIZE = 48,
	RTLD_IN_FLIGHT_STACK = 56,  /* fork's record of a half-done edit */
	RTLD_STACK_CACHE_LOCK = 64, /* int, glibc's private lll lock */
};
static struct glibc_list *stack_used, *stack_user, *stack_cache;
static size_t *stack_cache_actsize;
static const uint32_t *stack_flags;
static int *stack_lock;

/* glibc's own lll_lock/lll_unlock protocol: 0 free, 1 held, 2 held with
 * waiters; glibc's slow paths do the futex calls. */
static void stack_list_lock(void)
{
	int free = 0;
	if (!__atomic_compare_exchange_n(stack_lock, &free, 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		__lll_lock_wait_private(stack_lock);
}

static void stack_list_unlock(void)
{
	if (__atomic_exchange_n(stack_lock, 0, __ATOMIC_RELEASE) > 1)
		__lll_lock_wake_private(stack_lock);
}

/* Bounded: at a wrong offset the "list" may be a cycle of anything. */
static bool on_list(const struct glibc_list *head, const struct glibc_list *e)
{
	const struct glibc_list *p = head->next;
	for (long n = 0; p != head && p != NULL && n < (1l << 20); n++) {
		if (p == e)
			return true;
		p = p->next;
	}
	return false;
}

/* Find the lists and check them: the calling thread, built by glibc, is
 * on the one its user_stack flag names (the main thread on
 * _dl_stack_user), and under the lock no list edit is in flight. */
static void find_thread_lists(char *tp)
{
	const unsigned *used = _thread_db_rtld_global__dl_stack_used;
	const unsigned *user = _thread_db_rtld_global__dl_stack_user;
	if (used == NULL || user == NULL || used[0] != 128 || user[0] != 128 ||
	    user[2] != used[2] + RTLD_STACK_USER)
		refuse("glibc's thread lists are not laid out as expected");
	char *base = _rtld_global + used[2];
	stack_used = (struct glibc_list *)base;
	stack_user = (struct glibc_list *)(base + RTLD_STACK_USER);
	stack_cache = (struct glibc_list *)(base + RTLD_STACK_CACHE);
	stack_cache_actsize = (size_t *)(base + RTLD_STACK_CACHE_ACTSIZE);
	stack_flags = (const uint32_t *)(base + RTLD_STACK_FLAGS);
	stack_lock = (int *)(base + RTLD_STACK_CACHE_LOCK);
	int v = __atomic_load_n(stack_lock, __ATOMIC_RELAXED);
	if (v < 0 || v > 2)
		refuse("glibc's stack list lock is not where expected");
	if ((*stack_flags & ~(uint32_t)PF_X) != (PF_R | PF_W))
		refuse("glibc's stack flags are not where expected");

	struct glibc_list *self = (struct glibc_list *)(tp + TCB_OFF_LIST);
	struct glibc_list *cache = (struct glibc_list *)(base + RTLD_STACK_CACHE);
	stack_list_lock();
	bool ok = cache->next->prev == cache &&
		  AT(base, RTLD_IN_FLIGHT_STACK, uintptr_t) == 0 &&
		  (AT(tp, TCB_OFF_USER_STACK, bool)
			   ? on_list(stack_user, self)
			   : on_list((struct glibc_list *)base, self));
	stack_list_unlock();
	if (!ok)
		refuse("glibc's thread lists do not hold the calling thread");
	/* Edited under glibc's lock, which valgrind's tools cannot see. */
	valgrind_private(stack_used, sizeof *stack_used);
	valgrind_private(stack_user, sizeof *stack_user);
	valgrind_private(stack_cache, sizeof *stack_cache);
	valgrind_private(stack_lock, sizeof *stack_lock);
	valgrind_private(self, sizeof *self);
}

void tcb_list_enter(void *tp, bool user_stack)
{
	struct glibc_list *e = (struct glibc_list *)((char *)tp + TCB_OFF_LIST);
	struct glibc_list *head = user_stack ? stack_user : stack_used;
	stack_list_lock();
	e->next = head->next;
	e->prev = head;
	head->next->prev = e;
	/* A debugger may read the list at any moment: the entry is whole
	 * before the head points at it. */
	__atomic_store_n(&head->next, e, __ATOMIC_RELEASE);
	/* A dlopen that made stacks executable walked the list before we
	 * were on it (see above); glibc's __nptl_change_stack_perm range. */
	if (!user_stack && (*stack_flags & PF_X)) {
		size_t g = AT(tp, TCB_OFF_GUARDSIZE, size_t);
		shim_syscall3(SYS_mprotect,
			      (long)(AT(tp, TCB_OFF_STACKBLOCK, char *) + g),
			      (long)(AT(tp, TCB_OFF_STACKBLOCK_SIZE, size_t) - g),
			      PROT_READ | PROT_WRITE | PROT_EXEC);
	}
	stack_list_unlock();
}

void tcb_fork_child(void)
{
	struct glibc_list *p = stack_cache->next;
	while (p != stack_cache) {
		struct glibc_list *next = p->next;
		char *tp = (char *)p - TCB_OFF_LIST;
		if (AT(tp, TCB_OFF_USER_STACK, bool)) {
			p->prev->next = next;
			next->prev = p->prev;
			p->next = p->prev = p;
			*stack_cache_actsize -= AT(tp, TCB_OFF_STACKBLOCK_SIZE, size_t);
		}
		p = next;
	}
}

void tcb_list_leave(void *tp)
{
	struct glibc_list *e = (struct glibc_list *)((char *)tp + TCB_OFF_LIST);
	stack_list_lock();
	e->next->prev = e->prev;
	__atomic_store_n(&e->prev->next, e->next, __ATOMIC_RELEASE);
	e->next = e->prev = e;
	stack_list_unlock();
}

/* The calling thread's TCB, which glibc built (at start-up for the main
 * thread, in its pthread_create for another), has glibc's layout: self
 * pointers, the tid, the robust list the kernel knows, the first block of
 * thread-specific data. */
static bool glibc_tcb_as_expected(char *tp)
{
	void *head = NULL;
	size_t len = 0;
	long r = shim_syscall3(SYS_get_robust_list, 0, (long)&head, (long)&len);
	/* qemu-user has no robust lists (ENOSYS, to glibc too): then glibc
	 * registered nothing to compare with. */
	bool robust_ok = r == -ENOSYS ||
			 (r == 0 && head == tp + TCB_OFF_ROBUST_HEAD && len == 24);
	pthread_t (*self)(void) = (pthread_t (*)(void))dlvsym(
		RTLD_NEXT, "pthread_self", GLIBC_BASE_VERSION);
	return tcb_layout_header_ok(tp) && self != NULL &&
	       (char *)self() == tp + TCB_OFF_PTHREAD &&
	       AT(tp, TCB_OFF_TID, pid_t) == (pid_t)shim_syscall0(SYS_gettid) &&
	       robust_ok &&
	       AT(tp, TCB_OFF_SPECIFIC, char *) == tp + TCB_OFF_SPECIFIC_1STBLOCK;
}

/*
 * glibc's pthread_create does its one-time switch to multi-threaded mode
 * first of all (its late_init: the SIGSETXID handler, which is internal to
 * glibc, and both copies of __libc_single_threaded), before it looks at
 * its attributes.  So ask it for a thread with a guard size it rejects
 * (it overflows when rounded to pages): the switch happens, no thread is
 * made (a debugger would show it come and go).  What a successful create
 * would do after that is done here: FILE locks on, the caller's
 * multiple_threads flag set.
 */
static void *glibc_thread_noop(void *arg)
{
	return arg;
}

static void switch_glibc_to_threads(char *tp)
{
	typedef int (*create_fn)(pthread_t *, const pthread_attr_t *,
				 void *(*)(void *), void *);
	create_fn create = (create_fn)dlvsym(RTLD_NEXT, "pthread_create",
					     GLIBC_BASE_VERSION);
	int (*attr_init)(pthread_attr_t *) = (int (*)(pthread_attr_t *))dlvsym(
		RTLD_NEXT, "pthread_attr_init", GLIBC_BASE_VERSION);
	int (*attr_setguardsize)(pthread_attr_t *, size_t) =
		(int (*)(pthread_attr_t *, size_t))dlvsym(
			RTLD_NEXT, "pthread_attr_setguardsize", GLIBC_BASE_VERSION);
	if (!create || !attr_init || !attr_setguardsize)
		refuse("glibc's pthread_create or its attributes are missing");
	pthread_attr_t a;
	pthread_t t;
	valgrind_glibc_call_begin();
	if (valgrind_tool() == VALGRIND_HELGRIND) {
		/* helgrind's wrapper of glibc's pthread_create reports the
		 * refused create as the program's error: under helgrind, a
		 * real thread, detached (joined, the wrapper would look it
		 * up by the pthread_self() it saw, which is libshim's). */
		int (*detached)(pthread_attr_t *, int) =
			(int (*)(pthread_attr_t *, int))dlvsym(
				RTLD_NEXT, "pthread_attr_setdetachstate",
				"GLIBC_2.2.5");
		if (!detached || attr_init(&a) != 0 ||
		    detached(&a, PTHREAD_CREATE_DETACHED) != 0 ||
		    create(&t, &a, glibc_thread_noop, NULL) != 0)
			refuse("glibc's pthread_create failed");
	} else if (attr_init(&a) != 0 ||
		   attr_setguardsize(&a, SIZE_MAX) != 0 ||
		   create(&t, &a, NULL, NULL) != EINVAL) {
		refuse("glibc's pthread_create took a guard size it cannot map");
	}
	valgrind_glibc_call_end();

	/* The kernel's record, not glibc's sigaction: libshim's hides 33. */
	struct { void *handler; unsigned long flags, restorer, mask; } sa;
	if (shim_syscall4(SYS_rt_sigaction, SIGSETXID, 0, (long)&sa, 8) != 0 ||
	    sa.handler == SIG_DFL || sa.handler == SIG_IGN ||
	    __libc_single_threaded)
		refuse("glibc did not switch to multi-threaded mode");
	_IO_enable_locks();
	tcb_layout_set_threaded(tp);
}

void tcb_host_init(void)
{
	if (!_dl_allocate_tls || !_dl_allocate_tls_init || !_dl_deallocate_tls ||
	    !_dl_get_tls_static_info || !__ctype_init || !__call_tls_dtors ||
	    !&__nptl_nthreads || !_rtld_global || !__lll_lock_wait_private ||
	    !__lll_lock_wake_private || !_IO_enable_locks)
		refuse("a GLIBC_PRIVATE function libshim needs is missing");
	if (_thread_db_sizeof_pthread == NULL ||
	    _thread_db_sizeof_pthread[0] != TCB_SIZEOF_PTHREAD)
		refuse("sizeof(struct pthread) differs");
	check_descriptor(_thread_db_pthread_tid, 32, TCB_OFF_TID, "pthread.tid");
	check_descriptor(_thread_db_pthread_list, 128, TCB_OFF_LIST, "pthread.list");
	check_descriptor(_thread_db_pthread_cancelhandling, 32,
			 TCB_OFF_CANCELHANDLING, "pthread.cancelhandling");
	check_descriptor(_thread_db_pthread_specific, 2048, TCB_OFF_SPECIFIC,
			 "pthread.specific");
	check_descriptor(_thread_db_pthread_dtvp, 64, TCB_OFF_DTV, "pthread.dtvp");
	check_descriptor(_thread_db_pthread_report_events, 8, TCB_OFF_REPORT_EVENTS,
			 "pthread.report_events");
	if ((long)__rseq_offset != 0 && (long)__rseq_offset < TCB_OFF_RES)
		refuse("rseq area overlaps the fields libshim writes");

	_dl_get_tls_static_info(&static_size, &static_align);
	if (static_align < 64)
		static_align = 64;

	char *tp = arch_thread_pointer();
	find_thread_lists(tp);
	void **resp = dlsym(RTLD_DEFAULT, "__resp");
	if (resp == NULL)
		refuse("__resp not found");
	resp_offset = (char *)resp - tp;
	dl_iterate_phdr(find_libc_tls, NULL);
	rseq_on = __rseq_size > 0 && AT(tp, __rseq_offset + 4, int) >= 0;

	if (!glibc_tcb_as_expected(tp))
		refuse("a glibc-built TCB does not have the expected layout");
	glibc_pthread_exit = (void (*)(void *))dlvsym(RTLD_NEXT, "pthread_exit",
						      GLIBC_BASE_VERSION);
	if (!glibc_pthread_exit)
		refuse("glibc's pthread_exit is missing");
	switch_glibc_to_threads(tp);
}

size_t tcb_area_size(void)
{
	if (static_size == 0) { /* asked before tcb_host_init */
		size_t size, align;
		_dl_get_tls_static_info(&size, &align);
		return size + (align < 64 ? 64 : align) + TCB_AREA_EXTRA;
	}
	return static_size + static_align + TCB_AREA_EXTRA;
}

void *tcb_create(void *area_top)
{
	char *creator = arch_thread_pointer();
	char *tp = tcb_layout_tp((uintptr_t)area_top, static_size,
				 static_align);
	if (_dl_allocate_tls(tp) == NULL) /* dtv from malloc; TLS images */
		return NULL;
	tcb_layout_header_init(tp, creator);
	/* Off glibc's lists until the thread runs (tcb_list_enter).  Its
	 * stack is not glibc's: a forked child puts the entry back on
	 * _dl_stack_user, where glibc never frees a stack. */
	AT(tp, TCB_OFF_LIST, char *) = tp + TCB_OFF_LIST;
	AT(tp, TCB_OFF_LIST + 8, char *) = tp + TCB_OFF_LIST;
	AT(tp, TCB_OFF_USER_STACK, bool) = true;
	/* Empty robust list; futex_offset as glibc computes it. */
	AT(tp, TCB_OFF_ROBUST_PREV, char *) = tp + TCB_OFF_ROBUST_HEAD;
	AT(tp, TCB_OFF_ROBUST_HEAD, char *) = tp + TCB_OFF_ROBUST_HEAD;
	AT(tp, TCB_OFF_ROBUST_HEAD + 8, long) =
		AT(creator, TCB_OFF_ROBUST_HEAD + 8, long);
	AT(tp, TCB_OFF_SPECIFIC, char *) = tp + TCB_OFF_SPECIFIC_1STBLOCK;
	return tp;
}

size_t tcb_libc_tls_size(void)
{
	return libc_tls_size <= 4096 ? libc_tls_size : 0;
}

void tcb_libc_tls_save(const void *tp, void *block)
{
	memcpy(block, (const char *)tp + libc_tls_offset, tcb_libc_tls_size());
}

void tcb_libc_tls_restore(void *tp, const void *block)
{
	memcpy((char *)tp + libc_tls_offset, block, tcb_libc_tls_size());
}

void tcb_recycle(void *tp)
{
	/* Keep libc's own TLS block (tcache, arena): re-initialising it would
	 * leak the dead thread's malloc cache (glibc-tcb.md: ~11.6 KiB per
	 * thread without this). */
	char saved[tcb_libc_tls_size() + 1];
	tcb_libc_tls_save(tp, saved);

	/* Dynamic TLS blocks of the dead thread (dlopen'd modules) are
	 * malloc'd; free them and reset the dtv as glibc does on reuse. */
	struct dtv_slot { void *val; void *to_free; };
	struct dtv_slot *dtv = AT(tp, TCB_OFF_DTV, struct dtv_slot *);
	size_t n = ((size_t *)dtv)[-2]; /* dtv[-1].counter */
	for (size_t i = 1; i <= n; i++)
		free(dtv[i].to_free);
	memset(dtv, 0, (n + 1) * sizeof *dtv);
	_dl_allocate_tls_init(tp, true);

	tcb_libc_tls_restore(tp, saved);
	AT(tp, TCB_OFF_CANCELHANDLING, int) = 0;
	AT(tp, TCB_OFF_CLEANUP_JMP_BUF, void *) = NULL;
	/* The kernel walked the dead thread's robust list at its exit but
	 * left the head as it was: start the new thread with an empty one. */
	AT(tp, TCB_OFF_ROBUST_PREV, char *) = (char *)tp + TCB_OFF_ROBUST_HEAD;
	AT(tp, TCB_OFF_ROBUST_HEAD, char *) = (char *)tp + TCB_OFF_ROBUST_HEAD;
	AT(tp, TCB_OFF_ROBUST_HEAD + 16, void *) = NULL; /* list_op_pending */
	memset((char *)tp + TCB_OFF_SPECIFIC_1STBLOCK, 0,
	       TCB_OFF_SPECIFIC - TCB_OFF_SPECIFIC_1STBLOCK);
}

void tcb_destroy(void *tp)
{
	_dl_deallocate_tls(tp, false); /* dtv and dynamic blocks, not tp */
}

void tcb_thread_start(void *tp)
{
	/* The kernel walks this list at exit to release robust mutexes. */
	shim_syscall2(SYS_set_robust_list, (long)((char *)tp + TCB_OFF_ROBUST_HEAD),
		      24);
	if (rseq_on) {
		/* Without it sched_getcpu() would read a stale cpu id; if the
		 * kernel refuses, -1 makes glibc ask the kernel instead. */
		struct rseq *rs = (struct rseq *)((char *)tp + __rseq_offset);
		unsigned len = __rseq_size < 32 ? 32 : __rseq_size;
		if (shim_syscall4(SYS_rseq, (long)rs, len, 0, RSEQ_SIG) != 0)
			rs->cpu_id = RSEQ_CPU_ID_REGISTRATION_FAILED;
	} else if (__rseq_size > 0) {
		AT(tp, __rseq_offset + 4, int) = RSEQ_CPU_ID_REGISTRATION_FAILED;
	}
	/* Each thread has its own resolver state, as in glibc. */
	AT(tp, resp_offset, void *) = (char *)tp + TCB_OFF_RES;
	/* isalpha() and friends read per-thread table pointers. */
	__ctype_init();
}

void tcb_thread_exit(void)
{
	__call_tls_dtors(); /* C++ thread_local destructors */
}

void tcb_count_thread(int delta)
{
	/* glibc's own count: its pthread_exit from the main thread calls
	 * exit(0) once it reaches zero. */
	__atomic_add_fetch(&__nptl_nthreads, delta, __ATOMIC_RELAXED);
}

pid_t *shim_tcb_tid_word(void *tp)
{
	return &AT(tp, TCB_OFF_TID, pid_t);
}

void tcb_set_stackblock(void *tp, void *base, size_t size, size_t guard)
{
	AT(tp, TCB_OFF_STACKBLOCK, void *) = base;
	AT(tp, TCB_OFF_STACKBLOCK_SIZE, size_t) = size;
	AT(tp, TCB_OFF_GUARDSIZE, size_t) = guard;
}

void tcb_get_stackblock(void *tp, void **base, size_t *size, size_t *guard)
{
	size_t g = AT(tp, TCB_OFF_GUARDSIZE, size_t);
	*base = (char *)AT(tp, TCB_OFF_STACKBLOCK, void *) + g;
	*size = AT(tp, TCB_OFF_STACKBLOCK_SIZE, size_t) - g;
	*guard = AT(tp, TCB_OFF_REPORTED_GUARDSIZE, size_t);
}

void tcb_glibc_thread_exit(void *result)
{
	glibc_pthread_exit(result);
	__builtin_unreachable();
}

/*
 * A glibc TSD key, created with glibc's own pthread_key_create: glibc runs
 * its destructor from its exit path of every thread it made, and its value
 * for a key below 32 lives in the TCB (specific_1stblock), so neither call
 * allocates -- unlike __cxa_thread_atexit_impl, which callocs.  Resolved on
 * first use with dlvsym, which allocates nothing when the symbol is found;
 * the first glibc thread to get here makes the key, any racing one waits
 * the few instructions that takes.
 */
void tcb_at_glibc_thread_exit(void (*fn)(void *), void *arg)
{
	enum { KEY_NONE, KEY_MAKING, KEY_READY, KEY_FAILED };
	static _Atomic int state;
	static pthread_key_t key;
	static int (*set)(pthread_key_t, const void *);

	int s = KEY_NONE;
	if (__atomic_compare_exchange_n((int *)&state, &s, KEY_MAKING, false,
					__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		int (*make)(pthread_key_t *, void (*)(void *)) =
			(int (*)(pthread_key_t *, void (*)(void *)))dlvsym(
				RTLD_NEXT, "pthread_key_create", "GLIBC_2.34");
		set = (int (*)(pthread_key_t, const void *))dlvsym(
			RTLD_NEXT, "pthread_setspecific", "GLIBC_2.34");
		s = make && set && make(&key, fn) == 0 ? KEY_READY : KEY_FAILED;
		__atomic_store_n((int *)&state, s, __ATOMIC_RELEASE);
	}
	while (s == KEY_MAKING) {
		sched_yield();
		s = __atomic_load_n((int *)&state, __ATOMIC_ACQUIRE);
	}
	if (s == KEY_READY)
		set(key, arg);
}

struct robust_list_head *tcb_robust_head(void)
{
	return (struct robust_list_head *)((char *)arch_thread_pointer() +
					   TCB_OFF_ROBUST_HEAD);
}

/* glibc's cancelhandling bits (nptl/descr.h). */
#define GLIBC_CANCELSTATE 0x1
#define GLIBC_CANCELTYPE 0x2
#define GLIBC_CANCELED 0x8
#define GLIBC_EXITING 0x10

static int *cancelhandling(void *tp)
{
	return &AT(tp, TCB_OFF_CANCELHANDLING, int);
}

void tcb_glibc_cancel_request(void *tp)
{
	__atomic_or_fetch(cancelhandling(tp), GLIBC_CANCELED, __ATOMIC_RELEASE);
}

void tcb_glibc_cancel_disable(bool disabled)
{
	int *c = cancelhandling(arch_thread_pointer());
	if (disabled)
		__atomic_or_fetch(c, GLIBC_CANCELSTATE, __ATOMIC_RELAXED);
	else
		__atomic_and_fetch(c, ~GLIBC_CANCELSTATE, __ATOMIC_RELAXED);
}

void tcb_glibc_cancel_exiting(void)
{
	__atomic_or_fetch(cancelhandling(arch_thread_pointer()), GLIBC_EXITING,
			  __ATOMIC_RELAXED);
}

bool tcb_glibc_exiting(void)
{
	return __atomic_load_n(cancelhandling(arch_thread_pointer()),
			       __ATOMIC_RELAXED) & GLIBC_EXITING;
}

__pthread_unwind_buf_t **tcb_cleanup_jmp_buf(void)
{
	return &AT(arch_thread_pointer(), TCB_OFF_CLEANUP_JMP_BUF,
		   __pthread_unwind_buf_t *);
}

bool tcb_in_glibc_cancel_call(void)
{
	int c = __atomic_load_n(&AT(arch_thread_pointer(), TCB_OFF_CANCELHANDLING,
				    int), __ATOMIC_RELAXED);
	return c & GLIBC_CANCELTYPE;
}

struct _pthread_cleanup_buffer **tcb_glibc_cleanup_head(void)
{
	return &AT(arch_thread_pointer(), TCB_OFF_CLEANUP,
		   struct _pthread_cleanup_buffer *);
}
