/*
 * bench/futex.h -- the raw futex calls the benchmarks use for things that
 * must not depend on the thread library under test: start gates, and the
 * physical floors the pthread numbers are compared against.
 *
 * The constants are written out because musl-gcc does not see the kernel's
 * <linux/futex.h>; the values are the kernel ABI and never change.
 */
#ifndef BENCH_FUTEX_H
#define BENCH_FUTEX_H

#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BENCH_FUTEX_WAIT_PRIVATE 128	/* FUTEX_WAIT | FUTEX_PRIVATE_FLAG */
#define BENCH_FUTEX_WAKE_PRIVATE 129	/* FUTEX_WAKE | FUTEX_PRIVATE_FLAG */
#define BENCH_FUTEX_WAIT_SHARED 0	/* FUTEX_WAIT: the clone floor waits on a tid the kernel clears */

/* Sleeps while *word == expected; returns early on a wake-up, a signal or a changed word. */
static inline void futex_wait(_Atomic int *word, int expected)
{
	syscall(SYS_futex, word, BENCH_FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static inline void futex_wake(_Atomic int *word, int count)
{
	syscall(SYS_futex, word, BENCH_FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

#endif
