/*
 * libshim/profile.c -- the diagnostics' hooks (profile.h) and the
 * contention profiler (SHIM_STATS; options parsed in stats.c).
 *
 * What is measured, and where.  A profiler that watches only the park
 * layer sees sleeps, not acquisitions: a contended acquisition may park
 * several times (woken, barged, parked again), or never (it spun, or
 * yielded, and got in), and an idle condvar wait is a sleep too.  So the
 * objects call in at the top of every lock, trylock and unlock when
 * shim_diag is set (one load and an untaken branch when it is not), and
 * diag_lock runs the acquisition as a program measuring itself would: a
 * trylock first -- success is an uncontended acquisition -- then the
 * object's blocking path, timed from its start to its return, so a wait
 * includes every spin, yield and park in it.  Condvars have a table of
 * their own: a wait on one is the program waiting for work, not for a lock.
 *
 * Per lock (address and kind) one row of counters: acquisitions,
 * contended ones, their total and longest wait, owner changes (the
 * acquirer was not the thread that took it last), and with SHIM_STATS=hold
 * the time each acquisition kept it (the thread's held set remembers when
 * it was taken, so unlock needs no look-up).  Per (lock, call stack) a site
 * row counts contended acquisitions and their wait; the report prints the
 * stack that waited longest for each lock.  The call stack is taken with
 * the unwinder only once it is loaded (at the first thread creation), never
 * loaded from here: dlopen inside a lock call can deadlock on the loader's
 * lock.
 *
 * The tables are mapped once when profiling starts and never grow: rows
 * are claimed with a CAS on their key and counted with relaxed atomics, so
 * nothing on the lock path allocates, locks or blocks.  A full table drops
 * what does not fit and says so in the report.  An address reused for
 * another lock of the same kind (a freed and reallocated object) shares
 * its row: the profiler knows addresses, not lifetimes.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "libshim/diag.h"
#include "libshim/shim.h"
#include "libshim/symbol.h"
#include "libshim/thread.h"
#include "libshim/unwind.h"
#include "libshim/vg.h"

unsigned shim_diag;
__thread struct diag_thread diag_self __attribute__((tls_model("initial-exec")));

struct prof_row {
	_Atomic uint64_t key; /* address | kind << 56; 0: free */
	_Atomic pid_t last_tid;
	/* Locks: acquisitions, contended ones, wait, hold, owner changes.
	 * Condvars: acq counts waits, contended the ones that timed out. */
	_Atomic uint64_t acq, contended, wait_ns, wait_max, hold_ns, hold_max,
		changes;
	/* Condvars only. */
	_Atomic uint64_t signals, broadcasts, unheard;
};

struct prof_site {
	_Atomic uint64_t key; /* a hash of row and frames; 0: free */
	_Atomic int ready;    /* frames written */
	uint32_t row;
	unsigned nframes;
	uintptr_t frames[DIAG_FRAMES_MAX];
	_Atomic uint64_t count, wait_ns;
};

#define ROWS  (1u << 14) /* powers of two */
#define SITES (1u << 13)
static struct prof_row *rows;
static struct prof_site *sites;
static _Atomic unsigned long rows_dropped, sites_dropped;
static struct prof_opts opts;

static const char *const kind_names[PROF_KINDS] = {
	[PROF_NONE] = "?",           [PROF_MUTEX] = "mutex",
	[PROF_COND] = "condvar",     [PROF_RWLOCK_RD] = "rwlock-rd",
	[PROF_RWLOCK_WR] = "rwlock-wr", [PROF_SEM] = "semaphore",
	[PROF_BARRIER] = "barrier",  [PROF_JOIN] = "join",
	[PROF_ONCE] = "once",        [PROF_SPIN] = "spinlock",
};

const char *diag_kind_name(unsigned kind)
{
	return kind < PROF_KINDS ? kind_names[kind] : "?";
}

uint64_t diag_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 29);
}

void *diag_map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	vg_private(p, bytes); /* counted with relaxed atomics, racily read */
	return p;
}

bool profile_start(const struct prof_opts *o)
{
	rows = diag_map(ROWS * sizeof *rows);
	sites = diag_map(SITES * sizeof *sites);
	if (rows == NULL || sites == NULL)
		return false;
	opts = *o;
	shim_diag |= DIAG_PROFILE | (o->hold ? DIAG_HOLD : 0);
	return true;
}

static struct prof_row *row_of(const void *obj, unsigned kind)
{
	if (!(shim_diag & DIAG_PROFILE))
		return NULL;
	uint64_t key = (uint64_t)(uintptr_t)obj | (uint64_t)kind << 56;
	for (uint64_t i = mix(key), n = 0; n < ROWS; i++, n++) {
		struct prof_row *r = &rows[i & (ROWS - 1)];
		uint64_t k = atomic_load_explicit(&r->key, memory_order_relaxed);
		if (k == 0 && atomic_compare_exchange_strong_explicit(
				      &r->key, &k, key, memory_order_relaxed,
				      memory_order_relaxed))
			return r;
		if (k == key)
			return r;
	}
	atomic_fetch_add_explicit(&rows_dropped, 1, memory_order_relaxed);
	return NULL;
}

static void add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static void raise_max(_Atomic uint64_t *m, uint64_t v)
{
	uint64_t cur = atomic_load_explicit(m, memory_order_relaxed);
	while (v > cur && !atomic_compare_exchange_weak_explicit(
				  m, &cur, v, memory_order_relaxed,
				  memory_order_relaxed))
		;
}

/* Count a contended acquisition's wait against the calling stack. */
static void site_add(struct prof_row *r, const uintptr_t *frames,
		     unsigned n, uint64_t wait)
{
	uint64_t key = mix((uint64_t)(r - rows) + 1);
	for (unsigned i = 0; i < n; i++)
		key = mix(key ^ frames[i]);
	key |= 1;
	for (uint64_t i = key, probes = 0; probes < SITES; i++, probes++) {
		struct prof_site *s = &sites[i & (SITES - 1)];
		uint64_t k = atomic_load_explicit(&s->key, memory_order_relaxed);
		if (k == 0 && atomic_compare_exchange_strong_explicit(
				      &s->key, &k, key, memory_order_relaxed,
				      memory_order_relaxed)) {
			s->row = (uint32_t)(r - rows);
			s->nframes = n;
			memcpy(s->frames, frames, n * sizeof *frames);
			atomic_store_explicit(&s->ready, 1, memory_order_release);
			k = key;
		}
		if (k == key) {
			add(&s->count, 1);
			add(&s->wait_ns, wait);
			return;
		}
	}
	atomic_fetch_add_explicit(&sites_dropped, 1, memory_order_relaxed);
}

/* An acquisition of the program's (not a condvar's taking back) of r's
 * lock by the calling thread; contended: after a wait that began at t0.
 * The wait ends after this bookkeeping, which the program waits for too. */
static void count_acquisition(struct prof_row *r, bool contended, uint64_t t0)
{
	if (r == NULL)
		return;
	add(&r->acq, 1);
	pid_t tid = shim_tid();
	pid_t last = atomic_load_explicit(&r->last_tid, memory_order_relaxed);
	if (last != tid) {
		atomic_store_explicit(&r->last_tid, tid, memory_order_relaxed);
		if (last != 0)
			add(&r->changes, 1);
	}
	if (contended) {
		uint64_t wait = diag_now() - t0;
		add(&r->contended, 1);
		add(&r->wait_ns, wait);
		raise_max(&r->wait_max, wait);
	}
}

/* obj joins the calling thread's held set. */
static void hold(const void *obj, unsigned kind, struct prof_row *r)
{
	struct diag_thread *me = &diag_self;
	if (kind == PROF_SEM)
		return; /* taken, not held: anyone may post */
	if (me->nheld == DIAG_HELD_MAX) {
		me->overflow++;
		return;
	}
	me->held[me->nheld] = (struct diag_held){
		obj, kind, r, (shim_diag & DIAG_HOLD) ? diag_now() : 0,
	};
	/* Release: the entry is complete before it is counted, for a dump
	 * that reads this thread's set meanwhile (dump.c's acquire loads),
	 * from another thread or from a signal handler on this one. */
	__atomic_store_n(&me->nheld, me->nheld + 1, __ATOMIC_RELEASE);
}

static void waiting(const void *obj, unsigned kind, uint64_t since)
{
	struct diag_thread *me = &diag_self;
	atomic_store_explicit(&me->wait_since_ns, since, memory_order_relaxed);
	atomic_store_explicit(&me->wait_kind, kind, memory_order_relaxed);
	atomic_store_explicit(&me->wait_obj, obj, memory_order_release);
}

static void not_waiting(void)
{
	atomic_store_explicit(&diag_self.wait_obj, NULL, memory_order_relaxed);
}

int diag_lock(void *obj, unsigned kind, diag_try_fn try, diag_lock_fn lock,
	      const struct timespec *abstime, clockid_t clock)
{
	struct diag_thread *me = &diag_self;
	vg_lock_pre(obj, kind, abstime != NULL);
	if (shim_diag & DIAG_LOCKDEP)
		lockdep_acquire(obj, kind);
	/* Before the try: the program's own clock around the call would
	 * count it, and a thread preempted in it waits that long. */
	uint64_t t0 = (shim_diag & DIAG_PROFILE) ? diag_now() : 0;
	int r = try(obj);
	/* Told to valgrind whoever takes it, the diagnostics too: the
	 * tools' idea of who holds it must stay whole. */
	vg_locked(obj, kind, r == 0 || r == EOWNERDEAD);
	if (me->inside) {
		/* A lock taken by the diagnostics themselves (the unwinder's):
		 * not the program's, and recording it would recurse. */
		if (r == 0 || r == EOWNERDEAD)
			return r;
		r = lock(obj, abstime, clock);
		vg_locked(obj, kind, r == 0 || r == EOWNERDEAD);
		return r;
	}
	if (r == 0 || r == EOWNERDEAD) {
		struct prof_row *row = row_of(obj, kind);
		count_acquisition(row, false, 0);
		hold(obj, kind, row);
		return r;
	}
	bool contended = r == EBUSY;
	uintptr_t frames[DIAG_FRAMES_MAX];
	unsigned n = 0;
	if (contended && (shim_diag & DIAG_PROFILE)) {
		me->inside = true;
		n = shim_backtrace(frames, opts.frames);
		me->inside = false;
	}
	waiting(obj, kind, t0 != 0 ? t0 : diag_now());
	r = lock(obj, abstime, clock);
	vg_locked(obj, kind, r == 0 || r == EOWNERDEAD);
	not_waiting();
	if (r == 0 || r == EOWNERDEAD) {
		struct prof_row *row = row_of(obj, kind);
		if (contended && row != NULL)
			site_add(row, frames, n, diag_now() - t0);
		count_acquisition(row, contended, t0);
		hold(obj, kind, row);
	}
	return r;
}

void diag_trylocked(const void *obj, unsigned kind)
{
	vg_lock_pre(obj, kind, true);
	vg_locked(obj, kind, true);
	struct prof_row *row = row_of(obj, kind);
	count_acquisition(row, false, 0);
	hold(obj, kind, row);
}

/* Take obj out of the calling thread's held set (innermost match); its
 * entry, copied, or false if it was not there. */
static bool release_held(const void *obj, struct diag_held *out)
{
	struct diag_thread *me = &diag_self;
	for (unsigned i = me->nheld; i-- > 0;) {
		if (me->held[i].obj != obj)
			continue;
		*out = me->held[i];
		me->nheld--;
		atomic_signal_fence(memory_order_release);
		memmove(&me->held[i], &me->held[i + 1],
			(me->nheld - i) * sizeof me->held[0]);
		return true;
	}
	if (me->overflow != 0)
		me->overflow--;
	return false;
}

/* diag_unlock's work; whether obj was in the held set. */
static bool unhold(const void *obj)
{
	struct diag_held h;
	if (diag_self.inside || !release_held(obj, &h))
		return false;
	struct prof_row *r = h.row;
	if (r != NULL && h.since_ns != 0) {
		uint64_t held = diag_now() - h.since_ns;
		add(&r->hold_ns, held);
		raise_max(&r->hold_max, held);
	}
	return true;
}

void diag_unlock(const void *obj, unsigned kind)
{
	vg_unlock_pre(obj, kind);
	unhold(obj);
}

int diag_cond_wait(void *cond, void *mutex, const struct timespec *abstime,
		   clockid_t clock, diag_cond_wait_fn wait)
{
	/* The mutex is let go for the wait and taken back: its hold ends
	 * here and a new one starts after, but the taking back is no
	 * acquisition of the program's (it called no lock). */
	bool was_held = unhold(mutex);
	/* As helgrind's wrapper: the mutex is let go and taken back
	 * (valid or not, the wait gives it back to its holder). */
	vg_lock_pre(cond, PROF_COND, false);
	if (was_held)
		vg_unlock_pre(mutex, PROF_MUTEX);
	uint64_t t0 = diag_now();
	waiting(cond, PROF_COND, t0);
	int r = wait(cond, mutex, abstime, clock);
	not_waiting();
	if (was_held)
		vg_locked(mutex, PROF_MUTEX, true);
	if (r == 0)
		vg_acquire(cond, PROF_COND);
	uint64_t ns = diag_now() - t0;
	/* EINVAL, EPERM: refused before letting the mutex go (it may not
	 * even be the caller's); otherwise the caller holds it again. */
	if (was_held || (r != EINVAL && r != EPERM)) {
		if (shim_diag & DIAG_LOCKDEP)
			lockdep_acquire(mutex, PROF_MUTEX);
		hold(mutex, PROF_MUTEX, row_of(mutex, PROF_MUTEX));
	}
	struct prof_row *c = row_of(cond, PROF_COND);
	if (c != NULL) {
		add(&c->acq, 1);
		if (r == ETIMEDOUT)
			add(&c->contended, 1);
		add(&c->wait_ns, ns);
		raise_max(&c->wait_max, ns);
	}
	return r;
}

void diag_cond_signal(const void *cond, bool all, bool had_waiters)
{
	vg_release(cond, PROF_COND);
	struct prof_row *c = row_of(cond, PROF_COND);
	if (c == NULL)
		return;
	add(all ? &c->broadcasts : &c->signals, 1);
	if (!had_waiters)
		add(&c->unheard, 1);
}

void diag_park_begin(const void *key, unsigned kind)
{
	struct diag_thread *me = &diag_self;
	/* A lock call names its object already; a bare park (join, once,
	 * barrier) names its key, and clears that record when it wakes. */
	me->park_named =
		atomic_load_explicit(&me->wait_obj, memory_order_relaxed) == NULL;
	if (me->park_named)
		waiting(key, kind, diag_now());
	atomic_store_explicit(&me->parked, true, memory_order_release);
}

void diag_park_end(void)
{
	struct diag_thread *me = &diag_self;
	atomic_store_explicit(&me->parked, false, memory_order_relaxed);
	if (me->park_named)
		not_waiting();
}

void profile_fork_child(void)
{
	lockdep_fork_child();
	/* The child's report is the child's own. */
	if (rows != NULL) {
		memset(rows, 0, ROWS * sizeof *rows);
		memset(sites, 0, SITES * sizeof *sites);
	}
}

/* ---- the report (at exit: stdio and malloc are fine here) -------- */

struct sum {
	const struct prof_row *r;
	const struct prof_site *site; /* the stack that waited longest */
	uint64_t acq, contended, wait, max, hold, hold_max, changes;
};

static uint64_t sort_value(const struct sum *s)
{
	switch (opts.sort) {
	case SORT_CONTENDED: return s->contended;
	case SORT_ACQ: return s->acq;
	case SORT_MAX: return s->max;
	case SORT_AVG: return s->contended ? s->wait / s->contended : 0;
	case SORT_HOLD: return s->hold;
	case SORT_CHANGES: return s->changes;
	case SORT_WAIT: break;
	}
	return s->wait;
}

static int by_sort_desc(const void *a, const void *b)
{
	uint64_t x = sort_value(a), y = sort_value(b);
	return x < y ? 1 : x > y ? -1 : 0;
}

static unsigned kind_of(const struct prof_row *r)
{
	return (unsigned)(atomic_load_explicit(&r->key, memory_order_relaxed) >> 56);
}

static uintptr_t addr_of(const struct prof_row *r)
{
	return (uintptr_t)(atomic_load_explicit(&r->key, memory_order_relaxed) &
			   ((1ull << 56) - 1));
}

static void name_of(uintptr_t addr, char *buf, size_t n)
{
	if (!shim_symbolize(addr, buf, n) && buf[0] == '\0')
		snprintf(buf, n, "(heap or stack)");
}

static void print_site(int fd, const struct prof_site *s)
{
	if (s == NULL || !atomic_load_explicit(&s->ready, memory_order_acquire)) {
		dprintf(fd, "libshim:     (no call stack)\n");
		return;
	}
	for (unsigned i = 0; i < s->nframes; i++) {
		char name[200];
		shim_symbolize(s->frames[i], name, sizeof name);
		dprintf(fd, "libshim:     %s %s\n", i == 0 ? "at" : "by",
			name[0] ? name : "?");
	}
}

/* One table; how many rows it had to show. */
static size_t lock_table(int fd, const char *title, const unsigned *kinds,
			 struct sum *sums)
{
	size_t n = 0;
	for (size_t i = 0; i < ROWS; i++) {
		const struct prof_row *r = &rows[i];
		unsigned k = kind_of(r);
		if (r->key == 0 || (k != kinds[0] && k != kinds[1]))
			continue;
		if (r->contended < opts.min)
			continue;
		sums[n++] = (struct sum){
			r, NULL, r->acq, r->contended, r->wait_ns, r->wait_max,
			r->hold_ns, r->hold_max, r->changes,
		};
	}
	if (n == 0)
		return 0;
	for (size_t i = 0; i < SITES; i++) {
		const struct prof_site *s = &sites[i];
		if (s->key == 0)
			continue;
		for (size_t j = 0; j < n; j++)
			if (sums[j].r == &rows[s->row] &&
			    (sums[j].site == NULL ||
			     s->wait_ns > sums[j].site->wait_ns))
				sums[j].site = s;
	}
	qsort(sums, n, sizeof *sums, by_sort_desc);
	dprintf(fd, "libshim: %s: %zu shown of those with >= %u contended "
		"acquisitions, top %u\n", title, n < opts.top ? n : opts.top,
		opts.min, opts.top);
	dprintf(fd, "libshim: %-14s %-9s %10s %10s %10s %9s %9s", "object",
		"kind", "acquired", "contended", "wait ms", "max ms", "avg us");
	if (opts.hold)
		dprintf(fd, " %10s %9s", "held ms", "hmax ms");
	dprintf(fd, " %8s  %s\n", "owners", "name");
	for (size_t i = 0; i < n && i < opts.top; i++) {
		const struct sum *s = &sums[i];
		char name[200];
		name_of(addr_of(s->r), name, sizeof name);
		dprintf(fd, "libshim: %#-14lx %-9s %10lu %10lu %10.3f %9.3f "
			"%9.1f", (unsigned long)addr_of(s->r),
			diag_kind_name(kind_of(s->r)), (unsigned long)s->acq,
			(unsigned long)s->contended, s->wait / 1e6,
			s->max / 1e6,
			s->contended ? s->wait / 1e3 / s->contended : 0.0);
		if (opts.hold && kind_of(s->r) == PROF_SEM)
			dprintf(fd, " %10s %9s", "-", "-"); /* never held */
		else if (opts.hold)
			dprintf(fd, " %10.3f %9.3f", s->hold / 1e6,
				s->hold_max / 1e6);
		dprintf(fd, " %8lu  %s\n", (unsigned long)s->changes, name);
		if (s->contended != 0)
			print_site(fd, s->site);
	}
	return n;
}

static int cond_by_wait(const void *a, const void *b)
{
	const struct prof_row *x = *(const struct prof_row *const *)a,
			      *y = *(const struct prof_row *const *)b;
	return x->wait_ns < y->wait_ns ? 1 : x->wait_ns > y->wait_ns ? -1 : 0;
}

static size_t cond_table(int fd, const struct prof_row **list)
{
	size_t n = 0;
	for (size_t i = 0; i < ROWS; i++)
		if (rows[i].key != 0 && kind_of(&rows[i]) == PROF_COND &&
		    rows[i].acq + rows[i].signals + rows[i].broadcasts >=
			    opts.min)
			list[n++] = &rows[i];
	if (n == 0)
		return 0;
	qsort(list, n, sizeof *list, cond_by_wait);
	dprintf(fd, "libshim: condition variables (waiting for work, not "
		"contention): %zu shown, top %u by wait\n",
		n < opts.top ? n : opts.top, opts.top);
	dprintf(fd, "libshim: %-14s %10s %9s %10s %9s %10s %10s %10s  %s\n",
		"object", "waits", "timedout", "wait ms", "max ms", "signals",
		"broadcasts", "unheard", "name");
	for (size_t i = 0; i < n && i < opts.top; i++) {
		const struct prof_row *r = list[i];
		char name[200];
		name_of(addr_of(r), name, sizeof name);
		dprintf(fd, "libshim: %#-14lx %10lu %9lu %10.3f %9.3f %10lu "
			"%10lu %10lu  %s\n", (unsigned long)addr_of(r),
			(unsigned long)r->acq, (unsigned long)r->contended,
			r->wait_ns / 1e6, r->wait_max / 1e6,
			(unsigned long)r->signals,
			(unsigned long)r->broadcasts,
			(unsigned long)r->unheard, name);
	}
	return n;
}

void profile_report(int fd)
{
	static const unsigned mutexes[] = { PROF_MUTEX, PROF_MUTEX },
			      rwlocks[] = { PROF_RWLOCK_RD, PROF_RWLOCK_WR },
			      spins[] = { PROF_SPIN, PROF_SPIN },
			      sems[] = { PROF_SEM, PROF_SEM };
	if (rows == NULL)
		return;
	struct sum *sums = calloc(ROWS, sizeof *sums);
	const struct prof_row **conds = calloc(ROWS, sizeof *conds);
	if (sums != NULL && conds != NULL) {
		size_t shown = lock_table(fd, "mutexes", mutexes, sums) +
			       lock_table(fd, "rwlocks", rwlocks, sums) +
			       lock_table(fd, "spin locks", spins, sums) +
			       lock_table(fd, "semaphores (a wait is for a "
					  "post)", sems, sums) +
			       cond_table(fd, conds);
		if (shown == 0)
			dprintf(fd, "libshim: contention: none (min=%u)\n",
				opts.min);
	}
	free(sums);
	free(conds);
	if (rows_dropped || sites_dropped)
		dprintf(fd, "libshim: tables full: %lu objects and %lu call "
			"stacks not recorded\n", (unsigned long)rows_dropped,
			(unsigned long)sites_dropped);
}
