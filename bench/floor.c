/*
 * bench/floor.c -- what the hardware and the kernel allow, measured in the
 * same run as the thread libraries, so that every pthread number can be read
 * as "this many times the floor".
 *
 *   floor.cas_pair            a CAS acquire and a release store: the least an
 *                             uncontended lock+unlock can cost.
 *   floor.futex_wake_nowaiter one FUTEX_WAKE nobody waits on: what an unlock
 *                             pays if it cannot tell that nobody sleeps.
 *   floor.futex_pingpong.*    two threads hand a turn over with FUTEX_WAIT /
 *                             FUTEX_WAKE: the least a blocking hand-over costs,
 *                             on one CPU and across two (see pingpong.h).
 *   floor.spin_pingpong.cross_cpu  the same, spinning on two CPUs: the
 *                             cache-line round trip, the least any hand-over
 *                             between two running threads costs.
 *   floor.clone_wait          clone a thread that returns at once and wait for
 *                             its exit on the CLONE_CHILD_CLEARTID word: the
 *                             least pthread_create+pthread_join can cost (the
 *                             stack is reused, as thread libraries cache theirs).
 *   floor.futex_mutex.*       a plain three-state futex mutex (0 free, 1 held,
 *                             2 held with sleepers) in the contended harness.
 *
 * The helper threads of the ping-pongs come from pthread_create, but once
 * running they touch only raw atomics and system calls, so the floors do not
 * depend on the thread library in the process.
 */
#include "bench.h"
#include "contend.h"
#include "futex.h"
#include "pingpong.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

static void cas_pair(void)
{
	static _Atomic int word;
	int failures = 0;
	double ns;

	if (!bench_wanted("floor.cas_pair"))
		return;
	BENCH_PER_OP(ns, BENCH_ON_CPU, int expected = 0;
		     failures += !atomic_compare_exchange_strong_explicit(
			     &word, &expected, 1, memory_order_acquire, memory_order_relaxed);
		     atomic_store_explicit(&word, 0, memory_order_release));
	if (failures)
		bench_fail("floor.cas_pair: %d CAS on a free word failed", failures);
	bench_metric("floor.cas_pair", ns, "ns", false);
}

static void futex_wake_nowaiter(void)
{
	static _Atomic int word;
	double ns;

	if (!bench_wanted("floor.futex_wake_nowaiter"))
		return;
	BENCH_PER_OP(ns, BENCH_ON_CPU, futex_wake(&word, 1));
	bench_metric("floor.futex_wake_nowaiter", ns, "ns", false);
}

/* The turn word of both raw ping-pongs. */
enum { TURN_MAIN, TURN_PARTNER, TURN_DONE };

static void futex_hand_over(_Atomic int *turn, int to)
{
	atomic_store_explicit(turn, to, memory_order_release);
	futex_wake(turn, 1);
}

static void futex_ping(void *object)
{
	_Atomic int *turn = object;

	futex_hand_over(turn, TURN_PARTNER);
	while (atomic_load_explicit(turn, memory_order_acquire) != TURN_MAIN)
		futex_wait(turn, TURN_PARTNER);
}

static bool futex_pong(void *object)
{
	_Atomic int *turn = object;
	int t;

	while ((t = atomic_load_explicit(turn, memory_order_acquire)) == TURN_MAIN)
		futex_wait(turn, TURN_MAIN);
	if (t == TURN_DONE) {
		/* The measuring thread is in pthread_join, not waiting: reset the
		 * turn without a wake-up; the join orders it before the next run. */
		atomic_store_explicit(turn, TURN_MAIN, memory_order_relaxed);
		return false;
	}
	futex_hand_over(turn, TURN_MAIN);
	return true;
}

static void futex_finish(void *object)
{
	futex_hand_over(object, TURN_DONE);
}

/* The CPU's spin-wait hint: the floors spin as libshim's waits do. */
static inline void spin_pause(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#endif
}

static void spin_ping(void *object)
{
	_Atomic int *turn = object;

	atomic_store_explicit(turn, TURN_PARTNER, memory_order_release);
	while (atomic_load_explicit(turn, memory_order_acquire) != TURN_MAIN)
		spin_pause();
}

static bool spin_pong(void *object)
{
	_Atomic int *turn = object;
	int t;

	while ((t = atomic_load_explicit(turn, memory_order_acquire)) == TURN_MAIN)
		spin_pause();
	atomic_store_explicit(turn, TURN_MAIN, memory_order_release);
	return t != TURN_DONE;
}

static void spin_finish(void *object)
{
	atomic_store_explicit((_Atomic int *)object, TURN_DONE, memory_order_release);
}

static _Atomic int clone_children_ran;

static int clone_child(void *unused)
{
	/* No thread pointer of its own and no libc state: touch nothing but this. */
	atomic_fetch_add_explicit(&clone_children_ran, 1, memory_order_relaxed);
	return 0;
}

static void clone_and_wait(char *stack_top)
{
	/* CLONE_PARENT_SETTID stores the tid before clone returns, so the wait
	 * below cannot miss it; CLONE_CHILD_CLEARTID zeroes it and wakes us once
	 * the child no longer uses its stack.  The kernel's wake is not private,
	 * hence the shared FUTEX_WAIT. */
	static _Atomic int tid;
	const int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			  CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	int t;

	if (clone(clone_child, stack_top, flags, NULL, &tid, NULL, &tid) < 0)
		bench_fail("clone: %s", strerror(errno));
	while ((t = atomic_load_explicit(&tid, memory_order_acquire)) != 0)
		syscall(SYS_futex, &tid, BENCH_FUTEX_WAIT_SHARED, t, NULL, NULL, 0);
}

static void clone_wait(void)
{
	enum { STACK_SIZE = 64 * 1024 };
	double ns;
	uint64_t clones = 0;

	if (!bench_wanted("floor.clone_wait"))
		return;
	char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		bench_fail("mmap: %s", strerror(errno));
	BENCH_PER_OP(ns, BENCH_WALL, clone_and_wait(stack + STACK_SIZE); clones++);
	if ((uint64_t)atomic_load(&clone_children_ran) != clones)
		bench_fail("floor.clone_wait: %llu clones but %d children ran",
			   (unsigned long long)clones, atomic_load(&clone_children_ran));
	munmap(stack, STACK_SIZE);
	bench_metric("floor.clone_wait", ns / 1e3, "us", false);
}

static void futex_mutex_lock(void *object)
{
	_Atomic int *m = object;
	int c = 0;

	if (atomic_compare_exchange_strong_explicit(m, &c, 1, memory_order_acquire,
						    memory_order_relaxed))
		return;
	/* Mark "held with sleepers" before sleeping, so the unlocker knows to
	 * wake; whoever takes the lock from here keeps the 2, which may cost one
	 * needless wake-up but never a lost one. */
	if (c != 2)
		c = atomic_exchange_explicit(m, 2, memory_order_acquire);
	while (c != 0) {
		futex_wait(m, 2);
		c = atomic_exchange_explicit(m, 2, memory_order_acquire);
	}
}

static void futex_mutex_unlock(void *object)
{
	_Atomic int *m = object;

	if (atomic_exchange_explicit(m, 0, memory_order_release) == 2)
		futex_wake(m, 1);
}

int main(int argc, char **argv)
{
	static _Atomic int futex_turn, spin_turn;
	/* Alone on its cache line in every build (see contend.h). */
	static struct {
		_Alignas(64) _Atomic int word;
	} futex_mutex;
	const bench_pingpong_t futex_pp = { "floor.futex_pingpong", &futex_turn,
					    futex_ping, futex_pong, futex_finish };
	const bench_pingpong_t spin_pp = { "floor.spin_pingpong", &spin_turn,
					   spin_ping, spin_pong, spin_finish, true };
	const bench_lock_t lock = { "floor.futex_mutex", &futex_mutex.word,
				    futex_mutex_lock, futex_mutex_unlock };

	bench_init(argc, argv);
	cas_pair();
	futex_wake_nowaiter();
	bench_pingpong(&futex_pp);
	bench_pingpong(&spin_pp);
	clone_wait();
	bench_contended(&lock);
	return 0;
}
