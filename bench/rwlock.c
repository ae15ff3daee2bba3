/*
 * bench/rwlock.c -- a read-mostly pthread_rwlock_t: 7 threads read, 1 thread
 * writes, all 8 as fast as they can, with default attributes.  Reader and
 * writer throughput are reported separately because they trade against each
 * other: a lock that prefers readers (glibc's default) can leave the writer
 * nearly starved, one that prefers writers slows the readers.
 *
 * Correctness: the writer keeps two words equal, changing both under the
 * write lock; a reader that ever sees them differ was let in while the
 * writer held the lock.  The writer's own count must equal the words.
 */
#include "bench.h"

enum { READERS = 7 };

static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static uint64_t word_a, word_b;	/* protected by rwlock */
static bench_gate_t gate;
static _Atomic int stop;

struct worker {
	_Alignas(64) uint64_t ops;
	uint64_t torn;	/* reads that saw word_a != word_b */
};

static void check(int err, const char *call)
{
	if (err != 0)
		bench_fail("rwlock: %s returned %d", call, err);
}

static void *reader_main(void *arg)
{
	struct worker *w = arg;

	bench_gate_wait(&gate);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		check(pthread_rwlock_rdlock(&rwlock), "pthread_rwlock_rdlock");
		w->torn += word_a != word_b;
		check(pthread_rwlock_unlock(&rwlock), "pthread_rwlock_unlock");
		w->ops++;
	}
	return NULL;
}

static void *writer_main(void *arg)
{
	struct worker *w = arg;

	bench_gate_wait(&gate);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		check(pthread_rwlock_wrlock(&rwlock), "pthread_rwlock_wrlock");
		word_a++;
		/* Keep the two stores apart so that a reader let in by mistake can
		 * see the difference. */
		__asm__ volatile("" ::: "memory");
		word_b++;
		check(pthread_rwlock_unlock(&rwlock), "pthread_rwlock_unlock");
		w->ops++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker readers[READERS], writer;
	pthread_t threads[READERS + 1];
	uint64_t reads = 0, torn = 0;

	bench_init(argc, argv);
	bench_report_impl("pthread_rwlock_rdlock", (void *)pthread_rwlock_rdlock);
	if (!bench_wanted("rwlock.read_mostly"))
		return 0;
	for (int i = 0; i < READERS; i++)
		threads[i] = bench_spawn(reader_main, &readers[i]);
	threads[READERS] = bench_spawn(writer_main, &writer);
	double t0 = bench_now();
	bench_gate_open(&gate);
	bench_sleep_measurement();
	atomic_store_explicit(&stop, 1, memory_order_relaxed);
	double elapsed = bench_now() - t0;
	for (int i = 0; i <= READERS; i++)
		bench_join(threads[i]);
	for (int i = 0; i < READERS; i++) {
		reads += readers[i].ops;
		torn += readers[i].torn;
	}
	if (torn != 0 || word_a != writer.ops || word_b != writer.ops)
		bench_fail("rwlock.read_mostly: %llu torn reads, words %llu/%llu, %llu writes",
			   (unsigned long long)torn, (unsigned long long)word_a,
			   (unsigned long long)word_b, (unsigned long long)writer.ops);
	bench_metric("rwlock.read_mostly.reads", (double)reads / elapsed / 1e6, "M/s", true);
	bench_metric("rwlock.read_mostly.writes", (double)writer.ops / elapsed / 1e3, "k/s", true);
	return 0;
}
