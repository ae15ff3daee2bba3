/*
 * bench/pingpong.h -- two threads hand a turn back and forth.
 *
 * One harness for every primitive (condition variable, semaphore, raw futex,
 * spinning) so that the numbers differ only by the primitive.  The measuring
 * thread pings, a partner made with pthread_create pongs; a round trip is
 * one hand-over each way.
 *
 * Where the two threads run decides the result more than the primitive
 * does, so the harness fixes it and reports both cases:
 *   <name>.same_cpu   both threads on one CPU: every hand-over is a sleep
 *                     and a wake-up plus a context switch, the pure software
 *                     path of the primitive;
 *   <name>.cross_cpu  one thread per CPU: a primitive that spins briefly
 *                     before sleeping can catch the hand-over without any
 *                     system call; one that does not pays a cross-CPU wake-up.
 * Left to the scheduler, the same binary swings between the two from run to
 * run, which would make the comparison noise.
 */
#ifndef BENCH_PINGPONG_H
#define BENCH_PINGPONG_H

#include <stdbool.h>

typedef struct bench_pingpong {
	const char *name;	/* metric prefix: round trips per second */
	void *object;
	/* Measuring thread: give the turn to the partner, wait until it comes back. */
	void (*ping)(void *object);
	/* Partner: wait for the turn and give it back.  Once told to finish,
	 * put the object back in its initial state and return false. */
	bool (*pong)(void *object);
	/* Measuring thread, holding the turn: make the partner's pong return false. */
	void (*finish)(void *object);
	/* Spinning hand-overs only make sense across CPUs: on one CPU the
	 * spinner holds the CPU its partner needs until the next timer tick. */
	bool cross_cpu_only;
} bench_pingpong_t;

/* Prints <name>.same_cpu and <name>.cross_cpu in round trips per second
 * (k/s); fails if the partner counted a different number of round trips than
 * the measuring thread.  A placement the machine cannot give (one CPU) is
 * skipped with a "#skip" line. */
void bench_pingpong(const bench_pingpong_t *pp);

#endif
