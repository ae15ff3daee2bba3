#!/usr/bin/env python3
"""check_sanitizers.py MODE ... -- thread checkers on a libshim program.

  valgrind TOOL LIBSHIM PROG [--race]
      LD_PRELOAD=LIBSHIM valgrind --tool=TOOL PROG: without --race, PROG
      (sync_all) must end well with 0 errors; with it, the tool must
      report the race on racy_counter and nothing else.
  shimrun SHIMRUN PROG [--race]
      a -fsanitize=thread or =address PROG run by shimrun: it must run,
      under libshim's threads, the sanitizer silent without --race; with
      it (ThreadSanitizer), the race on racy_counter reported.
  preload LIBSHIM PROG
      LD_PRELOAD=LIBSHIM on a sanitizer's PROG: never a crash; a message
      naming the fix and a non-zero status instead.

Every run has SHIM_STATS=1: libshim's statistics line proves that
libshim made the threads.  Exit 0 when all holds, 1 with what did not,
77 without valgrind.
"""
import os
import re
import shutil
import subprocess
import sys


def run(cmd, **env):
    full = dict(os.environ, SHIM_STATS="1")
    full.pop("LD_PRELOAD", None)
    full.update(env)
    p = subprocess.run(cmd, env=full, capture_output=True, text=True,
                       timeout=600)
    return p.returncode, p.stdout, p.stderr


def fail(what, out, err):
    sys.stdout.write(out)
    sys.stdout.write(err)
    print("FAIL: " + what)
    sys.exit(1)


def made_threads(err):
    return re.search(r"^libshim: threads created: [1-9]", err, re.M)


mode = sys.argv[1]
if mode == "valgrind":
    tool, lib, prog = sys.argv[2:5]
    race = sys.argv[5:] == ["--race"]
    if shutil.which("valgrind") is None:
        print("no valgrind: skipped")
        sys.exit(77)
    code, out, err = run(["valgrind", "--tool=" + tool, "--read-var-info=yes",
                          prog] + sys.argv[5:],
                         LD_PRELOAD=os.path.realpath(lib))
    m = re.search(r"ERROR SUMMARY: (\d+) errors", err)
    if code != 0 or m is None or "sync_all: ok" not in out:
        fail("%s: the program failed (status %d)" % (tool, code), out, err)
    if not made_threads(err):
        fail("libshim made no thread: it did not serve the program", out, err)
    named = re.findall(r'global var "(\w+)"', err)
    if not race and int(m.group(1)) != 0:
        fail("%s reported errors on a race-free program" % tool, out, err)
    if race and (int(m.group(1)) == 0 or "racy_counter" not in named):
        fail("%s did not report the race on racy_counter" % tool, out, err)
    if race and set(named) != {"racy_counter"}:
        fail("%s reported more than the race on racy_counter: %s"
             % (tool, sorted(set(named))), out, err)
elif mode == "shimrun":
    shimrun, prog = sys.argv[2:4]
    race = sys.argv[4:] == ["--race"]
    code, out, err = run([shimrun, prog] + sys.argv[4:])
    if not made_threads(err):
        fail("libshim made no thread (status %d)" % code, out, err)
    if "sync_all: ok" not in out:
        fail("the program failed (status %d)" % code, out, err)
    warned = "WARNING: ThreadSanitizer" in err or "ERROR: AddressSanitizer" in err
    if not race and (code != 0 or warned):
        fail("the sanitizer reported a race-free program (status %d)" % code,
             out, err)
    if race and not ("WARNING: ThreadSanitizer: data race" in err and
                     "racy_counter" in err and code != 0):
        fail("ThreadSanitizer did not report the race on racy_counter",
             out, err)
elif mode == "preload":
    lib, prog = sys.argv[2:4]
    code, out, err = run([prog], LD_PRELOAD=os.path.realpath(lib))
    if code < 0 or code >= 128:
        fail("killed by signal %d" % (code if code < 0 else code - 128),
             out, err)
    if code == 0:
        fail("ran with the sanitizer blind to libshim's threads", out, err)
    said = [l for l in err.splitlines() if "shimrun" in l or
            "does not come first" in l]
    if len(said) != 1 or "LD_PRELOAD" not in said[0]:
        fail("no one-line message naming the fix (status %d)" % code,
             out, err)
else:
    sys.exit("check_sanitizers.py: unknown mode " + mode)
print("ok")
