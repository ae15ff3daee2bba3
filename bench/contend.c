/*
 * bench/contend.c -- N threads hammer one lock for bench_seconds.
 *
 * Workers are created first and held at a kernel gate, so that thread creation
 * is outside the timed window; the measuring thread opens the gate, sleeps
 * for the measurement time and raises the stop flag.  Nothing is done outside
 * the critical section: this is the worst case for a lock, where handing it
 * over is the whole cost.
 *
 * Correctness: the critical section increments a plain (non-atomic) counter.
 * If the lock ever let two threads in at once, increments would be lost and
 * the counter would fall short of the sum of the threads' private counts.
 *
 * Fairness is the ratio of the fewest to the most operations any one thread
 * completed: 1 is perfectly fair, near 0 means a thread was starved.  On a
 * machine with fewer cores than threads a low number is expected for locks
 * that let the running thread re-take the lock (which is also what makes
 * them fast); the number is there to show that trade.
 */
#include "contend.h"
#include "bench.h"

#include <stdio.h>
#include <string.h>

enum { MAX_THREADS = 16, LONG_WORDS = 32 };

/* Starts a cache line of its own, in every build: whether the counter shares
 * a line with the lock word would otherwise depend on how each libc's link
 * happened to lay out .bss, and it changes short-section results twofold. */
struct shared {
	_Alignas(64) uint64_t count;
	uint64_t words[LONG_WORDS];
};

struct worker {
	_Alignas(64) uint64_t ops;	/* own line: counting must not contend */
	const bench_lock_t *lock;
	struct shared *shared;
	bench_gate_t *gate;
	_Atomic int *stop;
	bool long_section;
};

static void long_section(struct shared *s)
{
	uint64_t x = s->count;

	/* Each step depends on the last, so the compiler and the CPU cannot
	 * shorten the section; the words keep 4 cache lines moving with the lock.
	 * 128 steps take about 100 ns on the 2-core EPYC the reference numbers
	 * come from. */
	for (int i = 0; i < 128; i++) {
		x = x * 6364136223846793005ULL + s->words[i % LONG_WORDS];
		s->words[i % LONG_WORDS] = x;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const bench_lock_t *lock = w->lock;
	uint64_t ops = 0;

	bench_gate_wait(w->gate);
	while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
		lock->lock(lock->object);
		w->shared->count++;
		if (w->long_section)
			long_section(w->shared);
		lock->unlock(lock->object);
		ops++;
	}
	w->ops = ops;
	return NULL;
}

static void run_one(const bench_lock_t *lock, bool long_cs, int nthreads)
{
	char name[128];
	struct worker workers[MAX_THREADS];
	static struct shared shared;
	bench_gate_t gate = { 0 };
	_Atomic int stop = 0;
	uint64_t total = 0, least = UINT64_MAX, most = 0;

	snprintf(name, sizeof name, "%s.%s.t%d", lock->prefix, long_cs ? "long" : "short", nthreads);
	if (!bench_wanted(name))
		return;
	shared.count = 0;
	for (int i = 0; i < nthreads; i++)
		workers[i] = (struct worker){ .lock = lock, .shared = &shared, .gate = &gate,
					      .stop = &stop, .long_section = long_cs };
	double elapsed = bench_run_workers(nthreads, worker_main, workers, sizeof workers[0],
					   &gate, &stop);
	for (int i = 0; i < nthreads; i++) {
		total += workers[i].ops;
		least = workers[i].ops < least ? workers[i].ops : least;
		most = workers[i].ops > most ? workers[i].ops : most;
	}
	/* The joins synchronized with each worker's exit: shared.count is final. */
	if (shared.count != total)
		bench_fail("%s: lock lost updates: counter %llu, threads counted %llu",
			   name, (unsigned long long)shared.count, (unsigned long long)total);
	if (total == 0)
		bench_fail("%s: no thread completed an operation", name);
	bench_metric(name, (double)total / elapsed / 1e6, "M/s", true);
	snprintf(name + strlen(name), sizeof name - strlen(name), ".fairness");
	bench_metric(name, (double)least / (double)most, "min/max", true);
}

void bench_contended(const bench_lock_t *lock)
{
	static const int thread_counts[] = { 2, 4, 8, 16 };

	for (int cs = 0; cs < 2; cs++)
		for (unsigned i = 0; i < sizeof thread_counts / sizeof thread_counts[0]; i++)
			run_one(lock, cs == 1, thread_counts[i]);
}
