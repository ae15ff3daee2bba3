/*
 * libshim/mutex_pp.c -- priority-protection mutexes (PTHREAD_PRIO_PROTECT)
 * and the ceiling calls.
 *
 * Priority-protection mutexes (PTHREAD_PRIO_PROTECT) also keep glibc's
 * protocol, so that a process-shared one works between libshim and glibc
 * processes: the word holds the ceiling in its high bits (19 and up) and
 * below them 0 (free), 1 (held) or 2 (held, threads may sleep on it).
 *
 *  - A locker first raises itself to the ceiling, then takes the word,
 *    so the holder always runs at least at the ceiling.  Each thread
 *    counts the PP mutexes it holds per ceiling (struct pp_state, in
 *    static TLS) and runs at max(its own priority, the highest ceiling
 *    it holds), set with sched_setscheduler in its own policy, exactly
 *    as glibc's __pthread_tpp_change_priority: a SCHED_OTHER thread
 *    cannot be raised (EINVAL), an unprivileged one beyond RLIMIT_RTPRIO
 *    neither (EPERM), and a thread whose own priority is above the
 *    ceiling gets EINVAL (POSIX).  Unlocking lowers it again when the
 *    highest ceiling held drops.
 *  - pthread_setschedparam and pthread_setschedprio of the calling
 *    thread while it holds PP mutexes set its own priority (ps_prio,
 *    reported by pthread_getschedparam, returned to at unlock, compared
 *    with the next ceiling) and run it at the higher of that and the
 *    highest ceiling held, as glibc's do (mutex_pp_setsched).  Aimed at
 *    another thread, they set the kernel's priority as asked: its
 *    pp_state is in its own TLS, where glibc's is in its descriptor.
 *  - Contended, the waiter marks the word 2 and sleeps on it with
 *    lwp_wait_addr, shared for a process-shared mutex: the fourth
 *    exception to the park layer, for glibc's sake, and again a mutex a
 *    condition variable does not requeue onto.  Unlock wakes one sleeper.
 *  - pthread_mutex_setprioceiling takes the word without raising the
 *    caller, stores the new ceiling with the word free and wakes every
 *    sleeper, who retake it at the new ceiling; on a RECURSIVE mutex the
 *    caller holds it keeps the word held and recounts the caller.
 *  - Differences from glibc, each where glibc leaves the thread's
 *    priority wrong: a failed raise is undone (glibc keeps the count,
 *    so its next lock "succeeds" without raising), a lock that times out
 *    lowers the thread again (glibc's stays raised), and unlocking a
 *    NORMAL mutex the caller did not lock leaves the caller's counts
 *    alone (glibc's wrap).  The thread's own priority is read from the
 *    kernel whenever it holds no PP mutex; a pthread_setschedparam while
 *    it holds one is undone by the last unlock (glibc's records it).
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>

#include "compat/lwp.h"
#include "libshim/mutex_impl.h"
#include "libshim/shim.h"

/*
 * The word: the ceiling in the high bits, below them PP_FREE, PP_HELD or
 * PP_SLEEPERS (held, threads may sleep on the word), glibc's protocol,
 * so a process-shared one works between libshim and glibc processes.
 */
enum { PP_FREE, PP_HELD, PP_SLEEPERS };

/* SCHED_FIFO's highest priority on Linux: the last ceiling a mutex can
 * have (pthread_mutex[attr]_setprioceiling check the range). */
#define PP_PRIO_MAX 99

/*
 * The calling thread's share in priority protection (glibc's struct
 * priority_protection_data): how many PP mutexes it holds at each
 * ceiling, and while it holds any, the highest of them and the policy
 * and priority it runs at without them.  Per thread in static TLS: no
 * allocation to fail on a lock and nothing to free at thread exit.
 */
struct pp_state {
	unsigned ps_held[PP_PRIO_MAX + 1];
	int ps_top;    /* highest ceiling held; 0: none held */
	int ps_policy; /* as sched_getscheduler reported it */
	int ps_prio;   /* the thread's own priority */
};
static __thread struct pp_state pp_self
	__attribute__((tls_model("initial-exec")));

static int pp_ceiling(int word)
{
	return (int)((unsigned)word >> PP_CEILING_SHIFT);
}

/* A ceiling pthread_mutex[attr]_setprioceiling accept: a SCHED_FIFO
 * priority that fits the attribute's field, as glibc checks. */
bool ceiling_valid(int c)
{
	int field = ATTR_CEILING_MASK >> ATTR_CEILING_SHIFT;
	return c >= sched_get_priority_min(SCHED_FIFO) &&
	       c <= sched_get_priority_max(SCHED_FIFO) && (c & field) == c;
}

/* Learn the thread's own scheduling, unless it is raised now (then the
 * kernel reports the raised priority, and ps_prio is still right). */
static int pp_load_base(struct pp_state *ps)
{
	if (ps->ps_top != 0)
		return 0;
	struct sched_param p;
	int e = lwp_getparam(0, &ps->ps_policy, &p);
	if (e != 0)
		return e;
	ps->ps_prio = p.sched_priority;
	return 0;
}

static int pp_highest_held(const struct pp_state *ps, int from)
{
	while (from > 0 && ps->ps_held[from] == 0)
		from--;
	return from;
}

/* Run at max(own priority, top), as glibc: with the thread's own policy,
 * so a SCHED_OTHER thread cannot be raised (EINVAL), nor one beyond
 * RLIMIT_RTPRIO without CAP_SYS_NICE (EPERM). */
static int pp_run_at(struct pp_state *ps, int top)
{
	int had = ps->ps_top > ps->ps_prio ? ps->ps_top : ps->ps_prio;
	int want = top > ps->ps_prio ? top : ps->ps_prio;
	if (want != had) {
		struct sched_param p = { .sched_priority = want };
		int e = lwp_setparam(0, ps->ps_policy, &p);
		if (e != 0)
			return e;
		shim_sched_changed(shim_self());
	}
	ps->ps_top = top;
	return 0;
}

/*
 * glibc's __pthread_tpp_change_priority: count one mutex less at ceiling
 * drop and one more at ceiling take (0: none), and move the thread's
 * priority to match.  On failure nothing changes (glibc keeps the counts
 * it could not apply, so that a second attempt "succeeds" unraised).
 * A drop that was never counted -- a NORMAL mutex unlocked by a thread
 * that did not lock it -- is ignored rather than wrapping the count.
 */
static int pp_change(struct pp_state *ps, int drop, int take)
{
	if (take != 0 && ps->ps_held[take] == UINT_MAX)
		return EAGAIN;
	if (drop != 0 && ps->ps_held[drop] == 0)
		drop = 0;
	if (take != 0)
		ps->ps_held[take]++;
	if (drop != 0)
		ps->ps_held[drop]--;
	int from = take > ps->ps_top ? take : ps->ps_top;
	int r = pp_run_at(ps, pp_highest_held(ps, from));
	if (r != 0) {
		if (take != 0)
			ps->ps_held[take]--;
		if (drop != 0)
			ps->ps_held[drop]++;
	}
	return r;
}

/* Count ceiling as held, instead of prev (0: none), raising the thread:
 * EINVAL if its own priority is above the ceiling (POSIX), or if the
 * ceiling is not one a mutex can have. */
static int pp_enter(struct pp_state *ps, int prev, int ceiling)
{
	if (ceiling < 1 || ceiling > PP_PRIO_MAX)
		return EINVAL;
	int r = pp_load_base(ps);
	if (r != 0)
		return r;
	if (ps->ps_prio > ceiling)
		return EINVAL;
	return pp_change(ps, prev, ceiling);
}

/*
 * Take the word at the ceiling *seen holds, sleeping on the word while
 * it is held (shared if the mutex is).  EAGAIN: the ceiling changed
 * meanwhile (pthread_mutex_setprioceiling), *seen is the new word.
 * Once it has slept it takes the word as PP_SLEEPERS: others may sleep.
 */
static int pp_take_word(struct shim_mutex *m, int *seen, bool shared,
			const struct timespec *abstime, clockid_t clock)
{
	int cv = *seen & PP_CEILING_MASK;
	int mine = PP_HELD;
	int s = *seen;
	for (;;) {
		if ((s & PP_CEILING_MASK) != cv) {
			*seen = s;
			return EAGAIN;
		}
		if (s == cv) {
			if (atomic_compare_exchange_weak_explicit(
				    &m->m_lock, &s, cv | mine,
				    memory_order_acquire, memory_order_relaxed))
				return 0;
			continue;
		}
		int e = mutex_word_wait(m, &s, cv | PP_SLEEPERS, NULL, abstime,
					clock, shared);
		if (e == 0)
			mine = PP_SLEEPERS;
		else if (e != EAGAIN)
			return e;
	}
}

NOINLINE static int pp_lock(struct shim_mutex *m, int kind,
			    const struct timespec *abstime, clockid_t clock)
{
	pid_t self = shim_tid();
	int type = kind_type(kind);
	if (load_owner(m) == self && type_tracks_owner(type))
		return owner_relock(m, type);
	struct pp_state *ps = &pp_self;
	int counted = 0; /* the ceiling we count ourselves under */
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	int r;
	do {
		/* Raised before taking the word, as glibc: the holder of a
		 * PP mutex always runs at its ceiling. */
		r = pp_enter(ps, counted, pp_ceiling(s));
		if (r != 0)
			break;
		counted = pp_ceiling(s);
		r = pp_take_word(m, &s, kind & MUTEX_KIND_PSHARED, abstime,
				 clock);
	} while (r == EAGAIN);
	if (r != 0) {
		/* glibc stays raised after a timeout; not so here. */
		if (counted != 0)
			pp_change(ps, counted, 0);
		return r;
	}
	m->m_count = 1;
	atomic_store_explicit(&m->m_owner, self, memory_order_relaxed);
	return 0;
}

NOINLINE static int pp_trylock(struct shim_mutex *m, int kind)
{
	pid_t self = shim_tid();
	int type = kind_type(kind);
	/* EDEADLK for ERRORCHECK, as glibc's PP trylock (not EBUSY). */
	if (load_owner(m) == self && type_tracks_owner(type))
		return owner_relock(m, type);
	struct pp_state *ps = &pp_self;
	int counted = 0;
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	for (;;) {
		int r = pp_enter(ps, counted, pp_ceiling(s));
		if (r != 0) {
			if (counted != 0)
				pp_change(ps, counted, 0);
			return r;
		}
		counted = pp_ceiling(s);
		int cv = s & PP_CEILING_MASK;
		s = cv;
		if (atomic_compare_exchange_strong_explicit(
			    &m->m_lock, &s, cv | PP_HELD, memory_order_acquire,
			    memory_order_relaxed))
			break;
		if ((s & PP_CEILING_MASK) == cv) {
			pp_change(ps, counted, 0);
			return EBUSY;
		}
	}
	m->m_count = 1;
	atomic_store_explicit(&m->m_owner, self, memory_order_relaxed);
	return 0;
}

/* Free the word (waking one sleeper if any may sleep); 0, or the error
 * of restoring the thread's priority, which pthread_mutex_unlock
 * returns as glibc's does (the mutex is unlocked all the same). */
static int pp_release(struct shim_mutex *m, int kind)
{
	atomic_store_explicit(&m->m_owner, 0, memory_order_relaxed);
	int s = atomic_fetch_and_explicit(&m->m_lock, PP_CEILING_MASK,
					  memory_order_release);
	if ((s & ~PP_CEILING_MASK) > PP_HELD)
		lwp_wake_addr(&m->m_lock, 1, kind & MUTEX_KIND_PSHARED);
	return pp_change(&pp_self, pp_ceiling(s), 0);
}

/* A condition wait's release: as unlock, but the wait has no way to
 * report a failed priority change (nor does glibc's). */
static void pp_release_all(struct shim_mutex *m, int kind)
{
	pp_release(m, kind);
}

NOINLINE static int pp_unlock(struct shim_mutex *m, int kind)
{
	int e = mutex_unlock_check(m, kind_type(kind));
	return e == MUTEX_RELEASE_NOW ? pp_release(m, kind) : e;
}

static bool pp_word_locked(struct shim_mutex *m)
{
	return (atomic_load_explicit(&m->m_lock, memory_order_relaxed) &
		~PP_CEILING_MASK) != 0;
}

const struct mutex_protocol mutex_pp = {
	.lock = pp_lock,
	.trylock = pp_trylock,
	.unlock = pp_unlock,
	.release = pp_release_all,
	.locked = pp_word_locked,
};

SHIM_EXPORT int pthread_mutex_getprioceiling(const pthread_mutex_t *pm,
					     int *prioceiling)
{
	struct shim_mutex *m = shim_mutex((pthread_mutex_t *)pm);
	if (!kind_is_pp(load_kind(m)))
		return EINVAL;
	*prioceiling = pp_ceiling(
		atomic_load_explicit(&m->m_lock, memory_order_relaxed));
	return 0;
}

/*
 * Lock the word without the protocol (the caller's priority need not be
 * below either ceiling), store the new ceiling with the word freed, and
 * wake every sleeper: each takes it at the new ceiling.  A RECURSIVE
 * mutex the caller holds keeps its state, and the caller is recounted
 * under the new ceiling.  NORMAL and ADAPTIVE ones the caller holds wait
 * for themselves, as in glibc.
 */
SHIM_EXPORT int pthread_mutex_setprioceiling(pthread_mutex_t *pm,
					     int prioceiling, int *old)
{
	struct shim_mutex *m = shim_mutex(pm);
	int kind = load_kind(m);
	if (!kind_is_pp(kind) || !ceiling_valid(prioceiling))
		return EINVAL;
	int type = kind_type(kind);
	bool mine = load_owner(m) == shim_tid();
	if (mine && type == PTHREAD_MUTEX_ERRORCHECK)
		return EDEADLK;
	bool shared = kind & MUTEX_KIND_PSHARED;
	int s = atomic_load_explicit(&m->m_lock, memory_order_relaxed);
	int cv = prioceiling << PP_CEILING_SHIFT;
	if (mine && type == PTHREAD_MUTEX_RECURSIVE) {
		int r = pp_change(&pp_self, pp_ceiling(s), prioceiling);
		if (r != 0)
			return r;
		while (!atomic_compare_exchange_weak_explicit(
			&m->m_lock, &s, cv | (s & ~PP_CEILING_MASK),
			memory_order_relaxed, memory_order_relaxed))
			continue;
	} else {
		while (pp_take_word(m, &s, shared, NULL, CLOCK_REALTIME) ==
		       EAGAIN)
			continue;
		atomic_store_explicit(&m->m_lock, cv, memory_order_release);
	}
	if (old != NULL)
		*old = pp_ceiling(s);
	lwp_wake_addr(&m->m_lock, INT_MAX, shared);
	return 0;
}

/*
 * The calling thread's own scheduling while it holds PP mutexes, as
 * glibc's pthread_setschedparam and pthread_getschedparam keep it: a
 * change runs the thread at max(new priority, highest ceiling held) and
 * is remembered as its own, which pthread_getschedparam reports and
 * unlocking returns to.
 */
int mutex_pp_setsched(int policy, int prio)
{
	struct pp_state *ps = &pp_self;
	if (ps->ps_top == 0)
		return -1;
	struct sched_param p = {
		.sched_priority = ps->ps_top > prio ? ps->ps_top : prio };
	int e = lwp_setparam(0, policy, &p);
	if (e != 0)
		return e;
	ps->ps_policy = policy;
	ps->ps_prio = prio;
	shim_sched_changed(shim_self());
	return 0;
}

bool mutex_pp_getsched(int *policy, int *prio)
{
	const struct pp_state *ps = &pp_self;
	if (ps->ps_top == 0)
		return false;
	*policy = ps->ps_policy;
	*prio = ps->ps_prio;
	return true;
}
