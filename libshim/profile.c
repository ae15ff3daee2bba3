/*
 * libshim/profile.c -- the contention profiler (SHIM_STATS=1).
 *
 * Every blocking wait already passes through park_wait, so one hook there
 * sees all contention: which object (the park key), what kind, where the
 * program called in from, and how long the thread slept.  When profiling is
 * off the hook costs one predictable branch on the slow path only; the fast
 * paths (an uncontended lock) never reach it.
 *
 * The call site is the first return address outside libshim's own text,
 * found with _Unwind_Backtrace.  Nothing is symbolised while the program
 * runs: dladdr takes the loader's lock, which a thread inside dlopen may
 * hold while it waits for a lock we are about to hand over.  Names are
 * looked up once, at exit.
 */
#include <dlfcn.h>
#include <link.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libshim/profile.h"
#include "libshim/unwind.h"

bool shim_profile_on;

/* One row per (object, call site). */
struct row {
	uintptr_t key, site;
	unsigned kind;
	unsigned long waits;
	uint64_t total_ns, max_ns;
};

#define ROWS 4096 /* power of two */
static struct row rows[ROWS];
static _Atomic int rows_lock;
static _Atomic unsigned long rows_dropped;

/* libshim's own ELF header, from the linker; its executable segment is
 * found from the program headers, with no libc call (see text_range). */
extern const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));
static uintptr_t text_lo, text_hi;

static void text_range(void)
{
	const ElfW(Ehdr) *eh = &__ehdr_start;
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff);
	uintptr_t base = (uintptr_t)eh;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
			base = (uintptr_t)eh - ph[i].p_vaddr;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X)) {
			text_lo = base + ph[i].p_vaddr;
			text_hi = text_lo + ph[i].p_memsz;
		}
}

static const char *const kind_names[] = {
	[PROF_NONE] = "?",          [PROF_MUTEX] = "mutex",
	[PROF_COND] = "condvar",    [PROF_RWLOCK_RD] = "rwlock-rd",
	[PROF_RWLOCK_WR] = "rwlock-wr", [PROF_SEM] = "semaphore",
	[PROF_BARRIER] = "barrier", [PROF_JOIN] = "join",
	[PROF_ONCE] = "once",
};

void profile_start(void)
{
	text_range();
	shim_unwinder(); /* now, not from a waiting thread (loader lock) */
	shim_profile_on = true;
}

uint64_t profile_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static _Unwind_Reason_Code find_site(struct _Unwind_Context *ctx, void *arg)
{
	uintptr_t pc = shim_unwinder()->get_ip(ctx);
	if (pc == 0)
		return _URC_END_OF_STACK;
	if (pc < text_lo || pc >= text_hi) {
		*(uintptr_t *)arg = pc - 1; /* inside the call instruction */
		return _URC_END_OF_STACK;
	}
	return _URC_NO_REASON;
}

void profile_wait_done(const void *key, unsigned kind, uint64_t start_ns)
{
	uint64_t ns = profile_now() - start_ns;
	uintptr_t site = 0;
	if (shim_unwinder())
		shim_unwinder()->backtrace(find_site, &site);

	uintptr_t k = (uintptr_t)key;
	size_t h = (size_t)((k ^ site * 31) * 0x9e3779b97f4a7c15ull >> 52) &
		   (ROWS - 1);
	while (__atomic_exchange_n(&rows_lock, 1, __ATOMIC_ACQUIRE))
		sched_yield(); /* profiling only: held for a few loads */
	for (size_t i = 0; i < ROWS; i++) {
		struct row *r = &rows[(h + i) & (ROWS - 1)];
		if (r->key == 0) {
			r->key = k;
			r->site = site;
			r->kind = kind;
		}
		if (r->key == k && r->site == site) {
			r->waits++;
			r->total_ns += ns;
			if (ns > r->max_ns)
				r->max_ns = ns;
			__atomic_store_n(&rows_lock, 0, __ATOMIC_RELEASE);
			return;
		}
	}
	__atomic_store_n(&rows_lock, 0, __ATOMIC_RELEASE);
	rows_dropped++;
}

static void describe(char *buf, size_t n, uintptr_t addr, bool is_data)
{
	Dl_info di;
	if (dladdr((void *)addr, &di) && di.dli_fname) {
		const char *base = strrchr(di.dli_fname, '/');
		base = base ? base + 1 : di.dli_fname;
		if (di.dli_sname && di.dli_saddr)
			snprintf(buf, n, "%s+0x%lx (%s)", di.dli_sname,
				 (unsigned long)(addr - (uintptr_t)di.dli_saddr),
				 base);
		else
			snprintf(buf, n, "%s+0x%lx", base,
				 (unsigned long)(addr - (uintptr_t)di.dli_fbase));
		return;
	}
	snprintf(buf, n, is_data ? "(heap or stack)" : "?");
}

struct lock_sum {
	uintptr_t key;
	unsigned kind;
	unsigned long waits;
	uint64_t total_ns, max_ns;
	const struct row *top_site;
};

static int by_total_desc(const void *a, const void *b)
{
	const struct lock_sum *x = a, *y = b;
	return x->total_ns < y->total_ns ? 1 : x->total_ns > y->total_ns ? -1 : 0;
}

void profile_report(int fd, unsigned top)
{
	struct lock_sum *sums = calloc(ROWS, sizeof *sums);
	size_t nsums = 0;
	if (sums == NULL)
		return;
	for (size_t i = 0; i < ROWS; i++) {
		const struct row *r = &rows[i];
		/* Waiting for a thread to finish is not contention. */
		if (r->key == 0 || r->kind == PROF_JOIN)
			continue;
		size_t j = 0;
		while (j < nsums && sums[j].key != r->key)
			j++;
		if (j == nsums)
			sums[nsums++] = (struct lock_sum){r->key, r->kind, 0, 0, 0, r};
		struct lock_sum *s = &sums[j];
		s->waits += r->waits;
		s->total_ns += r->total_ns;
		if (r->max_ns > s->max_ns)
			s->max_ns = r->max_ns;
		if (r->waits > s->top_site->waits)
			s->top_site = r;
	}
	if (nsums == 0) {
		dprintf(fd, "libshim: contention: none\n");
		free(sums);
		return;
	}
	qsort(sums, nsums, sizeof *sums, by_total_desc);
	dprintf(fd, "libshim: contention, top %u of %zu objects by total wait:\n",
		top < nsums ? top : (unsigned)nsums, nsums);
	dprintf(fd, "libshim: %-18s %-9s %9s %11s %9s  %s\n", "object", "kind",
		"waits", "total ms", "max ms", "blocked most at / object name");
	for (size_t i = 0; i < nsums && i < top; i++) {
		const struct lock_sum *s = &sums[i];
		char site[160], name[160];
		describe(site, sizeof site, s->top_site->site, false);
		describe(name, sizeof name, s->key, true);
		dprintf(fd, "libshim: %#-18lx %-9s %9lu %11.3f %9.3f  %s  [%s]\n",
			(unsigned long)s->key,
			s->kind < sizeof kind_names / sizeof *kind_names
				? kind_names[s->kind] : "?",
			s->waits, s->total_ns / 1e6, s->max_ns / 1e6, site, name);
	}
	free(sums);
	if (rows_dropped)
		dprintf(fd, "libshim: contention: %lu waits not recorded (table "
			"full)\n", (unsigned long)rows_dropped);
}

void profile_fork_child(void)
{
	/* Its holder may be a thread the child does not have. */
	__atomic_store_n(&rows_lock, 0, __ATOMIC_RELAXED);
}
