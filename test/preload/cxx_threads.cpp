/*
 * test/preload/cxx_threads.cpp -- a plain C++ program, built against glibc
 * and libstdc++ and never linked to libshim, using the standard library's
 * threads the way applications do.
 *
 * Under LD_PRELOAD=libshim.so, std::thread and std::async reach libshim's
 * pthread_create, and std::mutex / std::condition_variable its mutex and
 * condition variable.  What libstdc++ keeps per thread must keep working on
 * those threads: thread_local objects constructed on first use and destroyed
 * at thread exit (__cxa_thread_atexit_impl, run by __call_tls_dtors), the
 * exception-handling globals, and the shared_ptr counts that libstdc++ makes
 * non-atomic while it believes the process single-threaded
 * (__libc_single_threaded).
 *
 * Exit status 0 when every check holds; the last line on stdout is
 * "threads made: N".
 */
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

static std::atomic<int> failures{0};
static std::atomic<int> threads_made{0};

#define CHECK(cond, what)                                                    \
	do {                                                                 \
		if (!(cond)) {                                               \
			std::fprintf(stderr, "cxx_threads: %s:%d: %s\n",     \
				     __func__, __LINE__, std::string(what).c_str()); \
			failures++;                                          \
		}                                                            \
	} while (0)

template <class F> static void run_threads(int n, F body)
{
	std::vector<std::thread> ts;
	for (int i = 0; i < n; i++)
		ts.emplace_back(body, i);
	threads_made += n;
	for (auto &t : ts)
		t.join();
}

/* --- thread_local objects with destructors ------------------------------- */

static std::atomic<int> tracker_made{0}, tracker_destroyed{0};

struct Tracker {
	int value = 0;
	Tracker() { tracker_made++; }
	~Tracker() { tracker_destroyed++; }
};

static thread_local Tracker tracker;

static void test_thread_local()
{
	constexpr int n = 8;
	run_threads(n, [](int id) {
		tracker.value += id + 1;
		CHECK(tracker.value == id + 1, "thread_local shared between threads");
	});
	// One more thread that never touches it: no object for it.
	run_threads(1, [](int) {});
	CHECK(tracker_made == n, "thread_local constructed " +
		  std::to_string(tracker_made.load()) + " times, expected 8");
	CHECK(tracker_destroyed == n, "thread_local destroyed " +
		  std::to_string(tracker_destroyed.load()) + " times, expected 8");
}

/* --- iostreams ----------------------------------------------------------- */

static void test_iostreams()
{
	constexpr int n = 8, lines = 500;
	std::ostringstream shared;
	std::mutex shared_lock;

	run_threads(n, [&](int id) {
		for (int i = 0; i < lines; i++) {
			std::ostringstream mine;  // each thread's own stream, own locale use
			mine << "t" << id << " " << i << " " << 3.5 * i;
			std::lock_guard<std::mutex> g(shared_lock);
			shared << mine.str() << '\n';
		}
		std::cout << ("iostream thread " + std::to_string(id) + " done\n");
	});

	std::istringstream in(shared.str());
	std::vector<int> next(n, 0);
	std::string line;
	int count = 0;
	while (std::getline(in, line)) {
		std::istringstream fields(line);
		char t;
		int id, i;
		double x;
		if (!(fields >> t >> id >> i >> x) || t != 't' || id < 0 || id >= n ||
		    x != 3.5 * i) {
			CHECK(false, "garbled line: " + line);
			continue;
		}
		CHECK(i == next[id], "thread " + std::to_string(id) + " lines out of order");
		next[id] = i + 1;
		count++;
	}
	CHECK(count == n * lines, "lines: " + std::to_string(count));
}

/* --- exceptions thrown and caught inside threads ------------------------- */

static void test_exceptions()
{
	constexpr int n = 8;
	std::vector<std::exception_ptr> escaped(n);

	run_threads(n, [&](int id) {
		for (int i = 0; i < 2000; i++) {
			try {
				try {
					throw std::runtime_error("t" + std::to_string(id) +
								 "#" + std::to_string(i));
				} catch (const std::runtime_error &) {
					// uncaught_exceptions is per thread
					CHECK(std::uncaught_exceptions() == 0,
					      "uncaught_exceptions seen from another thread");
					throw;
				}
			} catch (const std::runtime_error &e) {
				CHECK(e.what() == "t" + std::to_string(id) + "#" +
						  std::to_string(i),
				      std::string("wrong exception: ") + e.what());
			}
		}
		try {
			throw std::logic_error("from " + std::to_string(id));
		} catch (...) {
			escaped[id] = std::current_exception();
		}
	});
	for (int id = 0; id < n; id++) {
		try {
			std::rethrow_exception(escaped[id]);
		} catch (const std::logic_error &e) {
			CHECK(e.what() == "from " + std::to_string(id), "wrong rethrown exception");
		}
	}
}

/* --- std::async / std::future -------------------------------------------- */

static void test_async()
{
	constexpr int n = 8;
	std::vector<std::future<long>> fs;
	for (int i = 0; i < n; i++)
		fs.push_back(std::async(std::launch::async, [i] {
			if (i == 3)
				throw std::out_of_range("three");
			long s = 0;
			for (int k = 0; k <= 100000 * (i + 1); k++)
				s += k;
			return s;
		}));
	threads_made += n;  // launch::async: one thread each, in libstdc++
	for (int i = 0; i < n; i++) {
		if (i == 3) {
			try {
				fs[i].get();
				CHECK(false, "future of a throwing task returned");
			} catch (const std::out_of_range &e) {
				CHECK(std::string(e.what()) == "three", "wrong exception");
			}
			continue;
		}
		long m = 100000L * (i + 1);
		CHECK(fs[i].get() == m * (m + 1) / 2, "wrong sum from async task");
	}
}

/* --- std::mutex + std::condition_variable: a bounded queue --------------- */

static void test_queue()
{
	constexpr int producers = 4, consumers = 4, items = 20000, capacity = 16;
	std::deque<int> q;
	std::mutex m;
	std::condition_variable not_empty, not_full;
	int producers_left = producers;
	std::atomic<long> sum{0}, taken{0};

	std::vector<std::thread> ts;
	for (int p = 0; p < producers; p++)
		ts.emplace_back([&, p] {
			for (int i = 1; i <= items; i++) {
				std::unique_lock<std::mutex> g(m);
				not_full.wait(g, [&] { return q.size() < capacity; });
				q.push_back(p * items + i);
				not_empty.notify_one();
			}
			std::lock_guard<std::mutex> g(m);
			if (--producers_left == 0)
				not_empty.notify_all();
		});
	for (int c = 0; c < consumers; c++)
		ts.emplace_back([&] {
			for (;;) {
				std::unique_lock<std::mutex> g(m);
				not_empty.wait(g, [&] { return !q.empty() || producers_left == 0; });
				if (q.empty())
					return;
				int v = q.front();
				q.pop_front();
				not_full.notify_one();
				g.unlock();
				sum += v;
				taken++;
			}
		});
	threads_made += producers + consumers;
	for (auto &t : ts)
		t.join();
	long total = long(producers) * items;
	CHECK(taken == total, "items taken: " + std::to_string(taken.load()));
	CHECK(sum == total * (total + 1) / 2, "sum of items differs");
}

/* --- shared_ptr counts must be atomic once threads exist ----------------- */

static void test_shared_ptr()
{
	auto p = std::make_shared<int>(7);
	run_threads(8, [&](int) {
		for (int i = 0; i < 100000; i++) {
			std::shared_ptr<int> copy = p;
			if (*copy != 7)
				CHECK(false, "shared object changed");
		}
	});
	CHECK(p.use_count() == 1, "use_count " + std::to_string(p.use_count()) +
				       " after all copies died");
}

int main()
{
	test_thread_local();
	test_iostreams();
	test_exceptions();
	test_async();
	test_queue();
	test_shared_ptr();
	std::cout << "threads made: " << threads_made << std::endl;
	return failures == 0 ? 0 : 1;
}
