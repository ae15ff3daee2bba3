/*
 * test/realprogs/omp_sum.c -- an ordinary gcc -fopenmp program.  libgomp
 * makes its team with pthread_create; the work is a parallel-for reduction,
 * a critical section, a barrier and tasks, each checked against a serial
 * computation.  Run with OMP_NUM_THREADS=4.  Exit status 0 when all agree.
 */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>

#define N 20000000L

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x & 0xffff;
}

static long fib(int n)
{
	long a, b;

	if (n < 2)
		return n;
	if (n < 16)
		return fib(n - 1) + fib(n - 2);
#pragma omp task shared(a)
	a = fib(n - 1);
#pragma omp task shared(b)
	b = fib(n - 2);
#pragma omp taskwait
	return a + b;
}

int main(void)
{
	uint64_t serial = 0, parallel = 0;
	int team = 0, entered = 0, after_barrier = 0;
	long f = 0;

	for (long i = 0; i < N; i++)
		serial += mix((uint64_t)i);

#pragma omp parallel for reduction(+ : parallel) schedule(dynamic, 65536)
	for (long i = 0; i < N; i++)
		parallel += mix((uint64_t)i);

#pragma omp parallel
	{
#pragma omp critical
		entered++;
#pragma omp barrier
#pragma omp single
		{
			team = omp_get_num_threads();
			after_barrier = entered;
		}
	}

#pragma omp parallel
#pragma omp single
	f = fib(30);

	printf("sum %llu (serial %llu), team %d, %d in critical before the barrier, fib(30) %ld\n",
	       (unsigned long long)parallel, (unsigned long long)serial, team,
	       after_barrier, f);
	return parallel == serial && team > 1 && after_barrier == team && f == 832040 ? 0 : 1;
}
