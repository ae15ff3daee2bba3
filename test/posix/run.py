#!/usr/bin/env python3
"""
test/posix/run.py -- the Open POSIX Test Suite's conformance tests for the
pthread_* and sem_* interfaces, each run twice, with glibc and with
libshim preloaded, and the two results compared.

The suite is not part of libshim and is not in CI (it needs the network
once): Debian ships its source as posixtestsuite_1.5.2.orig.tar.gz, which
this script downloads (from --url), checks against its SHA-256, and unpacks
into the work directory.  Without the network the download gives up after
--connect-timeout seconds (20) without an answer and exits 2 with the
reason.  Each test's exit status is the PTS result code (0 PASS, 1 FAIL,
2 UNRESOLVED, 4 UNSUPPORTED, 5 UNTESTED; 124 here: timed out; 128+N:
killed by signal N).

    python3 test/posix/run.py [--lib build/libshim.so] [--work DIR]
                              [--jobs N] [--timeout S] [--markdown FILE]
                              [--url URL] [--connect-timeout S]

Prints every test whose two results differ, then a summary; --markdown
writes the same as a table.  Exit status 1 if a test passes with glibc and
not with libshim.
"""
import argparse
import concurrent.futures
import hashlib
import os
import pathlib
import re
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from download import download  # noqa: E402

TARBALL = "posixtestsuite_1.5.2.orig.tar.gz"
URL = "http://deb.debian.org/debian/pool/main/p/posixtestsuite/" + TARBALL
SHA256 = "15a2185672127cba851d35ec9d538ff6148defdbb75f99c7e9c50aeba0f94757"
FAMILIES = re.compile(r"^(pthread|sem)_")
TEST_NAME = re.compile(r"^\d+-\d+\.c$")
NAMED = re.compile(r"^sem_(open|close|unlink)$")
RESULT = {0: "PASS", 1: "FAIL", 2: "UNRESOLVED", 3: "UNRESOLVED",
          4: "UNSUPPORTED", 5: "UNTESTED", 124: "TIMEOUT"}


def result_name(code):
    if code in RESULT:
        return RESULT[code]
    if code > 128:
        return "SIGNAL %d" % (code - 128)
    return "EXIT %d" % code


def fetch(work, url, timeout):
    tarball = work / TARBALL
    if not tarball.exists():
        download(url, tarball, timeout)
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != SHA256:
        sys.exit("%s: SHA-256 %s, want %s" % (tarball, digest, SHA256))
    root = work / "posixtestsuite"
    if not root.exists():
        with tarfile.open(tarball) as tar:
            tar.extractall(work)
    return root


def build(root, src, out):
    """Compile one test as the suite's own Makefile does; None on failure."""
    cmd = ["gcc", "-w", "-O1", "-std=gnu99", "-D_GNU_SOURCE",
           "-I", str(root / "include"), "-I", str(src.parent), "-pthread",
           str(src), "-o", str(out), "-lrt", "-lm"]
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        return None
    return out


def run(binary, cwd, timeout, lib):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if lib:
        env["LD_PRELOAD"] = str(lib)
    cmd = ["timeout", str(timeout), str(binary)]
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    code = proc.returncode
    return 128 - code if code < 0 else code


def one(root, bindir, src, timeout, lib):
    name = "%s/%s" % (src.parent.name, src.stem)
    binary = build(root, src, bindir / name.replace("/", "__"))
    if binary is None:
        return name, None, None
    # Each run in its own directory: some tests make files in the cwd.
    cwd = bindir / (binary.name + ".d")
    cwd.mkdir(exist_ok=True)
    return name, run(binary, cwd, timeout, None), run(binary, cwd, timeout,
                                                        lib)


def main():
    here = pathlib.Path(__file__).resolve().parent
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", default=str(here.parents[1] / "build" /
                                         "libshim.so"))
    ap.add_argument("--work", default="/tmp/libshim-posix")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=int, default=30)
    ap.add_argument("--markdown")
    ap.add_argument("--url", default=URL)
    ap.add_argument("--connect-timeout", type=float, default=20)
    args = ap.parse_args()
    lib = pathlib.Path(args.lib).resolve()
    if not lib.exists():
        sys.exit("%s: no such library (build first)" % lib)
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    root = fetch(work, args.url, args.connect_timeout)
    bindir = work / "bin"
    bindir.mkdir(exist_ok=True)

    interfaces = root / "conformance" / "interfaces"
    sources = sorted(src for d in interfaces.iterdir()
                     if d.is_dir() and FAMILIES.match(d.name)
                     for src in d.iterdir() if TEST_NAME.match(src.name))
    # Named semaphores' tests share names across tests: those run alone.
    named = [s for s in sources if NAMED.match(s.parent.name)]
    others = [s for s in sources if not NAMED.match(s.parent.name)]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(
            lambda s: one(root, bindir, s, args.timeout, lib), others))
    results += [one(root, bindir, s, args.timeout, lib) for s in named]
    results.sort()

    built = [r for r in results if r[1] is not None]
    differ = [r for r in built if r[1] != r[2]]
    worse = [r for r in differ if r[1] == 0]
    better = [r for r in differ if r[2] == 0]
    lines = ["| test | glibc | libshim |", "|---|---|---|"]
    lines += ["| %s | %s | %s |" % (n, result_name(g), result_name(s))
              for n, g, s in differ]
    summary = ("%d tests (%d did not build), %d with the same result, "
               "%d pass only with libshim, %d pass only with glibc, "
               "%d other differences; glibc passes %d, libshim %d"
               % (len(results), len(results) - len(built),
                  len(built) - len(differ), len(better), len(worse),
                  len(differ) - len(better) - len(worse),
                  sum(r[1] == 0 for r in built),
                  sum(r[2] == 0 for r in built)))
    print("\n".join(lines))
    print(summary)
    if args.markdown:
        pathlib.Path(args.markdown).write_text(
            "\n".join(lines) + "\n\n" + summary + "\n")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
