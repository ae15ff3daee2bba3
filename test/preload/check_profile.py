#!/usr/bin/env python3
"""check_profile.py LIBSHIM PROGRAM -- the contention profiler names the
right lock and call site.

Runs PROGRAM (test/preload/contended.c) with LD_PRELOAD=LIBSHIM and
SHIM_STATS=1 and reads libshim's report on stderr: its first row (the
object with the most total wait) must be a mutex named hot_lock, blocked
most at bump.  Exit 0 when it is, 1 with the report otherwise.
"""
import os
import re
import subprocess
import sys

lib, prog = os.path.abspath(sys.argv[1]), sys.argv[2]
env = dict(os.environ, LD_PRELOAD=lib, SHIM_STATS="1")
proc = subprocess.run([prog], env=env, capture_output=True, text=True,
                      timeout=120)
report = proc.stderr
rows = [line for line in report.splitlines()
        if re.match(r"^libshim: 0x[0-9a-f]+\s", line)]
problems = []
if proc.returncode != 0:
    problems.append("the program failed its own check (status %d)" % proc.returncode)
if not rows:
    problems.append("no contention rows in libshim's report")
else:
    top = rows[0]
    if " mutex " not in top:
        problems.append("the top object is not a mutex")
    if "[hot_lock+0x0" not in top:
        problems.append("the top object is not named hot_lock")
    if "bump+" not in top:
        problems.append("the call site is not bump")
if problems:
    print("FAIL contended: " + "; ".join(problems))
    print(report)
    sys.exit(1)
print("ok contended: " + rows[0])
