/*
 * bench/queue.c -- a bounded queue (mutex + two condition variables, the
 * textbook monitor) with 4 producers and 4 consumers, all on one lock.  On a
 * machine with fewer cores than threads this mixes every path: contended
 * lock, waits on both conditions, signals that find sleepers and signals that
 * find none.
 *
 * Correctness: every item is a distinct number; producers sum what they put
 * in, consumers sum what they take out, and after the drain the counts and
 * sums must match exactly (a lost wake-up hangs instead, which run.py reports).
 */
#include "bench.h"

enum { PRODUCERS = 4, CONSUMERS = 4, CAPACITY = 64 };

static struct queue {
	pthread_mutex_t mutex;
	pthread_cond_t not_full;
	pthread_cond_t not_empty;
	uint64_t items[CAPACITY];
	unsigned head, count;
	bool producers_done;
} queue = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER };

struct side {
	_Alignas(64) uint64_t items, sum;
	unsigned index;
};

static bench_gate_t gate;
static _Atomic int stop;

static void check(int err, const char *call)
{
	if (err != 0)
		bench_fail("queue: %s returned %d", call, err);
}

static void put(uint64_t item)
{
	check(pthread_mutex_lock(&queue.mutex), "pthread_mutex_lock");
	while (queue.count == CAPACITY)
		check(pthread_cond_wait(&queue.not_full, &queue.mutex), "pthread_cond_wait");
	queue.items[(queue.head + queue.count++) % CAPACITY] = item;
	check(pthread_cond_signal(&queue.not_empty), "pthread_cond_signal");
	check(pthread_mutex_unlock(&queue.mutex), "pthread_mutex_unlock");
}

/* False once the producers are done and the queue is drained. */
static bool get(uint64_t *item)
{
	bool got;

	check(pthread_mutex_lock(&queue.mutex), "pthread_mutex_lock");
	while (queue.count == 0 && !queue.producers_done)
		check(pthread_cond_wait(&queue.not_empty, &queue.mutex), "pthread_cond_wait");
	got = queue.count > 0;
	if (got) {
		*item = queue.items[queue.head];
		queue.head = (queue.head + 1) % CAPACITY;
		queue.count--;
		check(pthread_cond_signal(&queue.not_full), "pthread_cond_signal");
	}
	check(pthread_mutex_unlock(&queue.mutex), "pthread_mutex_unlock");
	return got;
}

static void *producer_main(void *arg)
{
	struct side *s = arg;

	bench_gate_wait(&gate);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		/* Distinct items: the producer's index in the low bits. */
		uint64_t item = (s->items << 3) | s->index;
		put(item);
		s->items++;
		s->sum += item;
	}
	return NULL;
}

static void *consumer_main(void *arg)
{
	struct side *s = arg;
	uint64_t item;

	bench_gate_wait(&gate);
	while (get(&item)) {
		s->items++;
		s->sum += item;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct side producers[PRODUCERS], consumers[CONSUMERS];
	pthread_t p_threads[PRODUCERS], c_threads[CONSUMERS];
	uint64_t put_items = 0, put_sum = 0, got_items = 0, got_sum = 0;

	bench_init(argc, argv);
	bench_report_impl("pthread_cond_signal", (void *)pthread_cond_signal);
	if (!bench_wanted("queue.4x4"))
		return 0;
	for (unsigned i = 0; i < PRODUCERS; i++) {
		producers[i].index = i;
		p_threads[i] = bench_spawn(producer_main, &producers[i]);
	}
	for (unsigned i = 0; i < CONSUMERS; i++)
		c_threads[i] = bench_spawn(consumer_main, &consumers[i]);
	double t0 = bench_now();
	bench_gate_open(&gate);
	bench_sleep_measurement();
	atomic_store_explicit(&stop, 1, memory_order_relaxed);
	double elapsed = bench_now() - t0;
	for (unsigned i = 0; i < PRODUCERS; i++) {
		bench_join(p_threads[i]);
		put_items += producers[i].items;
		put_sum += producers[i].sum;
	}
	check(pthread_mutex_lock(&queue.mutex), "pthread_mutex_lock");
	queue.producers_done = true;
	check(pthread_cond_broadcast(&queue.not_empty), "pthread_cond_broadcast");
	check(pthread_mutex_unlock(&queue.mutex), "pthread_mutex_unlock");
	for (unsigned i = 0; i < CONSUMERS; i++) {
		bench_join(c_threads[i]);
		got_items += consumers[i].items;
		got_sum += consumers[i].sum;
	}
	if (put_items != got_items || put_sum != got_sum || queue.count != 0)
		bench_fail("queue.4x4: put %llu items (sum %llu), got %llu (sum %llu), %u left",
			   (unsigned long long)put_items, (unsigned long long)put_sum,
			   (unsigned long long)got_items, (unsigned long long)got_sum, queue.count);
	bench_metric("queue.4x4", (double)put_items / elapsed / 1e6, "M items/s", true);
	return 0;
}
