#!/usr/bin/env python3
"""check_layers.py [--self-test] [--graph] --root DIR -I DIR...

libshim's layers include downward only, and portable code names no CPU.
Every `#include "..."` line of the C, header and assembly files under
common/, arch/, compat/ and libshim/ of the tree at --root is resolved as
the compiler resolves it (the including file's folder, then each -I
folder, relative to --root: meson passes the library's include path), and

  1. a file outside the per-CPU folders (arch/<cpu>/, compat/glibc/<cpu>/,
     any folder named after a folder of arch/) must not name such a folder
     in an include line: the CPU is picked by the include path alone;
  2. no file includes one of a higher layer: common/ (0) < arch/ (1) <
     compat/ (2) < libshim/ (3);
  3. nothing outside compat/ includes the OS implementation (compat/linux/):
     the OS is reached only through compat/lwp.h;
  4. every quoted include resolves to a file of the tree;
  5. libshim/ makes no raw system call (a SYS_/__NR_ number, an
     arch_syscall.h call or include, <sys/syscall.h>): the OS is reached
     through compat/lwp.h, the calls libshim makes by name through its
     lwp_syscall(LWP_SYS_*).

  --graph      also print which folder includes which, with counts (the
               table doc/design.md's layers are written from).
  --self-test  instead, checks the checker: a tree with an arch path in
               portable code, an upward include, an include of the OS
               implementation from libshim/ and a raw system call in
               libshim/ must each be reported, and the same tree without
               them (with an lwp_syscall by name) must pass.

Exit 0 when all hold, 1 with what did not.
"""
import argparse
import collections
import pathlib
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
SOURCES = ("*.c", "*.h", "*.S")
LAYERS = {"common": 0, "arch": 1, "compat": 2, "libshim": 3}
OS_IMPLEMENTATIONS = ("compat/linux",)
# A raw system call: its number, the arch/ call that takes one, or the
# headers that name them.  Comments are stripped first.
RAW_SYSCALL = re.compile(r'\b(?:SYS_\w+|__NR_\w+|shim_syscall\d)\b|'
                         r'#\s*include\s+["<](?:arch_syscall\.h|'
                         r'sys/syscall\.h)[">]')
COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)


def layer(rel):
    return LAYERS.get(rel.parts[0])


def folder(rel):
    return rel.parent.as_posix()


def problems_in(root, include_dirs):
    """(problems, edges): what breaks the rules, and folder -> folder
    include counts."""
    root = pathlib.Path(root)
    cpus = {p.name for p in (root / "arch").iterdir() if p.is_dir()}
    problems = []
    edges = collections.Counter()
    files = sorted(p for top in LAYERS if (root / top).is_dir()
                   for pattern in SOURCES for p in (root / top).rglob(pattern))
    if not files:
        return ["no source file under %s: the scan is broken" % root], edges
    for path in files:
        rel = path.relative_to(root)
        per_cpu = any(part in cpus for part in rel.parts[1:-1])
        text = path.read_text(errors="replace")
        if rel.parts[0] == "libshim":
            code = COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text)
            for m in RAW_SYSCALL.finditer(code):
                line = code.count("\n", 0, m.start()) + 1
                problems.append("%s:%d: a raw system call (%s) outside "
                                "compat/lwp.h" % (rel, line, m.group()))
        for name in INCLUDE.findall(text):
            where = "%s includes \"%s\"" % (rel, name)
            named = pathlib.PurePosixPath(name).parts
            if not per_cpu and (named[0] == "arch" and len(named) > 2 or
                                any(part in cpus for part in named[:-1])):
                problems.append("%s: a CPU's folder in portable code" % where)
            candidates = [path.parent / name] + [root / d / name
                                                 for d in include_dirs]
            target = next((c for c in candidates if c.is_file()), None)
            if target is None:
                problems.append("%s: no such file in the tree" % where)
                continue
            trel = target.resolve().relative_to(root.resolve())
            edges[(folder(rel), folder(trel))] += 1
            if layer(trel) is None:
                problems.append("%s: %s is in no layer" % (where, trel))
            elif layer(trel) > layer(rel):
                problems.append("%s: %s is a higher layer" % (where, trel))
            if rel.parts[0] != "compat" and any(
                    trel.as_posix().startswith(d + "/")
                    for d in OS_IMPLEMENTATIONS):
                problems.append("%s: the OS implementation, outside "
                                "compat/lwp.h" % where)
    return problems, edges


def self_test():
    """The checker reports each kind of break in a small tree, and passes
    the same tree without them."""
    good = {
        "common/visibility.h": "",
        "arch/cpu0/arch.h": '#include "common/visibility.h"\n',
        "compat/lwp.h": '#include "common/visibility.h"\n',
        "compat/linux/lwp.c": '#include "arch.h"\n#include "compat/lwp.h"\n',
        "libshim/park.c": '#include "arch.h"\n#include "compat/lwp.h"\n',
        "libshim/setxid.c": ('long x = lwp_syscall(LWP_SYS_setuid, 0, 0, '
                             '0, 0, 0, 0);\n'),
        "libshim/mutex.c": '/* SYS_futex, CAP_SYS_NICE: words */\n',
    }
    bad = {
        "libshim/thread.c": ('#include "arch/cpu0/arch.h"\n',
                             "a CPU's folder in portable code"),
        "compat/glibc/tcb.c": ('#include "libshim/park.c"\n',
                               "is a higher layer"),
        "libshim/stack.c": ('#include "compat/linux/lwp.c"\n',
                            "the OS implementation"),
        "arch/cpu0/context.c": ('#include "nowhere.h"\n',
                                "no such file in the tree"),
        "libshim/sched.c": ('int f(void)\n{\n\tshim_syscall0(SYS_sched_yield);'
                            '\n}\n', "a raw system call"),
        "libshim/sem.c": ('#include <sys/syscall.h>\n', "a raw system call"),
        "libshim/nocancel.h": ('long n = __NR_read;\n', "a raw system call"),
        "libshim/cancelpoints.c": ('long x = shim_syscall1(SYS_setuid, 0);\n',
                                   "a raw system call"),
    }
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        def write(files):
            for rel, text in files.items():
                p = pathlib.Path(tmp) / rel
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text)
        write(good)
        found, _ = problems_in(tmp, [".", "arch/cpu0"])
        if found:
            failures.append("a clean tree was reported: %s" % found)
        for rel, (text, why) in bad.items():
            write({rel: text})
            found, _ = problems_in(tmp, [".", "arch/cpu0"])
            if not any(f.startswith(rel) and why in f for f in found):
                failures.append("%s (%s) was not reported: %s"
                                % (rel, why, found))
            (pathlib.Path(tmp) / rel).unlink()
    return failures


def main(argv):
    ap = argparse.ArgumentParser(usage=__doc__.split("\n")[0])
    ap.add_argument("--root")
    ap.add_argument("-I", dest="include_dirs", action="append", default=[])
    ap.add_argument("--graph", action="store_true")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args(argv[1:])
    if args.self_test:
        failures = self_test()
        for f in failures:
            print("self-test: %s" % f)
        print("self-test: %s" % ("FAILED" if failures else "ok"))
        return 1 if failures else 0
    if args.root is None:
        ap.error("--root is required")
    problems, edges = problems_in(args.root, args.include_dirs)
    if args.graph:
        for (src, dst), n in sorted(edges.items()):
            print("%-22s -> %-22s %3d" % (src, dst, n))
    for p in problems:
        print(p)
    print("layers: %d include lines, %d problems"
          % (sum(edges.values()), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
