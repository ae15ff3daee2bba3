#!/usr/bin/env python3
"""check_lockdep.py LIBSHIM LOCKDEP_ORDERS SHIMRUN -- the lock-order detector.

Runs lockdep_orders (lockdep_orders.c) in each of its modes with
LD_PRELOAD=LIBSHIM and SHIM_LOCKDEP=1.  Nothing ever deadlocks in these
runs; the modes that take locks in orders that could are reported on
stderr, once, with the lock names, both threads' names and both call
stacks (take_first_order and take_second_order); the others print nothing.
Also: SHIM_LOCKDEP=bogus is refused, SHIM_LOCKDEP=0 is off, and
`shimrun --lockdep` turns it on.
Exit 0 when all hold, 1 with the reasons otherwise.
"""
import os
import re
import subprocess
import sys

from testproc import emulated

lib, prog, shimrun = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
# mode: the locks named, the thread (and function) whose order is seen now,
# the one whose order was seen earlier.
REPORTED = {"mutex": (("lock_a", "lock_b"), "second", "first"),
            "rwlock": (("rw_r", "lock_m"), "second", "first"),
            "spin": (("spin_p", "lock_m"), "second", "first"),
            "condvar": (("lock_a", "lock_m"), "first", "first"),
            "chain": (("lock_a", "lock_b", "lock_c"), "second", "first")}
QUIET = ("consistent", "readers")
problems = []


def run(mode, value="1"):
    env = dict(os.environ, LD_PRELOAD=lib, SHIM_LOCKDEP=value)
    argv, env = emulated([prog, mode], env)
    proc = subprocess.run(argv, env=env, capture_output=True,
                          text=True, timeout=60)
    if proc.returncode != 0 or proc.stdout.strip() != "done " + mode:
        problems.append("%s: the program failed (%d): %s"
                        % (mode, proc.returncode, proc.stderr))
    return proc.stderr


for mode, (locks, now, earlier) in REPORTED.items():
    err = run(mode)
    if err.count("lock order inversion") != 1:
        problems.append("%s: %d inversion reports, not 1:\n%s"
                        % (mode, err.count("lock order inversion"), err))
        continue
    # Each order with its thread's name, then its call stack.
    pattern = (r'now thread \d+ "order-%s" takes .*\n.*while holding .*\n'
               r'libshim:     #0 take_%s_order\+.*(\n.*)*but earlier thread \d+ '
               r'"order-%s" took .*\n.*while holding .*\n'
               r'libshim:     #0 take_%s_order\+' % (now, now, earlier, earlier))
    if not re.search(pattern, err):
        problems.append("%s: not both orders with their threads and stacks:\n%s"
                        % (mode, err))
    for lock in locks:
        if lock + "+0x0" not in err:
            problems.append("%s: the report does not name %s:\n%s" % (mode, lock, err))
for mode in QUIET:
    err = run(mode)
    if err:
        problems.append("%s: reported what cannot deadlock:\n%s" % (mode, err))
err = run("consistent", "bogus")
if "SHIM_LOCKDEP=bogus" not in err:
    problems.append("SHIM_LOCKDEP=bogus not refused: %r" % err)
err = run("mutex", "0")
if err:
    problems.append("SHIM_LOCKDEP=0 is not off: %r" % err)
env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "SHIM_LOCKDEP")}
# Under an emulator shimrun starts the emulator, whose own loader then
# says it cannot preload the arm64 libshim: the guest's still does.
argv = emulated([prog, "mutex"], env)[0]
proc = subprocess.run(["sh", shimrun, "--lockdep"] + argv, env=env,
                      capture_output=True, text=True, timeout=60)
if "lock order inversion" not in proc.stderr:
    problems.append("shimrun --lockdep: no report: %r" % proc.stderr)

if problems:
    print("FAIL lockdep:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("ok lockdep: %d inversions reported, %d consistent runs quiet"
      % (len(REPORTED), len(QUIET)))
