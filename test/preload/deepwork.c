/*
 * test/preload/deepwork.c -- one side of each shared-object workout
 * (deepbind.h).  Compiled into the program and into the library, so the
 * same code runs once through each object's bindings: under an
 * RTLD_DEEPBIND load those are glibc's for the library unless libshim
 * rebinds it.
 */
#include <sched.h>

#include "deepbind.h"

static void *mutex_worker(void *p)
{
	struct deep_shared *sh = p;
	for (int i = 0; i < DEEP_ITERS; i++) {
		/* Some rounds spin on trylock: its fast path against the
		 * other side's lock word. */
		if (i % 16 == 0)
			while (pthread_mutex_trylock(&sh->mutex) != 0)
				sched_yield();
		else
			pthread_mutex_lock(&sh->mutex);
		sh->counter++;
		pthread_mutex_unlock(&sh->mutex);
	}
	return NULL;
}

static void *producer(void *p)
{
	struct deep_queue *q = p;
	for (int v = 1; v <= DEEP_ITEMS; v++) {
		pthread_mutex_lock(&q->lock);
		while (q->count == DEEP_QCAP)
			pthread_cond_wait(&q->nonfull, &q->lock);
		q->buf[(q->head + q->count++) % DEEP_QCAP] = v;
		pthread_cond_signal(&q->nonempty);
		pthread_mutex_unlock(&q->lock);
	}
	return NULL;
}

static void *consumer(void *p)
{
	struct deep_queue *q = p;
	for (int n = 0; n < DEEP_ITEMS; n++) {
		pthread_mutex_lock(&q->lock);
		while (q->count == 0)
			pthread_cond_wait(&q->nonempty, &q->lock);
		q->sum += q->buf[q->head];
		q->head = (q->head + 1) % DEEP_QCAP;
		q->count--;
		/* Consumers broadcast, producers signal: both wake-up calls
		 * meet waiters of the other side's implementation. */
		pthread_cond_broadcast(&q->nonfull);
		pthread_mutex_unlock(&q->lock);
	}
	return NULL;
}

static void *writer(void *p)
{
	struct deep_shared *sh = p;
	for (int i = 0; i < DEEP_ITERS; i++) {
		pthread_rwlock_wrlock(&sh->rwlock);
		sh->a++;
		sh->b++;
		pthread_rwlock_unlock(&sh->rwlock);
	}
	return NULL;
}

static void *reader(void *p)
{
	struct deep_shared *sh = p;
	for (int i = 0; i < DEEP_ITERS; i++) {
		pthread_rwlock_rdlock(&sh->rwlock);
		if (sh->a != sh->b)
			__atomic_fetch_add(&sh->torn, 1, __ATOMIC_RELAXED);
		pthread_rwlock_unlock(&sh->rwlock);
	}
	return NULL;
}

/* Serves first on sem[0] (posts it, waits sem[1]) or answers on it. */
static void *pinger(void *p)
{
	sem_t *s = p;
	for (int i = 0; i < DEEP_ITEMS; i++) {
		sem_post(&s[0]);
		while (sem_wait(&s[1]) != 0)
			;
	}
	return NULL;
}

static void *ponger(void *p)
{
	sem_t *s = p;
	for (int i = 0; i < DEEP_ITEMS; i++) {
		while (sem_wait(&s[0]) != 0)
			;
		sem_post(&s[1]);
	}
	return NULL;
}

static pthread_t threads[2 * DEEP_THREADS + 1];
static int nthreads;

static void start(void *(*fn)(void *), void *arg)
{
	if (pthread_create(&threads[nthreads], NULL, fn, arg) == 0)
		nthreads++;
}

int deep_side_start(struct deep_shared *sh, enum deep_phase phase, int side)
{
	nthreads = 0;
	switch (phase) {
	case DEEP_MUTEX:
		for (int i = 0; i < 2 * DEEP_THREADS; i++)
			start(mutex_worker, sh);
		break;
	case DEEP_COND:
		start(producer, side ? &sh->to_main : &sh->to_lib);
		start(consumer, side ? &sh->to_lib : &sh->to_main);
		break;
	case DEEP_RWLOCK:
		for (int i = 0; i < DEEP_THREADS; i++)
			start(writer, sh);
		start(reader, sh);
		break;
	default:
		start(side ? ponger : pinger, &sh->sem[0]);
		start(side ? pinger : ponger, &sh->sem[2]);
		break;
	}
	return nthreads;
}

void deep_side_join(void)
{
	for (int i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
}
