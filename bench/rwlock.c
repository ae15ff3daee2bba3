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
	_Alignas(64) uint64_t reads;	/* own line: counting must not contend */
	uint64_t writes;
	uint64_t torn;		/* reads that saw word_a != word_b */
	uint64_t seed;		/* its pseudo-random sequence */
	unsigned write_percent;	/* 0 and 100: reads only, writes only */
};

static void check(int err, const char *call)
{
	if (err != 0)
		bench_fail("rwlock: %s returned %d", call, err);
}

static bool next_is_write(struct worker *w)
{
	if (w->write_percent == 0 || w->write_percent == 100)
		return w->write_percent == 100;
	w->seed = w->seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (w->seed >> 33) % 100 < w->write_percent;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	bench_gate_wait(&gate);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (next_is_write(w)) {
			check(pthread_rwlock_wrlock(&rwlock), "pthread_rwlock_wrlock");
			word_a++;
			/* Keep the two stores apart so that a reader let in by
			 * mistake can see the difference. */
			__asm__ volatile("" ::: "memory");
			word_b++;
			check(pthread_rwlock_unlock(&rwlock), "pthread_rwlock_unlock");
			w->writes++;
		} else {
			check(pthread_rwlock_rdlock(&rwlock), "pthread_rwlock_rdlock");
			w->torn += word_a != word_b;
			check(pthread_rwlock_unlock(&rwlock), "pthread_rwlock_unlock");
			w->reads++;
		}
	}
	return NULL;
}

/* Runs the n workers for one measurement and checks what they saw;
 * returns the seconds measured. */
static double run(const char *name, struct worker *workers, int n)
{
	uint64_t writes = 0, torn = 0;

	word_a = word_b = 0;
	atomic_store_explicit(&gate.open, 0, memory_order_relaxed);
	atomic_store_explicit(&stop, 0, memory_order_relaxed);
	for (int i = 0; i < n; i++)
		workers[i].seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
	double elapsed = bench_run_workers(n, worker_main, workers, sizeof workers[0], &gate,
					   &stop);
	for (int i = 0; i < n; i++) {
		writes += workers[i].writes;
		torn += workers[i].torn;
	}
	if (torn != 0 || word_a != writes || word_b != writes)
		bench_fail("%s: %llu torn reads, words %llu/%llu, %llu writes", name,
			   (unsigned long long)torn, (unsigned long long)word_a,
			   (unsigned long long)word_b, (unsigned long long)writes);
	return elapsed;
}

static void read_mostly(void)
{
	struct worker workers[READERS + 1] = { { 0 } };
	uint64_t reads = 0;

	if (!bench_wanted("rwlock.read_mostly"))
		return;
	workers[READERS].write_percent = 100;
	double elapsed = run("rwlock.read_mostly", workers, READERS + 1);
	for (int i = 0; i < READERS; i++)
		reads += workers[i].reads;
	bench_metric("rwlock.read_mostly.reads", (double)reads / elapsed / 1e6, "M/s", true);
	bench_metric("rwlock.read_mostly.writes", (double)workers[READERS].writes / elapsed / 1e3,
		     "k/s", true);
}

static void mix(unsigned write_percent, int nthreads)
{
	struct worker workers[MIX_MAX_THREADS] = { { 0 } };
	uint64_t ops = 0;
	char name[64];

	snprintf(name, sizeof name, "rwlock.mix.w%u.t%d", write_percent, nthreads);
	if (!bench_wanted(name))
		return;
	for (int i = 0; i < nthreads; i++)
		workers[i].write_percent = write_percent;
	double elapsed = run(name, workers, nthreads);
	for (int i = 0; i < nthreads; i++)
		ops += workers[i].reads + workers[i].writes;
	if (ops == 0)
		bench_fail("%s: no thread completed an operation", name);
	bench_metric(name, (double)ops / elapsed / 1e6, "M/s", true);
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
