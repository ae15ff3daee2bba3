/*
 * bench/cxx.cpp -- what an ordinary C++ program does with the thread
 * library: std::shared_mutex and std::mutex (libstdc++ calls
 * pthread_rwlock_* and pthread_mutex_* for them), std::thread to run the
 * workers.  Each measurement is a whole run of a fixed amount of work, as
 * a program would do it: start 4 threads (more than the 2 cores of the
 * reference machine), let each do its share, join them; the metric is the
 * run's wall-clock time, thread start-up and the stragglers at the end
 * included.
 *
 *   cxx.shared_mutex.w<P>  each thread does OPS operations, a write
 *                          (unique_lock) with probability P%, a read
 *                          (shared_lock) otherwise
 *   cxx.shared_mutex.2w2r  2 threads only write, 2 only read, OPS each
 *   cxx.mutex.lock_guard   each thread takes a lock_guard OPS times
 *                          around an (almost) empty section
 *
 * OPS scales with -t (1,000,000 at the default 0.25).  Correctness as in
 * bench_rwlock: writers keep two words equal, readers count the times they
 * see them differ; the mutex's section increments a plain counter, which
 * must come out at the number of operations.
 */
#include "bench.h"

#include <cstdio>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

namespace {

constexpr int THREADS = 4;

std::shared_mutex shared_mutex;
std::mutex mutex;
unsigned long word_a, word_b; // under shared_mutex
unsigned long count;           // under mutex

long ops_per_thread()
{
	return static_cast<long>(bench_seconds * 4e6);
}

struct tally {
	alignas(64) unsigned long writes = 0;
	unsigned long torn = 0;
};

void write_once(tally &t)
{
	std::unique_lock<std::shared_mutex> hold(shared_mutex);
	word_a++;
	// Keep the two stores apart, so that a reader let in by mistake
	// can see the difference.
	__asm__ volatile("" ::: "memory");
	word_b++;
	t.writes++;
}

void read_once(tally &t)
{
	std::shared_lock<std::shared_mutex> hold(shared_mutex);
	t.torn += word_a != word_b;
}

// Runs body(thread index, its tally) on THREADS std::threads; returns the
// seconds from the first start to the last join.
template <typename Body> double run(std::vector<tally> &tallies, Body body)
{
	std::vector<std::thread> threads;
	double t0 = bench_now();
	for (int i = 0; i < THREADS; i++)
		threads.emplace_back(body, i, std::ref(tallies[i]));
	for (auto &t : threads)
		t.join();
	return bench_now() - t0;
}

void check_words(const char *name, const std::vector<tally> &tallies)
{
	unsigned long writes = 0, torn = 0;
	for (const auto &t : tallies) {
		writes += t.writes;
		torn += t.torn;
	}
	if (torn != 0 || word_a != writes || word_b != writes)
		bench_fail("%s: %lu torn reads, words %lu/%lu, %lu writes", name, torn,
			   word_a, word_b, writes);
}

// One std::shared_mutex row: thread index writes where next_is_write(),
// made by writes_of(index), says so, and reads otherwise.
template <typename WritesOf> void shared_row(const char *name, WritesOf writes_of)
{
	if (!bench_wanted(name))
		return;
	word_a = word_b = 0;
	std::vector<tally> tallies(THREADS);
	long ops = ops_per_thread();
	double seconds = run(tallies, [=](int index, tally &t) {
		auto next_is_write = writes_of(index);
		for (long i = 0; i < ops; i++) {
			if (next_is_write())
				write_once(t);
			else
				read_once(t);
		}
	});
	check_words(name, tallies);
	bench_metric(name, seconds, "s", false);
}

void shared_mix(unsigned write_percent)
{
	char name[64];
	std::snprintf(name, sizeof name, "cxx.shared_mutex.w%u", write_percent);
	shared_row(name, [=](int index) {
		unsigned long x = 0x9e3779b97f4a7c15UL * static_cast<unsigned long>(index + 1);
		return [=]() mutable {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			return (x >> 33) % 100 < write_percent;
		};
	});
}

void shared_two_writers_two_readers()
{
	shared_row("cxx.shared_mutex.2w2r", [](int index) {
		return [=]() { return index % 2 == 0; };
	});
}

void mutex_lock_guard()
{
	const char *name = "cxx.mutex.lock_guard";
	if (!bench_wanted(name))
		return;
	count = 0;
	std::vector<tally> tallies(THREADS);
	long ops = ops_per_thread();
	double seconds = run(tallies, [=](int, tally &) {
		for (long i = 0; i < ops; i++) {
			std::lock_guard<std::mutex> hold(mutex);
			count++;
		}
	});
	if (count != static_cast<unsigned long>(ops) * THREADS)
		bench_fail("%s: lock lost updates: counter %lu, expected %lu", name, count,
			   static_cast<unsigned long>(ops) * THREADS);
	bench_metric(name, seconds, "s", false);
}

} // namespace

int main(int argc, char **argv)
{
	bench_init(argc, argv);
	bench_report_impl("pthread_rwlock_rdlock", reinterpret_cast<void *>(pthread_rwlock_rdlock));
	bench_report_impl("pthread_mutex_lock", reinterpret_cast<void *>(pthread_mutex_lock));
	for (unsigned percent : { 50u, 10u, 1u })
		shared_mix(percent);
	shared_two_writers_two_readers();
	mutex_lock_guard();
	return 0;
}
