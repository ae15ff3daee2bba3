"""test/realprogs/py_threads.py -- CPython threads, checked against serial
results: concurrent.futures.ThreadPoolExecutor hashing (hashlib drops the
GIL for large buffers, so the hashing really runs in parallel), and
threading's Lock, Condition, Event, Barrier and queue.Queue in a pipeline.
CPython's GIL and locks are pthread mutexes, condition variables and POSIX
semaphores.  Exit status 0 when everything agrees."""

import concurrent.futures
import hashlib
import queue
import sys
import threading

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("py_threads:", what, file=sys.stderr)


def chunk(i):
    return bytes((i * 131 + k) % 251 for k in range(256)) * 4096


def digest(i):
    return hashlib.sha256(chunk(i)).hexdigest()


def test_pool():
    expected = [digest(i) for i in range(32)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(digest, range(32)))
    check(got == expected, "ThreadPoolExecutor digests differ from the serial ones")


def test_pipeline():
    nproducers, nconsumers, items = 4, 4, 5000
    q = queue.Queue(maxsize=64)
    total_lock = threading.Lock()
    totals = {"sum": 0, "count": 0}
    start = threading.Event()
    barrier = threading.Barrier(nproducers + nconsumers)
    done_cond = threading.Condition()
    done = {"producers": 0}

    def producer(p):
        start.wait()
        barrier.wait()
        for i in range(1, items + 1):
            q.put(p * items + i)
        with done_cond:
            done["producers"] += 1
            done_cond.notify_all()

    def consumer():
        start.wait()
        barrier.wait()
        while True:
            v = q.get()
            if v is None:
                return
            with total_lock:
                totals["sum"] += v
                totals["count"] += 1

    threads = [threading.Thread(target=producer, args=(p,)) for p in range(nproducers)]
    threads += [threading.Thread(target=consumer) for _ in range(nconsumers)]
    for t in threads:
        t.start()
    start.set()
    with done_cond:
        done_cond.wait_for(lambda: done["producers"] == nproducers, timeout=60)
    for _ in range(nconsumers):
        q.put(None)
    for t in threads:
        t.join()
    n = nproducers * items
    check(totals["count"] == n, "pipeline moved %d items, expected %d" % (totals["count"], n))
    check(totals["sum"] == n * (n + 1) // 2, "pipeline sum differs")


def test_thread_local():
    local = threading.local()
    seen = []
    seen_lock = threading.Lock()

    def body(i):
        local.value = i
        for _ in range(1000):
            local.value += 1
        with seen_lock:
            seen.append(local.value - 1000 == i)

    ts = [threading.Thread(target=body, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check(seen == [True] * 8, "threading.local shared between threads")


test_pool()
test_pipeline()
test_thread_local()
print("py_threads: %s" % ("ok" if not failures else "%d failures" % len(failures)))
sys.exit(1 if failures else 0)
