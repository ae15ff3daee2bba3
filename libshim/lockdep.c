/*
 * libshim/lockdep.c -- the lock-order detector (SHIM_LOCKDEP=1), in the
 * spirit of Linux's lockdep.
 *
 * Two threads that take the same two locks in opposite orders can
 * deadlock, whether or not this run happened to interleave them badly.  So
 * every time a thread takes a lock B while it holds A (its held set,
 * kept by profile.c), the dependency A -> B is a directed edge of a graph
 * of locks.  The first time an edge appears, before it is added, the graph
 * is searched for a path back, B -> ... -> A: if there is one, some thread
 * once took these locks the other way round, and the report names both
 * orders with the call stacks and thread names that made them.  An edge
 * already known costs one hash look-up per lock held; only new edges take
 * the graph's lock, unwind the stack and search.
 *
 * A lock is its address, as in the profiler (not a lock class, as in the
 * kernel: two instances of one structure type are two locks here).  Mutexes,
 * spin locks and rwlocks are nodes; a rwlock read acquisition is recorded
 * as such, and an inversion whose two orders both only read the same
 * rwlock is not reported, since readers do not block one another.  A
 * condvar wait lets its mutex go and takes it back while the thread still
 * holds its other locks: that taking back is an acquisition here.  Trylocks
 * add no edge (they cannot block), but what is taken while they are held
 * does.  Semaphores are not held by anyone and take no part.
 *
 * Tables are mapped once at start-up and never grow.  The report is written
 * on stderr with write(2) from inside the lock call (no stdio, no malloc:
 * the lock may be malloc's own).  Stacks need the unwinder, so SHIM_LOCKDEP
 * loads libgcc_s at start-up (before any thread, outside any lock call):
 * an order set up by main before it made a thread has its stack too.
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "libshim/diag.h"
#include "libshim/outbuf.h"
#include "libshim/shim.h"
#include "libshim/symbol.h"
#include "libshim/thread.h"
#include "libshim/unwind.h"

#define EDGES (1u << 15) /* powers of two */
#define NODES (1u << 14)
#define FRAMES 8
#define SEARCH_DEPTH 16

struct edge {
	_Atomic uint64_t from; /* 0: free (published last, with release) */
	uint64_t to;
	unsigned from_kind, to_kind;
	uint32_t next_out; /* the next edge leaving from, +1; 0: none */
	pid_t tid;
	char thread[16];
	unsigned nframes;
	uintptr_t frames[FRAMES];
};

struct node {
	_Atomic uint64_t lock; /* 0: free */
	_Atomic uint32_t first_out; /* edge index + 1 */
};

#define SEARCH_BUDGET 100000 /* edges one search may visit */

static struct edge *edges;
static struct node *nodes;
static _Atomic int graph_lock;
static bool graph_full; /* said so once (graph lock held) */

static uint64_t mix2(uint64_t a, uint64_t b)
{
	uint64_t x = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull);
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 29);
}

static struct edge *edge_find(uint64_t from, uint64_t to)
{
	for (uint64_t i = mix2(from, to), n = 0; n < EDGES; i++, n++) {
		struct edge *e = &edges[i & (EDGES - 1)];
		uint64_t f = atomic_load_explicit(&e->from, memory_order_acquire);
		if (f == 0)
			return NULL;
		if (f == from && e->to == to)
			return e;
	}
	return NULL;
}

/* Graph lock held. */
static struct node *node_of(uint64_t lock)
{
	for (uint64_t i = mix2(lock, 0), n = 0; n < NODES; i++, n++) {
		struct node *nd = &nodes[i & (NODES - 1)];
		uint64_t l = atomic_load_explicit(&nd->lock, memory_order_relaxed);
		if (l == lock)
			return nd;
		if (l == 0) {
			atomic_store_explicit(&nd->lock, lock, memory_order_relaxed);
			return nd;
		}
	}
	return NULL;
}

/* Graph lock held: a path from -> ... -> target, its edges into path
 * (innermost last); its length, or 0.  Depth-first, bounded in depth and
 * in the edges it visits. */
static unsigned search(uint64_t from, uint64_t target, struct edge **path,
		       unsigned depth, unsigned *budget)
{
	if (depth == SEARCH_DEPTH || *budget == 0)
		return 0;
	struct node *nd = node_of(from);
	if (nd == NULL)
		return 0;
	for (uint32_t i = atomic_load_explicit(&nd->first_out,
					       memory_order_relaxed);
	     i != 0; i = edges[i - 1].next_out) {
		struct edge *e = &edges[i - 1];
		if (*budget == 0)
			return 0;
		--*budget;
		path[depth] = e;
		if (e->to == target)
			return depth + 1;
		unsigned n = search(e->to, target, path, depth + 1, budget);
		if (n != 0)
			return n;
	}
	return 0;
}

static bool is_read(unsigned kind)
{
	return kind == PROF_RWLOCK_RD;
}

static void out_edge(struct outbuf *o, const char *who, const struct edge *e,
		     const char *verb)
{
	out_str(o, who);
	out_str(o, " thread ");
	out_dec(o, (uint64_t)e->tid);
	out_str(o, " \"");
	out_str(o, e->thread);
	out_str(o, "\" ");
	out_str(o, verb);
	out_str(o, " ");
	out_named_object(o, (const void *)(uintptr_t)e->to, e->to_kind);
	out_str(o, "\nlibshim:   while holding ");
	out_named_object(o, (const void *)(uintptr_t)e->from, e->from_kind);
	out_str(o, ", at:\n");
	if (e->nframes == 0)
		out_str(o, "libshim:     (no call stack)\n");
	out_named_stack(o, e->frames, e->nframes);
}

static void report(const struct edge *now, struct edge **path, unsigned n)
{
	struct outbuf o = { .fd = 2 };
	out_str(&o, "libshim: lockdep: pid ");
	out_dec(&o, (uint64_t)shim_pid());
	out_str(&o, " (");
	out_str(&o, program_invocation_short_name);
	out_str(&o, "): lock order inversion, a possible deadlock:\n");
	out_edge(&o, "libshim: now", now, "takes");
	for (unsigned i = 0; i < n; i++)
		out_edge(&o, i == 0 ? "libshim: but earlier" : "libshim: and",
			 path[i], "took");
	out_flush(&o);
}

/* Graph lock held: add from -> to, as the calling thread takes it now. */
static struct edge *edge_add(uint64_t from, unsigned from_kind, uint64_t to,
			     unsigned to_kind)
{
	struct node *nd = node_of(from);
	if (nd == NULL)
		return NULL;
	for (uint64_t i = mix2(from, to), n = 0; n < EDGES; i++, n++) {
		struct edge *e = &edges[i & (EDGES - 1)];
		if (atomic_load_explicit(&e->from, memory_order_relaxed) != 0)
			continue;
		e->to = to;
		e->from_kind = from_kind;
		e->to_kind = to_kind;
		e->tid = shim_tid();
		prctl(PR_GET_NAME, e->thread);
		e->nframes = shim_backtrace(e->frames, FRAMES);
		e->next_out = atomic_load_explicit(&nd->first_out,
						   memory_order_relaxed);
		atomic_store_explicit(&nd->first_out,
				      (uint32_t)(e - edges) + 1,
				      memory_order_relaxed);
		/* Last: lock-free finders see a complete edge. */
		atomic_store_explicit(&e->from, from, memory_order_release);
		return e;
	}
	if (!graph_full) {
		graph_full = true;
		struct outbuf o = { .fd = 2 };
		out_str(&o, "libshim: lockdep: the lock graph is full; new lock "
			    "orders are no longer checked\n");
		out_flush(&o);
	}
	return NULL;
}

/* A new dependency held -> (obj, kind); graph lock held. */
static void new_edge(const struct diag_held *held, uint64_t obj, unsigned kind)
{
	uint64_t from = (uint64_t)(uintptr_t)held->obj;
	if (edge_find(from, obj) != NULL)
		return; /* another thread added it meanwhile */
	struct edge *path[SEARCH_DEPTH];
	unsigned budget = SEARCH_BUDGET;
	unsigned n = search(obj, from, path, 0, &budget);
	/* Two orders of one pair that only read a rwlock on one side
	 * cannot block each other there. */
	if (n == 1 && ((is_read(held->kind) && is_read(path[0]->to_kind)) ||
		       (is_read(kind) && is_read(path[0]->from_kind))))
		n = 0;
	struct edge *e = edge_add(from, held->kind, obj, kind);
	if (n != 0 && e != NULL)
		report(e, path, n);
}

void lockdep_acquire(const void *lock, unsigned kind)
{
	struct diag_thread *me = &diag_self;
	uint64_t obj = (uint64_t)(uintptr_t)lock;
	if (kind == PROF_SEM || me->inside)
		return;
	for (unsigned i = 0; i < me->nheld; i++) {
		const struct diag_held *h = &me->held[i];
		if ((uint64_t)(uintptr_t)h->obj == obj || h->kind == PROF_SEM ||
		    edge_find((uint64_t)(uintptr_t)h->obj, obj) != NULL)
			continue;
		me->inside = true;
		while (atomic_exchange_explicit(&graph_lock, 1,
						memory_order_acquire))
			sched_yield(); /* held only to add a new edge: rare */
		new_edge(h, obj, kind);
		atomic_store_explicit(&graph_lock, 0, memory_order_release);
		me->inside = false;
	}
}

void lockdep_fork_child(void)
{
	/* Its holder may be a thread the child does not have. */
	atomic_store_explicit(&graph_lock, 0, memory_order_relaxed);
}

__attribute__((constructor)) static void lockdep_setup(void)
{
	static const char *const on[] = { "1", "yes", "on", "true" };
	static const char *const off[] = { "", "0", "no", "off", "false" };
	const char *v = getenv("SHIM_LOCKDEP");
	if (v == NULL)
		return;
	for (size_t i = 0; i < sizeof off / sizeof *off; i++)
		if (strcmp(v, off[i]) == 0)
			return;
	bool yes = false;
	for (size_t i = 0; i < sizeof on / sizeof *on; i++)
		yes |= strcmp(v, on[i]) == 0;
	struct outbuf o = { .fd = 2 };
	if (!yes) {
		out_str(&o, "libshim: SHIM_LOCKDEP=");
		out_str(&o, v);
		out_str(&o, ": not 1/yes/on/true or 0/no/off/false; the "
			    "lock-order detector stays off\n");
		out_flush(&o);
		return;
	}
	edges = diag_map(EDGES * sizeof *edges);
	nodes = diag_map(NODES * sizeof *nodes);
	if (edges == NULL || nodes == NULL)
		return;
	shim_unwinder(); /* now, outside any lock call: see the top */
	shim_diag |= DIAG_LOCKDEP;
}
