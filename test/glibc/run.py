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
LDFLAGS- and LDLIBS- lines, the installed headers first and then glibc's
tree in its own build's search order (a few headers of glibc's build
stood in for by their contract: shlib-compat.h, atomic.h, ...), and
linked against the archive and the modules and objects its Makefile
rules name; the modules (modules-names) are built beside the tests.  The
tests glibc links statically are linked dynamically (LD_PRELOAD needs
a dynamic program).  A test that reads glibc's private objects does not
compile outside glibc's tree: it is listed as not built, with the header
and the compiler's error.

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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from download import download  # noqa: E402

TARBALL = "glibc_2.36.orig.tar.xz"
URL = "http://deb.debian.org/debian/pool/main/g/glibc/" + TARBALL
SHA256 = "a543c02070d46ccaf866957efd13f10c924daa74c86a90a0254db09a92a708ee"
TOP = "glibc-2.36"
MAKEFILES = ["nptl/Makefile", "sysdeps/pthread/Makefile"]
LISTS = re.compile(r"^(tests|tests-internal|tests-container|xtests"
                   r"|modules-names)\s*(\+=|:=|=)(.*)$")
PER_TEST = re.compile(r"^(CFLAGS|LDFLAGS|LDLIBS)-(tst-[\w-]+?(?:\.so)?)"
                      r"(\.c|\.o)?\s*(\+=|:=|=)(.*)$")
ARGS = re.compile(r"^(tst-[\w-]+)-(ARGS|ENV)\s*=(.*)$")
# `$(objpfx)tst-x: $(objpfx)tst-xmod.so ...`: what the program (or module)
# is linked with; the `.out` rules name what a test only opens at run time.
LINKS = re.compile(r"^\$\(objpfx\)(tst-[\w-]+(?:\.so)?)(\.out)?:(.*)$")
OBJPFX_DEP = re.compile(r"\$\(objpfx\)(tst-[\w-]+\.(?:so|o))\b")
ADDPREFIX = re.compile(r"\$\(addprefix\s+([^,$()]+),([^$()]*)\)")
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
              "include/libc-diag.h", "include/dso_handle.h",
              "sysdeps/x86_64/stackinfo.h",
              "sysdeps/unix/sysv/linux/socket-constants-time64.h"]
# What glibc's build gives every file through config.h and its internal
# headers, as far as support/ and the tests use it.
CONFIG_H = """\
#define TIMEOUTFACTOR 1
#define PTHREAD_IN_LIBC 1
#define attribute_hidden __attribute__ ((visibility ("hidden")))
#include <limits.h>
"""
# include/shlib-compat.h needs the generated abi-versions.h.  What it
# gives a test in glibc's x86_64 build: libpthread's GLIBC_2.0 is x86_64's
# first version, GLIBC_2.2.5, older than GLIBC_2.34 (so the compat checks
# of tst-pthread_kill-exited are compiled in, and tst-cleanup4 references
# the GLIBC_2.2.5 _pthread_cleanup_push that old binaries call).
SHLIB_COMPAT_H = """\
#define SHIM_ABI_GLIBC_2_0 20205
#define SHIM_ABI_GLIBC_2_34 23400
#define VERSION_libpthread_GLIBC_2_0 GLIBC_2.2.5
#define TEST_COMPAT(lib, introduced, obsoleted) \\
  (SHIM_ABI_##introduced < SHIM_ABI_##obsoleted)
#define SHIM_STR(x) #x
#define SHIM_SYMVER(local, symbol, version) \\
  __asm__ (".symver " #local "," #symbol "@" SHIM_STR (version))
#define compat_symbol_reference(lib, local, symbol, version) \\
  SHIM_SYMVER (local, symbol, VERSION_##lib##_##version)
"""
# glibc's private pthreadP.h and internal-signals.h, as far as tst-signal7,
# tst-cancel25 and tst-robust8 use them: the numbers of the two signals
# glibc keeps for itself.  A test that needs more of them (tst-rwlock19's
# rwlock bits, tst-tls5's TCB) still does not compile, and says so.
SIGNALS_H = """\
#include <signal.h>
#define SIGCANCEL __SIGRTMIN
#define SIGSETXID (__SIGRTMIN + 1)
"""
# elf/dl-tunables.h is glibc-internal; tst-mutex8 includes it only for
# HAVE_TUNABLES, which this leaves undefined (the installed glibc's
# tunables are not reachable from a program).
DL_TUNABLES_H = "/* HAVE_TUNABLES undefined: see run.py.  */\n"
# glibc's sysdeps directories for x86_64-linux-gnu in the order its
# configure writes into config.make (sysdirs).
SYSDIRS = ["unix/sysv/linux/x86_64/64", "unix/sysv/linux/x86_64",
           "unix/sysv/linux/x86", "x86/nptl", "unix/sysv/linux/wordsize-64",
           "x86_64/nptl", "unix/sysv/linux", "nptl", "pthread", "gnu",
           "unix/inet", "unix/sysv", "unix/x86_64", "unix", "posix",
           "x86_64/64", "x86_64/fpu", "x86/fpu", "x86_64", "x86",
           "ieee754/float128", "ieee754/ldbl-96", "ieee754/dbl-64",
           "ieee754/flt-32", "wordsize-64", "ieee754", "generic"]
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
MALLOC_DEBUG = "/usr/lib/x86_64-linux-gnu/libc_malloc_debug.so.0"
THREAD_DB = "/usr/lib/x86_64-linux-gnu/libthread_db.so.1"
# The part of glibc's <atomic.h> the tests and their modules use
# (tst-rwlock20, tst-join7mod; internaltypes.h), on the compiler's
# builtins as glibc's own C11-model macros are.
ATOMIC_H = """\
#include <stdbool.h>
#define atomic_load_relaxed(p) __atomic_load_n ((p), __ATOMIC_RELAXED)
#define atomic_load_acquire(p) __atomic_load_n ((p), __ATOMIC_ACQUIRE)
#define atomic_store_relaxed(p, v) __atomic_store_n ((p), (v), __ATOMIC_RELAXED)
#define atomic_store_release(p, v) __atomic_store_n ((p), (v), __ATOMIC_RELEASE)
"""
BASE_CFLAGS = ["-O2", "-g", "-std=gnu11", "-D_GNU_SOURCE", "-w",
               "-pthread"]


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
    """The logical lines of a Makefile: continuations joined, comments
    dropped (a list may end in `# tests`)."""
    text = path.read_text().replace("\\\n", " ")
    return [line.split("#", 1)[0].strip() for line in text.splitlines()]


def literal(words):
    """The words of a Makefile value that need no make variable, with
    `$(addprefix P,A B)` written out as PA PB."""
    words = ADDPREFIX.sub(
        lambda m: " ".join(m.group(1).strip() + w
                           for w in m.group(2).split()), words)
    return [w for w in words.split() if "$" not in w and "(" not in w]


def source_of(directory, name):
    return next((directory / (name + ext) for ext in (".c", ".cc")
                 if (directory / (name + ext)).exists()), None)


def collect(src):
    """{name: test} for every listed test with a source file (a dict:
    source, cflags, ldflags, ldlibs, args, env, links, opens, listed),
    {name: reason} for those without, and {module: test} for the shared
    objects (modules-names) the tests link with or open."""
    names, modules, flags, args, env, links, opens = ({}, {}, {}, {}, {},
                                                      {}, {})
    for mk in MAKEFILES:
        directory = (src / mk).parent
        for line in makefile_lines(src / mk):
            m = LISTS.match(line)
            if m:
                for name in literal(m.group(3)):
                    if m.group(1) == "modules-names":
                        modules.setdefault(name, directory)
                    else:
                        names.setdefault(name, (directory, m.group(1)))
                continue
            m = PER_TEST.match(line)
            if m:
                key = (m.group(1), m.group(2))
                flags.setdefault(key, []).extend(literal(m.group(5)))
                continue
            m = ARGS.match(line)
            if m:
                (args if m.group(2) == "ARGS" else env)[m.group(1)] = \
                    m.group(3).strip()
                continue
            m = LINKS.match(line)
            if m:
                (opens if m.group(2) else links).setdefault(
                    m.group(1), []).extend(OBJPFX_DEP.findall(m.group(3)))

    # tst-cancelx7-ARGS = $(tst-cancel7-ARGS)
    for name, value in args.items():
        args[name] = re.sub(r"\$\((tst-[\w-]+)-ARGS\)",
                            lambda m: args.get(m.group(1), ""), value)

    def entry(name, source, listed):
        return {"source": source,
                "cflags": flags.get(("CFLAGS", name.replace(".so", "")), []),
                "ldflags": flags.get(("LDFLAGS", name), []),
                "ldlibs": flags.get(("LDLIBS", name), []),
                "args": args.get(name), "env": env.get(name),
                "links": links.get(name, []),
                "opens": opens.get(name, []), "listed": listed}

    tests, missing = {}, {}
    for name, (directory, listed) in sorted(names.items()):
        source = source_of(directory, name)
        if source is None:
            missing[name] = "no source file (generated by glibc's build)"
            continue
        tests[name] = entry(name, source, listed)
    mods = {}
    for name, directory in modules.items():
        source = source_of(directory, name)
        if source is not None:
            mods[name + ".so"] = entry(name + ".so", source, "modules-names")
    # Objects a test links with besides modules (tst-cleanup4aux.o), from
    # the test's own directory.
    for name, test in tests.items():
        for dep in test["links"]:
            source = source_of(test["source"].parent, dep[:-2])
            if dep.endswith(".o") and source is not None:
                mods[dep] = entry(dep[:-2], source, "test-extras")
    return tests, missing, mods


def support_library(src, work, jobs):
    """libsupport.a from the Makefile's libsupport-routines; the routines
    that need more of glibc's internals than the headers substituted
    here are left out (a test that uses one then fails to link)."""
    inc = work / "include"
    (inc / "elf").mkdir(parents=True, exist_ok=True)
    link = inc / "support"
    if not link.exists():
        link.symlink_to(src / "support")
    (inc / "config.h").write_text(CONFIG_H)
    (inc / "allocate_once.h").write_text(ALLOCATE_ONCE)
    (inc / "atomic.h").write_text(ATOMIC_H)
    (inc / "shlib-compat.h").write_text(SHLIB_COMPAT_H)
    (inc / "elf" / "dl-tunables.h").write_text(DL_TUNABLES_H)
    for header in ("pthreadP.h", "internal-signals.h"):
        (inc / header).write_text(SIGNALS_H)
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
    # The build tree's place for the support paths is the source tree,
    # except for what a test opens there: glibc's libthread_db, which
    # tst-pthread-gdb-attach hands to gdb, is the installed one.
    tree = work / "objdir"
    (tree / "nptl_db").mkdir(parents=True, exist_ok=True)
    for name in ("libthread_db.so", "libthread_db.so.1"):
        target = tree / "nptl_db" / name
        if not target.is_symlink():
            target.symlink_to(THREAD_DB)
    defines = ['-D%s="%s"' % (p, tree if p == "OBJDIR_PATH" else src)
               for p in SUPPORT_PATHS]

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
    """The compiler's first error; where it is in a header, led by the
    outermost header that leads to it (`<pthreadP.h>: ...`), which says
    more than the error deep inside."""
    chain = []
    for line in stderr.splitlines():
        m = re.match(r"^\s*(?:In file included )?from (\S+?):(\d+)[:,]$",
                     line)
        if m:
            chain.append(m.groups())
            continue
        if "error" in line or "undefined reference" in line:
            why = re.sub(r"^.*?/(?=[^/]*:\d+)", "", line).strip()
            for path, number in reversed(chain):
                text = pathlib.Path(path).read_text().splitlines()
                header = re.search(r"[<\"][^>\"]+\.h[>\"]",
                                   text[int(number) - 1])
                if header:
                    return "includes %s: %s" % (header.group(0), why)
            return why
        chain = []
    return stderr.strip().splitlines()[-1] if stderr.strip() else "?"


def compiler(src, inc, test, extra):
    """The compile command of a test, module or auxiliary object: the
    installed headers first, then, for what they lack, glibc's tree in the
    order its own build searches (the test's directory, the sysdeps
    directories, the top)."""
    cxx = test["source"].suffix == ".cc"
    cmd = ["g++" if cxx else "gcc"] + [f for f in BASE_CFLAGS
                                       if not (cxx and f.startswith("-std"))]
    cmd += extra + test["cflags"] + ["-I", str(inc),
                                     "-I", str(src / "support"),
                                     "-include", "config.h"]
    for d in [test["source"].parent, src / "nptl"] + \
            [src / "sysdeps" / d for d in SYSDIRS] + [src]:
        cmd += ["-idirafter", str(d)]
    return cmd


def compiled(cmd, out):
    """None, or the first error of a compile or link into `out`."""
    proc = subprocess.run(cmd + ["-o", str(out)], capture_output=True,
                          text=True)
    return None if proc.returncode == 0 else first_error(proc.stderr)


def build_modules(src, inc, bindir, mods):
    """The shared objects of modules-names and the extra objects, each
    built once, in the order of their links (tst-_res1mod2.so links with
    tst-_res1mod1.so); {name: reason} for those that did not build."""
    failed = {}

    def make(name):
        if name in failed or (bindir / name).exists():
            return
        test = mods[name]
        for dep in test["links"]:
            make(dep)
        kind = ["-c"] if name.endswith(".o") else ["-fPIC", "-shared"]
        cmd = compiler(src, inc, test, kind) + [str(test["source"])]
        if not name.endswith(".o"):
            cmd += test["ldflags"] + [str(bindir / d) for d in test["links"]]
            cmd += test["ldlibs"]
        why = compiled(cmd, bindir / name)
        if why:
            failed[name] = why

    for name in sorted(mods):
        make(name)
    # tst-stack4 opens 400 copies of one module (the Makefile's `cp -f`
    # loop), to make the loader use many TLS slots.
    if (bindir / "tst-stack4mod.so").exists():
        for i in range(20):
            for j in range(20):
                copy = bindir / ("tst-stack4mod-%d-%d.so" % (i, j))
                if not copy.exists():
                    shutil.copy(bindir / "tst-stack4mod.so", copy)
    return failed


def build(src, inc, archive, bindir, name, test, bad_modules):
    """The binary's path, or a reason it was not built.  The tests glibc
    links statically (tst-*-static, tst-locale1, tst-locale2) are linked
    dynamically like the others: LD_PRELOAD applies to dynamic programs
    only."""
    binary = bindir / name
    if binary.exists() and binary.stat().st_mtime > \
            test["source"].stat().st_mtime:
        return binary, None
    for dep in test["links"] + test["opens"]:
        if not (bindir / dep).exists():
            return None, "%s: %s" % (dep, bad_modules.get(dep, "no source"))
    objs = [str(bindir / dep) for dep in test["links"]]
    cmd = compiler(src, inc, test, []) + [str(test["source"])] + objs + \
        test["ldflags"] + [str(archive), "-lrt", "-ldl", "-lm"] + \
        test["ldlibs"]
    why = compiled(cmd, binary)
    if why:
        if test["listed"] == "tests-internal":
            why = "glibc-internal test: " + why
        return None, why
    return binary, None


def run_once(binary, args, extra_env, lib, cwd):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.update(extra_env)
    if lib:
        env["LD_PRELOAD"] = " ".join([str(lib)] + env.get(
            "LD_PRELOAD", "").split())
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


def run(binary, args, env, lib, cwd):
    """The result, rerun up to RERUNS times while it is not a pass; a
    pass in a rerun is reported with how many runs failed first."""
    first = run_once(binary, args, env, lib, cwd)
    if first in ("PASS", "UNSUPPORTED"):
        return first
    for i in range(RERUNS):
        again = run_once(binary, args, env, lib, cwd)
        if again == "PASS":
            return "PASS (flaky: %d of %d failed)" % (i + 1, i + 2)
    return first


def substitute(raw, binary, bindir):
    """A Makefile -ARGS or -ENV value with glibc's build variables as
    here: the test's directory holds the modules, and glibc's malloc
    debugging library is the installed one."""
    raw = raw.replace("$(host-test-program-cmd)", str(binary))
    raw = raw.replace("$(common-objpfx)/malloc/libc_malloc_debug.so",
                      MALLOC_DEBUG)
    return shlex.split(raw.replace("$(objpfx)", str(bindir) + "/"))


def one(src, inc, archive, bindir, lib, bad_modules, name, test):
    binary, why = build(src, inc, archive, bindir, name, test, bad_modules)
    if binary is None:
        return name, why, None, None
    args = substitute(test["args"] or "", binary, bindir)
    # glibc's test runs put its build directory (the modules) on the
    # library path.
    env = {"LD_LIBRARY_PATH": str(bindir)}
    env.update(w.split("=", 1) for w in
               substitute(test["env"] or "", binary, bindir))
    cwd = bindir / (name + ".d")
    cwd.mkdir(exist_ok=True)
    # glibc runs its tests in their directory; tst-cancel4 and others open
    # "Makefile" there as a file to read.
    makefile = cwd / "Makefile"
    if not makefile.exists():
        makefile.symlink_to(test["source"].parent / "Makefile")
    return name, None, run(binary, args, env, None, cwd), run(
        binary, args, env, lib, cwd)


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

    tests, missing, mods = collect(src)
    bad_modules = build_modules(src, inc, bindir, mods)
    if args.only:
        only = re.compile(args.only)
        tests = {n: t for n, t in tests.items() if only.search(n)}
        missing = {n: w for n, w in missing.items() if only.search(n)}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(
            lambda nt: one(src, inc, archive, bindir, lib, bad_modules,
                           *nt),
            sorted(tests.items())))
    results += [(n, why, None, None) for n, why in missing.items()]
    results.sort()

    built = [r for r in results if r[1] is None]
    unbuilt = [r for r in results if r[1] is not None]
    differ = [r for r in built if passed(r[2]) != passed(r[3])
              or (not passed(r[2]) and r[2] != r[3])]
    worse = [r for r in built if passed(r[2]) and not passed(r[3])]
    both = [r for r in built if not passed(r[2]) and not passed(r[3])]
    flaky = [r for r in built if "flaky" in r[2] + r[3]
             and r not in differ]
    lines = ["| test | glibc | libshim |", "|---|---|---|"]
    lines += ["| %s | %s | %s |" % (n, g, s) for n, _, g, s in differ]
    summary = ("%d tests listed, %d built; glibc passes %d, libshim %d; "
               "%d pass only with glibc, %d only with libshim, %d with "
               "neither"
               % (len(results), len(built),
                  sum(passed(r[2]) for r in built),
                  sum(passed(r[3]) for r in built), len(worse),
                  sum(passed(r[3]) and not passed(r[2]) for r in built),
                  len(both)))
    if both:
        summary += " (%s)" % ", ".join(
            "%s: %s / %s" % (n, g, s) for n, _, g, s in both)
    print("\n".join(lines))
    if flaky:
        print("flaky, same verdict: " + ", ".join(
            "%s (%s / %s)" % (n, g, s) for n, _, g, s in flaky))
    print(summary)
    if args.doc:
        notbuilt = ["", "Not built:", ""]
        notbuilt += ["* `%s`: `%s`" % (n, why.replace("`", "'"))
                     for n, why, _, _ in unbuilt]
        write_doc(args.doc, lines + ["", summary] + notbuilt)
    else:
        for n, why, _, _ in unbuilt:
            print("not built: %s: %s" % (n, why), file=sys.stderr)
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
