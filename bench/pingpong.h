/*
 * bench/pingpong.h -- two threads hand a turn back and forth.
 *
 * One harness for every primitive (condition variable, semaphore, raw futex,
 * spinning) so that the numbers differ only by the primitive.  The measuring
 * thread pings, a partner made with pthread_create pongs; a round trip is
 * one hand-over each way.  Each hand-over wakes a sleeping thread, so on
 * blocking primitives this measures wake-up latency, not the lock word.
 */
#ifndef BENCH_PINGPONG_H
#define BENCH_PINGPONG_H

#include <stdbool.h>

typedef struct bench_pingpong {
	const char *name;	/* the metric: round trips per second */
	void *object;
	/* Measuring thread: give the turn to the partner, wait until it comes back. */
	void (*ping)(void *object);
	/* Partner: wait for the turn and give it back; false once told to finish. */
	bool (*pong)(void *object);
	/* Measuring thread, holding the turn: make the partner's pong return false. */
	void (*finish)(void *object);
	/* Run the two threads on two different CPUs, restoring the measuring
	 * thread's CPU set afterwards.  A spinning hand-over needs it: on one CPU
	 * the spinner holds the CPU its partner needs until the next timer tick.
	 * Without two usable CPUs the measurement is skipped. */
	bool pin_apart;
} bench_pingpong_t;

/* Prints <name> in round trips per second (k/s); fails if the partner
 * counted a different number of round trips than the measuring thread. */
void bench_pingpong(const bench_pingpong_t *pp);

#endif
