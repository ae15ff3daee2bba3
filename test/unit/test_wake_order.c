/*
 * test_wake_order.c -- wake-up order (libshim/park.c): realtime waiters of
 * a mutex, a semaphore and a condition variable are woken highest
 * priority first.
 *
 * Raising priorities needs root; the test skips when SCHED_FIFO is
 * refused.
 */
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include "priotest.h"
#include "testutil.h"

/* ---- wake-up order of realtime waiters ---------------------------- */

enum wait_on { ON_MUTEX, ON_SEM, ON_COND };

struct order {
	enum wait_on on;
	pthread_mutex_t m;
	pthread_cond_t c;
	sem_t sem;
	bool go; /* under m: the condition ON_COND waiters wait for */
	_Atomic int woken[3], nwoken;
};

struct order_waiter {
	struct order *o;
	int prio;
	_Atomic pid_t tid;
	int sched_error;
};

static void *order_wait(void *arg)
{
	struct order_waiter *w = arg;
	struct order *o = w->o;
	w->sched_error = set_sched(SCHED_FIFO, w->prio);
	atomic_store(&w->tid, gettid_());
	if (w->sched_error != 0)
		return NULL;
	if (o->on == ON_SEM) {
		sem_wait(&o->sem);
	} else {
		pthread_mutex_lock(&o->m);
		while (o->on == ON_COND && !o->go)
			pthread_cond_wait(&o->c, &o->m);
		o->go = false;
	}
	o->woken[atomic_fetch_add(&o->nwoken, 1)] = w->prio;
	if (o->on != ON_SEM)
		pthread_mutex_unlock(&o->m);
	return NULL;
}

/* Let one waiter go and wait until it has said so. */
static void release_one(struct order *o, int n)
{
	if (o->on == ON_SEM) {
		sem_post(&o->sem);
	} else if (o->on == ON_COND) {
		pthread_mutex_lock(&o->m);
		o->go = true;
		pthread_cond_signal(&o->c);
		pthread_mutex_unlock(&o->m);
	} else if (n == 0) {
		pthread_mutex_unlock(&o->m); /* each waiter passes it on */
	}
	while (atomic_load(&o->nwoken) <= n)
		usleep(1000);
}

static void test_wake_order_by_priority(void **state)
{
	(void)state;
	static const int prios[3] = { 10, 30, 20 }; /* the order they queue */
	for (enum wait_on on = ON_MUTEX; on <= ON_COND; on++) {
		struct order o = { .on = on };
		pthread_mutex_init(&o.m, NULL);
		pthread_cond_init(&o.c, NULL);
		sem_init(&o.sem, 0, 0);
		if (on == ON_MUTEX)
			pthread_mutex_lock(&o.m);
		struct order_waiter w[3];
		pthread_t t[3];
		for (int i = 0; i < 3; i++) {
			w[i] = (struct order_waiter){ .o = &o, .prio = prios[i] };
			assert_int_equal(pthread_create(&t[i], NULL, order_wait,
							&w[i]), 0);
			while (atomic_load(&w[i].tid) == 0 ||
			       (w[i].sched_error == 0 &&
				!thread_asleep(atomic_load(&w[i].tid))))
				usleep(1000);
			if (w[i].sched_error != 0)
				skip();
		}
		/* glibc's kernel futex queues wake by priority too; libshim's
		 * park queues used to wake 10, 30, 20. */
		for (int n = 0; n < 3; n++)
			release_one(&o, n);
		for (int i = 0; i < 3; i++)
			pthread_join(t[i], NULL);
		assert_int_equal(o.woken[0], 30);
		assert_int_equal(o.woken[1], 20);
		assert_int_equal(o.woken[2], 10);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wake_order_by_priority),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
