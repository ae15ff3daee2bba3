#!/usr/bin/env python3
"""Run one real program from Debian under libshim and check it.

    realprog.py --lib LIBSHIM [--no-preload] NAME [EXTRA...]

NAME is one of the programs in PROGRAMS below; EXTRA are paths some of them
need (the programs built by meson, the scripts beside this file).  Each
program runs with LD_PRELOAD=LIBSHIM and SHIM_STATS (to a file per process) on data made by
gendata.py, and passes when

  - its result checks out: the same bytes as the input after a round trip,
    the same answer as a serial computation, or its own self-check's exit
    status -- never "it did not crash";
  - libshim served it: the "libshim: threads created: N" lines its
    processes printed add up to N > 0.  stress-ng is the exception: its
    workers are forked processes that leave with _exit, which prints no
    statistics, so there the proof is the loader's word (LD_DEBUG=bindings)
    that stress-ng's pthread_create is libshim's, plus stress-ng's own count
    of the threads its workers made.

--no-preload runs the same commands on plain glibc and checks the results
only: the check of the check.  A program that is not installed is a SKIP
(exit 77); scripts/deps.sh installs them all.
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

import gendata

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "preload"))
from testproc import describe_status, run_bounded  # noqa: E402

STATS_LINE = re.compile(rb"^libshim: threads created: (\d+)", re.M)
COMMAND_TIMEOUT_S = 60
# Debian's interpreter: python3-numpy is installed for it, not for any
# other python3 that PATH may find first.
DEBIAN_PYTHON = "/usr/bin/python3"


class Failure(Exception):
    """The program misbehaved; the message says how."""


class Skip(Exception):
    """The program is not installed."""


class Session:
    """Runs commands with or without libshim and adds up its statistics."""

    def __init__(self, lib, preload, workdir):
        self.lib = lib
        self.preload = preload
        self.workdir = workdir
        self.threads_created = 0
        self.stats_lines = 0

    def env(self, extra=None, shim=True):
        env = dict(os.environ)
        env.update(extra or {})
        if shim and self.preload:
            old = env.get("LD_PRELOAD")
            env["LD_PRELOAD"] = self.lib + (" " + old if old else "")
            # To files, one per process: xz closes its stderr before it
            # exits, which would leave the report nowhere to go.
            env["SHIM_STATS"] = "file=" + self.path("shimstats.%p")
        return env

    def take_stats(self):
        """The reports the processes of the last command wrote."""
        text = b""
        for name in os.listdir(self.workdir):
            if name.startswith("shimstats."):
                with open(self.path(name), "rb") as f:
                    text += f.read()
                os.unlink(self.path(name))
        return text

    def run(self, argv, env=None, shim=True, stdout_path=None, cwd=None):
        """Runs argv to completion; returns its stdout (bytes) unless it
        went to stdout_path.  A non-zero exit status is a Failure."""
        stdout = open(stdout_path, "wb") if stdout_path else subprocess.PIPE
        try:
            rc, out, err = run_bounded(argv, COMMAND_TIMEOUT_S, env=self.env(env, shim),
                                       stdout=stdout, cwd=cwd or self.workdir)
        except subprocess.TimeoutExpired:
            raise Failure("%s: no exit after %d s (hang?)"
                          % (" ".join(argv), COMMAND_TIMEOUT_S)) from None
        finally:
            if stdout_path:
                stdout.close()
        if shim and self.preload:
            counts = [int(n) for n in STATS_LINE.findall(self.take_stats())]
            self.stats_lines += len(counts)
            self.threads_created += sum(counts)
        if rc != 0:
            raise Failure("%s %s%s%s" % (" ".join(argv), describe_status(rc),
                                         "" if shim else " (without libshim)",
                                         tail(err)))
        return out

    def path(self, name):
        return os.path.join(self.workdir, name)


def tail(data, lines=15):
    text = data.decode(errors="replace").rstrip()
    if not text:
        return ""
    return "; its stderr ends:\n  " + "\n  ".join(text.splitlines()[-lines:])


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def same_file(got, want, what):
    if sha256_of(got) != sha256_of(want):
        raise Failure("%s: %d bytes that differ from the %d bytes of the input"
                      % (what, os.path.getsize(got), os.path.getsize(want)))


def need(*tools):
    for tool in tools:
        if shutil.which(tool) is None:
            raise Skip("%s is not installed (scripts/deps.sh installs it)" % tool)


# --- the programs -------------------------------------------------------------
#
# Each takes the session and the EXTRA arguments.  The compressors make an
# archive under libshim and unpack it under libshim, and the unpacked bytes
# must be the input's; each takes input large enough, cut into blocks small
# enough, that all four workers get work.

def round_trip(s, name, compress, decompress, size=8 << 20):
    need(compress[0])
    src = s.path("input")
    gendata.write_text(src, size)
    s.run(compress + [src], stdout_path=s.path("archive"))
    s.run(decompress + [s.path("archive")], stdout_path=s.path("unpacked"))
    same_file(s.path("unpacked"), src, "%s's round trip gave" % name)


def prog_xz(s, extra):
    round_trip(s, "xz", ["xz", "-T4", "--block-size=1MiB", "-3", "-c"],
               ["xz", "-T4", "-d", "-c"])


def prog_zstd(s, extra):
    round_trip(s, "zstd", ["zstd", "-q", "-T4", "-B1048576", "-6", "-c"],
               ["zstd", "-q", "-d", "-c"])


def prog_pigz(s, extra):
    round_trip(s, "pigz", ["pigz", "-p", "4", "-c"], ["pigz", "-p", "4", "-d", "-c"])


def prog_pbzip2(s, extra):
    round_trip(s, "pbzip2", ["pbzip2", "-p4", "-c", "-k"], ["pbzip2", "-p4", "-d", "-c", "-k"])


def prog_sort(s, extra):
    need("sort")
    # GNU sort gives a thread work only past 128 Ki lines
    # (SUBTHREAD_LINES_HEURISTIC), so four threads need well over 512 Ki.
    records = gendata.sort_records(seed=3, count=700000)
    with open(s.path("input"), "wb") as f:
        f.writelines(records)
    got = s.run(["sort", "--parallel=4", "-S", "256M", s.path("input")],
                env={"LC_ALL": "C"})
    if got != b"".join(sorted(records)):
        raise Failure("sort --parallel=4: output is not the input in byte order")


def prog_git(s, extra):
    need("git")
    repo = s.path("repo")
    counts = gendata.write_tree(repo, 400, seed=5)
    genv = {"HOME": s.workdir, "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}

    def git(*args, shim=True):
        return s.run(["git", "-C", repo] + list(args), env=genv, shim=shim)

    git("init", "-q", shim=False)
    git("add", ".", shim=False)
    git("commit", "-q", "-m", "one", shim=False)
    # pack-objects searches for deltas with 4 threads.
    git("-c", "pack.threads=4", "repack", "-a", "-d", "-f", "-q", "--window=10")
    git("fsck", "--no-progress", "--strict", shim=False)

    packdir = os.path.join(repo, ".git", "objects", "pack")
    packs = [p for p in os.listdir(packdir) if p.endswith(".pack")]
    if len(packs) != 1:
        raise Failure("git repack -a left %d packs" % len(packs))
    pack = os.path.join(packdir, packs[0])
    shutil.copy(pack, s.path("copy.pack"))
    # index-pack resolves the deltas with 4 threads; its index must be the
    # one git wrote with the pack.
    s.run(["git", "index-pack", "--threads=4", "-o", s.path("copy.idx"),
           s.path("copy.pack")], env=genv)
    same_file(s.path("copy.idx"), pack[:-len(".pack")] + ".idx",
              "git index-pack --threads=4 wrote an index of")

    out = git("grep", "--threads=4", "-c", "-F", gendata.NEEDLE)
    got = dict(line.rsplit(":", 1) for line in out.decode().splitlines())
    want = {path: str(n) for path, n in counts.items() if n}
    if got != want:
        raise Failure("git grep --threads=4 -c: %d files with counts, expected %d"
                      "; first difference: %s"
                      % (len(got), len(want), first_difference(got, want)))


def prog_rg(s, extra):
    need("rg")
    tree = s.path("tree")
    counts = gendata.write_tree(tree, 600, seed=9)
    out = s.run(["rg", "-j4", "-c", "-F", gendata.NEEDLE, "."], cwd=tree)
    got = {}
    for line in out.decode().splitlines():
        path, n = line.rsplit(":", 1)
        got[os.path.normpath(path)] = n
    want = {path: str(n) for path, n in counts.items() if n}
    if got != want:
        raise Failure("rg -j4 -c: %d files with counts, expected %d; first difference: %s"
                      % (len(got), len(want), first_difference(got, want)))


def first_difference(got, want):
    for key in sorted(set(got) | set(want)):
        if got.get(key) != want.get(key):
            return "%s: got %s, expected %s" % (key, got.get(key), want.get(key))
    return "none"


def prog_python(s, extra):
    need(DEBIAN_PYTHON)
    s.run([DEBIAN_PYTHON, extra[0]])


def prog_node(s, extra):
    need("node")
    s.run(["node", extra[0]], env={"UV_THREADPOOL_SIZE": "4"})


def prog_cxx(s, extra):
    s.run([extra[0], "4", "10000000"])


def prog_openmp(s, extra):
    s.run([extra[0]], env={"OMP_NUM_THREADS": "4"})


def prog_numpy(s, extra):
    need(DEBIAN_PYTHON)
    probe = subprocess.run([DEBIAN_PYTHON, "-c", "import numpy"],
                           capture_output=True)
    if probe.returncode != 0:
        raise Skip("python3-numpy is not installed (scripts/deps.sh installs it)")
    s.run([DEBIAN_PYTHON, extra[0]], env={"OPENBLAS_NUM_THREADS": "4"})


STRESS_PTHREADS = re.compile(rb"pthread\s+[\d.]+ % of ([\d.]+) pthreads created")
PTHREAD_CREATE_BINDING = re.compile(
    rb"binding file (\S+) \[\d+\] to (\S+) \[\d+\]: normal symbol `pthread_create'")


STRESS_COMPLAINT = re.compile(rb"^stress-ng: (fail|error):", re.M)


def stress_ng_run(s, argv, env):
    """Runs stress-ng; returns its exit status and its output and errors."""
    try:
        rc, out, err = run_bounded(argv, COMMAND_TIMEOUT_S, env=s.env(env), cwd=s.workdir)
    except subprocess.TimeoutExpired:
        raise Failure("stress-ng: no exit after %d s (hang?)" % COMMAND_TIMEOUT_S) from None
    return rc, out + err


def prog_stress_ng(s, extra):
    need("stress-ng")
    argv = ["stress-ng", "--pthread", "2", "--pthread-max", "16",
            "--mutex", "2", "--timeout", "4s", "--metrics-brief"]
    env = {}
    if s.preload:
        env = {"LD_DEBUG": "bindings", "LD_DEBUG_OUTPUT": s.path("ld")}
    rc, report = stress_ng_run(s, argv, env)
    # On a loaded machine stress-ng now and then ends a run "unsuccessful"
    # (exit status 2) without a fail: or error: line, on glibc as under
    # libshim (measured at a load of ~15 on 2 cores: 1 of 40 runs on
    # glibc, 2 of 40 under libshim).  Such a run is repeated once, with -v
    # so that its debug lines say why if it fails again; any other
    # failure, or two in a row, fails the test.
    if rc == 2 and not STRESS_COMPLAINT.search(report):
        print("note: stress-ng ended unsuccessful without a complaint, run again with -v%s"
              % tail(report, 4))
        rc, report = stress_ng_run(s, argv + ["-v"], env)
    if rc != 0 or b"] successful run completed" not in report:
        raise Failure("stress-ng %s%s" % (describe_status(rc), tail(report, 40)))
    made = STRESS_PTHREADS.search(report)
    if made is None or float(made.group(1)) <= 0:
        raise Failure("stress-ng reports no pthreads created by its workers%s" % tail(report))
    if not s.preload:
        return
    log = b""
    for name in os.listdir(s.workdir):
        if name.startswith("ld."):
            with open(s.path(name), "rb") as f:
                log += f.read()
    ours = [provider for requester, provider in PTHREAD_CREATE_BINDING.findall(log)
            if os.path.basename(requester) == b"stress-ng"]
    if not ours:
        raise Failure("LD_DEBUG=bindings shows no binding of stress-ng's pthread_create")
    lib = os.path.realpath(s.lib).encode()
    if any(os.path.realpath(p) != lib for p in ours):
        raise Failure("stress-ng's pthread_create is bound to %s, not libshim"
                      % b", ".join(sorted(set(ours))).decode())
    # Stands in for the statistics line the workers cannot print.
    s.threads_created += int(float(made.group(1)))
    s.stats_lines += 1


# --- Debian's arm64 programs, under the cross build's emulator --------------
#
# EXTRA is a folder in the build tree.  The arm64 package is fetched with
# apt-get download and unpacked there with dpkg-deb -x, never installed:
# xz-utils and pigz are not Multi-Arch: same, and apt would remove the
# amd64 ones to make room.  Their libraries are multiarch packages
# (scripts/deps.sh).  testproc runs the program under qemu-user.

def arm64_program(folder, package, binary):
    root = os.path.join(folder, package)
    path = os.path.join(root, "usr", "bin", binary)
    if os.path.exists(path):
        return path
    with tempfile.TemporaryDirectory(dir=folder) as debs:
        got = subprocess.run(["apt-get", "-q", "download", package + ":arm64"],
                             cwd=debs, stdin=subprocess.DEVNULL,
                             capture_output=True, text=True)
        names = [n for n in os.listdir(debs) if n.endswith(".deb")]
        if got.returncode != 0 or not names:
            raise Skip("apt-get download %s:arm64 failed (no arm64 lists: "
                       "scripts/deps.sh adds the architecture): %s"
                       % (package, got.stderr.strip()[-300:]))
        tmp = root + ".part"
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["dpkg-deb", "-x", os.path.join(debs, names[0]), tmp],
                       check=True)
        os.rename(tmp, root)  # whole, or not there: another run may look
    return path


# Less input than natively: the emulator is some ten times slower.
def prog_arm64_xz(s, extra):
    os.makedirs(extra[0], exist_ok=True)
    xz = arm64_program(extra[0], "xz-utils", "xz")
    round_trip(s, "arm64 xz", [xz, "-T2", "--block-size=1MiB", "-3", "-c"],
               [xz, "-T2", "-d", "-c"], size=4 << 20)


def prog_arm64_pigz(s, extra):
    os.makedirs(extra[0], exist_ok=True)
    pigz = arm64_program(extra[0], "pigz", "pigz")
    round_trip(s, "arm64 pigz", [pigz, "-p", "2", "-c"],
               [pigz, "-p", "2", "-d", "-c"], size=4 << 20)


PROGRAMS = {
    "arm64_xz": prog_arm64_xz,
    "arm64_pigz": prog_arm64_pigz,
    "xz": prog_xz,
    "zstd": prog_zstd,
    "pigz": prog_pigz,
    "pbzip2": prog_pbzip2,
    "sort": prog_sort,
    "git": prog_git,
    "rg": prog_rg,
    "python": prog_python,
    "node": prog_node,
    "cxx": prog_cxx,
    "openmp": prog_openmp,
    "numpy": prog_numpy,
    "stress-ng": prog_stress_ng,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lib", required=True, help="path of libshim.so")
    ap.add_argument("--no-preload", action="store_true",
                    help="run on plain glibc and check the results only")
    ap.add_argument("name", choices=sorted(PROGRAMS))
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()

    lib = os.path.realpath(args.lib)
    extra = [os.path.abspath(e) for e in args.extra]  # the programs run elsewhere
    with tempfile.TemporaryDirectory(prefix="realprog-") as workdir:
        s = Session(lib, not args.no_preload, workdir)
        try:
            PROGRAMS[args.name](s, extra)
            if s.preload and s.stats_lines == 0:
                raise Failure("no 'libshim: threads created' line on stderr: "
                              "libshim did not serve it")
            if s.preload and s.threads_created == 0:
                raise Failure("libshim created no thread for it: its threads "
                              "were not libshim's")
        except Skip as e:
            print("SKIP %s: %s" % (args.name, e))
            sys.exit(77)
        except Failure as e:
            print("FAIL %s: %s" % (args.name, e))
            sys.exit(1)
    if s.preload:
        print("ok %s: libshim created %d threads" % (args.name, s.threads_created))
    else:
        print("ok %s on glibc" % args.name)


if __name__ == "__main__":
    main()
