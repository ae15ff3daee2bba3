/*
 * bench/contend.h -- contended lock throughput, for any lock.
 *
 * The same harness drives pthread_mutex_t (bench_mutex) and the plain futex
 * mutex floor (bench_floor), so the two numbers differ only by the lock.  Both
 * are called through the function pointers below; the indirect call costs the
 * same for each.
 */
#ifndef BENCH_CONTEND_H
#define BENCH_CONTEND_H

typedef struct bench_lock {
	const char *prefix;		/* metric names start with this */
	void *object;			/* alone on its cache line, in every build */
	void (*lock)(void *object);
	void (*unlock)(void *object);
} bench_lock_t;

/*
 * For a short (one increment) and a long (~100 ns of dependent arithmetic
 * over 4 cache lines) critical section, and 2, 4, 8 and 16 threads, prints
 *   <prefix>.<short|long>.t<N>           total lock+unlock per second (M/s)
 *   <prefix>.<short|long>.t<N>.fairness  fewest / most operations of one thread
 * and fails the run if the protected counter disagrees with the threads' own counts.
 */
void bench_contended(const bench_lock_t *lock);

#endif
