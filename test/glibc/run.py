#!/usr/bin/env python3
"""
test/glibc/run.py -- glibc 2.36's own thread tests (nptl/ and
sysdeps/pthread/), built as ordinary dynamically linked programs against
the installed glibc, each run with glibc and with libshim preloaded, and
the two results compared.

The tests are not part of libshim and are not in CI (they need the network
once): the script downloads Debian's glibc_2.36.orig.tar.xz (from --url),
checks its SHA-256 and unpacks it into the cache (--cache, default
/work/cache/glibc, else $XDG_CACHE_HOME/libshim-glibc), or uses an
unpacked tree given with --src.  Without the network the download gives
up after --connect-timeout seconds and exits 2 with the reason.

The tests are the names of the `tests`, `tests-internal`,
`tests-container` and `xtests` lists of nptl/Makefile and
sysdeps/pthread/Makefile.  glibc's support/ library is compiled once
into a static archive; each test is compiled with its Makefile CFLAGS-,
LDFLAGS- and LDLIBS- lines and linked against it.  A test that needs
glibc's internal headers does not compile outside glibc's tree, one that
is static ignores LD_PRELOAD, one that needs a helper module of glibc's
build cannot be linked: these are listed as not built, with the reason.

Each test runs under the support driver (its own timeout; TIMEOUTFACTOR
is passed on), once with glibc and once with LD_PRELOAD=--lib; a failure
is rerun 3 times, and a test that passes in any rerun counts as passing
(flaky, with the count).  Results: PASS, FAIL, UNSUPPORTED (77), TIMEOUT
(the driver's), SIGNAL N, EXIT N.

    python3 test/glibc/run.py [--lib build/libshim.so] [--src DIR]
        [--cache DIR] [--only REGEX] [-j N] [--doc doc/conformance.md]
        [--url URL] [--connect-timeout S]

Prints every test whose two results differ, then a summary; --doc
replaces the part of that file between the markers `<!-- glibc-nptl -->`
and `<!-- /glibc-nptl -->` with the same as a table.  Exit status 1 if a
test passes with glibc and not with libshim.
"""
import argparse
import concurrent.futures
import hashlib
import http.client
import os
import pathlib
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import urllib.request

TARBALL = "glibc_2.36.orig.tar.xz"
URL = "http://deb.debian.org/debian/pool/main/g/glibc/" + TARBALL
SHA256 = "a543c02070d46ccaf866957efd13f10c924daa74c86a90a0254db09a92a708ee"
TOP = "glibc-2.36"
MAKEFILES = ["nptl/Makefile", "sysdeps/pthread/Makefile"]
LISTS = re.compile(r"^(tests|tests-internal|tests-container|xtests)"
                   r"\s*(\+=|:=|=)(.*)$")
PER_TEST = re.compile(r"^(CFLAGS|LDFLAGS|LDLIBS)-(tst-[\w-]+?)(\.c|\.o)?"
                      r"\s*(\+=|:=|=)(.*)$")
ARGS = re.compile(r"^(tst-[\w-]+)-ARGS\s*=(.*)$")
MARK_BEGIN = "<!-- glibc-nptl -->"
MARK_END = "<!-- /glibc-nptl -->"
RERUNS = 3
# Outer guard, far above the driver's own timeout (20 s times the test's
# factor): only a driver that itself hangs reaches it.
HARD_TIMEOUT = 300
SUPPORT_PATHS = ["SRCDIR_PATH", "OBJDIR_PATH", "OBJDIR_ELF_LDSO_PATH",
                 "INSTDIR_PATH", "LIBDIR_PATH", "BINDIR_PATH",
                 "SBINDIR_PATH", "SLIBDIR_PATH", "ROOTSBINDIR_PATH",
                 "COMPLOCALEDIR_PATH"]
# glibc-internal headers that support/ includes and that stand alone.
STANDALONE = ["include/intprops.h", "include/array_length.h",
              "include/libc-diag.h",
              "sysdeps/x86_64/stackinfo.h",
              "sysdeps/unix/sysv/linux/socket-constants-time64.h"]
# What glibc's build gives every file through config.h and its internal
# headers, as far as support/ and the tests use it.
CONFIG_H = """\
#define TIMEOUTFACTOR 1
#include <limits.h>
"""
# include/allocate_once.h needs glibc's <atomic.h>; this is the same
# contract on the compiler's builtins.
ALLOCATE_ONCE = """\
#include <stddef.h>
#include <stdlib.h>
static inline void *
allocate_once (void **place, void *(*allocate) (void *), void (*deallocate)
               (void *, void *), void *closure)
{
  void *seen = __atomic_load_n (place, __ATOMIC_ACQUIRE);
  if (seen != NULL)
    return seen;
  void *made = allocate (closure);
  if (made == NULL)
    return NULL;
  if (__atomic_compare_exchange_n (place, &seen, made, 0, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE))
    return made;
  if (deallocate == NULL)
    free (made);
  else
    deallocate (closure, made);
  return seen;
}
"""
BASE_CFLAGS = ["-O2", "-g", "-std=gnu11", "-D_GNU_SOURCE", "-w",
               "-pthread"]


def download(url, tarball, timeout):
    """Exit 2 with the reason when the server cannot be reached or stops
    answering for `timeout` seconds (no network: without a timeout the
    connect or the first read waits for ever)."""
    print("downloading", url, file=sys.stderr)
    # Into a side file: an interrupted download leaves no tarball behind.
    part = tarball.with_name(tarball.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply, \
                open(part, "wb") as out:
            shutil.copyfileobj(reply, out)
    except (OSError, http.client.HTTPException) as e:
        part.unlink(missing_ok=True)
        reason = getattr(e, "reason", None) or e
        print("run.py: cannot download %s: %s" % (url, reason),
              file=sys.stderr)
        sys.exit(2)
    part.rename(tarball)


def fetch(cache, url, timeout):
    root = cache / TOP
    if (root / "nptl" / "Makefile").exists():
        return root
    tarball = cache / TARBALL
    if not tarball.exists():
        download(url, tarball, timeout)
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != SHA256:
        sys.exit("%s: SHA-256 %s, want %s" % (tarball, digest, SHA256))
    with tarfile.open(tarball) as tar:
        tar.extractall(cache)
    return root


def makefile_lines(path):
    """The logical lines of a Makefile: continuations joined."""
    text = path.read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines()]


def literal(words):
    """The words of a Makefile value that need no make variable."""
    return [w for w in words.split() if "$" not in w and "(" not in w]


def collect(src):
    """{name: (source, cflags, ldflags, ldlibs, args)} for every listed
    test with a source file, and {name: reason} for those without."""
    names, flags, args = {}, {}, {}
    for mk in MAKEFILES:
        directory = (src / mk).parent
        for line in makefile_lines(src / mk):
            m = LISTS.match(line)
            if m:
                for name in literal(m.group(3)):
                    names.setdefault(name, (directory, m.group(1)))
                continue
            m = PER_TEST.match(line)
            if m:
                key = (m.group(1), m.group(2))
                flags.setdefault(key, []).extend(literal(m.group(5)))
                continue
            m = ARGS.match(line)
            if m:
                args[m.group(1)] = m.group(2).strip()
    tests, missing = {}, {}
    for name, (directory, listed) in sorted(names.items()):
        source = next((directory / (name + ext) for ext in (".c", ".cc")
                       if (directory / (name + ext)).exists()), None)
        if source is None:
            missing[name] = "no source file (generated by glibc's build)"
            continue
        tests[name] = (source, flags.get(("CFLAGS", name), []),
                       flags.get(("LDFLAGS", name), []),
                       flags.get(("LDLIBS", name), []), args.get(name),
                       listed)
    return tests, missing


def support_library(src, work, jobs):
    """libsupport.a from the Makefile's libsupport-routines; the routines
    that need more of glibc's internals than the headers substituted
    here are left out (a test that uses one then fails to link)."""
    inc = work / "include"
    inc.mkdir(parents=True, exist_ok=True)
    link = inc / "support"
    if not link.exists():
        link.symlink_to(src / "support")
    (inc / "config.h").write_text(CONFIG_H)
    (inc / "allocate_once.h").write_text(ALLOCATE_ONCE)
    for header in STANDALONE:
        target = inc / pathlib.Path(header).name
        if not target.exists():
            target.symlink_to(src / header)
    archive = work / "libsupport.a"
    if archive.exists():
        return inc, archive
    text = " ".join(makefile_lines(src / "support" / "Makefile"))
    routines = re.search(r"libsupport-routines\s*=(.*?)(\w[\w-]*\s*:?=)",
                         text).group(1).split()
    objdir = work / "support-obj"
    objdir.mkdir(exist_ok=True)
    defines = ['-D%s="%s"' % (p, src) for p in SUPPORT_PATHS]

    def compile_one(routine):
        obj = objdir / (routine + ".o")
        cmd = (["gcc", "-c"] + BASE_CFLAGS + ["-fexcess-precision=standard",
               "-I", str(inc), "-I", str(src / "support"),
               "-include", "config.h"] + defines +
               [str(src / "support" / (routine + ".c")), "-o", str(obj)])
        ok = subprocess.run(cmd, capture_output=True).returncode == 0
        return obj if ok else None

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        objs = [o for o in pool.map(compile_one, routines) if o]
    print("libsupport: %d of %d routines built" % (len(objs), len(routines)),
          file=sys.stderr)
    subprocess.run(["ar", "rcs", str(archive)] + [str(o) for o in objs],
                   check=True)
    return inc, archive


def first_error(stderr):
    for line in stderr.splitlines():
        if "error" in line or "undefined reference" in line:
            return re.sub(r"^.*?/(?=[^/]*:\d+)", "", line).strip()
    return stderr.strip().splitlines()[-1] if stderr.strip() else "?"


def build(src, inc, archive, bindir, name, test):
    """The binary's path, or a reason it was not built."""
    source, cflags, ldflags, ldlibs, _, listed = test
    if name.endswith("-static"):
        return None, "static: LD_PRELOAD does not apply"
    binary = bindir / name
    if binary.exists() and binary.stat().st_mtime > source.stat().st_mtime:
        return binary, None
    cxx = source.suffix == ".cc"
    cmd = ["g++" if cxx else "gcc"] + [f for f in BASE_CFLAGS
                                       if not (cxx and f.startswith("-std"))]
    cmd += cflags + ["-I", str(inc), "-I", str(src / "support"),
                     "-include", "config.h",
                     "-iquote", str(source.parent),
                     "-iquote", str(src / "nptl"),
                     "-iquote", str(src / "sysdeps" / "pthread"),
                     str(source), "-o", str(binary)] + ldflags
    cmd += [str(archive), "-lrt", "-ldl", "-lm"] + ldlibs
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        why = first_error(proc.stderr)
        if listed == "tests-internal":
            why = "glibc-internal test: " + why
        return None, why
    return binary, None


def run_once(binary, args, lib, cwd):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if lib:
        env["LD_PRELOAD"] = str(lib)
    env["TMPDIR"] = str(cwd)
    cmd = [str(binary)] + args
    # Output to a file, not a pipe: a child the test leaves behind would
    # hold a pipe open after the driver exits.  Its own process group, so
    # that such a child is killed with it.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log,
                                stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            code = proc.wait(HARD_TIMEOUT)
        except subprocess.TimeoutExpired:
            code = None
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if code is None:
            proc.wait()
            return "TIMEOUT"
        log.seek(0)
        out = log.read()
    if code == 0:
        return "PASS"
    if code == 77:
        return "UNSUPPORTED"
    if b"Timed out: killed the child process" in out:
        return "TIMEOUT"
    if code < 0:
        return "SIGNAL %d" % -code
    if code == 1:
        return "FAIL"
    return "EXIT %d" % code


def run(binary, args, lib, cwd):
    """The result, rerun up to RERUNS times while it is not a pass; a
    pass in a rerun is reported with how many runs failed first."""
    first = run_once(binary, args, lib, cwd)
    if first in ("PASS", "UNSUPPORTED"):
        return first
    for i in range(RERUNS):
        again = run_once(binary, args, lib, cwd)
        if again == "PASS":
            return "PASS (flaky: %d of %d failed)" % (i + 1, i + 2)
    return first


def one(src, inc, archive, bindir, lib, name, test):
    binary, why = build(src, inc, archive, bindir, name, test)
    if binary is None:
        return name, why, None, None
    raw = test[4]
    args = []
    if raw:
        raw = raw.replace("$(host-test-program-cmd)", str(binary))
        raw = raw.replace("$(objpfx)", str(bindir) + "/")
        args = shlex.split(raw)
    cwd = bindir / (name + ".d")
    cwd.mkdir(exist_ok=True)
    # glibc runs its tests in their directory; tst-cancel4 and others open
    # "Makefile" there as a file to read.
    makefile = cwd / "Makefile"
    if not makefile.exists():
        makefile.symlink_to(test[0].parent / "Makefile")
    return name, None, run(binary, args, None, cwd), run(binary, args, lib,
                                                         cwd)


def passed(result):
    return result.startswith("PASS")


def write_doc(path, lines):
    doc = pathlib.Path(path)
    text = doc.read_text()
    begin, end = text.find(MARK_BEGIN), text.find(MARK_END)
    if begin < 0 or end < begin:
        sys.exit("%s: no %s ... %s section" % (doc, MARK_BEGIN, MARK_END))
    doc.write_text(text[:begin + len(MARK_BEGIN)] + "\n" + "\n".join(lines)
                   + "\n" + text[end:])


def main():
    here = pathlib.Path(__file__).resolve().parent
    xdg = os.environ.get("XDG_CACHE_HOME")
    default_cache = ("/work/cache/glibc" if pathlib.Path("/work").is_dir()
                     or not xdg else os.path.join(xdg, "libshim-glibc"))
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", default=str(here.parents[1] / "build" /
                                         "libshim.so"))
    ap.add_argument("--cache", default=default_cache)
    ap.add_argument("--src", help="an unpacked glibc 2.36 tree")
    ap.add_argument("--only", help="run only the tests whose name matches")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--doc", help="update this file's glibc-nptl section")
    ap.add_argument("--url", default=URL)
    ap.add_argument("--connect-timeout", type=float, default=20)
    args = ap.parse_args()
    lib = pathlib.Path(args.lib).resolve()
    if not lib.exists():
        sys.exit("%s: no such library (build first)" % lib)
    cache = pathlib.Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    if args.src:
        src = pathlib.Path(args.src).resolve()
        if not (src / "nptl" / "Makefile").exists():
            print("run.py: %s: not a glibc source tree" % src,
                  file=sys.stderr)
            sys.exit(2)
    else:
        src = fetch(cache, args.url, args.connect_timeout)
    work = cache / "build"
    bindir = work / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    inc, archive = support_library(src, work, args.jobs)

    tests, missing = collect(src)
    if args.only:
        only = re.compile(args.only)
        tests = {n: t for n, t in tests.items() if only.search(n)}
        missing = {n: w for n, w in missing.items() if only.search(n)}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(
            lambda nt: one(src, inc, archive, bindir, lib, *nt),
            sorted(tests.items())))
    results += [(n, why, None, None) for n, why in missing.items()]
    results.sort()

    built = [r for r in results if r[1] is None]
    unbuilt = [r for r in results if r[1] is not None]
    differ = [r for r in built if passed(r[2]) != passed(r[3])
              or (not passed(r[2]) and r[2] != r[3])]
    worse = [r for r in built if passed(r[2]) and not passed(r[3])]
    flaky = [r for r in built if "flaky" in r[2] + r[3]
             and r not in differ]
    lines = ["| test | glibc | libshim |", "|---|---|---|"]
    lines += ["| %s | %s | %s |" % (n, g, s) for n, _, g, s in differ]
    summary = ("%d tests listed, %d built; glibc passes %d, libshim %d; "
               "%d pass only with glibc, %d only with libshim"
               % (len(results), len(built),
                  sum(passed(r[2]) for r in built),
                  sum(passed(r[3]) for r in built), len(worse),
                  sum(passed(r[3]) and not passed(r[2]) for r in built)))
    print("\n".join(lines))
    if flaky:
        print("flaky, same verdict: " + ", ".join(
            "%s (%s / %s)" % (n, g, s) for n, _, g, s in flaky))
    print(summary)
    if args.doc:
        notbuilt = ["", "Not built:", ""]
        notbuilt += ["* `%s`: %s" % (n, why.replace("|", "\\|"))
                     for n, why, _, _ in unbuilt]
        write_doc(args.doc, lines + ["", summary] + notbuilt)
    else:
        for n, why, _, _ in unbuilt:
            print("not built: %s: %s" % (n, why), file=sys.stderr)
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
