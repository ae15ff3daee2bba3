#!/usr/bin/env python3
"""Run one test program under LD_PRELOAD=libshim.so and judge it.

    run_preload.py --lib LIBSHIM [--bindings] [--no-preload] PROGRAM [ARGS...]

The program is an ordinary glibc program (never linked to libshim) that
checks itself: it exits 0 when its checks hold and prints, as the last line
on stdout, "threads made: N".  It passes here when

  (a) it exits 0 (77 is passed on, so meson counts a SKIP),
  (b) with SHIM_STATS=1 libshim printed "libshim: threads created: M" on
      stderr and M >= N: the threads were libshim's, not glibc's;
  (c) with --bindings: run once more with LD_DEBUG=bindings, the loader
      bound every pthread_create that the program and its libraries
      reference to libshim.so (libshim's own references are its business).

--no-preload runs the program without libshim and checks (a) alone: the
program's self-checks must hold on glibc first.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

from testproc import describe_status, run_bounded

STATS_LINE = re.compile(r"^libshim: threads created: (\d+)", re.M)
MADE_LINE = re.compile(r"^threads made: (\d+)$", re.M)
API_BINDING = re.compile(
    r"binding file (\S+) \[\d+\] to (\S+) \[\d+\]: normal symbol "
    r"`((?:pthread|sem|thrd|mtx|cnd|tss)_\w+|call_once)'")
TIMEOUT_S = 60


def fail(prog, why):
    print("FAIL %s: %s" % (prog, why))
    sys.exit(1)


def preload_env(lib, extra):
    env = dict(os.environ)
    old = env.get("LD_PRELOAD")
    env["LD_PRELOAD"] = lib + (" " + old if old else "")
    env.update(extra)
    return env


def run(argv, env):
    try:
        return subprocess.CompletedProcess(argv, *run_bounded(argv, TIMEOUT_S, env=env))
    except subprocess.TimeoutExpired:
        fail(os.path.basename(argv[0]), "no exit after %d s (hang?)" % TIMEOUT_S)


def show(proc):
    sys.stdout.write(proc.stdout.decode(errors="replace"))
    sys.stdout.write(proc.stderr.decode(errors="replace"))


def check_bindings(prog, argv, lib):
    """Every thread-API reference outside libshim binds to libshim, and
    pthread_create is among them."""
    libreal = os.path.realpath(lib)
    with tempfile.TemporaryDirectory() as tmp:
        env = preload_env(lib, {"LD_DEBUG": "bindings",
                                "LD_DEBUG_OUTPUT": os.path.join(tmp, "ld")})
        proc = run(argv, env)
        if proc.returncode != 0:
            show(proc)
            fail(prog, "it %s under LD_DEBUG=bindings" % describe_status(proc.returncode))
        log = ""
        for name in os.listdir(tmp):
            with open(os.path.join(tmp, name), errors="replace") as f:
                log += f.read()
    names = set()
    for requester, provider, symbol in API_BINDING.findall(log):
        if os.path.realpath(requester) == libreal:
            continue
        names.add(symbol)
        if os.path.realpath(provider) != libreal:
            fail(prog, "%s of %s bound to %s, not libshim"
                 % (symbol, requester, provider))
    if "pthread_create" not in names:
        fail(prog, "LD_DEBUG=bindings shows no pthread_create binding")
    print("bindings: %d thread-API names, all bound to %s: %s"
          % (len(names), lib, " ".join(sorted(names))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lib", required=True, help="path of libshim.so")
    ap.add_argument("--bindings", action="store_true",
                    help="also check LD_DEBUG=bindings for pthread_create")
    ap.add_argument("--no-preload", action="store_true",
                    help="run on plain glibc: check the self-checks only")
    ap.add_argument("argv", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    if not args.argv:
        ap.error("no program given")
    prog = os.path.basename(args.argv[0])

    if args.no_preload:
        env = dict(os.environ)
    else:
        env = preload_env(args.lib, {"SHIM_STATS": "1"})
    proc = run(args.argv, env)
    show(proc)
    if proc.returncode == 77:
        sys.exit(77)
    if proc.returncode != 0:
        fail(prog, "its self-checks failed: it %s" % describe_status(proc.returncode))

    made = MADE_LINE.findall(proc.stdout.decode(errors="replace"))
    if not made:
        fail(prog, "no 'threads made: N' line on stdout")
    made = int(made[-1])
    if args.no_preload:
        print("ok %s on glibc: %d threads" % (prog, made))
        return

    created = [int(n) for n in STATS_LINE.findall(proc.stderr.decode(errors="replace"))]
    if not created:
        fail(prog, "no 'libshim: threads created' line on stderr: "
             "libshim did not serve it")
    if sum(created) < made:
        fail(prog, "libshim created %d threads, the program made %d: "
             "the others were not libshim's" % (sum(created), made))
    if args.bindings:
        check_bindings(prog, args.argv, args.lib)
    print("ok %s: %d threads made, libshim created %d" % (prog, made, sum(created)))


if __name__ == "__main__":
    main()
