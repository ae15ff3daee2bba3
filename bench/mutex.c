/*
 * bench/mutex.c -- pthread_mutex_t: the uncontended fast paths, then
 * contended throughput (see contend.c).
 *
 * The uncontended loops run with a second, idle thread alive: libraries skip
 * atomics or take other shortcuts while a process has one thread, and a
 * program that bothers with a mutex has more than one.
 */
#include "bench.h"
#include "contend.h"

/* Alone on its cache line in every build (see contend.h). */
static struct {
	_Alignas(64) pthread_mutex_t mutex;
} mutex_line = { PTHREAD_MUTEX_INITIALIZER };

static void uncontended(void)
{
	double ns;
	int failures = 0;

	bench_idle_thread_start();
	if (bench_wanted("mutex.lock_unlock")) {
		BENCH_PER_OP(ns, BENCH_ON_CPU,
			     failures += pthread_mutex_lock(&mutex_line.mutex) != 0;
			     failures += pthread_mutex_unlock(&mutex_line.mutex) != 0);
		if (failures)
			bench_fail("mutex.lock_unlock: %d calls failed", failures);
		bench_metric("mutex.lock_unlock", ns, "ns", false);
	}
	if (bench_wanted("mutex.trylock_unlock")) {
		BENCH_PER_OP(ns, BENCH_ON_CPU,
			     failures += pthread_mutex_trylock(&mutex_line.mutex) != 0;
			     failures += pthread_mutex_unlock(&mutex_line.mutex) != 0);
		if (failures)
			bench_fail("mutex.trylock_unlock: %d calls failed", failures);
		bench_metric("mutex.trylock_unlock", ns, "ns", false);
	}
	bench_idle_thread_stop();
}

static void lock_mutex(void *m)
{
	if (pthread_mutex_lock(m) != 0)
		bench_fail("pthread_mutex_lock failed under contention");
}

static void unlock_mutex(void *m)
{
	if (pthread_mutex_unlock(m) != 0)
		bench_fail("pthread_mutex_unlock failed under contention");
}

int main(int argc, char **argv)
{
	const bench_lock_t lock = { "mutex.contended", &mutex_line.mutex,
				    lock_mutex, unlock_mutex };

	bench_init(argc, argv);
	bench_report_impl("pthread_mutex_lock", (void *)pthread_mutex_lock);
	uncontended();
	bench_contended(&lock);
	return 0;
}
