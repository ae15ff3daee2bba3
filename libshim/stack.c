/*
 * libshim/stack.c -- thread memory: one mapping per thread, cached.
 *
 *   td_map                                                 td_map + size
 *   | guard (PROT_NONE) | stack ... ->| descriptor | static TLS | TCB |
 *   td_map              td_stack
 *
 * The descriptor and glibc's TCB share the mapping with the stack, so a
 * thread costs one mmap (none when the cache has one) and one munmap.
 *
 * A dead thread's mapping is reused only after the kernel has cleared its
 * tid word (CLONE_CHILD_CLEARTID): until then the LWP may still be running
 * its last instructions on that stack.  Reuse keeps the TCB's libc TLS so
 * the malloc cache of the dead thread serves the new one (tcb_recycle).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch.h"
#include "libshim/lock.h"
#include "libshim/shim.h"
#include "libshim/stack.h"
#include "libshim/thread.h"
#include "libshim/vg.h"

/* Mappings kept for reuse, at most this many bytes (glibc keeps 40 MiB). */
#define CACHE_MAX_BYTES (40ul << 20)

static shim_lock_t cache_lock = SHIM_LOCK_INIT;
static struct shim_thread *cache_head; /* dead threads, newest first */
static size_t cache_bytes;
static size_t cache_users; /* user-stack entries: only their dtv to free */

static size_t page_size(void)
{
	static size_t ps;
	if (ps == 0)
		ps = (size_t)sysconf(_SC_PAGESIZE);
	return ps;
}

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) & ~(to - 1);
}

/* The descriptor, and glibc's struct pthread from the thread pointer to
 * the top, are libshim's and glibc's memory, not the program's (vg.h). */
static void mapping_private(struct shim_thread *td, char *top)
{
	vg_private(td, sizeof *td);
	vg_private(td->td_tp, (size_t)(top - (char *)td->td_tp));
}

/* Descriptor and stack top below a TCB whose area ends at top. */
static struct shim_thread *carve(char *top, void **stack_top)
{
	char *tls_low = top - tcb_area_size();
	uintptr_t d = ((uintptr_t)tls_low - sizeof(struct shim_thread)) & ~63ul;
	*stack_top = (void *)(d & ~15ul);
	return (struct shim_thread *)d;
}

/*
 * libc TLS blocks of destroyed TCBs, waiting for the next fresh TCB (see
 * tcb_libc_tls_save): the malloc state of a thread whose mapping was
 * trimmed is not lost, it moves on.  At most as many as threads were ever
 * alive at once.  Under cache_lock.
 */
struct saved_tls {
	struct saved_tls *next;
	unsigned char block[];
};
static struct saved_tls *saved_tls;

static void release_mapping(struct shim_thread *td)
{
	vg_recycled(td->td_map, td->td_map_size); /* its LWP is gone */
	struct saved_tls *s = malloc(sizeof *s + tcb_libc_tls_size());
	if (s) {
		tcb_libc_tls_save(td->td_tp, s->block);
		shim_lock(&cache_lock);
		s->next = saved_tls;
		saved_tls = s;
		shim_unlock(&cache_lock);
	}
	tcb_destroy(td->td_tp);
	if (!td->td_user_stack)
		munmap(td->td_map, td->td_map_size);
}

/* A fresh TCB takes over a destroyed one's libc TLS block, if any. */
static void adopt_saved_tls(void *tp)
{
	shim_lock(&cache_lock);
	struct saved_tls *s = saved_tls;
	if (s)
		saved_tls = s->next;
	shim_unlock(&cache_lock);
	if (s) {
		vg_recycled(s, sizeof *s + tcb_libc_tls_size());
		tcb_libc_tls_restore(tp, s->block);
		free(s);
	}
}

/* Under cache_lock: unlink and return a reusable entry of this size. */
static struct shim_thread *cache_take(size_t map_size, size_t guard)
{
	for (struct shim_thread **p = &cache_head; *p; p = &(*p)->td_cache_next) {
		struct shim_thread *td = *p;
		if (td->td_user_stack || td->td_map_size != map_size ||
		    td->td_guard_size != guard ||
		    shim_td_tid(td) != 0)
			continue;
		*p = td->td_cache_next;
		cache_bytes -= map_size;
		return td;
	}
	return NULL;
}

/* Under cache_lock: unmap entries whose LWP is gone until under budget. */
static void cache_trim(struct shim_thread **freed, size_t budget)
{
	for (struct shim_thread **p = &cache_head; *p;) {
		struct shim_thread *td = *p;
		bool gone = shim_td_tid(td) == 0;
		if (gone && (td->td_user_stack || cache_bytes > budget)) {
			*p = td->td_cache_next;
			if (td->td_user_stack)
				cache_users--;
			else
				cache_bytes -= td->td_map_size;
			td->td_cache_next = *freed;
			*freed = td;
		} else {
			p = &td->td_cache_next;
		}
	}
}

struct shim_thread *stack_get(size_t stack_size, size_t guard,
			      void *user_stack, size_t user_size,
			      void **stack_top)
{
	struct shim_thread *td;
	if (user_stack != NULL) {
		/* glibc too puts the TCB at the top of a user-supplied stack. */
		char *top = (char *)user_stack + user_size;
		if (user_size < tcb_area_size() + sizeof *td + 4096)
			return NULL;
		td = carve(top, stack_top);
		memset(td, 0, sizeof *td);
		memset(top - tcb_area_size(), 0, tcb_area_size());
		td->td_tp = tcb_create(top);
		if (td->td_tp == NULL)
			return NULL;
		mapping_private(td, top);
		adopt_saved_tls(td->td_tp);
		td->td_user_stack = true;
		td->td_map = user_stack;
		td->td_map_size = user_size;
		td->td_stack = user_stack;
		td->td_stack_size = (char *)*stack_top - (char *)user_stack;
		return td;
	}

	/* As glibc: the requested size holds the TCB, TLS and descriptor
	 * too, so pthread_getattr_np reports no more than was asked for. */
	size_t ps = page_size();
	guard = round_up(guard, ps);
	if (stack_size < tcb_area_size() + sizeof *td + 2 * ps)
		return NULL;
	/* What is mapped: at least the CPU's minimum, as glibc maps it; what
	 * is recorded (td_guard_size): the pages asked for, which
	 * pthread_getattr_np reports. */
	size_t mapped_guard = guard == 0		       ? 0
			      : guard > ARCH_MIN_GUARD_SIZE ? guard
							    : ARCH_MIN_GUARD_SIZE;
	size_t map_size = round_up(stack_size, ps) + mapped_guard;

	shim_lock(&cache_lock);
	td = cache_take(map_size, guard);
	shim_unlock(&cache_lock);
	if (td != NULL) {
		char *top = (char *)td->td_map + map_size;
		void *tp = td->td_tp;
		vg_recycled(td->td_map, map_size); /* its LWP is gone */
		struct shim_thread *again = carve(top, stack_top);
		memset(again, 0, sizeof *again);
		tcb_recycle(tp);
		again->td_tp = tp;
		mapping_private(again, top);
		again->td_map = top - map_size;
		again->td_map_size = map_size;
		again->td_guard_size = guard;
		again->td_stack = (char *)again->td_map + mapped_guard;
		again->td_stack_size = (char *)*stack_top - (char *)again->td_stack;
		return again;
	}

	/* Charged like glibc's stacks (no MAP_NORESERVE): an absurd stack
	 * size fails here with EAGAIN, as with glibc, instead of becoming a
	 * thread.  MAP_STACK lets the kernel treat it as a stack. */
	char *map = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	if (mapped_guard && mprotect(map, mapped_guard, PROT_NONE) != 0) {
		munmap(map, map_size);
		return NULL;
	}
	td = carve(map + map_size, stack_top);
	td->td_tp = tcb_create(map + map_size);
	if (td->td_tp == NULL) {
		munmap(map, map_size);
		return NULL;
	}
	mapping_private(td, map + map_size);
	adopt_saved_tls(td->td_tp);
	td->td_map = map;
	td->td_map_size = map_size;
	td->td_guard_size = guard;
	td->td_stack = map + mapped_guard;
	td->td_stack_size = (char *)*stack_top - (char *)td->td_stack;
	return td;
}

/* Unmap outside the lock: munmap is slow and needs no exclusion. */
static void release_all(struct shim_thread *freed)
{
	while (freed) {
		struct shim_thread *next = freed->td_cache_next;
		release_mapping(freed);
		freed = next;
	}
}

void stack_put(struct shim_thread *td)
{
	struct shim_thread *freed = NULL;
	shim_lock(&cache_lock);
	td->td_cache_next = cache_head;
	cache_head = td;
	if (td->td_user_stack)
		cache_users++;
	else
		cache_bytes += td->td_map_size;
	/* Walk the list only when there is something to trim: a thousand
	 * threads joined in a row must not cost a thousand walks. */
	if (cache_bytes > CACHE_MAX_BYTES || cache_users != 0)
		cache_trim(&freed, CACHE_MAX_BYTES);
	shim_unlock(&cache_lock);
	release_all(freed);
}

/*
 * At exit under valgrind, the cache is emptied, as glibc's stack cache is
 * by its __libc_freeres, which only valgrind calls: a cached TCB's dtv is
 * pointed to only from inside the block (glibc keeps dtv + 1), which
 * memcheck's leak check counts as "possibly lost".  Never otherwise: an
 * exiting process need not unmap what it is about to lose.
 */
__attribute__((destructor)) static void stack_freeres(void)
{
	if (!valgrind_running())
		return;
	struct shim_thread *freed = NULL;
	shim_lock(&cache_lock);
	cache_trim(&freed, 0);
	shim_unlock(&cache_lock);
	release_all(freed);
}

void stack_discard(struct shim_thread *td)
{
	release_mapping(td);
}

void stack_lock(void)
{
	shim_lock(&cache_lock);
}

void stack_unlock(void)
{
	shim_unlock(&cache_lock);
}

void stack_after_fork(struct shim_thread *survivor)
{
	/* In the child only the forking thread exists: every cached LWP is
	 * gone, whatever its tid word says (the kernel cleared it in the
	 * parent's address space only if it died before the fork). */
	shim_lock_init(&cache_lock);
	for (struct shim_thread *td = cache_head; td; td = td->td_cache_next)
		if (td != survivor)
			*td->td_tidp = 0;
}
