"""Running a program under test so that nothing it starts outlives the test.

A program that hangs under libshim may leave children behind (git's
pack-objects, a compressor's helper) that hold its pipes open and would keep
running after the test gave up.  So each program runs in a process group of
its own, and on a timeout, or when meson stops the runner with SIGTERM, the
whole group is killed."""

import os
import shlex
import signal
import struct
import subprocess
import sys

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


def _elf_machine(path):
    """e_machine of an ELF file, or None for anything else."""
    try:
        with open(path, "rb") as f:
            head = f.read(20)
    except OSError:
        return None
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    return struct.unpack_from("<H", head, 18)[0]


def emulated(argv, env):
    """argv and env for running argv[0] on this machine: as given, unless
    it is a program for another CPU in a cross build, which meson gives a
    wrapper (MESON_EXE_WRAPPER, qemu-user: doc/aarch64.md).  Then the
    wrapper runs it, and the loader's variables (LD_PRELOAD, LD_DEBUG...)
    go to the emulated program alone through QEMU_SET_ENV: the emulator
    is a host program, whose own loader would try them on itself."""
    wrapper = os.environ.get("MESON_EXE_WRAPPER")
    machine = _elf_machine(argv[0]) if wrapper else None
    if machine is None or machine == _elf_machine(sys.executable):
        return argv, env
    env = dict(os.environ if env is None else env)
    guest = ["%s=%s" % (k, env.pop(k)) for k in sorted(env) if k.startswith("LD_")]
    if guest:
        env["QEMU_SET_ENV"] = ",".join(guest)
    return shlex.split(wrapper) + list(argv), env


def run_bounded(argv, timeout, **popen_args):
    """Runs argv to completion in a new process group; returns
    (returncode, stdout, stderr).  After `timeout` seconds the group is
    killed and subprocess.TimeoutExpired raised.  A program for another
    CPU runs under the cross build's emulator (emulated)."""
    argv, popen_args["env"] = emulated(argv, popen_args.get("env"))
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
