#!/usr/bin/env python3
"""check_posix_fetch.py RUN_PY LIBSHIM -- test/posix/run.py fails fast,
and says why, when it cannot download the Open POSIX Test Suite.

No traffic leaves the machine: run.py is pointed (--url) at 127.0.0.1,
first at a port bound but not listening (the connection is refused), then
at one that listens but never answers (what a dead network looks like
once connected: without a timeout, run.py waits for ever).  Each time it
must exit 2 within a few seconds of its --connect-timeout with `cannot
download URL: reason` on stderr and leave no tarball in its work
directory.  Exit 0 when both hold, 1 otherwise.
"""
import pathlib
import socket
import subprocess
import sys
import tempfile
import time

run_py, lib = sys.argv[1:3]
TIMEOUT = 2          # run.py's --connect-timeout
PATIENCE = 30        # how long run.py may take before it counts as hung
problems = []


def attempt(what, port, reason):
    url = "http://127.0.0.1:%d/posixtestsuite.tar.gz" % port
    with tempfile.TemporaryDirectory() as work:
        start = time.monotonic()
        try:
            proc = subprocess.run(
                [sys.executable, run_py, "--lib", lib, "--work", work,
                 "--url", url, "--connect-timeout", str(TIMEOUT)],
                capture_output=True, text=True, timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            problems.append("%s: run.py still waiting after %d s"
                            % (what, PATIENCE))
            return
        took = time.monotonic() - start
        left = sorted(p.name for p in pathlib.Path(work).iterdir())
    want = "run.py: cannot download %s: " % url
    if proc.returncode != 2 or want not in proc.stderr or \
            reason not in proc.stderr:
        problems.append("%s: status %d, stderr %r (want 2 and %r...%s)"
                        % (what, proc.returncode, proc.stderr, want, reason))
    if took > TIMEOUT + 10:
        problems.append("%s: took %.1f s with a %d s timeout"
                        % (what, took, TIMEOUT))
    if left:
        problems.append("%s: left %s in the work directory" % (what, left))


# Bound, not listening: the kernel refuses, and nobody else gets the port.
closed = socket.socket()
closed.bind(("127.0.0.1", 0))
attempt("a closed port", closed.getsockname()[1], "refused")

# Listening, never accepting: the handshake completes in the kernel's
# backlog, the request is sent, and no reply comes.
silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(1)
attempt("a server that never answers", silent.getsockname()[1], "timed out")

if problems:
    print("FAIL posix_fetch:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("ok posix_fetch: run.py exits 2 with the reason, refused or silent")
