#!/usr/bin/env python3
"""check_shimrun.py SHIMRUN LIBSHIM VERSION -- the launcher's interface.

SHIMRUN (build/tools/shimrun) must print VERSION for --version, answer a
program it cannot run as a shell does (127 `shimrun: NAME: command not
found`, 126 when found but not executable; never the shell's `exec` error
with the script's line number), find programs in PATH as execvp does, and
run the program with LIBSHIM first in LD_PRELOAD and its exit status
passed back.  Exit 0 when all hold, 1 with the list of what did not.
"""
import os
import pathlib
import subprocess
import sys
import tempfile

shimrun, lib, version = sys.argv[1:4]
shimrun = os.path.abspath(shimrun)
# The script itself needs readlink and dirname from the system's PATH.
system_path = "/usr/bin:/bin"
problems = []


def run(args, **env):
    full = dict(os.environ)
    full.pop("LD_PRELOAD", None)
    full.pop("SHIM_STATS", None)
    full.update(env)
    return subprocess.run([shimrun] + args, env=full, capture_output=True,
                          text=True, timeout=60)


def expect(what, proc, code, stdout=None, stderr=None):
    got = (proc.returncode, proc.stdout if stdout is not None else None,
           proc.stderr if stderr is not None else None)
    want = (code, stdout, stderr)
    if got != want:
        problems.append("%s: got (status, stdout, stderr) %r, want %r"
                        % (what, got, want))


expect("--version", run(["--version"]), 0,
       "shimrun (libshim) %s\n" % version, "")
expect("--help", run(["--help"]), 0, stderr="")
if "usage: shimrun" not in run(["--help"]).stdout:
    problems.append("--help prints no usage")
expect("no program", run([]), 2)
expect("unknown option", run(["--bogus", "true"]), 2)

with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    missing = "shimrun-test-no-such-program"
    expect("a program not in PATH", run([missing]), 127, "",
           "shimrun: %s: command not found\n" % missing)
    expect("a path that does not exist", run([str(tmp / missing)]), 127, "",
           "shimrun: %s: No such file or directory\n" % (tmp / missing))
    expect("a directory", run([str(tmp)]), 126, "",
           "shimrun: %s: Is a directory\n" % tmp)

    plain = tmp / "plain"
    plain.write_text("#!/bin/sh\nexit 0\n")
    plain.chmod(0o644)
    expect("a file that is not executable, by path", run([str(plain)]), 126,
           "", "shimrun: %s: Permission denied\n" % plain)
    expect("a file that is not executable, in PATH",
           run(["plain"], PATH="%s:%s" % (tmp, system_path)), 126, "",
           "shimrun: plain: Permission denied\n")

    # In PATH after the unexecutable one: found, as execvp finds it.
    later = tmp / "later"
    later.mkdir()
    (later / "plain").write_text("#!/bin/sh\necho found; exit 7\n")
    (later / "plain").chmod(0o755)
    expect("the executable one later in PATH",
           run(["plain"], PATH="%s:%s:%s" % (tmp, later, system_path)), 7,
           "found\n")
    # A trailing empty PATH entry is the current directory.
    proc = subprocess.run([shimrun, "plain"], cwd=later, capture_output=True,
                          text=True, timeout=60,
                          env=dict(os.environ, PATH=system_path + ":"))
    expect("an empty PATH entry (the current directory)", proc, 7, "found\n")

# The program runs with libshim first in LD_PRELOAD, the earlier preload
# kept behind it, and --stats sets SHIM_STATS=1.
show = 'printf "%s|%s" "$LD_PRELOAD" "$SHIM_STATS"; exit 3'
proc = run(["--stats", "sh", "-c", show])
expect("a program's exit status", proc, 3)
if proc.stdout != "%s|1" % os.path.realpath(lib):
    problems.append("LD_PRELOAD|SHIM_STATS in the program: %r, want %r"
                    % (proc.stdout, "%s|1" % os.path.realpath(lib)))
# dash leaves with _exit, which prints no statistics; true uses exit().
proc = run(["--stats", "true"])
if "libshim: threads created: 0" not in proc.stderr:
    problems.append("no libshim statistics line: %r" % proc.stderr)
proc = run(["--", "sh", "-c", show], LD_PRELOAD="libc.so.6")
if proc.stdout != "%s libc.so.6|" % os.path.realpath(lib):
    problems.append("an earlier LD_PRELOAD: %r" % proc.stdout)

if problems:
    print("FAIL shimrun:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("ok shimrun: --version, error statuses, PATH search, LD_PRELOAD")
