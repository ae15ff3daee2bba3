"""test/realprogs/np_matmul.py -- numpy matrix products on Debian's threaded
OpenBLAS (libopenblas0-pthread; run with OPENBLAS_NUM_THREADS=4).  OpenBLAS
starts its thread pool when it is loaded and splits each dgemm across it.
The matrices hold small integers, so the float64 product is exact and is
compared, element for element, with numpy's integer product, which does
not use BLAS.  Exit status 0 when they agree."""

import sys

import numpy as np

rng = np.random.default_rng(7)
failures = 0
for n in (256, 600, 777):
    a = rng.integers(-8, 9, size=(n, n))
    b = rng.integers(-8, 9, size=(n, n))
    exact = a @ b
    for _ in range(3):
        got = a.astype(np.float64) @ b.astype(np.float64)
        if not np.array_equal(got, exact.astype(np.float64)):
            bad = int(np.count_nonzero(got != exact))
            print("np_matmul: %dx%d product: %d elements differ" % (n, n, bad),
                  file=sys.stderr)
            failures += 1
print("np_matmul: %s" % ("ok" if not failures else "%d failures" % failures))
sys.exit(1 if failures else 0)
