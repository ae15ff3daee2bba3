#!/usr/bin/env python3
"""check_dump.py LIBSHIM HANG -- the thread dump (SHIM_DUMP).

Runs hang (hang.c) with LD_PRELOAD=LIBSHIM:
 - deadlock2, deadlock3 with SHIM_DUMP=SIGQUIT,deadlock=300: libshim must
   find the wait-for cycle by itself and print it ("found a deadlock: N
   threads") with a dump of every thread: each ring thread waiting on the
   mutex the next one holds, the mutex it holds, and its call stack
   through take_in_ring;
 - condvar with SHIM_DUMP=SIGQUIT: no deadlock is reported (there is no
   cycle), and on SIGQUIT the dump shows "waiter" parked on the condvar
   never_signalled holding lock_a, and "blocked" waiting on lock_a held by
   "waiter", each with its call stack;
 - alone: a program whose only thread libshim never had to know is
   shown once, with its stack;
 - SHIM_DUMP=SIGBOGUS is refused with a message.
Exit 0 when all hold, 1 with the reasons otherwise.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from testproc import emulated

lib, prog = os.path.abspath(sys.argv[1]), sys.argv[2]
problems = []


def run_until(mode, dump, send_signal, wait_s=15):
    """Start hang MODE; once it says "hung", optionally send SIGQUIT; return
    stderr once a whole dump is there (or the time is up)."""
    argv, env = emulated([prog, mode], dict(os.environ, LD_PRELOAD=lib,
                                            SHIM_DUMP=dump))
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                stderr=err)
        try:
            line = proc.stdout.readline()
            if line.strip() != b"hung":
                problems.append("%s: the program did not hang (%r)" % (mode, line))
                return ""
            if send_signal:
                time.sleep(0.2)
                os.kill(proc.pid, signal.SIGQUIT)
            deadline = time.monotonic() + wait_s
            text = ""
            while time.monotonic() < deadline:
                err.seek(0)
                text = err.read().decode(errors="replace")
                if "end of thread dump" in text:
                    break
                time.sleep(0.1)
            return text
        finally:
            proc.kill()
            proc.wait()


def thread_block(text, name):
    """The dump's lines for the thread named name, up to the next thread."""
    m = re.search(r'^libshim: thread \d+ "%s": .*(\n^libshim:  .*)*' % name, text, re.M)
    return m.group(0) if m else ""


for n in (2, 3):
    mode = "deadlock%d" % n
    text = run_until(mode, "SIGQUIT,deadlock=300", False)
    if "found a deadlock: %d threads" % n not in text or "end of thread dump" not in text:
        problems.append("%s: no deadlock of %d threads found:\n%s" % (mode, n, text))
        continue
    if text.count("found a deadlock") != 1:
        problems.append("%s: the deadlock was reported more than once" % mode)
    locks = ["lock_a", "lock_b", "lock_c"][:n]
    for i in range(n):
        block = thread_block(text, "hang-%d" % i)
        want_wait = r'waiting \(parked\) on mutex 0x[0-9a-f]+ %s\+0x0 .* for [0-9.]+ ms, ' \
                    r'held by thread \d+ "hang-%d"' % (locks[(i + 1) % n], (i + 1) % n)
        if not re.search(want_wait, block):
            problems.append("%s: hang-%d is not shown waiting on %s held by hang-%d:\n%s"
                            % (mode, i, locks[(i + 1) % n], (i + 1) % n, block or text))
        if not re.search(r"holds mutex 0x[0-9a-f]+ %s\+0x0" % locks[i], block):
            problems.append("%s: hang-%d is not shown holding %s:\n%s" % (mode, i, locks[i], block))
        if "take_in_ring+" not in block:
            problems.append("%s: hang-%d's call stack lacks take_in_ring:\n%s" % (mode, i, block))
        cycle = re.search(r'thread \d+ "hang-%d" waits for mutex 0x[0-9a-f]+ %s\+0x0'
                          % (i, locks[(i + 1) % n]), text)
        if not cycle:
            problems.append("%s: the cycle does not list hang-%d -> %s:\n%s"
                            % (mode, i, locks[(i + 1) % n], text))

text = run_until("condvar", "SIGQUIT", True)
if "found a deadlock" in text:
    problems.append("condvar: a deadlock reported where there is no cycle:\n" + text)
waiter, blocked = thread_block(text, "waiter"), thread_block(text, "blocked")
if not re.search(r"waiting \(parked\) on condvar 0x[0-9a-f]+ never_signalled\+0x0 .* for [0-9.]+ ms",
                 waiter) or not re.search(r"holds mutex 0x[0-9a-f]+ lock_a\+0x0", waiter) \
        or "wait_for_nothing+" not in waiter:
    problems.append("condvar: the waiter is not shown on its condvar with lock_a and its stack:\n"
                    + (waiter or text))
if not re.search(r'waiting \(parked\) on mutex 0x[0-9a-f]+ lock_a\+0x0 .* for [0-9.]+ ms, '
                 r'held by thread \d+ "waiter"', blocked) or "wait_behind_waiter+" not in blocked:
    problems.append("condvar: 'blocked' is not shown waiting on lock_a held by the waiter:\n"
                    + (blocked or text))

text = run_until("alone", "SIGQUIT", True)
# The main thread's name is its program's; under an emulator the
# kernel's is the emulator's (qemu-aarch64).
main_name = os.path.basename(emulated([prog], None)[0][0])[:15]
threads = re.findall(r'^libshim: thread \d+ "%s": running \(printing this dump\)$'
                     % re.escape(main_name), text, re.M)
if len(threads) != 1 or "main+" not in text:
    problems.append("alone: main is not shown once, with its stack:\n" + text)

# hang with no mode exits at once: a program of libshim's CPU.
argv, env = emulated([prog], dict(os.environ, LD_PRELOAD=lib, SHIM_DUMP="SIGBOGUS"))
proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
if "SHIM_DUMP=SIGBOGUS" not in proc.stderr:
    problems.append("SHIM_DUMP=SIGBOGUS not refused: %r" % proc.stderr)

if problems:
    print("FAIL dump:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("ok dump: deadlocks of 2 and 3 threads found, the condvar hang explained")
