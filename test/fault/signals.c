/*
 * test/fault/signals.c -- hand-offs under a storm of signals.
 *
 *   signals [--no-restart] [--handoffs N] [--threads T] [--rate HZ]
 *           [--samples K] [--baseline]
 *
 * Every blocking call of the thread library is a place where a signal can
 * arrive between "I decided to sleep" and "I am asleep", or between "I was
 * woken" and "I noticed".  A library that handles EINTR carelessly loses
 * a wake-up there (a stall), returns early with an error POSIX does not
 * allow, or stretches a timed wait.  So T threads (many more than cores)
 * pass work to each other through each kind of object while a blaster
 * thread sends SIGUSR1 to every one of them, several thousand times a
 * second each, with the handler installed with SA_RESTART or (with
 * --no-restart) without.  Phases: mutex (normal and error-checking;
 * lock, trylock, timedlock), condition variable token ring (wait and
 * clockwait), rwlock, semaphore ring (private, then process-shared),
 * barrier, create+join; then timed waits that must time out; then
 * "handler-sem", where the handler itself posts a semaphore every
 * thread waits on (POSIX makes sem_post async-signal-safe).
 *
 * Checks:
 *  - every hand-off arrives (a lost wake-up is a stall; the watchdog names
 *    the phase) and the shared state is consistent;
 *  - no call returns an error it may not: pthread_mutex_lock,
 *    pthread_cond_wait, pthread_rwlock_*, pthread_barrier_wait and
 *    pthread_join never return EINTR; sem_wait may (only without
 *    SA_RESTART, as glibc's), sem_timedwait may (glibc's does after any
 *    handler: the kernel fails a timed futex wait that a handler
 *    interrupted);
 *  - timed waits that must time out do so, never early, and the lateness
 *    (return time minus deadline) is printed as "lateness NAME ..." for
 *    the runner to compare with glibc's;
 *  - "same: ..." lines state glibc-visible behaviour (does a signal end a
 *    sem_wait?) that must read the same on glibc and libshim.
 * --baseline runs only the timed waits and the "same:" probes: what the
 * runner needs from the glibc run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fault.h"

#define MAX_THREADS 64
#define MAX_VICTIMS (2 * MAX_THREADS + 8)
#define LONG_WAIT_NS 30000000000ull /* "never" for a wait that must succeed */
#define TIMED_WAIT_NS 2000000ull    /* the timeout the lateness is taken on */

static struct {
	bool restart;
	long handoffs;
	int threads;
	unsigned rate_hz;
	int samples;
	bool baseline;
} opt = { true, 20000, 16, 4000, 40, false };

static atomic_long threads_made;

/* ---- signals --------------------------------------------------------- */

static atomic_ulong delivered;
static sem_t handler_sem; /* the handler posts it; the consumer takes */
static atomic_bool handler_posts;
static atomic_ulong handler_posted;

static void on_usr1(int sig)
{
	int saved = errno;
	atomic_fetch_add_explicit(&delivered, 1, memory_order_relaxed);
	if (atomic_load_explicit(&handler_posts, memory_order_relaxed) &&
	    sem_post(&handler_sem) == 0)
		atomic_fetch_add_explicit(&handler_posted, 1,
					  memory_order_relaxed);
	errno = saved;
	(void)sig;
}

static void install_handler(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sa.sa_flags = opt.restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0) {
		perror("sigaction");
		exit(2);
	}
}

/*
 * The victims: long-lived threads by pthread_t (their ids stay valid until
 * joined, and the blaster is stopped before anyone joins them), short-lived
 * ones by kernel tid (tgkill checks the thread group, so a stale tid can at
 * worst hit another thread of this process, which has the handler too).
 */
static pthread_t victims[MAX_VICTIMS];
static atomic_bool victim_ready[MAX_VICTIMS];
static atomic_int nvictims;
static atomic_int child_tid[MAX_THREADS];

static void become_victim(void)
{
	int i = atomic_fetch_add(&nvictims, 1);
	if (i >= MAX_VICTIMS)
		abort();
	victims[i] = pthread_self();
	atomic_store(&victim_ready[i], true);
}

static void clear_victims(void)
{
	for (int i = 0; i < MAX_VICTIMS; i++)
		atomic_store(&victim_ready[i], false);
	atomic_store(&nvictims, 0);
	for (int i = 0; i < MAX_THREADS; i++)
		atomic_store(&child_tid[i], 0);
}

static atomic_bool blaster_stop;
static atomic_ulong sent;

static void *blaster(void *arg)
{
	pid_t pid = getpid();
	struct timespec period = { 0, (long)(1000000000u / opt.rate_hz) };
	while (!atomic_load(&blaster_stop)) {
		int n = atomic_load(&nvictims);
		for (int i = 0; i < n && i < MAX_VICTIMS; i++) {
			if (!atomic_load(&victim_ready[i]))
				continue;
			int e = pthread_kill(victims[i], SIGUSR1);
			CHECK(e == 0 || e == ESRCH, "pthread_kill: %s",
			      fault_errname(e));
			atomic_fetch_add(&sent, 1);
		}
		for (int i = 0; i < MAX_THREADS; i++) {
			pid_t tid = atomic_load(&child_tid[i]);
			if (tid != 0 && syscall(SYS_tgkill, pid, tid, SIGUSR1) == 0)
				atomic_fetch_add(&sent, 1);
		}
		nanosleep(&period, NULL);
	}
	return arg;
}

/* ---- running a phase ------------------------------------------------- */

static pthread_t blaster_thread;

static void start_threads(pthread_t *t, int n, void *(*fn)(void *))
{
	for (int i = 0; i < n; i++) {
		int e = pthread_create(&t[i], NULL, fn, (void *)(intptr_t)i);
		if (e != 0) {
			fprintf(stderr, "pthread_create: %s\n", fault_errname(e));
			exit(2);
		}
		atomic_fetch_add(&threads_made, 1);
	}
}

static atomic_int workers_done;

struct worker {
	void *(*fn)(void *);
	int index;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	become_victim();
	void *ret = w->fn((void *)(intptr_t)w->index);
	atomic_fetch_add(&workers_done, 1);
	return ret;
}

/*
 * Run fn in opt.threads threads with the blaster on.  A pthread_t may be
 * given to pthread_kill only until it is joined, so the workers are
 * joined after the blaster has stopped; pthread_join under signals is
 * the join phase's business (workers there join their children).
 */
static unsigned long run_phase_once(const char *name, void *(*fn)(void *))
{
	pthread_t t[MAX_THREADS];
	struct worker w[MAX_THREADS];
	unsigned long before = atomic_load(&delivered);
	uint64_t t0 = fault_now_ns(CLOCK_MONOTONIC);
	watchdog_phase(name);
	clear_victims();
	atomic_store(&workers_done, 0);
	atomic_store(&blaster_stop, false);
	start_threads(&blaster_thread, 1, blaster);
	for (int i = 0; i < opt.threads; i++) {
		w[i] = (struct worker){ fn, i };
		int e = pthread_create(&t[i], NULL, worker_main, &w[i]);
		if (e != 0) {
			fprintf(stderr, "pthread_create: %s\n", fault_errname(e));
			exit(2);
		}
		atomic_fetch_add(&threads_made, 1);
	}
	while (atomic_load(&workers_done) < opt.threads)
		usleep(2000);
	atomic_store(&blaster_stop, true);
	CHECK0(pthread_join(blaster_thread, NULL));
	for (int i = 0; i < opt.threads; i++) {
		void *ret;
		int e = pthread_join(t[i], &ret);
		CHECK(e == 0, "%s: pthread_join: %s", name, fault_errname(e));
		CHECK(ret == (void *)(intptr_t)i, "%s: join returned %p",
		      name, ret);
	}
	unsigned long got = atomic_load(&delivered) - before;
	printf("phase %-10s %.2f s, %lu signals delivered\n", name,
	       (double)(fault_now_ns(CLOCK_MONOTONIC) - t0) / 1e9, got);
	fflush(stdout);
	return got;
}

/* A phase that proves nothing (it ended before any signal landed, as a
 * short one can on a slow machine or under valgrind) runs again, from the
 * state reset() sets up: the phase's checks count one run's work. */
static void run_phase(const char *name, void *(*fn)(void *),
		      void (*reset)(void))
{
	unsigned long got = 0;
	for (int attempt = 0; attempt < 5 && got == 0; attempt++) {
		if (reset)
			reset();
		got = run_phase_once(name, fn);
	}
	CHECK(got > 0, "%s: no signal was delivered: the test proves nothing",
	      name);
}

static long share(int i)
{
	long n = opt.handoffs / opt.threads;
	return i == 0 ? opt.handoffs - n * (opt.threads - 1) : n;
}

static void tick(void)
{
	atomic_fetch_add_explicit(&fault_progress, 1, memory_order_relaxed);
}

/* ---- mutex ----------------------------------------------------------- */

struct guarded {
	pthread_mutex_t m;
	long count;         /* under m */
	_Atomic int holder; /* who is inside, -1: nobody */
};
static struct guarded mtx_normal = { PTHREAD_MUTEX_INITIALIZER, 0, -1 };
static struct guarded mtx_check = {
	PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP, 0, -1
};

static void mutex_round(struct guarded *g, int me, long k)
{
	int e;
	if (k % 8 == 7) {
		struct timespec ts = fault_ts_after(CLOCK_REALTIME, LONG_WAIT_NS);
		e = pthread_mutex_timedlock(&g->m, &ts);
		CHECK(e == 0, "pthread_mutex_timedlock: %s", fault_errname(e));
	} else if (k % 8 == 3) {
		while ((e = pthread_mutex_trylock(&g->m)) == EBUSY)
			sched_yield();
		CHECK(e == 0, "pthread_mutex_trylock: %s", fault_errname(e));
	} else {
		e = pthread_mutex_lock(&g->m);
		CHECK(e == 0, "pthread_mutex_lock: %s", fault_errname(e));
	}
	if (e != 0)
		return;
	int was = atomic_exchange(&g->holder, me);
	CHECK(was == -1, "mutex held by %d and %d at once", was, me);
	g->count++;
	/* Now and then give the CPU away holding the lock: the others
	 * queue up and the unlock becomes a hand-off to a sleeper. */
	if (k % 4 == 0)
		sched_yield();
	atomic_store(&g->holder, -1);
	e = pthread_mutex_unlock(&g->m);
	CHECK(e == 0, "pthread_mutex_unlock: %s", fault_errname(e));
}

/* Even threads share a normal mutex, odd ones an error-checking one. */
static void *mutex_worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	long n = share(me);
	for (long k = 0; k < n; k++) {
		mutex_round(me % 2 ? &mtx_check : &mtx_normal, me, k);
		tick();
	}
	return arg;
}

static void mutex_reset(void)
{
	mtx_normal.count = mtx_check.count = 0;
}

static void phase_mutex(void)
{
	run_phase("mutex", mutex_worker, mutex_reset);
	long total = mtx_normal.count + mtx_check.count;
	CHECK(total == opt.handoffs, "mutex: %ld increments, want %ld", total,
	      opt.handoffs);
}

/* ---- condition variable: a token ring -------------------------------- */

static pthread_mutex_t ring_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ring_cond[MAX_THREADS];
static int ring_turn;
static long ring_passes;

static void *cond_worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	CHECK0(pthread_mutex_lock(&ring_mtx));
	for (;;) {
		while (ring_turn != me && ring_passes < opt.handoffs) {
			int e;
			if (me % 2) {
				struct timespec ts = fault_ts_after(
					CLOCK_MONOTONIC, LONG_WAIT_NS);
				e = pthread_cond_clockwait(&ring_cond[me],
							   &ring_mtx,
							   CLOCK_MONOTONIC, &ts);
			} else {
				e = pthread_cond_wait(&ring_cond[me], &ring_mtx);
			}
			CHECK(e == 0, "cond wait (thread %d): %s", me,
			      fault_errname(e));
			if (e != 0)
				goto out;
		}
		if (ring_passes >= opt.handoffs)
			break;
		ring_passes++;
		tick();
		ring_turn = (me + 1) % opt.threads;
		CHECK0(pthread_cond_signal(&ring_cond[ring_turn]));
	}
out:
	/* Whoever leaves the ring wakes everybody to see the end. */
	for (int i = 0; i < opt.threads; i++)
		CHECK0(pthread_cond_signal(&ring_cond[i]));
	CHECK0(pthread_mutex_unlock(&ring_mtx));
	return arg;
}

static void ring_reset(void)
{
	ring_turn = 0;
	ring_passes = 0;
}

static void phase_cond(void)
{
	for (int i = 0; i < opt.threads; i++) {
		pthread_condattr_t a;
		pthread_condattr_init(&a);
		pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
		CHECK0(pthread_cond_init(&ring_cond[i], &a));
		pthread_condattr_destroy(&a);
	}
	run_phase("cond", cond_worker, ring_reset);
	CHECK(ring_passes == opt.handoffs, "cond: %ld passes, want %ld",
	      ring_passes, opt.handoffs);
	for (int i = 0; i < opt.threads; i++)
		CHECK0(pthread_cond_destroy(&ring_cond[i]));
}

/* ---- rwlock ---------------------------------------------------------- */

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long rw_a, rw_b;
static atomic_long rw_writes;

static void *rwlock_worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	bool writer = me % 4 == 0;
	long n = share(me);
	for (long k = 0; k < n; k++) {
		struct timespec ts = fault_ts_after(CLOCK_REALTIME, LONG_WAIT_NS);
		int e;
		if (writer) {
			e = k % 2 ? pthread_rwlock_timedwrlock(&rw, &ts)
				  : pthread_rwlock_wrlock(&rw);
			CHECK(e == 0, "rwlock write lock: %s", fault_errname(e));
			if (e != 0)
				continue;
			rw_a++;
			sched_yield(); /* let readers queue up */
			rw_b++;
			atomic_fetch_add(&rw_writes, 1);
		} else {
			e = k % 2 ? pthread_rwlock_timedrdlock(&rw, &ts)
				  : pthread_rwlock_rdlock(&rw);
			CHECK(e == 0, "rwlock read lock: %s", fault_errname(e));
			if (e != 0)
				continue;
			CHECK(rw_a == rw_b, "reader saw a half-done write");
			if (k % 8 == 0)
				sched_yield(); /* let a writer queue up */
		}
		e = pthread_rwlock_unlock(&rw);
		CHECK(e == 0, "pthread_rwlock_unlock: %s", fault_errname(e));
		tick();
	}
	return arg;
}

static void rwlock_reset(void)
{
	rw_a = rw_b = 0;
	atomic_store(&rw_writes, 0);
}

static void phase_rwlock(void)
{
	run_phase("rwlock", rwlock_worker, rwlock_reset);
	CHECK(rw_a == atomic_load(&rw_writes) && rw_b == rw_a,
	      "rwlock: %ld/%ld writes seen, %ld made", rw_a, rw_b,
	      atomic_load(&rw_writes));
}

/* ---- semaphores: a ring, private then process-shared ----------------- */

static sem_t ring_sem[MAX_THREADS];
static long sem_target; /* passes the ring makes */
static atomic_long sem_passes;
static atomic_long sem_eintr;

/* One sem_wait or sem_timedwait that must succeed, retried after the
 * EINTRs glibc gives and counted. */
static void sem_take(sem_t *s, bool timed)
{
	for (;;) {
		int r;
		if (timed) {
			struct timespec ts =
				fault_ts_after(CLOCK_REALTIME, LONG_WAIT_NS);
			r = sem_timedwait(s, &ts);
		} else {
			r = sem_wait(s);
		}
		if (r == 0)
			return;
		int e = errno;
		/* glibc: an untimed wait is restarted after an SA_RESTART
		 * handler; a timed one is not. */
		bool allowed = e == EINTR && (timed || !opt.restart);
		CHECK(allowed, "%s: %s", timed ? "sem_timedwait" : "sem_wait",
		      fault_errname(e));
		if (!allowed)
			return;
		atomic_fetch_add(&sem_eintr, 1);
	}
}

static void *sem_worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	for (;;) {
		sem_take(&ring_sem[me], me % 2);
		long p = atomic_fetch_add(&sem_passes, 1);
		tick();
		/* Pass on even at the end: the next thread must see it. */
		CHECK0(sem_post(&ring_sem[(me + 1) % opt.threads]));
		if (p >= sem_target)
			break;
	}
	return arg;
}

static int sem_pshared;

/* A run leaves units in the ring's semaphores: start from one token. */
static void sem_reset(void)
{
	for (int i = 0; i < opt.threads; i++)
		CHECK0(sem_init(&ring_sem[i], sem_pshared, i == 0));
	atomic_store(&sem_passes, 0);
	atomic_store(&sem_eintr, 0);
}

static void phase_sem(const char *name, int pshared, long passes)
{
	sem_target = passes;
	sem_pshared = pshared;
	run_phase(name, sem_worker, sem_reset);
	/* Each thread leaves after taking one pass at or past the end. */
	long want = passes + opt.threads;
	CHECK(atomic_load(&sem_passes) == want, "sem: %ld passes, want %ld",
	      atomic_load(&sem_passes), want);
	printf("%s: %ld EINTR returns\n", name, atomic_load(&sem_eintr));
	for (int i = 0; i < opt.threads; i++)
		CHECK0(sem_destroy(&ring_sem[i]));
}

/* ---- barrier --------------------------------------------------------- */

static pthread_barrier_t barrier;
static atomic_long barrier_rounds;
static atomic_long barrier_serial;

static void *barrier_worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	long rounds = opt.handoffs / opt.threads;
	for (long r = 0; r < rounds; r++) {
		int e = pthread_barrier_wait(&barrier);
		CHECK(e == 0 || e == PTHREAD_BARRIER_SERIAL_THREAD,
		      "pthread_barrier_wait: %s", fault_errname(e));
		if (e == PTHREAD_BARRIER_SERIAL_THREAD) {
			atomic_fetch_add(&barrier_serial, 1);
			atomic_fetch_add(&barrier_rounds, 1);
		}
		/* Everyone must see this round's serial thread's count
		 * before anyone can start the next round. */
		e = pthread_barrier_wait(&barrier);
		CHECK(e == 0 || e == PTHREAD_BARRIER_SERIAL_THREAD,
		      "pthread_barrier_wait: %s", fault_errname(e));
		long seen = atomic_load(&barrier_rounds);
		CHECK(seen == r + 1, "thread %d in round %ld sees %ld rounds",
		      me, r, seen);
		if (e == PTHREAD_BARRIER_SERIAL_THREAD)
			atomic_fetch_add(&barrier_serial, 1);
		tick();
		/* And nobody may start the next round early. */
		e = pthread_barrier_wait(&barrier);
		CHECK(e == 0 || e == PTHREAD_BARRIER_SERIAL_THREAD,
		      "pthread_barrier_wait: %s", fault_errname(e));
	}
	return arg;
}

static void barrier_reset(void)
{
	atomic_store(&barrier_rounds, 0);
	atomic_store(&barrier_serial, 0);
}

static void phase_barrier(void)
{
	CHECK0(pthread_barrier_init(&barrier, NULL, (unsigned)opt.threads));
	run_phase("barrier", barrier_worker, barrier_reset);
	long rounds = opt.handoffs / opt.threads;
	CHECK(atomic_load(&barrier_serial) == 2 * rounds,
	      "barrier: %ld serial threads in %ld rounds (want 2 a round)",
	      atomic_load(&barrier_serial), rounds);
	CHECK0(pthread_barrier_destroy(&barrier));
}

/* ---- join ------------------------------------------------------------ */

static void *child(void *arg)
{
	int slot = (int)((intptr_t)arg >> 32);
	atomic_store(&child_tid[slot], gettid());
	sched_yield();
	atomic_store(&child_tid[slot], 0);
	return arg;
}

static void *join_worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	long n = share(me) / 2 + 1; /* a create and a join per hand-off */
	for (long k = 0; k < n; k++) {
		pthread_t t;
		void *want = (void *)(((intptr_t)me << 32) | (k & 0xffff));
		int e = pthread_create(&t, NULL, child, want);
		CHECK(e == 0, "pthread_create: %s", fault_errname(e));
		if (e != 0)
			continue;
		atomic_fetch_add(&threads_made, 1);
		void *got;
		if (k % 3 == 2) {
			struct timespec ts =
				fault_ts_after(CLOCK_REALTIME, LONG_WAIT_NS);
			e = pthread_timedjoin_np(t, &got, &ts);
		} else {
			e = pthread_join(t, &got);
		}
		CHECK(e == 0, "join: %s", fault_errname(e));
		CHECK(e != 0 || got == want, "join returned %p, want %p", got,
		      want);
		tick();
	}
	return arg;
}

static void phase_join(void)
{
	run_phase("join", join_worker, NULL);
}

/* ---- timed waits: lateness ------------------------------------------- */

enum { TW_COND, TW_COND_MONO, TW_MUTEX, TW_RDLOCK, TW_WRLOCK, TW_SEM,
       TW_JOIN, TW_N };
static const char *const tw_name[TW_N] = {
	"cond_timedwait", "cond_clockwait", "mutex_timedlock",
	"rwlock_timedrdlock", "rwlock_timedwrlock", "sem_timedwait",
	"timedjoin_np",
};

static pthread_mutex_t tw_held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t tw_cond_mtx[MAX_THREADS];
static pthread_cond_t tw_cond[MAX_THREADS]; /* one each: one mutex each */
static pthread_rwlock_t tw_wrheld = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t tw_rdheld = PTHREAD_RWLOCK_INITIALIZER;
static sem_t tw_sem;
static pthread_t tw_sleeper[MAX_THREADS]; /* one joiner each */
static int tw_pipe[2];
static int64_t *tw_late[TW_N]; /* ns, opt.threads * opt.samples each */

static void *sleeper(void *arg)
{
	char c;
	while (read(tw_pipe[0], &c, 1) < 0 && errno == EINTR)
		continue;
	return arg;
}

/* One wait that must time out; returns its lateness in ns. */
static int64_t timed_once(int what, int me)
{
	clockid_t clock = what == TW_COND_MONO ? CLOCK_MONOTONIC
					       : CLOCK_REALTIME;
	struct timespec ts = fault_ts_after(clock, TIMED_WAIT_NS);
	int e = 0;
	switch (what) {
	case TW_COND:
	case TW_COND_MONO:
		CHECK0(pthread_mutex_lock(&tw_cond_mtx[me]));
		/* Spurious wake-ups are allowed: wait out the deadline. */
		do
			e = what == TW_COND
				? pthread_cond_timedwait(&tw_cond[me],
							 &tw_cond_mtx[me], &ts)
				: pthread_cond_clockwait(&tw_cond[me],
							 &tw_cond_mtx[me],
							 CLOCK_MONOTONIC, &ts);
		while (e == 0);
		CHECK0(pthread_mutex_unlock(&tw_cond_mtx[me]));
		break;
	case TW_MUTEX:
		e = pthread_mutex_timedlock(&tw_held, &ts);
		break;
	case TW_RDLOCK:
		e = pthread_rwlock_timedrdlock(&tw_wrheld, &ts);
		break;
	case TW_WRLOCK:
		e = pthread_rwlock_timedwrlock(&tw_rdheld, &ts);
		break;
	case TW_SEM:
		/* EINTR is glibc's answer after a handler: wait again for
		 * the same deadline. */
		while (sem_timedwait(&tw_sem, &ts) != 0 &&
		       (e = errno) == EINTR)
			continue;
		break;
	default:
		e = pthread_timedjoin_np(tw_sleeper[me], NULL, &ts);
		break;
	}
	int64_t late = (int64_t)fault_now_ns(clock) -
		       ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
	CHECK(e == ETIMEDOUT, "%s: %s, want ETIMEDOUT", tw_name[what],
	      fault_errname(e));
	CHECK(late >= 0, "%s returned %lld ns before its deadline",
	      tw_name[what], (long long)-late);
	return late;
}

static void *timed_worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	for (int k = 0; k < opt.samples; k++) {
		for (int w = 0; w < TW_N; w++) {
			tw_late[w][me * opt.samples + k] = timed_once(w, me);
			tick();
		}
	}
	return arg;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void phase_timed(void)
{
	int n = opt.threads * opt.samples;
	for (int w = 0; w < TW_N; w++)
		tw_late[w] = calloc((size_t)n, sizeof(int64_t));
	for (int i = 0; i < opt.threads; i++) {
		CHECK0(pthread_mutex_init(&tw_cond_mtx[i], NULL));
		CHECK0(pthread_cond_init(&tw_cond[i], NULL));
	}
	CHECK0(pthread_mutex_lock(&tw_held));
	CHECK0(pthread_rwlock_wrlock(&tw_wrheld));
	CHECK0(pthread_rwlock_rdlock(&tw_rdheld));
	CHECK0(sem_init(&tw_sem, 0, 0));
	if (pipe(tw_pipe) != 0)
		exit(2);
	start_threads(tw_sleeper, opt.threads, sleeper);

	run_phase("timed", timed_worker, NULL);

	/* Any sleeper may take any byte: write them all, then join. */
	for (int i = 0; i < opt.threads; i++)
		CHECK(write(tw_pipe[1], "x", 1) == 1, "write");
	for (int i = 0; i < opt.threads; i++) {
		CHECK0(pthread_join(tw_sleeper[i], NULL));
		CHECK0(pthread_cond_destroy(&tw_cond[i]));
	}
	close(tw_pipe[0]);
	close(tw_pipe[1]);
	CHECK0(pthread_mutex_unlock(&tw_held));
	CHECK0(pthread_rwlock_unlock(&tw_wrheld));
	CHECK0(pthread_rwlock_unlock(&tw_rdheld));
	for (int w = 0; w < TW_N; w++) {
		qsort(tw_late[w], (size_t)n, sizeof(int64_t), cmp_i64);
		printf("lateness %s n=%d p50=%lldus p99=%lldus max=%lldus\n",
		       tw_name[w], n, (long long)tw_late[w][n / 2] / 1000,
		       (long long)tw_late[w][n * 99 / 100] / 1000,
		       (long long)tw_late[w][n - 1] / 1000);
		free(tw_late[w]);
	}
}

/* ---- does a signal end a sem_wait? (must read as on glibc) ----------- */

static sem_t probe_sem;
static bool probe_timed;
static _Atomic int probe_result = 1; /* 1: still waiting */

static void *probe_waiter(void *arg)
{
	int r;
	if (probe_timed) {
		struct timespec ts = fault_ts_after(CLOCK_REALTIME, LONG_WAIT_NS);
		r = sem_timedwait(&probe_sem, &ts);
	} else {
		r = sem_wait(&probe_sem);
	}
	atomic_store(&probe_result, r == 0 ? 0 : errno);
	return arg;
}

static void phase_probe(void)
{
	watchdog_phase("probe");
	for (int pshared = 0; pshared < 2; pshared++) {
		for (int timed = 0; timed < 2; timed++) {
			pthread_t t;
			CHECK0(sem_init(&probe_sem, pshared, 0));
			probe_timed = timed;
			atomic_store(&probe_result, 1);
			start_threads(&t, 1, probe_waiter);
			/* Let it fall asleep; then interrupt it once. */
			usleep(50000);
			CHECK0(pthread_kill(t, SIGUSR1));
			usleep(100000);
			int r = atomic_load(&probe_result);
			if (r == 1)
				CHECK0(sem_post(&probe_sem));
			CHECK0(pthread_join(t, NULL));
			printf("same: %s on a %s semaphore, SIGUSR1 handler %s"
			       "SA_RESTART: %s\n",
			       timed ? "sem_timedwait" : "sem_wait",
			       pshared ? "shared" : "private",
			       opt.restart ? "with " : "without ",
			       r == 1 ? "keeps waiting"
				      : r == 0 ? "returns 0"
					       : fault_errname(r));
			CHECK0(sem_destroy(&probe_sem));
		}
	}
}

/* ---- a handler posts: sem_post is async-signal-safe ----------------- */

static atomic_bool consumer_stop;
static atomic_ulong consumed;

/* Take the handlers' posts until the phase has seen enough of them.
 * Every fourth thread polls with an expired deadline, which keeps it in
 * the semaphore's slow path (and its internal lock) much of the time. */
static void *consumer(void *arg)
{
	int me = (int)(intptr_t)arg;
	bool poll = me % 4 == 1;
	unsigned long target = (unsigned long)opt.handoffs;
	const struct timespec past = { 0, 0 };
	while (!atomic_load(&consumer_stop)) {
		int r = poll ? sem_timedwait(&handler_sem, &past)
			     : sem_wait(&handler_sem);
		if (r != 0) {
			int e = errno;
			bool allowed = poll ? e == EINTR || e == ETIMEDOUT
					    : e == EINTR && !opt.restart;
			CHECK(allowed, "%s: %s",
			      poll ? "sem_timedwait" : "sem_wait",
			      fault_errname(e));
			continue;
		}
		tick();
		if (atomic_fetch_add(&consumed, 1) + 1 == target) {
			/* Release the others: one unit each. */
			atomic_store(&consumer_stop, true);
			for (int i = 0; i < opt.threads; i++)
				CHECK0(sem_post(&handler_sem));
		}
	}
	return arg;
}

/*
 * Every worker waits on handler_sem and only the signal handlers post it,
 * so every post lands on a thread somewhere inside sem_wait or sem_post --
 * in its own wait on that semaphore too, and, with more threads than
 * cores, while it is preempted with the semaphore's internal lock held
 * (the signal is delivered when it runs again).  Every post must arrive.
 */
/* The handlers post only while handler_posts is set, so a reset between
 * runs (when nothing is inside the semaphore) starts the count afresh. */
static void handler_sem_reset(void)
{
	atomic_store(&handler_posts, false);
	CHECK0(sem_init(&handler_sem, 0, 0));
	atomic_store(&consumer_stop, false);
	atomic_store(&consumed, 0);
	atomic_store(&handler_posted, 0);
	atomic_store(&handler_posts, true);
}

static void phase_handler_sem(void)
{
	run_phase("handler-sem", consumer, handler_sem_reset);
	atomic_store(&handler_posts, false);
	unsigned long left = 0;
	while (sem_trywait(&handler_sem) == 0)
		left++;
	unsigned long posts = atomic_load(&handler_posted) +
			      (unsigned long)opt.threads;
	CHECK(atomic_load(&consumed) + left == posts,
	      "handler semaphore: %lu taken + %lu left, %lu posted",
	      atomic_load(&consumed), left, posts);
	CHECK0(sem_destroy(&handler_sem));
}

static void usage(void)
{
	fprintf(stderr, "usage: signals [--no-restart] [--handoffs N] "
			"[--threads T] [--rate HZ] [--samples K] "
			"[--baseline]\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--no-restart"))
			opt.restart = false;
		else if (!strcmp(a, "--baseline"))
			opt.baseline = true;
		else if (v && !strcmp(a, "--handoffs") && ++i)
			opt.handoffs = atol(v);
		else if (v && !strcmp(a, "--threads") && ++i)
			opt.threads = atoi(v);
		else if (v && !strcmp(a, "--rate") && ++i)
			opt.rate_hz = (unsigned)atoi(v);
		else if (v && !strcmp(a, "--samples") && ++i)
			opt.samples = atoi(v);
		else
			usage();
	}
	if (opt.threads < 2 || opt.threads > MAX_THREADS || opt.rate_hz == 0 ||
	    opt.handoffs < opt.threads || opt.samples < 1)
		usage();
}

int main(int argc, char **argv)
{
	parse(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("signals: %d threads on %ld cpus, SIGUSR1 at %u Hz to each, "
	       "handler %s SA_RESTART, %ld hand-offs a phase\n",
	       opt.threads, sysconf(_SC_NPROCESSORS_ONLN), opt.rate_hz,
	       opt.restart ? "with" : "without", opt.handoffs);
	install_handler();
	watchdog_start(10);

	if (!opt.baseline) {
		phase_mutex();
		phase_cond();
		phase_rwlock();
		phase_sem("sem", 0, opt.handoffs);
		phase_sem("sem-shared", 1, opt.handoffs);
		phase_barrier();
		phase_join();
	}
	phase_timed();
	phase_probe();
	if (!opt.baseline)
		phase_handler_sem();

	printf("signals: %lu sent, %lu delivered\n", atomic_load(&sent),
	       atomic_load(&delivered));
	fault_exit(atomic_load(&threads_made));
}
