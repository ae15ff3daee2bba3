#!/usr/bin/env python3
"""Malloc replacements preloaded beside libshim, in both orders.

    allocators.py LIBSHIM SELFMALLOC PROGRAM...

jemalloc, tcmalloc and mimalloc (Debian's packages, installed by
scripts/deps.sh) and selfmalloc (built here: an allocator that calls
pthread_self() and takes a mutex with its own lock held, as jemalloc and
tcmalloc do while a process starts, and aborts if the thread library
re-enters it) are each preloaded before and after libshim.  Under each,
/bin/true and `ls -l /` must exit 0, and every PROGRAM (a self-checking
test program printing "threads made: N") must pass with libshim's
statistics line showing it made at least N threads.  Everything runs
twice: with SHIM_STATS=1, and with every diagnostic on (the profiler with
hold times and 4-frame stacks, the lock-order detector, the thread dump),
whose hooks run inside the allocators' own lock calls.
"""

import os
import re
import sys

from testproc import describe_status, run_bounded

LIBDIR = "/usr/lib/x86_64-linux-gnu"
DEBIAN = [("jemalloc", "libjemalloc.so.2", "libjemalloc2"),
          ("tcmalloc", "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4"),
          ("mimalloc", "libmimalloc.so.2", "libmimalloc2.0")]
STATS_LINE = re.compile(r"^libshim: threads created: (\d+)", re.M)
MADE_LINE = re.compile(r"^threads made: (\d+)$", re.M)
TIMEOUT_S = 60
DIAGNOSTICS = [("stats", {"SHIM_STATS": "1"}),
               ("all diagnostics", {"SHIM_STATS": "hold,frames=4",
                                    "SHIM_LOCKDEP": "1",
                                    "SHIM_DUMP": "SIGUSR2"})]


def main():
    lib, selfmalloc, programs = sys.argv[1], sys.argv[2], sys.argv[3:]
    allocators = [("selfmalloc", selfmalloc)]
    for name, soname, package in DEBIAN:
        path = os.path.join(LIBDIR, soname)
        if not os.path.exists(path):
            print("FAIL: %s is missing: install %s (scripts/deps.sh does)"
                  % (path, package))
            return 1
        allocators.append((name, path))

    failures = 0
    for (name, alloc), (diag, diag_env), order in (
            (a, d, o) for a in allocators for d in DIAGNOSTICS
            for o in ("first", "second")):
        preload = [alloc, lib] if order == "first" else [lib, alloc]
        env = dict(os.environ, LD_PRELOAD=" ".join(preload), **diag_env)
        for argv in [["/bin/true"], ["ls", "-l", "/"]] + [[p] for p in programs]:
            what = "%s %s, %s, %s" % (name, order, diag, os.path.basename(argv[0]))
            try:
                code, out, err = run_bounded(argv, TIMEOUT_S, env=env)
            except Exception as e:  # TimeoutExpired: a hang
                print("FAIL %s: %s" % (what, e))
                failures += 1
                continue
            out = out.decode(errors="replace")
            err = err.decode(errors="replace")
            why = None
            if code != 0:
                why = "it %s" % describe_status(code)
            elif argv[0] in programs:
                made = MADE_LINE.findall(out)
                created = sum(int(n) for n in STATS_LINE.findall(err))
                if not made or created < int(made[-1]):
                    why = "libshim created %d threads, the program %s" % (
                        created, "made " + made[-1] if made else "printed no count")
            if why:
                print("FAIL %s: %s\n%s" % (what, why, err[-2000:]))
                failures += 1
            else:
                print("ok %s" % what)
    print("%d of %d allocator runs failed"
          % (failures, len(allocators) * len(DIAGNOSTICS) * 2 * (2 + len(programs))))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
