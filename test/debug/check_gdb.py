#!/usr/bin/env python3
"""gdb (batch mode) on a threaded program: live, attached, and from cores.

    check_gdb.py --lib libshim.so --mode live|attach|crash DEBUGGEE

Each mode runs twice: first on plain glibc (the reference: if gdb cannot
see glibc's threads there, the test itself is broken and fails), then with
LD_PRELOAD=libshim.so.  What gdb must show, checked against what the
debuggee wrote about itself (id, LWP and thread pointer of each thread):

  * info threads: one "Thread 0xTP (LWP n)" per thread, libthread_db's
    name for it (its TCB), and no bare "LWP n" (a thread libthread_db
    does not know);
  * thread apply all print tls_var: each thread's own __thread value;
  * thread apply all bt: each worker in worker(), the main thread in main();
  * live only: "[New Thread 0xTP (LWP n)]" names each new thread by its own
    TCB, and announces no thread the program did not create (libshim's
    start-up makes none).

Modes:
  live    gdb runs the program to a breakpoint in a thread, checks it, and
          writes a core with generate-core-file, which is checked too;
  attach  gdb -p on the running program, then gcore's core of it;
  crash   the core the kernel writes when a thread aborts.

Exit 77 (skip) only when the machine cannot do it: no gdb, ptrace refused,
or (crash) cores are not written where the test can find them.
"""

import argparse
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "preload"))
from testproc import run_bounded  # noqa: E402

WORKERS = 3
MAIN_TLS = 7


class Skip(Exception):
    pass


class Failed(Exception):
    pass


def read_report(path, lib):
    """{id: (lwp, tp)} from the debuggee's report, once it says ready;
    checks that the threads are libshim's if lib is set, glibc's if not."""
    threads = {}
    with open(path) as f:
        lines = f.read().split("\n")
    if "ready" not in lines:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) == 3:
            threads[int(fields[0])] = (int(fields[1]), int(fields[2], 16))
    if sorted(threads) != list(range(WORKERS + 1)):
        raise Failed("debuggee report is incomplete: %r" % lines)
    served = [l[4:] for l in lines if l.startswith("lib ")]
    want = os.path.realpath(lib) if lib else None
    got = os.path.realpath(served[0]) if served else None
    if lib and got != want or not lib and "libc.so" not in str(got):
        raise Failed("pthread_create came from %s, not %s" %
                     (got, want or "libc"))
    return threads


def wait_report(path, lib, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            threads = read_report(path, lib)
            if threads is not None:
                return threads
        if proc.poll() is not None:
            raise Failed("debuggee exited early: status %d" % proc.returncode)
        time.sleep(0.05)
    raise Failed("debuggee did not become ready")


# The commands whose output is checked, each after a marker line.
CHECKS = [
    ("INFO", "info threads"),
    ("TLS", "thread apply all print tls_var"),
    ("BT", "thread apply all bt"),
]


def check_args():
    args = []
    for name, cmd in CHECKS:
        args += ["-ex", "echo =={}==\\n".format(name), "-ex", cmd]
    args += ["-ex", "echo ==END==\\n"]
    return args


def sections(out):
    found = {}
    names = [n for n, _ in CHECKS] + ["END"]
    for a, b in zip(names, names[1:]):
        m = re.search(r"^=={}==\n(.*?)^=={}==$".format(a, b), out,
                      re.M | re.S)
        if m is None:
            raise Failed("gdb output lacks the {} section".format(a))
        found[a] = m.group(1)
    return found


HEADER = re.compile(r"^Thread \d+ \((.*)\):$", re.M)
TARGET = re.compile(r"^Thread (0x[0-9a-f]+) \(LWP (\d+)\)")


def check_view(out, threads, what):
    """The three checks on one gdb session's output; raises Failed."""
    s = sections(out)
    by_lwp = {lwp: (tid, tp) for tid, (lwp, tp) in threads.items()}

    seen = {}
    for line in s["INFO"].splitlines()[1:]:
        m = re.match(r"^\*?\s*\d+\s+(.*)$", line)
        if not m:
            continue
        t = TARGET.match(m.group(1))
        if t is None:
            raise Failed("%s: info threads shows a thread libthread_db does "
                         "not know: %r" % (what, line))
        seen[int(t.group(2))] = int(t.group(1), 16)
    want = {lwp: tp for lwp, (tid, tp) in by_lwp.items()}
    if seen != want:
        raise Failed("%s: info threads shows %s, the program has %s" %
                     (what, fmt(seen), fmt(want)))

    values = {}
    for block in split_blocks(s["TLS"]):
        lwp, body = block
        m = re.search(r"^\$\d+ = (-?\d+)$", body, re.M)
        values[lwp] = int(m.group(1)) if m else body.strip()
    want_tls = {lwp: MAIN_TLS if tid == 0 else 100 + tid
                for lwp, (tid, tp) in by_lwp.items()}
    if values != want_tls:
        raise Failed("%s: tls_var per LWP is %r, expected %r" %
                     (what, values, want_tls))

    for lwp, body in split_blocks(s["BT"]):
        tid = by_lwp[lwp][0]
        fn = "main" if tid == 0 else "worker"
        if not re.search(r"\b%s \(" % fn, body):
            raise Failed("%s: backtrace of LWP %d (thread %d) lacks %s():\n%s"
                         % (what, lwp, tid, fn, body))
    return s


def split_blocks(text):
    """[(lwp, body)] of a thread apply all output; a header gdb could not
    name as a libthread_db thread is a failure."""
    heads = list(HEADER.finditer(text))
    blocks = []
    for i, h in enumerate(heads):
        t = TARGET.match(h.group(1))
        if t is None:
            raise Failed("thread apply names a thread libthread_db does not "
                         "know: %r" % h.group(0))
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        blocks.append((int(t.group(2)), text[h.end():end]))
    return blocks


def fmt(m):
    return "{" + ", ".join("LWP %d: %#x" % kv for kv in sorted(m.items())) + "}"


def gdb(argv, timeout=120):
    rc, out, err = run_bounded(["gdb", "-nx", "-batch"] + argv, timeout,
                               stderr=subprocess.STDOUT)
    out = out.decode(errors="replace")
    if "ptrace: Operation not permitted" in out or \
            "Could not trace the inferior process" in out:
        raise Skip("ptrace is not permitted here")
    return out


def check_core(debuggee, core, threads, what, crashed=None):
    out = gdb(check_args() + [debuggee, core])
    s = check_view(out, threads, what)
    if crashed is not None:
        lwp = threads[crashed][0]
        body = dict(split_blocks(s["BT"]))[lwp]
        if "abort" not in body:
            raise Failed("%s: the crashed thread's backtrace lacks abort():\n%s"
                         % (what, body))
        if not re.search(r"^\[Current thread is \d+ \(Thread 0x[0-9a-f]+ "
                         r"\(LWP %d\)" % lwp, out, re.M):
            raise Failed("%s: the current thread is not the crashed one:\n%s"
                         % (what, out))


def env_for(lib):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if lib:
        env["LD_PRELOAD"] = lib
    return env


def mode_live(debuggee, lib, tmp):
    report = os.path.join(tmp, "report")
    core = os.path.join(tmp, "live.core")
    argv = ["-ex", "set startup-with-shell off"]
    if lib:
        argv += ["-ex", "set environment LD_PRELOAD=" + lib]
    argv += ["-ex", "break checkpoint", "-ex", "run"]
    argv += check_args()
    argv += ["-ex", "generate-core-file " + core, "-ex", "kill"]
    out = gdb(argv + ["--args", debuggee, "live", report])
    if "hit Breakpoint 1, checkpoint" not in out:
        raise Failed("live: the breakpoint in thread 2 was not hit:\n" + out)
    threads = read_report(report, lib)
    check_view(out, threads, "live")
    check_announced(out, threads)
    check_core(debuggee, core, threads, "generate-core-file")


def check_announced(out, threads):
    """Each worker is announced once, by its own TCB, and nothing else is:
    libshim's start-up makes no thread of its own."""
    workers = {lwp: tp for tid, (lwp, tp) in threads.items() if tid != 0}
    announced = {}
    for tp, lwp in re.findall(r"^\[New Thread (0x[0-9a-f]+) \(LWP (\d+)\)\]$",
                              out, re.M):
        lwp, tp = int(lwp), int(tp, 16)
        if lwp not in workers:
            raise Failed("live: gdb announced a thread the program did not "
                         "make: LWP %d (%#x)" % (lwp, tp))
        if lwp in announced:
            raise Failed("live: LWP %d announced twice" % lwp)
        announced[lwp] = tp
    if announced != workers:
        raise Failed("live: gdb announced the workers as %s, they are %s" %
                     (fmt(announced), fmt(workers)))


def allow_cores():
    """In the debuggee: cores as large as the hard limit allows."""
    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))


def start_waiting(debuggee, lib, report, mode="wait", cwd=None):
    return subprocess.Popen([debuggee, mode, report], env=env_for(lib),
                            cwd=cwd, stdin=subprocess.DEVNULL,
                            start_new_session=True, preexec_fn=allow_cores)


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def mode_attach(debuggee, lib, tmp):
    report = os.path.join(tmp, "report")
    proc = start_waiting(debuggee, lib, report)
    try:
        threads = wait_report(report, lib, proc)
        out = gdb(["-p", str(proc.pid)] + check_args() + ["-ex", "detach"])
        check_view(out, threads, "attach")
        prefix = os.path.join(tmp, "gcore")
        rc, gout, _ = run_bounded(["gcore", "-o", prefix, str(proc.pid)], 120,
                                  stderr=subprocess.STDOUT)
        core = "%s.%d" % (prefix, proc.pid)
        if rc != 0 or not os.path.exists(core):
            raise Failed("gcore failed: %s" % gout.decode(errors="replace"))
    finally:
        stop(proc)
    check_core(debuggee, core, threads, "gcore")


def mode_crash(debuggee, lib, tmp):
    with open("/proc/sys/kernel/core_pattern") as f:
        pattern = f.read().strip()
    if pattern.startswith("|") or "/" in pattern:
        raise Skip("core_pattern %r does not write cores into the working "
                   "directory" % pattern)
    if resource.getrlimit(resource.RLIMIT_CORE)[1] == 0:
        raise Skip("the hard core-size limit is 0")
    report = os.path.join(tmp, "report")
    proc = start_waiting(debuggee, lib, report, "crash", cwd=tmp)
    proc.wait(timeout=60)
    if proc.returncode != -signal.SIGABRT:
        raise Failed("crash: debuggee ended with status %d, not SIGABRT" %
                     proc.returncode)
    threads = read_report(report, lib)
    cores = [n for n in os.listdir(tmp) if n.startswith("core")]
    if not cores:
        raise Skip("the kernel wrote no core (pattern %r)" % pattern)
    check_core(debuggee, os.path.join(tmp, cores[0]), threads, "crash core",
               crashed=2)


MODES = {"live": mode_live, "attach": mode_attach, "crash": mode_crash}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--mode", choices=sorted(MODES), required=True)
    ap.add_argument("debuggee")
    a = ap.parse_args()
    if shutil.which("gdb") is None or shutil.which("gcore") is None:
        print("SKIP: gdb is not installed (Debian package gdb)")
        return 77
    lib = os.path.abspath(a.lib)
    for name, preload in (("glibc", None), ("libshim", lib)):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                MODES[a.mode](os.path.abspath(a.debuggee), preload, tmp)
            except Skip as e:
                print("SKIP: %s" % e)
                return 77
            except Failed as e:
                if preload is None:
                    print("FAIL: the test is broken: on plain glibc, %s" % e)
                else:
                    print("FAIL: under libshim, %s" % e)
                return 1
        print("ok: %s, %s" % (a.mode, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
