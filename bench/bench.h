/*
 * bench/bench.h -- the harness every benchmark program shares.
 *
 * A program is a list of measurements.  Each one has a name ("mutex.lock_unlock"),
 * runs for about bench_seconds, checks its own result and prints one line per
 * metric on stdout:
 *
 *     metric <TAB> value <TAB> unit <TAB> higher_is_better(0|1)
 *
 * Lines starting with '#' are information for bench/run.py (which library
 * served a call).  A wrong result is never printed: bench_fail() reports it on
 * stderr and exits 1, so a broken thread library shows up as a failed run and
 * not as a fast number.
 *
 * Command line of every program:  [-t seconds] [-m regex]
 *   -t  time per measurement (default 0.25 s)
 *   -m  run only the measurements whose name matches the extended regex
 *
 * The harness uses only raw system calls (futex, read on a pipe) for its own
 * waiting, so that it measures the thread library instead of leaning on it.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* bench_cxx (C++) uses the harness too, all but the gate (C11 atomics
 * are not C++). */
#ifdef __cplusplus
extern "C" {
#else
#include <stdatomic.h>
#endif

extern double bench_seconds;

/* Parses the common command line; exits with usage on anything else. */
void bench_init(int argc, char **argv);

/* True when the measurement called name was selected by -m. */
bool bench_wanted(const char *name);

/* Monotonic time in seconds (vDSO, no system call on both libcs). */
double bench_now(void);

void bench_metric(const char *name, double value, const char *unit, bool higher_is_better);

/* Prints "#impl <TAB> symbol <TAB> object file" so run.py can tell whether
 * LD_PRELOAD really replaced the function (a static binary prints "static"). */
void bench_report_impl(const char *symbol, void *address);

__attribute__((noreturn, format(printf, 1, 2)))
void bench_fail(const char *fmt, ...);

/* pthread_create/join that fail the run loudly instead of returning an error. */
pthread_t bench_spawn(void *(*fn)(void *), void *arg);
void *bench_join(pthread_t thread);

#ifndef __cplusplus
/*
 * A start gate: threads wait in the kernel until the measuring thread opens it,
 * so that thread creation is not inside the timed window.
 */
typedef struct bench_gate {
	_Atomic int open;
} bench_gate_t;

void bench_gate_wait(bench_gate_t *gate);
void bench_gate_open(bench_gate_t *gate);

/*
 * One timed measurement of n workers: starts fn(args + i * size) for each
 * i on its own thread, where fn first waits at gate (closed) and loops
 * until *stop (0) is set; opens the gate, sleeps bench_seconds, sets
 * *stop and joins them.  Returns the seconds between opening and stopping.
 */
double bench_run_workers(int n, void *(*fn)(void *), void *args, size_t size,
			 bench_gate_t *gate, _Atomic int *stop);
#endif

/*
 * A second thread that exists but does nothing (blocked in read(2) on a pipe).
 * Thread libraries take single-thread shortcuts; an idle peer keeps the
 * uncontended numbers honest for a multi-threaded program.
 */
void bench_idle_thread_start(void);
void bench_idle_thread_stop(void);

/* Sleeps the calling thread for about bench_seconds (used by the thread that
 * only measures time while workers run). */
void bench_sleep_measurement(void);

/* What a per-operation loop charges itself for. */
enum bench_clock {
	/* Wall-clock time: for operations that wait for another thread. */
	BENCH_WALL,
	/* This thread's CPU time: for operations that never wait.  Time spent
	 * preempted by other work on the machine is not counted, which keeps
	 * nanosecond numbers steady on a busy machine. */
	BENCH_ON_CPU,
};

/* The current reading of clock, in seconds. */
double bench_clock(enum bench_clock clock);

/*
 * BENCH_PER_OP(ns, clock, body...): runs body in batches of 256 until
 * bench_seconds of wall-clock time have passed and stores the nanoseconds of
 * clock per execution of body in ns.  The wall clock is read once per batch,
 * so its cost (~20 ns, vDSO) is spread over 256 operations; the thread CPU
 * clock (a system call) is read only at the ends.  A macro and not a function
 * taking a callback: an indirect call would add about as much as the
 * cheapest operations cost.
 */
#define BENCH_PER_OP(ns_out, clock, ...)                                       \
	do {                                                                   \
		uint64_t bench_ops_ = 0;                                       \
		double bench_c0_ = bench_clock(clock);                         \
		double bench_w0_ = bench_now();                                \
		do {                                                           \
			for (int bench_i_ = 0; bench_i_ < 256; bench_i_++) {   \
				__VA_ARGS__;                                   \
			}                                                      \
			bench_ops_ += 256;                                     \
		} while (bench_now() - bench_w0_ < bench_seconds);             \
		(ns_out) = (bench_clock(clock) - bench_c0_) * 1e9 /            \
			   (double)bench_ops_;                                 \
	} while (0)

#ifdef __cplusplus
}
#endif

#endif
