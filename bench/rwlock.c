/*
 * bench/rwlock.c -- pthread_rwlock_t with default attributes, two shapes.
 *
 * rwlock.read_mostly: 7 threads read, 1 thread writes, all 8 as fast as
 * they can.  Reader and writer throughput are reported separately because
 * they trade against each other: a lock that prefers readers (glibc's
 * default) can leave the writer nearly starved, one that prefers writers
 * slows the readers.
 *
 * rwlock.mix.w<P>.t<N>: N threads, each of whose operations is a write with
 * probability P% (a per-thread pseudo-random sequence) and a read
 * otherwise; total operations per second.  The write-heavy end is where a
 * read bias costs most (every write may have to revoke it) and where the
 * hand-over between the two sides happens on almost every operation.
 *
 * Correctness: a writer keeps two words equal, changing both under the
 * write lock; a reader that ever sees them differ was let in while a
 * writer held the lock.  The writes counted must equal the words.
 */
#include "bench.h"

#include <stdio.h>

enum { READERS = 7, MIX_MAX_THREADS = 4 };

static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static uint64_t word_a, word_b;	/* protected by rwlock */
static bench_gate_t gate;
static _Atomic int stop;

struct worker {
	_Alignas(64) uint64_t ops;	/* mix: its writes */
	uint64_t torn;	/* reads that saw word_a != word_b */
	uint64_t reads;	/* mix only */
	uint64_t seed;	/* mix: its pseudo-random sequence */
	unsigned write_percent;
};

static void check(int err, const char *call)
{
	if (err != 0)
		bench_fail("rwlock: %s returned %d", call, err);
}

static void write_once(void)
{
	check(pthread_rwlock_wrlock(&rwlock), "pthread_rwlock_wrlock");
	word_a++;
	/* Keep the two stores apart so that a reader let in by mistake can
	 * see the difference. */
	__asm__ volatile("" ::: "memory");
	word_b++;
	check(pthread_rwlock_unlock(&rwlock), "pthread_rwlock_unlock");
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
		write_once();
		w->ops++;
	}
	return NULL;
}

static void *mix_main(void *arg)
{
	struct worker *w = arg;
	uint64_t x = w->seed;

	bench_gate_wait(&gate);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		if ((x >> 33) % 100 < w->write_percent) {
			write_once();
			w->ops++;
		} else {
			check(pthread_rwlock_rdlock(&rwlock), "pthread_rwlock_rdlock");
			w->torn += word_a != word_b;
			check(pthread_rwlock_unlock(&rwlock), "pthread_rwlock_unlock");
			w->reads++;
		}
	}
	return NULL;
}

static void mix(unsigned write_percent, int nthreads)
{
	struct worker workers[MIX_MAX_THREADS] = { { 0 } };
	pthread_t threads[MIX_MAX_THREADS];
	uint64_t ops = 0, writes = 0, torn = 0;
	char name[64];

	snprintf(name, sizeof name, "rwlock.mix.w%u.t%d", write_percent, nthreads);
	if (!bench_wanted(name))
		return;
	word_a = word_b = 0;
	gate.open = 0;
	atomic_store_explicit(&stop, 0, memory_order_relaxed);
	for (int i = 0; i < nthreads; i++) {
		workers[i].seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
		workers[i].write_percent = write_percent;
		threads[i] = bench_spawn(mix_main, &workers[i]);
	}
	double t0 = bench_now();
	bench_gate_open(&gate);
	bench_sleep_measurement();
	atomic_store_explicit(&stop, 1, memory_order_relaxed);
	double elapsed = bench_now() - t0;
	for (int i = 0; i < nthreads; i++) {
		bench_join(threads[i]);
		ops += workers[i].ops + workers[i].reads;
		writes += workers[i].ops;
		torn += workers[i].torn;
	}
	if (torn != 0 || word_a != writes || word_b != writes || ops == 0)
		bench_fail("%s: %llu torn reads, words %llu/%llu, %llu writes, %llu ops", name,
			   (unsigned long long)torn, (unsigned long long)word_a,
			   (unsigned long long)word_b, (unsigned long long)writes,
			   (unsigned long long)ops);
	bench_metric(name, (double)ops / elapsed / 1e6, "M/s", true);
}

static void read_mostly(void)
{
	static struct worker readers[READERS], writer;
	pthread_t threads[READERS + 1];
	uint64_t reads = 0, torn = 0;

	if (!bench_wanted("rwlock.read_mostly"))
		return;
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
}

int main(int argc, char **argv)
{
	static const unsigned write_percents[] = { 50, 10, 1 };

	bench_init(argc, argv);
	bench_report_impl("pthread_rwlock_rdlock", (void *)pthread_rwlock_rdlock);
	read_mostly();
	for (unsigned i = 0; i < sizeof write_percents / sizeof write_percents[0]; i++)
		for (int n = 2; n <= MIX_MAX_THREADS; n *= 2)
			mix(write_percents[i], n);
	return 0;
}
