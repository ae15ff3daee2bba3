/*
 * bench/pingpong.c -- the ping-pong harness (contract in pingpong.h).
 *
 * The measuring thread reads the clock every 64 round trips; the partner
 * counts its own round trips, and the two counts must agree exactly: a
 * primitive that lost or invented a wake-up shows up as a mismatch (or, if it
 * loses one for good, as a hang that run.py's time limit turns into FAIL).
 *
 * Placement is set with sched_setaffinity on the calling thread (pid 0), a
 * plain system call, so it works the same whichever library made the thread.
 * The partner pins itself before its first pong; the measuring thread pins
 * itself before creating the partner and restores its CPU set afterwards.
 */
#include "pingpong.h"
#include "bench.h"

#include <sched.h>
#include <stdio.h>

struct partner {
	const bench_pingpong_t *pp;
	int cpu;
	uint64_t round_trips;
};

static void pin_to(int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof one, &one) != 0)
		bench_fail("sched_setaffinity to CPU %d failed", cpu);
}

/* The n-th CPU in allowed, or -1. */
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

	pin_to(p->cpu);
	while (p->pp->pong(p->pp->object))
		p->round_trips++;
	return NULL;
}

static void run_placed(const bench_pingpong_t *pp, const cpu_set_t *allowed, bool cross)
{
	char name[128];
	int main_cpu = usable_cpu(allowed, 0);
	struct partner partner = { pp, usable_cpu(allowed, cross ? 1 : 0), 0 };
	uint64_t round_trips = 0;
	double t0, t;

	snprintf(name, sizeof name, "%s.%s", pp->name, cross ? "cross_cpu" : "same_cpu");
	if (!bench_wanted(name))
		return;
	if (partner.cpu < 0) {
		printf("#skip\t%s\tneeds two CPUs\n", name);
		return;
	}
	pin_to(main_cpu);
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
	if (sched_setaffinity(0, sizeof *allowed, allowed) != 0)
		bench_fail("cannot restore the CPU set");
	if (partner.round_trips != round_trips)
		bench_fail("%s: partner saw %llu round trips, measuring thread %llu", name,
			   (unsigned long long)partner.round_trips, (unsigned long long)round_trips);
	bench_metric(name, (double)round_trips / (t - t0) / 1e3, "k/s", true);
}

void bench_pingpong(const bench_pingpong_t *pp)
{
	cpu_set_t allowed;

	if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
		bench_fail("sched_getaffinity failed");
	if (!pp->cross_cpu_only)
		run_placed(pp, &allowed, false);
	run_placed(pp, &allowed, true);
}
