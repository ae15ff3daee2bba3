#!/usr/bin/env python3
"""Run one fault program under LD_PRELOAD=libshim.so, and on glibc, and judge.

    run_fault.py --lib LIBSHIM [--glibc | --glibc-args "ARGS"] [--no-preload]
                 PROGRAM [ARGS...]

The program is an ordinary glibc program (never linked to libshim) that
checks itself and exits 0 when every check held.  It passes here when

  (a) under LD_PRELOAD=libshim.so with SHIM_STATS=1 it exits 0 (77 is
      passed on: meson counts a SKIP), and
  (b) libshim said "libshim: threads created: N" with N > 0 (the sum over
      every process that printed one): libshim, not glibc, served it.

With --glibc (or --glibc-args, which runs the glibc pass with ARGS instead
of the program's own: a shorter run that still prints what is compared),
the program first runs on plain glibc, where it must pass too -- a test
that fails on glibc is a broken test -- and then

  (c) every "same: ..." line must read the same in both runs (behaviour
      that programs can see and that libshim must reproduce), and
  (d) for every "lateness NAME ... p99=Xus" line, libshim's p99 must not
      exceed 10 x glibc's + 5 ms (timed waits may be late under load,
      but not grossly later than glibc's on the same machine and run).

--no-preload runs on glibc alone and checks its exit status: to tell a
broken test from a broken libshim.
"""

import argparse
import os
import re
import shlex
import signal
import subprocess
import sys

STATS_LINE = re.compile(r"^libshim: threads created: (\d+)", re.M)
SAME_LINE = re.compile(r"^same: (.*)$", re.M)
LATENESS_LINE = re.compile(r"^lateness (\S+) .*\bp99=(-?\d+)us", re.M)
LATENESS_FACTOR = 10
LATENESS_SLACK_US = 5000
LATENESS_TRIES = 3
TIMEOUT_S = 3600  # meson's timeout is the real bound; this one only reaps


def fail(prog, why):
    print("FAIL %s: %s" % (prog, why))
    sys.exit(1)


class Verdict:
    """Failures collected over one test, so one run shows all of them."""

    def __init__(self, prog):
        self.prog = prog
        self.failures = 0

    def fail(self, why):
        print("FAIL %s: %s" % (self.prog, why))
        self.failures += 1


def run(argv, env):
    """Run argv in its own process group; return (status, stdout, stderr).
    On a timeout the whole group is killed: a hung program's children
    must not outlive the test."""
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        sys.stdout.write(out.decode(errors="replace"))
        sys.stdout.write(err.decode(errors="replace"))
        fail(os.path.basename(argv[0]), "no exit after %d s" % TIMEOUT_S)
    return proc.returncode, out.decode(errors="replace"), \
        err.decode(errors="replace")


def preload_env(lib):
    """The environment of a run under libshim, with its statistics on."""
    env = dict(os.environ)
    old = env.get("LD_PRELOAD")
    env["LD_PRELOAD"] = os.path.abspath(lib) + (" " + old if old else "")
    env["SHIM_STATS"] = "1"
    return env


def judge_exit(verdict, label, status, out, err):
    print("---- %s: exit status %d" % (label, status))
    sys.stdout.write(out)
    sys.stdout.write(err)
    if status == 77:
        sys.exit(77)
    if status < 0:
        verdict.fail("%s: killed by signal %d" % (label, -status))
    elif status == 3:
        verdict.fail("%s: stalled (the watchdog's STALL line says where)"
                     % label)
    elif status != 0:
        verdict.fail("%s: its self-checks failed (exit status %d)"
                     % (label, status))


def compare_same(verdict, glibc_out, shim_out):
    want = SAME_LINE.findall(glibc_out)
    got = SAME_LINE.findall(shim_out)
    bad = 0
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else "(missing)"
        g = got[i] if i < len(got) else "(missing)"
        if w != g:
            print("DIFF glibc:   %s\n     libshim: %s" % (w, g))
            bad += 1
    if bad:
        verdict.fail("%d behaviour(s) differ from glibc's" % bad)
    if want:
        print("same: %d behaviour(s) as on glibc" % len(want))


def too_late(glibc_out, shim_out):
    """Print the p99 comparison; return how many waits were too late."""
    base = dict((n, int(v)) for n, v in LATENESS_LINE.findall(glibc_out))
    bad = 0
    for name, v in LATENESS_LINE.findall(shim_out):
        if name not in base:
            continue
        limit = LATENESS_FACTOR * max(base[name], 0) + LATENESS_SLACK_US
        print("lateness p99 %-20s glibc %7d us  libshim %7d us  "
              "limit %7d us  %s" % (name, base[name], int(v), limit,
                                    "ok" if int(v) <= limit else "TOO LATE"))
        bad += int(v) > limit
    return bad


def compare_lateness(verdict, glibc_out, shim_out, remeasure):
    """A busy machine makes single runs noisy: when libshim looks too late,
    measure both again (the glibc-pass arguments, on each library) up to
    LATENESS_TRIES times in all; only lateness seen every time fails."""
    bad = too_late(glibc_out, shim_out)
    for _ in range(LATENESS_TRIES - 1):
        if not bad or remeasure is None:
            break
        print("---- measuring the timed waits again on both libraries")
        glibc_out, shim_out = remeasure()
        bad = too_late(glibc_out, shim_out)
    if bad:
        verdict.fail("%d timed wait(s) grossly later than glibc's" % bad)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lib", required=True, help="path of libshim.so")
    ap.add_argument("--glibc", action="store_true",
                    help="run on plain glibc first and compare")
    ap.add_argument("--glibc-args", default=None,
                    help="like --glibc, with these arguments for that run")
    ap.add_argument("--no-preload", action="store_true",
                    help="run on plain glibc only")
    ap.add_argument("argv", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    if not args.argv:
        ap.error("no program given")
    prog = os.path.basename(args.argv[0])

    verdict = Verdict(prog)
    if args.no_preload:
        judge_exit(verdict, "glibc", *run(args.argv, dict(os.environ)))
        sys.exit(1 if verdict.failures else 0)

    env = preload_env(args.lib)
    glibc_out = None
    glibc_argv = args.argv[:1] + (shlex.split(args.glibc_args)
                                  if args.glibc_args is not None
                                  else args.argv[1:])
    if args.glibc or args.glibc_args is not None:
        status, out, err = run(glibc_argv, dict(os.environ))
        judge_exit(verdict, "glibc", status, out, err)
        if verdict.failures:
            fail(prog, "the test does not pass on glibc: fix the test")
        glibc_out = out

    status, out, err = run(args.argv, env)
    judge_exit(verdict, "libshim", status, out, err)

    def remeasure():
        return (run(glibc_argv, dict(os.environ))[1],
                run(glibc_argv, env)[1])

    # What the run printed counts even when it failed later on.
    if glibc_out is not None:
        compare_same(verdict, glibc_out, out)
        compare_lateness(verdict, glibc_out, out, remeasure)
    created = sum(int(n) for n in STATS_LINE.findall(err))
    if created == 0 and status == 0:
        verdict.fail("libshim created no thread: it did not serve the "
                     "program")
    if verdict.failures:
        sys.exit(1)
    print("ok %s: libshim created %d threads" % (prog, created))


if __name__ == "__main__":
    main()
