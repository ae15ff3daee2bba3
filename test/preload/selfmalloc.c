/*
 * selfmalloc -- a malloc replacement that behaves as jemalloc and tcmalloc
 * do while a process starts: with its own lock held, its first call asks
 * for pthread_self() and takes another pthread mutex.  A thread library
 * whose answer to either allocates, reads a file through stdio or maps
 * memory through malloc re-enters this allocator with its lock held: that
 * would deadlock or recurse for ever in a real one, so this one says so
 * and aborts.
 *
 * A bump allocator over one reservation: freed memory is never reused,
 * which is all a short test program needs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ARENA_SIZE (8ul << 30) /* reserved, not committed */
#define HEADER 16              /* the size, keeping 16-byte alignment */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static char *arena, *next, *end;
static __thread int inside;
static volatile pthread_t first_caller; /* volatile: pthread_self is const */

static void die(const char *msg)
{
	write(2, msg, strlen(msg));
	abort();
}

static void *alloc(size_t size, size_t align)
{
	if (inside)
		die("selfmalloc: re-entered from inside itself (the thread "
		    "library allocated while the allocator held its lock)\n");
	inside = 1;
	pthread_mutex_lock(&lock);
	if (arena == NULL) {
		/* What jemalloc's and tcmalloc's start-up do, lock held. */
		first_caller = pthread_self();
		pthread_mutex_lock(&stats_lock);
		pthread_mutex_unlock(&stats_lock);
		arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (arena == MAP_FAILED)
			die("selfmalloc: cannot reserve its arena\n");
		next = arena;
		end = arena + ARENA_SIZE;
	}
	if (align < HEADER)
		align = HEADER;
	uintptr_t p = ((uintptr_t)next + HEADER + align - 1) & ~(align - 1);
	void *r = NULL;
	if (size <= (size_t)(end - (char *)p)) {
		((size_t *)p)[-1] = size;
		next = (char *)p + size;
		r = (void *)p;
	}
	pthread_mutex_unlock(&lock);
	inside = 0;
	if (r == NULL)
		errno = ENOMEM;
	return r;
}

static size_t size_of(void *p)
{
	return ((size_t *)p)[-1];
}

void *malloc(size_t size)
{
	return alloc(size, HEADER);
}

void free(void *p)
{
	(void)p;
}

void *calloc(size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return alloc(n * size, HEADER); /* fresh pages are zero */
}

void *realloc(void *old, size_t size)
{
	void *p = alloc(size, HEADER);
	if (p != NULL && old != NULL)
		memcpy(p, old, size_of(old) < size ? size_of(old) : size);
	return p;
}

void *memalign(size_t align, size_t size)
{
	return alloc(size, align);
}

void *aligned_alloc(size_t align, size_t size)
{
	return alloc(size, align);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p = alloc(size, align);
	if (p == NULL)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t size)
{
	return alloc(size, 4096);
}

size_t malloc_usable_size(void *p)
{
	return p ? size_of(p) : 0;
}
