/*
 * test/fault/badinput.c -- every exported call with arguments glibc
 * rejects, and what each returns.
 *
 * One row per call and bad argument: the row's function makes the call
 * (setting up whatever object state the case needs) and returns the
 * result as text: a pthread_* error by name ("EINVAL", "0"), a -1/errno
 * result as "-1 ENAME", a C11 result as "thrd_error", a value where the
 * call returns one.  Each row runs in a child process of its own, so a
 * row that crashes or hangs shows as "killed by SIGSEGV" or "hang" and
 * cannot disturb the next one.  Output, one line per row:
 *     row <TAB> call <TAB> arguments <TAB> result
 * errors_doc.py runs this on glibc and under libshim, fails the test on
 * any difference and writes the table doc/errors.md.
 *
 * Only misuse glibc detects is here: a call that is undefined behaviour
 * and that glibc does not check would compare two accidents.  (Left out
 * for that reason: unlocking an unlocked rwlock, joining a thread that is
 * gone; a second pthread_join while another thread joins, and
 * pthread_timedjoin_np with tv_nsec out of range, on which glibc 2.36
 * waits for ever -- the second one spinning.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <threads.h>
#include <unistd.h>

#include "fault.h"

#define ROW_TIMEOUT_S 5
#define SEM_NAME "/libshim-fault-badinput"

typedef const char *(*row_fn)(void);

struct row {
	const char *call;
	const char *args;
	row_fn run;
};

static char text[128];

static const char *err(int e)
{
	return fault_errname(e);
}

/* A -1/errno result (sem_*). */
static const char *neg(int r)
{
	if (r == 0)
		return "0";
	snprintf(text, sizeof text, "%d %s", r, fault_errname(errno));
	return text;
}

static const char *sem_ptr(sem_t *s)
{
	if (s != SEM_FAILED)
		return "a semaphore";
	snprintf(text, sizeof text, "SEM_FAILED %s", fault_errname(errno));
	return text;
}

static const char *thrd(int r)
{
	switch (r) {
	case thrd_success: return "thrd_success";
	case thrd_busy: return "thrd_busy";
	case thrd_error: return "thrd_error";
	case thrd_nomem: return "thrd_nomem";
	case thrd_timedout: return "thrd_timedout";
	}
	snprintf(text, sizeof text, "%d", r);
	return text;
}

static const char *num(long v)
{
	snprintf(text, sizeof text, "%ld", v);
	return text;
}

static const struct timespec nsec_neg = { 0, -1 };
static const struct timespec nsec_big = { 0, 1000000000 };
static const struct timespec sec_neg = { -1, 0 };

static struct timespec past(void)
{
	return (struct timespec){ 1, 0 };
}

/* ---- helper threads ---------------------------------------------------- */

static int gate[2];

static void *blocked(void *arg)
{
	char c;
	while (read(gate[0], &c, 1) < 0 && errno == EINTR)
		continue;
	return arg;
}

/* A thread that waits for ever (the row's process ends with it). */
static pthread_t blocked_thread(const pthread_attr_t *attr)
{
	pthread_t t;
	if (pipe(gate) != 0 || pthread_create(&t, attr, blocked, NULL) != 0)
		_exit(2);
	return t;
}

static void *returns(void *arg)
{
	return arg;
}

static pthread_mutex_t m_held = PTHREAD_MUTEX_INITIALIZER;

static void *lock_m_held(void *arg)
{
	pthread_mutex_lock(&m_held);
	return arg;
}

/* m_held, made with attribute a, locked by another thread, which has
 * gone on to exit. */
static void lock_elsewhere(const pthread_mutexattr_t *a)
{
	pthread_mutex_init(&m_held, a);
	pthread_t t;
	pthread_create(&t, NULL, lock_m_held, NULL);
	pthread_join(t, NULL);
}

/* ---- thread attributes ------------------------------------------------ */

static pthread_attr_t attr;
static char stack_buf[1 << 16] __attribute__((aligned(4096)));

static const char *attr_detach_42(void)
{
	pthread_attr_init(&attr);
	return err(pthread_attr_setdetachstate(&attr, 42));
}

static const char *attr_scope_process(void)
{
	pthread_attr_init(&attr);
	return err(pthread_attr_setscope(&attr, PTHREAD_SCOPE_PROCESS));
}

static const char *attr_scope_42(void)
{
	pthread_attr_init(&attr);
	return err(pthread_attr_setscope(&attr, 42));
}

static const char *attr_inherit_42(void)
{
	pthread_attr_init(&attr);
	return err(pthread_attr_setinheritsched(&attr, 42));
}

static const char *attr_policy_42(void)
{
	pthread_attr_init(&attr);
	return err(pthread_attr_setschedpolicy(&attr, 42));
}

static const char *attr_param_other_5(void)
{
	pthread_attr_init(&attr);
	struct sched_param p = { .sched_priority = 5 };
	return err(pthread_attr_setschedparam(&attr, &p));
}

static const char *attr_param_fifo_0(void)
{
	pthread_attr_init(&attr);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	struct sched_param p = { .sched_priority = 0 };
	return err(pthread_attr_setschedparam(&attr, &p));
}

static const char *attr_param_fifo_100(void)
{
	pthread_attr_init(&attr);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	struct sched_param p = { .sched_priority = 100 };
	return err(pthread_attr_setschedparam(&attr, &p));
}

static const char *attr_stacksize_small(void)
{
	pthread_attr_init(&attr);
	return err(pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN - 1));
}

static const char *attr_stacksize_0(void)
{
	pthread_attr_init(&attr);
	return err(pthread_attr_setstacksize(&attr, 0));
}

static const char *attr_stack_small(void)
{
	pthread_attr_init(&attr);
	return err(pthread_attr_setstack(&attr, stack_buf,
					 PTHREAD_STACK_MIN - 1));
}

static const char *attr_getsigmask_none(void)
{
	sigset_t s;
	pthread_attr_init(&attr);
	return num(pthread_attr_getsigmask_np(&attr, &s));
}

static const char *attr_affinity_size_0(void)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	pthread_attr_init(&attr);
	return err(pthread_attr_setaffinity_np(&attr, 0, &s));
}

static const char *create_stack_huge(void)
{
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1ul << 46);
	return err(pthread_create(&t, &attr, returns, NULL));
}

static const char *create_affinity_absent_cpu(void)
{
	pthread_t t;
	cpu_set_t *set = CPU_ALLOC(4096);
	size_t size = CPU_ALLOC_SIZE(4096);
	CPU_ZERO_S(size, set);
	CPU_SET_S(4095, size, set);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, size, set);
	int e = pthread_create(&t, &attr, returns, NULL);
	if (e == 0)
		pthread_join(t, NULL);
	return err(e);
}

static const char *create_inherit_explicit_fifo(void)
{
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	struct sched_param p = { .sched_priority = 1 };
	pthread_attr_setschedparam(&attr, &p);
	int e = pthread_create(&t, &attr, returns, NULL);
	if (e == 0)
		pthread_join(t, NULL);
	return err(e);
}

static const char *default_stack_address(void)
{
	pthread_attr_init(&attr);
	pthread_attr_setstack(&attr, stack_buf, sizeof stack_buf);
	return err(pthread_setattr_default_np(&attr));
}

static const char *default_policy_fifo(void)
{
	pthread_attr_init(&attr);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	return err(pthread_setattr_default_np(&attr));
}

/* ---- mutex attributes and mutexes --------------------------------------- */

static pthread_mutexattr_t mattr;
static pthread_mutex_t mtx;

static const char *mattr_type_42(void)
{
	pthread_mutexattr_init(&mattr);
	return err(pthread_mutexattr_settype(&mattr, 42));
}

static const char *mattr_pshared_42(void)
{
	pthread_mutexattr_init(&mattr);
	return err(pthread_mutexattr_setpshared(&mattr, 42));
}

static const char *mattr_protocol_42(void)
{
	pthread_mutexattr_init(&mattr);
	return err(pthread_mutexattr_setprotocol(&mattr, 42));
}

static const char *mattr_robust_42(void)
{
	pthread_mutexattr_init(&mattr);
	return err(pthread_mutexattr_setrobust(&mattr, 42));
}

static const char *mattr_ceiling_1000(void)
{
	pthread_mutexattr_init(&mattr);
	return err(pthread_mutexattr_setprioceiling(&mattr, 1000));
}

static void typed_mutex(int type)
{
	pthread_mutexattr_init(&mattr);
	pthread_mutexattr_settype(&mattr, type);
	pthread_mutex_init(&mtx, &mattr);
}

static const char *errorcheck_unlock_unlocked(void)
{
	typed_mutex(PTHREAD_MUTEX_ERRORCHECK);
	return err(pthread_mutex_unlock(&mtx));
}

static const char *errorcheck_unlock_other(void)
{
	typed_mutex(PTHREAD_MUTEX_ERRORCHECK);
	lock_elsewhere(&mattr);
	return err(pthread_mutex_unlock(&m_held));
}

static const char *errorcheck_relock(void)
{
	typed_mutex(PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_lock(&mtx);
	return err(pthread_mutex_lock(&mtx));
}

static const char *errorcheck_timed_relock(void)
{
	typed_mutex(PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_lock(&mtx);
	struct timespec ts = fault_ts_after(CLOCK_REALTIME, 1000000000);
	return err(pthread_mutex_timedlock(&mtx, &ts));
}

static const char *errorcheck_trylock_owner(void)
{
	typed_mutex(PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_lock(&mtx);
	return err(pthread_mutex_trylock(&mtx));
}

static const char *recursive_unlock_unlocked(void)
{
	typed_mutex(PTHREAD_MUTEX_RECURSIVE);
	return err(pthread_mutex_unlock(&mtx));
}

static const char *recursive_unlock_other(void)
{
	typed_mutex(PTHREAD_MUTEX_RECURSIVE);
	lock_elsewhere(&mattr);
	return err(pthread_mutex_unlock(&m_held));
}

static const char *normal_trylock_held(void)
{
	typed_mutex(PTHREAD_MUTEX_NORMAL);
	pthread_mutex_lock(&mtx);
	return err(pthread_mutex_trylock(&mtx));
}

static const char *timedlock_held_nsec_neg(void)
{
	lock_elsewhere(NULL);
	return err(pthread_mutex_timedlock(&m_held, &nsec_neg));
}

static const char *timedlock_held_nsec_big(void)
{
	lock_elsewhere(NULL);
	return err(pthread_mutex_timedlock(&m_held, &nsec_big));
}

static const char *timedlock_free_nsec_big(void)
{
	pthread_mutex_init(&mtx, NULL);
	return err(pthread_mutex_timedlock(&mtx, &nsec_big));
}

static const char *timedlock_held_sec_neg(void)
{
	lock_elsewhere(NULL);
	return err(pthread_mutex_timedlock(&m_held, &sec_neg));
}

static const char *clocklock_held_cputime(void)
{
	lock_elsewhere(NULL);
	struct timespec ts = past();
	return err(pthread_mutex_clocklock(&m_held, CLOCK_PROCESS_CPUTIME_ID,
					   &ts));
}

static const char *clocklock_held_42(void)
{
	lock_elsewhere(NULL);
	struct timespec ts = past();
	return err(pthread_mutex_clocklock(&m_held, 42, &ts));
}

static const char *clocklock_free_42(void)
{
	pthread_mutex_init(&mtx, NULL);
	struct timespec ts = past();
	return err(pthread_mutex_clocklock(&mtx, 42, &ts));
}

static const char *destroy_locked_mutex(void)
{
	pthread_mutex_init(&mtx, NULL);
	pthread_mutex_lock(&mtx);
	return err(pthread_mutex_destroy(&mtx));
}

static const char *consistent_normal(void)
{
	pthread_mutex_init(&mtx, NULL);
	return err(pthread_mutex_consistent(&mtx));
}

static const char *consistent_robust_fine(void)
{
	pthread_mutexattr_init(&mattr);
	pthread_mutexattr_setrobust(&mattr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&mtx, &mattr);
	pthread_mutex_lock(&mtx);
	return err(pthread_mutex_consistent(&mtx));
}

static const char *getprioceiling_normal(void)
{
	int c;
	pthread_mutex_init(&mtx, NULL);
	return err(pthread_mutex_getprioceiling(&mtx, &c));
}

static const char *setprioceiling_normal(void)
{
	int old;
	pthread_mutex_init(&mtx, NULL);
	return err(pthread_mutex_setprioceiling(&mtx, 1, &old));
}

static const char *init_prio_inherit(void)
{
	pthread_mutexattr_init(&mattr);
	pthread_mutexattr_setprotocol(&mattr, PTHREAD_PRIO_INHERIT);
	return err(pthread_mutex_init(&mtx, &mattr));
}

static const char *init_prio_protect(void)
{
	pthread_mutexattr_init(&mattr);
	pthread_mutexattr_setprotocol(&mattr, PTHREAD_PRIO_PROTECT);
	pthread_mutexattr_setprioceiling(&mattr, 1);
	return err(pthread_mutex_init(&mtx, &mattr));
}

/* glibc checks the kind word of the mutex it is given: 8 is no type. */
static const char *lock_bad_kind(void)
{
	pthread_mutex_init(&mtx, NULL);
	mtx.__data.__kind = 8;
	return err(pthread_mutex_lock(&mtx));
}

static const char *trylock_bad_kind(void)
{
	pthread_mutex_init(&mtx, NULL);
	mtx.__data.__kind = 8;
	return err(pthread_mutex_trylock(&mtx));
}

/* ---- condition variables ---------------------------------------------- */

static pthread_condattr_t cattr;
static pthread_cond_t cnd = PTHREAD_COND_INITIALIZER;

static const char *cattr_clock_cputime(void)
{
	pthread_condattr_init(&cattr);
	return err(pthread_condattr_setclock(&cattr, CLOCK_PROCESS_CPUTIME_ID));
}

static const char *cattr_clock_42(void)
{
	pthread_condattr_init(&cattr);
	return err(pthread_condattr_setclock(&cattr, 42));
}

static const char *cattr_clock_monotonic_raw(void)
{
	pthread_condattr_init(&cattr);
	return err(pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC_RAW));
}

static const char *cattr_pshared_42(void)
{
	pthread_condattr_init(&cattr);
	return err(pthread_condattr_setpshared(&cattr, 42));
}

static const char *cond_timedwait_nsec_neg(void)
{
	pthread_mutex_init(&mtx, NULL);
	pthread_mutex_lock(&mtx);
	return err(pthread_cond_timedwait(&cnd, &mtx, &nsec_neg));
}

static const char *cond_timedwait_nsec_big(void)
{
	pthread_mutex_init(&mtx, NULL);
	pthread_mutex_lock(&mtx);
	return err(pthread_cond_timedwait(&cnd, &mtx, &nsec_big));
}

static const char *cond_timedwait_sec_neg(void)
{
	pthread_mutex_init(&mtx, NULL);
	pthread_mutex_lock(&mtx);
	return err(pthread_cond_timedwait(&cnd, &mtx, &sec_neg));
}

static const char *cond_clockwait_42(void)
{
	struct timespec ts = past();
	pthread_mutex_init(&mtx, NULL);
	pthread_mutex_lock(&mtx);
	return err(pthread_cond_clockwait(&cnd, &mtx, 42, &ts));
}

static const char *cond_clockwait_cputime(void)
{
	struct timespec ts = past();
	pthread_mutex_init(&mtx, NULL);
	pthread_mutex_lock(&mtx);
	return err(pthread_cond_clockwait(&cnd, &mtx, CLOCK_PROCESS_CPUTIME_ID,
					  &ts));
}

static const char *cond_wait_errorcheck_unowned(void)
{
	typed_mutex(PTHREAD_MUTEX_ERRORCHECK);
	return err(pthread_cond_wait(&cnd, &mtx));
}

static const char *cond_timedwait_errorcheck_unowned(void)
{
	struct timespec ts = fault_ts_after(CLOCK_REALTIME, 1000000000);
	typed_mutex(PTHREAD_MUTEX_ERRORCHECK);
	return err(pthread_cond_timedwait(&cnd, &mtx, &ts));
}

static const char *cond_wait_recursive_unowned(void)
{
	typed_mutex(PTHREAD_MUTEX_RECURSIVE);
	return err(pthread_cond_wait(&cnd, &mtx));
}

/* ---- read-write locks --------------------------------------------------- */

static pthread_rwlockattr_t rwattr;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

static const char *rwattr_kind_42(void)
{
	pthread_rwlockattr_init(&rwattr);
	return err(pthread_rwlockattr_setkind_np(&rwattr, 42));
}

static const char *rwattr_pshared_42(void)
{
	pthread_rwlockattr_init(&rwattr);
	return err(pthread_rwlockattr_setpshared(&rwattr, 42));
}

static const char *rw_wrlock_twice(void)
{
	pthread_rwlock_wrlock(&rw);
	return err(pthread_rwlock_wrlock(&rw));
}

static const char *rw_rdlock_own_write(void)
{
	pthread_rwlock_wrlock(&rw);
	return err(pthread_rwlock_rdlock(&rw));
}

static const char *rw_timedwrlock_twice(void)
{
	struct timespec ts = fault_ts_after(CLOCK_REALTIME, 1000000000);
	pthread_rwlock_wrlock(&rw);
	return err(pthread_rwlock_timedwrlock(&rw, &ts));
}

static const char *rw_trywrlock_read_held(void)
{
	pthread_rwlock_rdlock(&rw);
	return err(pthread_rwlock_trywrlock(&rw));
}

static const char *rw_tryrdlock_own_write(void)
{
	pthread_rwlock_wrlock(&rw);
	return err(pthread_rwlock_tryrdlock(&rw));
}

static const char *rw_timedwrlock_nsec_big(void)
{
	pthread_rwlock_rdlock(&rw);
	return err(pthread_rwlock_timedwrlock(&rw, &nsec_big));
}

static const char *rw_timedrdlock_nsec_neg(void)
{
	pthread_rwlock_wrlock(&rw);
	return err(pthread_rwlock_timedrdlock(&rw, &nsec_neg));
}

static const char *rw_timedwrlock_free_nsec_big(void)
{
	return err(pthread_rwlock_timedwrlock(&rw, &nsec_big));
}

static const char *rw_timedwrlock_sec_neg(void)
{
	pthread_rwlock_rdlock(&rw);
	return err(pthread_rwlock_timedwrlock(&rw, &sec_neg));
}

static const char *rw_clockwrlock_42(void)
{
	struct timespec ts = past();
	pthread_rwlock_rdlock(&rw);
	return err(pthread_rwlock_clockwrlock(&rw, 42, &ts));
}

static const char *rw_clockrdlock_cputime(void)
{
	struct timespec ts = past();
	pthread_rwlock_wrlock(&rw);
	return err(pthread_rwlock_clockrdlock(&rw, CLOCK_PROCESS_CPUTIME_ID,
					      &ts));
}

static const char *rw_destroy_locked(void)
{
	pthread_rwlock_rdlock(&rw);
	return err(pthread_rwlock_destroy(&rw));
}

/* ---- barriers and spin locks ------------------------------------------- */

static pthread_barrier_t bar;

static const char *barrier_count_0(void)
{
	return err(pthread_barrier_init(&bar, NULL, 0));
}

static const char *barrier_count_max(void)
{
	return err(pthread_barrier_init(&bar, NULL, UINT_MAX));
}

static const char *barrierattr_pshared_42(void)
{
	pthread_barrierattr_t a;
	pthread_barrierattr_init(&a);
	return err(pthread_barrierattr_setpshared(&a, 42));
}

static const char *barrier_count_1_wait(void)
{
	pthread_barrier_init(&bar, NULL, 1);
	return num(pthread_barrier_wait(&bar));
}

static const char *spin_init_42(void)
{
	pthread_spinlock_t s;
	return err(pthread_spin_init(&s, 42));
}

static const char *spin_trylock_held(void)
{
	pthread_spinlock_t s;
	pthread_spin_init(&s, 0);
	pthread_spin_lock(&s);
	return err(pthread_spin_trylock(&s));
}

/* ---- thread-specific data ----------------------------------------------- */

static const char *key_delete_unused(void)
{
	return err(pthread_key_delete(PTHREAD_KEYS_MAX - 1));
}

static const char *key_delete_huge(void)
{
	return err(pthread_key_delete(5000));
}

static const char *setspecific_huge(void)
{
	return err(pthread_setspecific(5000, &text));
}

static const char *setspecific_deleted(void)
{
	pthread_key_t k;
	pthread_key_create(&k, NULL);
	pthread_key_delete(k);
	return err(pthread_setspecific(k, &text));
}

static const char *getspecific_huge(void)
{
	return pthread_getspecific(5000) == NULL ? "NULL" : "not NULL";
}

static const char *key_create_exhausted(void)
{
	pthread_key_t k;
	int e;
	for (int i = 0; i <= PTHREAD_KEYS_MAX; i++)
		if ((e = pthread_key_create(&k, NULL)) != 0)
			return err(e);
	return "never fails";
}

/* ---- threads ------------------------------------------------------------ */

static const char *join_self(void)
{
	return err(pthread_join(pthread_self(), NULL));
}

static const char *tryjoin_self(void)
{
	return err(pthread_tryjoin_np(pthread_self(), NULL));
}

static const char *join_detached_running(void)
{
	pthread_t t = blocked_thread(NULL);
	pthread_detach(t);
	return err(pthread_join(t, NULL));
}

static const char *detach_detached_running(void)
{
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t t = blocked_thread(&attr);
	return err(pthread_detach(t));
}

static const char *tryjoin_running(void)
{
	return err(pthread_tryjoin_np(blocked_thread(NULL), NULL));
}

static const char *timedjoin_past(void)
{
	struct timespec ts = past();
	return err(pthread_timedjoin_np(blocked_thread(NULL), NULL, &ts));
}

static const char *clockjoin_42(void)
{
	struct timespec ts = past();
	return err(pthread_clockjoin_np(blocked_thread(NULL), NULL, 42, &ts));
}

static const char *clockjoin_cputime(void)
{
	struct timespec ts = past();
	return err(pthread_clockjoin_np(blocked_thread(NULL), NULL,
					CLOCK_PROCESS_CPUTIME_ID, &ts));
}

static const char *setname_self_16(void)
{
	return err(pthread_setname_np(pthread_self(), "0123456789abcdef"));
}

static const char *setname_other_16(void)
{
	return err(pthread_setname_np(blocked_thread(NULL), "0123456789abcdef"));
}

static const char *getname_buf_15(void)
{
	char buf[15];
	return err(pthread_getname_np(pthread_self(), buf, sizeof buf));
}

static const char *getname_other_buf_15(void)
{
	char buf[15];
	return err(pthread_getname_np(blocked_thread(NULL), buf, sizeof buf));
}

static const char *setschedparam_42(void)
{
	struct sched_param p = { 0 };
	return err(pthread_setschedparam(pthread_self(), 42, &p));
}

static const char *setschedparam_other_5(void)
{
	struct sched_param p = { .sched_priority = 5 };
	return err(pthread_setschedparam(pthread_self(), SCHED_OTHER, &p));
}

static const char *setschedparam_fifo_0(void)
{
	struct sched_param p = { .sched_priority = 0 };
	return err(pthread_setschedparam(pthread_self(), SCHED_FIFO, &p));
}

static const char *setschedprio_1000(void)
{
	return err(pthread_setschedprio(pthread_self(), 1000));
}

static const char *setconcurrency_neg(void)
{
	return err(pthread_setconcurrency(-1));
}

static const char *setcancelstate_42(void)
{
	return err(pthread_setcancelstate(42, NULL));
}

static const char *setcanceltype_42(void)
{
	return err(pthread_setcanceltype(42, NULL));
}

static const char *kill_sig_huge(void)
{
	return err(pthread_kill(pthread_self(), 12345));
}

static const char *kill_sig_neg(void)
{
	return err(pthread_kill(pthread_self(), -1));
}

static const char *kill_sigcancel(void)
{
	return err(pthread_kill(pthread_self(), 32));
}

static const char *kill_sigsetxid(void)
{
	return err(pthread_kill(pthread_self(), 33));
}

static const char *kill_sig_0(void)
{
	return err(pthread_kill(pthread_self(), 0));
}

static const char *kill_exited(void)
{
	pthread_t t;
	pthread_create(&t, NULL, returns, NULL);
	usleep(100000); /* it has exited; not joined, so t is still valid */
	return err(pthread_kill(t, 0));
}

static const char *cancel_exited(void)
{
	pthread_t t;
	pthread_create(&t, NULL, returns, NULL);
	usleep(100000);
	return err(pthread_cancel(t));
}

static const char *sigqueue_sig_neg(void)
{
	return err(pthread_sigqueue(pthread_self(), -1, (union sigval){ 0 }));
}

static const char *sigqueue_sigcancel(void)
{
	return err(pthread_sigqueue(pthread_self(), 32, (union sigval){ 0 }));
}

static const char *sigmask_how_42(void)
{
	sigset_t s;
	sigemptyset(&s);
	return err(pthread_sigmask(42, &s, NULL));
}

static const char *setaffinity_empty(void)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	return err(pthread_setaffinity_np(pthread_self(), sizeof s, &s));
}

static const char *setaffinity_absent_cpu(void)
{
	cpu_set_t *set = CPU_ALLOC(4096);
	size_t size = CPU_ALLOC_SIZE(4096);
	CPU_ZERO_S(size, set);
	CPU_SET_S(4095, size, set);
	return err(pthread_setaffinity_np(pthread_self(), size, set));
}

static const char *getaffinity_size_1(void)
{
	cpu_set_t s;
	return err(pthread_getaffinity_np(pthread_self(), 1, &s));
}

static const char *getcpuclockid_self(void)
{
	clockid_t c;
	return err(pthread_getcpuclockid(pthread_self(), &c));
}

/* ---- semaphores --------------------------------------------------------- */

static sem_t sem;

static const char *sem_init_too_big(void)
{
	return neg(sem_init(&sem, 0, (unsigned)SEM_VALUE_MAX + 1));
}

static const char *sem_post_overflow(void)
{
	sem_init(&sem, 0, SEM_VALUE_MAX);
	return neg(sem_post(&sem));
}

static const char *sem_trywait_zero(void)
{
	sem_init(&sem, 0, 0);
	return neg(sem_trywait(&sem));
}

static const char *sem_timedwait_nsec_neg(void)
{
	sem_init(&sem, 0, 0);
	return neg(sem_timedwait(&sem, &nsec_neg));
}

static const char *sem_timedwait_nsec_big_available(void)
{
	sem_init(&sem, 0, 1);
	return neg(sem_timedwait(&sem, &nsec_big));
}

static const char *sem_timedwait_sec_neg(void)
{
	sem_init(&sem, 0, 0);
	return neg(sem_timedwait(&sem, &sec_neg));
}

static const char *sem_clockwait_42(void)
{
	struct timespec ts = past();
	sem_init(&sem, 0, 0);
	return neg(sem_clockwait(&sem, 42, &ts));
}

static const char *sem_clockwait_cputime(void)
{
	struct timespec ts = past();
	sem_init(&sem, 0, 0);
	return neg(sem_clockwait(&sem, CLOCK_PROCESS_CPUTIME_ID, &ts));
}

static const char *sem_open_missing(void)
{
	sem_unlink(SEM_NAME);
	return sem_ptr(sem_open(SEM_NAME, 0));
}

static const char *sem_open_excl_existing(void)
{
	sem_t *s = sem_open(SEM_NAME, O_CREAT, 0600, 0);
	const char *r = sem_ptr(sem_open(SEM_NAME, O_CREAT | O_EXCL, 0600, 0));
	sem_close(s);
	sem_unlink(SEM_NAME);
	return r;
}

static const char *sem_open_value_too_big(void)
{
	sem_unlink(SEM_NAME);
	return sem_ptr(sem_open(SEM_NAME, O_CREAT, 0600,
				(unsigned)SEM_VALUE_MAX + 1));
}

static const char *sem_open_name_long(void)
{
	char name[300];
	name[0] = '/';
	memset(name + 1, 'x', sizeof name - 2);
	name[sizeof name - 1] = '\0';
	return sem_ptr(sem_open(name, O_CREAT, 0600, 0));
}

static const char *sem_open_name_slash(void)
{
	return sem_ptr(sem_open("/libshim/fault", O_CREAT, 0600, 0));
}

static const char *sem_open_name_empty(void)
{
	return sem_ptr(sem_open("", O_CREAT, 0600, 0));
}

static const char *sem_open_name_root(void)
{
	return sem_ptr(sem_open("/", O_CREAT, 0600, 0));
}

static const char *sem_unlink_missing(void)
{
	sem_unlink(SEM_NAME);
	return neg(sem_unlink(SEM_NAME));
}

static const char *sem_close_unnamed(void)
{
	sem_init(&sem, 0, 0);
	return neg(sem_close(&sem));
}

/* ---- C11 threads -------------------------------------------------------- */

static mtx_t cm;
static cnd_t cc;

static const char *c11_mtx_init_42(void)
{
	return thrd(mtx_init(&cm, 42));
}

static const char *c11_mtx_trylock_held(void)
{
	mtx_init(&cm, mtx_plain);
	mtx_lock(&cm);
	return thrd(mtx_trylock(&cm));
}

static const char *c11_mtx_timedlock_nsec_big(void)
{
	mtx_init(&cm, mtx_timed);
	mtx_lock(&cm);
	return thrd(mtx_timedlock(&cm, &nsec_big));
}

static const char *c11_cnd_timedwait_nsec_neg(void)
{
	mtx_init(&cm, mtx_plain);
	cnd_init(&cc);
	mtx_lock(&cm);
	return thrd(cnd_timedwait(&cc, &cm, &nsec_neg));
}

static const char *c11_cnd_timedwait_past(void)
{
	struct timespec ts = past();
	mtx_init(&cm, mtx_plain);
	cnd_init(&cc);
	mtx_lock(&cm);
	return thrd(cnd_timedwait(&cc, &cm, &ts));
}

static const char *c11_thrd_join_self(void)
{
	return thrd(thrd_join(thrd_current(), NULL));
}

static const char *c11_thrd_detach_twice(void)
{
	pthread_t t = blocked_thread(NULL);
	thrd_detach((thrd_t)t);
	return thrd(thrd_detach((thrd_t)t));
}

static const char *c11_tss_set_huge(void)
{
	return thrd(tss_set(5000, &text));
}

static const char *c11_thrd_sleep_nsec_neg(void)
{
	return num(thrd_sleep(&nsec_neg, NULL));
}

static const char *c11_thrd_sleep_nsec_big(void)
{
	return num(thrd_sleep(&nsec_big, NULL));
}

/* ---- the table ---------------------------------------------------------- */

static const struct row rows[] = {
	{ "pthread_attr_setdetachstate", "42", attr_detach_42 },
	{ "pthread_attr_setscope", "PTHREAD_SCOPE_PROCESS", attr_scope_process },
	{ "pthread_attr_setscope", "42", attr_scope_42 },
	{ "pthread_attr_setinheritsched", "42", attr_inherit_42 },
	{ "pthread_attr_setschedpolicy", "42", attr_policy_42 },
	{ "pthread_attr_setschedparam", "SCHED_OTHER, priority 5", attr_param_other_5 },
	{ "pthread_attr_setschedparam", "SCHED_FIFO, priority 0", attr_param_fifo_0 },
	{ "pthread_attr_setschedparam", "SCHED_FIFO, priority 100", attr_param_fifo_100 },
	{ "pthread_attr_setstacksize", "PTHREAD_STACK_MIN - 1", attr_stacksize_small },
	{ "pthread_attr_setstacksize", "0", attr_stacksize_0 },
	{ "pthread_attr_setstack", "size PTHREAD_STACK_MIN - 1", attr_stack_small },
	{ "pthread_attr_getsigmask_np", "no mask set (returns a value)", attr_getsigmask_none },
	{ "pthread_attr_setaffinity_np", "size 0", attr_affinity_size_0 },
	{ "pthread_create", "stack size 2^46", create_stack_huge },
	{ "pthread_create", "affinity: only CPU 4095", create_affinity_absent_cpu },
	{ "pthread_create", "EXPLICIT_SCHED, SCHED_FIFO 1", create_inherit_explicit_fifo },
	{ "pthread_setattr_default_np", "a stack address set", default_stack_address },
	{ "pthread_setattr_default_np", "SCHED_FIFO policy", default_policy_fifo },

	{ "pthread_mutexattr_settype", "42", mattr_type_42 },
	{ "pthread_mutexattr_setpshared", "42", mattr_pshared_42 },
	{ "pthread_mutexattr_setprotocol", "42", mattr_protocol_42 },
	{ "pthread_mutexattr_setrobust", "42", mattr_robust_42 },
	{ "pthread_mutexattr_setprioceiling", "1000", mattr_ceiling_1000 },
	{ "pthread_mutex_init", "PTHREAD_PRIO_INHERIT", init_prio_inherit },
	{ "pthread_mutex_init", "PTHREAD_PRIO_PROTECT, ceiling 1", init_prio_protect },
	{ "pthread_mutex_unlock", "errorcheck, unlocked", errorcheck_unlock_unlocked },
	{ "pthread_mutex_unlock", "errorcheck, held by another thread", errorcheck_unlock_other },
	{ "pthread_mutex_unlock", "recursive, unlocked", recursive_unlock_unlocked },
	{ "pthread_mutex_unlock", "recursive, held by another thread", recursive_unlock_other },
	{ "pthread_mutex_lock", "errorcheck, held by the caller", errorcheck_relock },
	{ "pthread_mutex_timedlock", "errorcheck, held by the caller", errorcheck_timed_relock },
	{ "pthread_mutex_trylock", "errorcheck, held by the caller", errorcheck_trylock_owner },
	{ "pthread_mutex_trylock", "normal, held", normal_trylock_held },
	{ "pthread_mutex_timedlock", "held, tv_nsec -1", timedlock_held_nsec_neg },
	{ "pthread_mutex_timedlock", "held, tv_nsec 1e9", timedlock_held_nsec_big },
	{ "pthread_mutex_timedlock", "free, tv_nsec 1e9", timedlock_free_nsec_big },
	{ "pthread_mutex_timedlock", "held, tv_sec -1", timedlock_held_sec_neg },
	{ "pthread_mutex_clocklock", "held, CLOCK_PROCESS_CPUTIME_ID", clocklock_held_cputime },
	{ "pthread_mutex_clocklock", "held, clock 42", clocklock_held_42 },
	{ "pthread_mutex_clocklock", "free, clock 42", clocklock_free_42 },
	{ "pthread_mutex_destroy", "locked", destroy_locked_mutex },
	{ "pthread_mutex_consistent", "normal mutex", consistent_normal },
	{ "pthread_mutex_consistent", "robust, held, owner alive", consistent_robust_fine },
	{ "pthread_mutex_getprioceiling", "normal mutex", getprioceiling_normal },
	{ "pthread_mutex_setprioceiling", "normal mutex", setprioceiling_normal },
	{ "pthread_mutex_lock", "corrupt kind word", lock_bad_kind },
	{ "pthread_mutex_trylock", "corrupt kind word", trylock_bad_kind },

	{ "pthread_condattr_setclock", "CLOCK_PROCESS_CPUTIME_ID", cattr_clock_cputime },
	{ "pthread_condattr_setclock", "42", cattr_clock_42 },
	{ "pthread_condattr_setclock", "CLOCK_MONOTONIC_RAW", cattr_clock_monotonic_raw },
	{ "pthread_condattr_setpshared", "42", cattr_pshared_42 },
	{ "pthread_cond_timedwait", "tv_nsec -1", cond_timedwait_nsec_neg },
	{ "pthread_cond_timedwait", "tv_nsec 1e9", cond_timedwait_nsec_big },
	{ "pthread_cond_timedwait", "tv_sec -1", cond_timedwait_sec_neg },
	{ "pthread_cond_clockwait", "clock 42", cond_clockwait_42 },
	{ "pthread_cond_clockwait", "CLOCK_PROCESS_CPUTIME_ID", cond_clockwait_cputime },
	{ "pthread_cond_wait", "errorcheck mutex not held", cond_wait_errorcheck_unowned },
	{ "pthread_cond_timedwait", "errorcheck mutex not held", cond_timedwait_errorcheck_unowned },
	{ "pthread_cond_wait", "recursive mutex not held", cond_wait_recursive_unowned },

	{ "pthread_rwlockattr_setkind_np", "42", rwattr_kind_42 },
	{ "pthread_rwlockattr_setpshared", "42", rwattr_pshared_42 },
	{ "pthread_rwlock_wrlock", "write-held by the caller", rw_wrlock_twice },
	{ "pthread_rwlock_rdlock", "write-held by the caller", rw_rdlock_own_write },
	{ "pthread_rwlock_timedwrlock", "write-held by the caller", rw_timedwrlock_twice },
	{ "pthread_rwlock_trywrlock", "read-held", rw_trywrlock_read_held },
	{ "pthread_rwlock_tryrdlock", "write-held by the caller", rw_tryrdlock_own_write },
	{ "pthread_rwlock_timedwrlock", "read-held, tv_nsec 1e9", rw_timedwrlock_nsec_big },
	{ "pthread_rwlock_timedrdlock", "write-held, tv_nsec -1", rw_timedrdlock_nsec_neg },
	{ "pthread_rwlock_timedwrlock", "free, tv_nsec 1e9", rw_timedwrlock_free_nsec_big },
	{ "pthread_rwlock_timedwrlock", "read-held, tv_sec -1", rw_timedwrlock_sec_neg },
	{ "pthread_rwlock_clockwrlock", "read-held, clock 42", rw_clockwrlock_42 },
	{ "pthread_rwlock_clockrdlock", "write-held, CLOCK_PROCESS_CPUTIME_ID", rw_clockrdlock_cputime },
	{ "pthread_rwlock_destroy", "read-held", rw_destroy_locked },

	{ "pthread_barrier_init", "count 0", barrier_count_0 },
	{ "pthread_barrier_init", "count UINT_MAX", barrier_count_max },
	{ "pthread_barrierattr_setpshared", "42", barrierattr_pshared_42 },
	{ "pthread_barrier_wait", "count 1 (returns a value)", barrier_count_1_wait },
	{ "pthread_spin_init", "pshared 42", spin_init_42 },
	{ "pthread_spin_trylock", "held", spin_trylock_held },

	{ "pthread_key_delete", "PTHREAD_KEYS_MAX - 1, never created", key_delete_unused },
	{ "pthread_key_delete", "5000", key_delete_huge },
	{ "pthread_setspecific", "key 5000", setspecific_huge },
	{ "pthread_setspecific", "deleted key", setspecific_deleted },
	{ "pthread_getspecific", "key 5000 (returns a value)", getspecific_huge },
	{ "pthread_key_create", "PTHREAD_KEYS_MAX + 1 times", key_create_exhausted },

	{ "pthread_join", "self", join_self },
	{ "pthread_tryjoin_np", "self", tryjoin_self },
	{ "pthread_join", "detached, running", join_detached_running },
	{ "pthread_detach", "detached, running", detach_detached_running },
	{ "pthread_tryjoin_np", "running", tryjoin_running },
	{ "pthread_timedjoin_np", "running, deadline passed", timedjoin_past },
	{ "pthread_clockjoin_np", "running, clock 42", clockjoin_42 },
	{ "pthread_clockjoin_np", "running, CLOCK_PROCESS_CPUTIME_ID", clockjoin_cputime },
	{ "pthread_setname_np", "self, 16 characters", setname_self_16 },
	{ "pthread_setname_np", "other thread, 16 characters", setname_other_16 },
	{ "pthread_getname_np", "self, 15-byte buffer", getname_buf_15 },
	{ "pthread_getname_np", "other thread, 15-byte buffer", getname_other_buf_15 },
	{ "pthread_setschedparam", "policy 42", setschedparam_42 },
	{ "pthread_setschedparam", "SCHED_OTHER, priority 5", setschedparam_other_5 },
	{ "pthread_setschedparam", "SCHED_FIFO, priority 0", setschedparam_fifo_0 },
	{ "pthread_setschedprio", "1000", setschedprio_1000 },
	{ "pthread_setconcurrency", "-1", setconcurrency_neg },
	{ "pthread_setcancelstate", "42", setcancelstate_42 },
	{ "pthread_setcanceltype", "42", setcanceltype_42 },
	{ "pthread_kill", "signal 12345", kill_sig_huge },
	{ "pthread_kill", "signal -1", kill_sig_neg },
	{ "pthread_kill", "signal 32 (SIGCANCEL)", kill_sigcancel },
	{ "pthread_kill", "signal 33 (SIGSETXID)", kill_sigsetxid },
	{ "pthread_kill", "signal 0", kill_sig_0 },
	{ "pthread_kill", "exited, not joined, signal 0", kill_exited },
	{ "pthread_cancel", "exited, not joined", cancel_exited },
	{ "pthread_sigqueue", "signal -1", sigqueue_sig_neg },
	{ "pthread_sigqueue", "signal 32 (SIGCANCEL)", sigqueue_sigcancel },
	{ "pthread_sigmask", "how 42", sigmask_how_42 },
	{ "pthread_setaffinity_np", "empty set", setaffinity_empty },
	{ "pthread_setaffinity_np", "only CPU 4095", setaffinity_absent_cpu },
	{ "pthread_getaffinity_np", "size 1", getaffinity_size_1 },
	{ "pthread_getcpuclockid", "self", getcpuclockid_self },

	{ "sem_init", "value SEM_VALUE_MAX + 1", sem_init_too_big },
	{ "sem_post", "value SEM_VALUE_MAX", sem_post_overflow },
	{ "sem_trywait", "value 0", sem_trywait_zero },
	{ "sem_timedwait", "value 0, tv_nsec -1", sem_timedwait_nsec_neg },
	{ "sem_timedwait", "value 1, tv_nsec 1e9", sem_timedwait_nsec_big_available },
	{ "sem_timedwait", "value 0, tv_sec -1", sem_timedwait_sec_neg },
	{ "sem_clockwait", "clock 42", sem_clockwait_42 },
	{ "sem_clockwait", "CLOCK_PROCESS_CPUTIME_ID", sem_clockwait_cputime },
	{ "sem_open", "missing, no O_CREAT", sem_open_missing },
	{ "sem_open", "O_CREAT | O_EXCL, existing", sem_open_excl_existing },
	{ "sem_open", "O_CREAT, value SEM_VALUE_MAX + 1", sem_open_value_too_big },
	{ "sem_open", "name of 299 characters", sem_open_name_long },
	{ "sem_open", "name with an inner '/'", sem_open_name_slash },
	{ "sem_open", "empty name", sem_open_name_empty },
	{ "sem_open", "name \"/\"", sem_open_name_root },
	{ "sem_unlink", "missing", sem_unlink_missing },
	{ "sem_close", "an unnamed semaphore", sem_close_unnamed },

	{ "mtx_init", "type 42", c11_mtx_init_42 },
	{ "mtx_trylock", "held", c11_mtx_trylock_held },
	{ "mtx_timedlock", "held, tv_nsec 1e9", c11_mtx_timedlock_nsec_big },
	{ "cnd_timedwait", "tv_nsec -1", c11_cnd_timedwait_nsec_neg },
	{ "cnd_timedwait", "deadline passed", c11_cnd_timedwait_past },
	{ "thrd_join", "self", c11_thrd_join_self },
	{ "thrd_detach", "twice, running", c11_thrd_detach_twice },
	{ "tss_set", "key 5000", c11_tss_set_huge },
	{ "thrd_sleep", "tv_nsec -1 (returns a value)", c11_thrd_sleep_nsec_neg },
	{ "thrd_sleep", "tv_nsec 1e9 (returns a value)", c11_thrd_sleep_nsec_big },
};

/* Run one row in a child; its result, or how the child ended. */
static void run_row(const struct row *r, char *out, size_t n)
{
	int p[2];
	if (pipe(p) != 0)
		exit(2);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		alarm(ROW_TIMEOUT_S);
		const char *res = r->run();
		if (write(p[1], res, strlen(res)) < 0)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	ssize_t len = 0, k;
	while ((k = read(p[0], out + len, n - 1 - (size_t)len)) > 0)
		len += k;
	out[len] = '\0';
	close(p[0]);
	int status;
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		snprintf(out, n, WTERMSIG(status) == SIGALRM
				 ? "hang" : "killed by SIG%s",
			 sigabbrev_np(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != 0 || len == 0)
		snprintf(out, n, "child exited with %d", WEXITSTATUS(status));
}

int main(void)
{
	/* One thread in the parent, so the parent's statistics show that
	 * libshim served it (the rows' children leave with _exit). */
	pthread_t t;
	CHECK0(pthread_create(&t, NULL, returns, NULL));
	CHECK0(pthread_join(t, NULL));

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char res[160];
		run_row(&rows[i], res, sizeof res);
		printf("row\t%s\t%s\t%s\n", rows[i].call, rows[i].args, res);
	}
	sem_unlink(SEM_NAME);
	fault_exit(1);
}
