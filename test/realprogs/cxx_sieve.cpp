/*
 * test/realprogs/cxx_sieve.cpp -- an ordinary g++ -pthread program: a
 * segmented prime sieve whose segments are handed out to a pool of
 * std::threads through a queue under std::mutex / std::condition_variable,
 * with the per-segment counts gathered under a std::shared_mutex.  It
 * compares the parallel count with a serial sieve run in the same process.
 *
 *   cxx_sieve [THREADS [LIMIT]]      exit status 0 when the counts agree
 */
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

static std::vector<long> small_primes(long upto)
{
	std::vector<bool> composite(upto + 1, false);
	std::vector<long> primes;
	for (long i = 2; i <= upto; i++) {
		if (composite[i])
			continue;
		primes.push_back(i);
		for (long k = i * i; k <= upto; k += i)
			composite[k] = true;
	}
	return primes;
}

/* Primes in [lo, hi), marking multiples of the base primes. */
static long count_segment(long lo, long hi, const std::vector<long> &base)
{
	std::vector<bool> composite(hi - lo, false);
	for (long p : base) {
		if (p * p >= hi)
			break;
		long first = std::max(p * p, (lo + p - 1) / p * p);
		for (long k = first; k < hi; k += p)
			composite[k - lo] = true;
	}
	long n = 0;
	for (long i = lo; i < hi; i++)
		if (i >= 2 && !composite[i - lo])
			n++;
	return n;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? std::atoi(argv[1]) : 4;
	long limit = argc > 2 ? std::atol(argv[2]) : 10000000;
	const long segment = 1 << 16;
	std::vector<long> base = small_primes((long)std::sqrt((double)limit) + 1);

	std::deque<long> work;
	for (long lo = 0; lo < limit; lo += segment)
		work.push_back(lo);
	std::mutex work_lock;
	std::condition_variable work_ready;
	bool started = false;

	std::shared_mutex results_lock;
	std::map<long, long> results;

	std::vector<std::thread> pool;
	for (int t = 0; t < nthreads; t++)
		pool.emplace_back([&] {
			{
				std::unique_lock<std::mutex> g(work_lock);
				work_ready.wait(g, [&] { return started; });
			}
			for (;;) {
				long lo;
				{
					std::lock_guard<std::mutex> g(work_lock);
					if (work.empty())
						return;
					lo = work.front();
					work.pop_front();
				}
				long n = count_segment(lo, std::min(lo + segment, limit), base);
				std::unique_lock<std::shared_mutex> g(results_lock);
				results[lo] = n;
			}
		});
	{
		std::lock_guard<std::mutex> g(work_lock);
		started = true;
	}
	work_ready.notify_all();

	long serial = count_segment(0, limit, base);
	for (auto &t : pool)
		t.join();

	long parallel = 0;
	{
		std::shared_lock<std::shared_mutex> g(results_lock);
		for (auto &r : results)
			parallel += r.second;
	}
	std::printf("primes below %ld: %ld (serial %ld), %zu segments, %d threads\n",
		    limit, parallel, serial, results.size(), nthreads);
	return parallel == serial && (long)results.size() == (limit + segment - 1) / segment ? 0 : 1;
}
