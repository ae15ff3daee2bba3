/*
 * bench/pingpong.c -- the ping-pong harness (contract in pingpong.h).
 *
 * The measuring thread reads the clock every 64 round trips; the partner
 * counts its own round trips, and the two counts must agree exactly: a
 * primitive that lost or invented a wake-up shows up as a mismatch (or, if it
 * loses one for good, as a hang that run.py's time limit turns into FAIL).
 */
#include "pingpong.h"
#include "bench.h"

#include <sched.h>
#include <stdio.h>

struct partner {
	const bench_pingpong_t *pp;
	int cpu;	/* -1: not pinned */
	uint64_t round_trips;
};

/* Pins the calling thread (pid 0 is the caller, not the process) to cpu. */
static void pin_to(int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof one, &one) != 0)
		bench_fail("sched_setaffinity to CPU %d failed", cpu);
}

/* The n-th CPU the caller may run on, or -1. */
static int usable_cpu(const cpu_set_t *allowed, int n)
{
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, allowed) && n-- == 0)
			return cpu;
	return -1;
}

static void *partner_main(void *arg)
{
	struct partner *p = arg;

	if (p->cpu >= 0)
		pin_to(p->cpu);
	while (p->pp->pong(p->pp->object))
		p->round_trips++;
	return NULL;
}

void bench_pingpong(const bench_pingpong_t *pp)
{
	struct partner partner = { pp, -1, 0 };
	uint64_t round_trips = 0;
	cpu_set_t allowed;
	double t0, t;

	if (!bench_wanted(pp->name))
		return;
	if (pp->pin_apart) {
		if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
			bench_fail("sched_getaffinity failed");
		partner.cpu = usable_cpu(&allowed, 1);
		if (partner.cpu < 0) {
			printf("#skip\t%s\tneeds two CPUs\n", pp->name);
			return;
		}
		pin_to(usable_cpu(&allowed, 0));
	}
	pthread_t thread = bench_spawn(partner_main, &partner);
	t0 = bench_now();
	do {
		for (int i = 0; i < 64; i++)
			pp->ping(pp->object);
		round_trips += 64;
		t = bench_now();
	} while (t - t0 < bench_seconds);
	pp->finish(pp->object);
	bench_join(thread);
	if (pp->pin_apart && sched_setaffinity(0, sizeof allowed, &allowed) != 0)
		bench_fail("cannot restore the CPU set");
	if (partner.round_trips != round_trips)
		bench_fail("%s: partner saw %llu round trips, measuring thread %llu", pp->name,
			   (unsigned long long)partner.round_trips, (unsigned long long)round_trips);
	bench_metric(pp->name, (double)round_trips / (t - t0) / 1e3, "k/s", true);
}
