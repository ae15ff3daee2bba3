/*
 * test/preload/c_threads.c -- a plain C program, built against glibc and
 * never linked to libshim, whose threads lean on what glibc keeps per thread.
 *
 * Run under LD_PRELOAD=libshim.so by run_preload.py, every thread here is a
 * libshim thread, and everything below is glibc code reading that thread's
 * TCB: stdio's FILE locks (owner = THREAD_SELF), malloc's arenas and the
 * "multiple threads" flag that keeps its atomic operations atomic, errno's
 * address in static TLS, setjmp/longjmp's pointer mangling with the guard at
 * %fs:0x30, and the stack protector's canary at %fs:0x28 (the whole program
 * is built with -fstack-protector-all, so every function checks it).  A TCB
 * that glibc does not accept shows up here as a torn line, a corrupted heap
 * block, a shared errno, or a crash.
 *
 * Exit status 0 when every check holds; the last line on stdout is
 * "threads made: N" for the runner to compare with libshim's count.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STDIO_THREADS 8
#define STDIO_LINES 2000
#define MALLOC_THREADS 16
#define MALLOC_ROUNDS 20000
#define MAILBOX_SLOTS 64
#define ERRNO_THREADS 8
#define JMP_THREADS 8

static atomic_int failures;
static atomic_int threads_made;

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "c_threads: %s:%d: ", __func__,   \
				__LINE__);                                \
			fprintf(stderr, __VA_ARGS__);                     \
			fputc('\n', stderr);                              \
			atomic_fetch_add(&failures, 1);                   \
		}                                                         \
	} while (0)

/* Starts n threads running fn(&args[i]) and joins them all. */
static void run_threads(int n, void *(*fn)(void *), void *args, size_t argsz)
{
	pthread_t t[64];
	int made = 0;

	for (int i = 0; i < n; i++) {
		int e = pthread_create(&t[i], NULL, fn, (char *)args + i * argsz);
		CHECK(e == 0, "pthread_create: %s", strerror(e));
		if (e != 0)
			break;
		made++;
	}
	for (int i = 0; i < made; i++) {
		int e = pthread_join(t[i], NULL);
		CHECK(e == 0, "pthread_join: %s", strerror(e));
	}
	atomic_fetch_add(&threads_made, made);
}

/* A barrier made of an atomic counter, so that the checks below depend on
 * thread creation and glibc's TCB and on no other libshim object. */
struct spin_barrier {
	atomic_int arrived;
	int count;
};

static void spin_wait(struct spin_barrier *b, int round)
{
	atomic_fetch_add(&b->arrived, 1);
	while (atomic_load(&b->arrived) < b->count * round)
		sched_yield();
}

/* --- stdio: whole lines from many threads into one FILE ------------------ */

static FILE *shared_file;

struct stdio_arg {
	int id;
};

static void *stdio_thread(void *p)
{
	struct stdio_arg *a = p;
	char local[64];

	for (int i = 0; i < STDIO_LINES; i++) {
		/* Half the lines as one fprintf, half char by char under an
		 * explicit flockfile: both must come out whole. */
		if (i % 2 == 0) {
			fprintf(shared_file, "t%02d line %05d end\n", a->id, i);
		} else {
			int n = snprintf(local, sizeof local, "t%02d line %05d end\n",
					 a->id, i);
			flockfile(shared_file);
			for (int k = 0; k < n; k++)
				putc_unlocked(local[k], shared_file);
			funlockfile(shared_file);
		}
	}
	printf("stdio thread %d wrote %d lines\n", a->id, STDIO_LINES);
	return NULL;
}

static void test_stdio(void)
{
	struct stdio_arg args[STDIO_THREADS];
	int next[STDIO_THREADS] = { 0 };
	char line[128];
	int id, no, lines = 0;

	shared_file = tmpfile();
	CHECK(shared_file != NULL, "tmpfile: %s", strerror(errno));
	if (shared_file == NULL)
		return;
	for (int i = 0; i < STDIO_THREADS; i++)
		args[i].id = i;
	run_threads(STDIO_THREADS, stdio_thread, args, sizeof args[0]);

	rewind(shared_file);
	while (fgets(line, sizeof line, shared_file) != NULL) {
		char tail[8];
		lines++;
		if (sscanf(line, "t%d line %d %7s", &id, &no, tail) != 3 ||
		    strcmp(tail, "end") != 0 || id < 0 || id >= STDIO_THREADS) {
			CHECK(0, "torn line %d: \"%s\"", lines, line);
			continue;
		}
		/* Each thread's own lines keep their order. */
		CHECK(no == next[id], "thread %d: line %d after %d", id, no,
		      next[id] - 1);
		next[id] = no + 1;
	}
	CHECK(lines == STDIO_THREADS * STDIO_LINES, "%d lines, expected %d",
	      lines, STDIO_THREADS * STDIO_LINES);
	fclose(shared_file);
}

/* --- malloc: contention, and blocks freed by another thread -------------- */

/* A block records its size and fill byte, so any thread can verify it. */
struct block {
	size_t size;
	unsigned char fill;
	unsigned char data[];
};

static _Atomic(struct block *) mailbox[MAILBOX_SLOTS];

static struct block *block_new(size_t size, unsigned char fill)
{
	struct block *b = malloc(sizeof *b + size);
	if (b == NULL)
		return NULL;
	b->size = size;
	b->fill = fill;
	memset(b->data, fill, size);
	return b;
}

static int block_intact(const struct block *b)
{
	for (size_t i = 0; i < b->size; i++)
		if (b->data[i] != b->fill)
			return 0;
	return 1;
}

struct malloc_arg {
	int id;
};

static void *malloc_thread(void *p)
{
	struct malloc_arg *a = p;
	struct block *mine[32] = { 0 };
	uint32_t rng = 2654435761u * (uint32_t)(a->id + 1);

	for (int i = 0; i < MALLOC_ROUNDS; i++) {
		rng = rng * 1103515245u + 12345u;
		/* Mostly tcache/fastbin sizes, now and then one that malloc
		 * serves with mmap. */
		size_t size = (rng >> 8) % 512 + 1;
		if (i % 997 == 0)
			size = 300 * 1024;
		struct block *b = block_new(size, (unsigned char)(rng >> 24));
		CHECK(b != NULL, "malloc(%zu) failed", size);
		if (b == NULL)
			continue;

		int slot = (rng >> 4) % 32;
		if (mine[slot] != NULL) {
			CHECK(block_intact(mine[slot]), "thread %d: own block overwritten",
			      a->id);
			free(mine[slot]);
		}
		mine[slot] = b;

		/* Swap a block through the mailbox: the one taken out was
		 * allocated by some other thread, in some other arena. */
		if (i % 4 == 0) {
			int m = (rng >> 12) % MAILBOX_SLOTS;
			struct block *give = mine[(slot + 1) % 32];
			mine[(slot + 1) % 32] = NULL;
			struct block *got = atomic_exchange(&mailbox[m], give);
			if (got != NULL) {
				CHECK(block_intact(got), "thread %d: foreign block overwritten",
				      a->id);
				free(got);
			}
		}
	}
	for (int i = 0; i < 32; i++)
		if (mine[i] != NULL) {
			CHECK(block_intact(mine[i]), "thread %d: own block overwritten",
			      a->id);
			free(mine[i]);
		}
	return NULL;
}

static void test_malloc(void)
{
	struct malloc_arg args[MALLOC_THREADS];

	for (int i = 0; i < MALLOC_THREADS; i++)
		args[i].id = i;
	run_threads(MALLOC_THREADS, malloc_thread, args, sizeof args[0]);
	for (int m = 0; m < MAILBOX_SLOTS; m++) {
		struct block *b = atomic_exchange(&mailbox[m], NULL);
		if (b != NULL) {
			CHECK(block_intact(b), "mailbox block overwritten");
			free(b);
		}
	}
}

/* --- errno: one per thread ----------------------------------------------- */

static struct spin_barrier errno_barrier = { 0, ERRNO_THREADS };

struct errno_arg {
	int id;
	int *addr;
};

static void *errno_thread(void *p)
{
	struct errno_arg *a = p;

	a->addr = &errno;
	errno = 1000 + a->id;
	spin_wait(&errno_barrier, 1);
	CHECK(errno == 1000 + a->id, "thread %d: errno %d after the others set theirs",
	      a->id, errno);

	/* A failing call sets only the caller's errno. */
	if (a->id % 2 == 0) {
		CHECK(close(-1) == -1 && errno == EBADF, "thread %d: close(-1): errno %d",
		      a->id, errno);
	} else {
		errno = 2000 + a->id;
	}
	spin_wait(&errno_barrier, 2);
	CHECK(errno == (a->id % 2 == 0 ? EBADF : 2000 + a->id),
	      "thread %d: errno %d after the others failed calls", a->id, errno);
	/* Stay alive until every thread has compared, so that no two
	 * addresses below belong to threads that lived one after the other. */
	spin_wait(&errno_barrier, 3);
	return NULL;
}

static void test_errno(void)
{
	struct errno_arg args[ERRNO_THREADS];

	errno = 77;
	for (int i = 0; i < ERRNO_THREADS; i++)
		args[i] = (struct errno_arg){ .id = i };
	run_threads(ERRNO_THREADS, errno_thread, args, sizeof args[0]);
	CHECK(errno == 77, "main thread's errno became %d", errno);
	for (int i = 0; i < ERRNO_THREADS; i++) {
		CHECK(args[i].addr != &errno, "thread %d shares main's errno", i);
		for (int k = 0; k < i; k++)
			CHECK(args[i].addr != args[k].addr,
			      "threads %d and %d share one errno", i, k);
	}
}

/* --- setjmp/longjmp, and the guards in the TCB --------------------------- */

/* x86_64 keeps both guards in the TCB; arm64 keeps them in ld.so, one
 * pair for every thread, so there is nothing per thread to compare. */
#ifdef __x86_64__
static uintptr_t fs_word(unsigned long offset)
{
	uintptr_t v;
	__asm__ volatile("movq %%fs:(%1), %0" : "=r"(v) : "r"(offset));
	return v;
}
#define STACK_GUARD() fs_word(0x28)
#define POINTER_GUARD() fs_word(0x30)
#else
extern const uintptr_t __stack_chk_guard, __pointer_chk_guard;
#define STACK_GUARD() __stack_chk_guard
#define POINTER_GUARD() __pointer_chk_guard
#endif

/* glibc copies both guards from the creating thread (code in the process
 * compares canaries and demangles pointers mangled by other threads, e.g.
 * atexit handlers at exit). */
static uintptr_t main_stack_guard, main_pointer_guard;

struct jmp_arg {
	int id;
};

/* Unwinds 40 frames, each with its canary, in one longjmp. */
static void descend(jmp_buf *env, int depth, int value)
{
	volatile char pad[64];

	pad[depth % 64] = (char)depth;
	if (depth > 0)
		descend(env, depth - 1, value);
	else if (value != 0)	/* longjmp(env, 0) would arrive as 1 */
		longjmp(*env, value);
	CHECK(pad[depth % 64] == (char)depth, "frame %d: its local changed", depth);
}

static void *jmp_thread(void *p)
{
	struct jmp_arg *a = p;

	CHECK(STACK_GUARD() == main_stack_guard, "thread %d: stack guard differs",
	      a->id);
	CHECK(POINTER_GUARD() == main_pointer_guard, "thread %d: pointer guard differs",
	      a->id);
	for (int i = 0; i < 1000; i++) {
		jmp_buf env;
		volatile int round = i;
		int got = setjmp(env);
		if (got == 0) {
			descend(&env, 40, a->id * 10000 + round + 1);
			CHECK(0, "thread %d: longjmp returned", a->id);
		}
		CHECK(got == a->id * 10000 + round + 1, "thread %d: setjmp gave %d",
		      a->id, got);
	}
	sigjmp_buf senv;
	if (sigsetjmp(senv, 1) == 0)
		siglongjmp(senv, 1);
	return NULL;
}

static void test_jmp(void)
{
	struct jmp_arg args[JMP_THREADS];

	main_stack_guard = STACK_GUARD();
	main_pointer_guard = POINTER_GUARD();
	CHECK(main_stack_guard != 0, "main thread has no stack guard");
	for (int i = 0; i < JMP_THREADS; i++)
		args[i].id = i;
	run_threads(JMP_THREADS, jmp_thread, args, sizeof args[0]);
}

int main(void)
{
	test_stdio();
	test_malloc();
	test_errno();
	test_jmp();
	printf("threads made: %d\n", atomic_load(&threads_made));
	fflush(stdout);
	return atomic_load(&failures) == 0 ? 0 : 1;
}
