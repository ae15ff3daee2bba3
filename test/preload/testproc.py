"""Running a program under test so that nothing it starts outlives the test.

A program that hangs under libshim may leave children behind (git's
pack-objects, a compressor's helper) that hold its pipes open and would keep
running after the test gave up.  So each program runs in a process group of
its own, and on a timeout, or when meson stops the runner with SIGTERM, the
whole group is killed."""

import os
import signal
import subprocess

_running = set()  # process groups of the programs running now


def _kill(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _on_sigterm(signum, frame):
    for pgid in list(_running):
        _kill(pgid)
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, _on_sigterm)


def run_bounded(argv, timeout, **popen_args):
    """Runs argv to completion in a new process group; returns
    (returncode, stdout, stderr).  After `timeout` seconds the group is
    killed and subprocess.TimeoutExpired raised."""
    popen_args.setdefault("stdin", subprocess.DEVNULL)
    popen_args.setdefault("stdout", subprocess.PIPE)
    popen_args.setdefault("stderr", subprocess.PIPE)
    with subprocess.Popen(argv, start_new_session=True, **popen_args) as proc:
        _running.add(proc.pid)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc.pid)
            proc.communicate()
            raise
        finally:
            # Whatever of the group is still alive (a child that kept
            # running after its parent exited) goes too.
            _kill(proc.pid)
            _running.discard(proc.pid)
    return proc.returncode, out, err


def describe_status(returncode):
    if returncode < 0:
        try:
            return "was killed by %s" % signal.Signals(-returncode).name
        except ValueError:
            return "was killed by signal %d" % -returncode
    return "exited with status %d" % returncode
