/*
 * test_rwbias.c -- the read bias of libshim's rwlock (libshim/rwlock.c,
 * rdslot.c): readers of a biased lock hold their share in their own slot,
 * not in the lock word.  These tests look at the word (glibc's __readers:
 * RW_BIAS is bit 3, the count of word shares starts at bit 4) to know
 * that the biased path is the one under test, then check what a user
 * sees: exclusion, writers that revoke the bias and wait, recursion that
 * cannot deadlock against a revoking writer, glibc's errors, unlock by
 * another thread, a thread that exits holding a share, a fork child's
 * share, and slots reused by thousands of threads.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#define WORD_WRITER 1u
#define WORD_BIAS 8u
#define WORD_ONE_READER 16u

static unsigned word(pthread_rwlock_t *rw)
{
	return __atomic_load_n((unsigned *)rw, __ATOMIC_RELAXED);
}

/* Read-lock and unlock until some reader sets the bias: a reader in the
 * word tries every few locks, once any earlier revocation's pause is
 * over. */
static void make_biased(pthread_rwlock_t *rw)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!(word(rw) & WORD_BIAS) && ms_since(CLOCK_MONOTONIC, &start) < 2000) {
		assert_int_equal(pthread_rwlock_rdlock(rw), 0);
		assert_int_equal(pthread_rwlock_unlock(rw), 0);
	}
	assert_true(word(rw) & WORD_BIAS);
}

/* A read lock taken now is held in the caller's slot. */
static void rdlock_biased(pthread_rwlock_t *rw)
{
	make_biased(rw);
	assert_int_equal(pthread_rwlock_rdlock(rw), 0);
	assert_int_equal(word(rw) / WORD_ONE_READER, 0);
}

static void *trywr_op(void *rw)
{
	int r = pthread_rwlock_trywrlock(rw);
	if (r == 0)
		pthread_rwlock_unlock(rw);
	return (void *)(intptr_t)r;
}

static void *tryrd_op(void *rw)
{
	int r = pthread_rwlock_tryrdlock(rw);
	if (r == 0)
		pthread_rwlock_unlock(rw);
	return (void *)(intptr_t)r;
}

static void *timedwr_op(void *rw)
{
	struct timespec d = deadline_in(CLOCK_REALTIME, 50);
	int r = pthread_rwlock_timedwrlock(rw, &d);
	if (r == 0)
		pthread_rwlock_unlock(rw);
	return (void *)(intptr_t)r;
}

static void *unlock_op(void *rw)
{
	return (void *)(intptr_t)pthread_rwlock_unlock(rw);
}

static void test_writers_see_biased_share(void **state)
{
	(void)state;
	static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	rdlock_biased(&rw);
	assert_int_equal(in_thread(trywr_op, &rw), EBUSY);
	assert_int_equal(in_thread(timedwr_op, &rw), ETIMEDOUT);
	/* The failed writers left the lock to readers, with no WRITER. */
	assert_int_equal(word(&rw) & WORD_WRITER, 0);
	assert_int_equal(in_thread(tryrd_op, &rw), 0);
	assert_int_equal(pthread_rwlock_unlock(&rw), 0);
	assert_int_equal(in_thread(trywr_op, &rw), 0);
}

struct revoker {
	pthread_rwlock_t *rw;
	_Atomic int locked;
};

static void *wrlock_and_mark(void *arg)
{
	struct revoker *v = arg;
	assert_int_equal(pthread_rwlock_wrlock(v->rw), 0);
	atomic_store(&v->locked, 1);
	assert_int_equal(pthread_rwlock_unlock(v->rw), 0);
	return NULL;
}

static void test_recursion_beside_revoking_writer(void **state)
{
	(void)state;
	static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	struct revoker v = { &rw, 0 };
	rdlock_biased(&rw);
	pthread_t t;
	pthread_create(&t, NULL, wrlock_and_mark, &v);
	/* The writer takes WRITER, then waits for our slot. */
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!(word(&rw) & WORD_WRITER) && ms_since(CLOCK_MONOTONIC, &start) < 2000)
		usleep(1000);
	assert_true(word(&rw) & WORD_WRITER);
	/* Reading again must not wait for that writer: it waits for us. */
	struct timespec d = deadline_in(CLOCK_REALTIME, 2000);
	assert_int_equal(pthread_rwlock_timedrdlock(&rw, &d), 0);
	assert_int_equal(pthread_rwlock_tryrdlock(&rw), 0);
	assert_int_equal(pthread_rwlock_unlock(&rw), 0);
	assert_int_equal(pthread_rwlock_unlock(&rw), 0);
	usleep(20000);
	assert_int_equal(atomic_load(&v.locked), 0);
	assert_int_equal(pthread_rwlock_unlock(&rw), 0);
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&v.locked), 1);
}

static void test_write_while_reading_is_edeadlk(void **state)
{
	(void)state;
	static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	rdlock_biased(&rw);
	/* glibc hangs here; POSIX allows EDEADLK, and a hang is worse. */
	struct timespec d = deadline_in(CLOCK_REALTIME, 1000);
	assert_int_equal(pthread_rwlock_timedwrlock(&rw, &d), EDEADLK);
	assert_int_equal(pthread_rwlock_wrlock(&rw), EDEADLK);
	assert_int_equal(pthread_rwlock_trywrlock(&rw), EBUSY);
	assert_int_equal(word(&rw) & WORD_WRITER, 0);
	assert_int_equal(pthread_rwlock_unlock(&rw), 0);
	assert_int_equal(pthread_rwlock_wrlock(&rw), 0);
	assert_int_equal(pthread_rwlock_unlock(&rw), 0);
}

static void test_unlock_by_another_thread(void **state)
{
	(void)state;
	static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	rdlock_biased(&rw);
	/* glibc's count lets another thread release the share. */
	assert_int_equal(in_thread(unlock_op, &rw), 0);
	assert_int_equal(in_thread(trywr_op, &rw), 0);
	/* Our own unlock now has nothing to release, and changes nothing. */
	assert_int_equal(pthread_rwlock_unlock(&rw), 0);
	assert_int_equal(in_thread(trywr_op, &rw), 0);
	assert_int_equal(pthread_rwlock_rdlock(&rw), 0);
	assert_int_equal(pthread_rwlock_unlock(&rw), 0);
}

static void *rdlock_and_exit(void *rw)
{
	rdlock_biased(rw);
	return NULL;
}

static void test_exit_holding_share(void **state)
{
	(void)state;
	static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	/* As with glibc's count: the share outlives the thread. */
	assert_int_equal(in_thread(rdlock_and_exit, &rw), 0);
	assert_int_equal(pthread_rwlock_trywrlock(&rw), EBUSY);
	assert_int_equal(in_thread(tryrd_op, &rw), 0);
}

static void test_fork_child_keeps_own_share(void **state)
{
	(void)state;
	static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	rdlock_biased(&rw);
	pid_t pid = fork();
	if (pid == 0) {
		/* The child's only thread still holds its share, and can
		 * release it; then a writer gets the lock. */
		bool ok = pthread_rwlock_trywrlock(&rw) == EBUSY &&
			  pthread_rwlock_unlock(&rw) == 0 &&
			  pthread_rwlock_trywrlock(&rw) == 0;
		_exit(ok ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(pthread_rwlock_unlock(&rw), 0);
}

static void *biased_once(void *rw)
{
	make_biased(rw);
	assert_int_equal(pthread_rwlock_rdlock(rw), 0);
	intptr_t in_word = word(rw) / WORD_ONE_READER;
	assert_int_equal(pthread_rwlock_unlock(rw), 0);
	return (void *)in_word;
}

static void test_slots_are_reused(void **state)
{
	(void)state;
	static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	/* More threads, one after another, than the table has slots: each
	 * exit frees its slot for the next thread. */
	for (int i = 0; i < 1500; i++)
		assert_int_equal(in_thread(biased_once, &rw), 0);
}

/* ---- exclusion with the bias on and off --------------------------- */

struct pair {
	pthread_rwlock_t rw;
	long a, b;
	_Atomic int stop;
	_Atomic long torn, reads, biased_reads, writes;
};

static void *pair_reader(void *arg)
{
	struct pair *p = arg;
	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		pthread_rwlock_rdlock(&p->rw);
		bool biased = word(&p->rw) / WORD_ONE_READER == 0;
		long a = p->a;
		__asm__ volatile("" ::: "memory");
		long b = p->b;
		if (a != b)
			atomic_fetch_add(&p->torn, 1);
		pthread_rwlock_unlock(&p->rw);
		atomic_fetch_add_explicit(&p->reads, 1, memory_order_relaxed);
		if (biased)
			atomic_fetch_add_explicit(&p->biased_reads, 1,
						  memory_order_relaxed);
	}
	return NULL;
}

static void *pair_writer(void *arg)
{
	struct pair *p = arg;
	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		if (atomic_load(&p->writes) % 2 == 0)
			pthread_rwlock_wrlock(&p->rw);
		else if (pthread_rwlock_trywrlock(&p->rw) != 0)
			continue;
		p->a++;
		for (int i = 0; i < 100; i++)
			__asm__ volatile("" ::: "memory");
		p->b++;
		pthread_rwlock_unlock(&p->rw);
		atomic_fetch_add(&p->writes, 1);
		usleep(50); /* let the bias come back between writes */
	}
	return NULL;
}

static void test_exclusion(void **state)
{
	(void)state;
	static struct pair p = { .rw = PTHREAD_RWLOCK_INITIALIZER };
	pthread_t t[8];
	for (int i = 0; i < 6; i++)
		pthread_create(&t[i], NULL, pair_reader, &p);
	for (int i = 6; i < 8; i++)
		pthread_create(&t[i], NULL, pair_writer, &p);
	usleep(400000);
	atomic_store(&p.stop, 1);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(p.torn, 0);
	assert_true(p.writes > 0);
	assert_int_equal(p.a, p.writes);
	assert_int_equal(p.b, p.writes);
	assert_true(p.biased_reads > 0);
	assert_true(p.biased_reads < p.reads); /* the writers revoked it */
	assert_int_equal(pthread_rwlock_trywrlock(&p.rw), 0);
	assert_int_equal(pthread_rwlock_unlock(&p.rw), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writers_see_biased_share),
		cmocka_unit_test(test_recursion_beside_revoking_writer),
		cmocka_unit_test(test_write_while_reading_is_edeadlk),
		cmocka_unit_test(test_unlock_by_another_thread),
		cmocka_unit_test(test_exit_holding_share),
		cmocka_unit_test(test_fork_child_keeps_own_share),
		cmocka_unit_test(test_slots_are_reused),
		cmocka_unit_test(test_exclusion),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
