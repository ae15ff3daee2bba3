#!/usr/bin/env python3
"""How much of the real world's pthread use libshim.so covers, and a
failure when a symbol Debian's binaries import is not exported.

    census.py [--min-objects N] LIBSHIM CENSUS.tsv IMPORTERS.tsv
    census.py --self-test LIBSHIM CENSUS.tsv IMPORTERS.tsv

test/data/pthread-census.tsv ranks the pthread-family symbols that the
binaries of a Debian system import, with how many objects import each;
pthread-importers.tsv lists, per importing object, every such symbol it
imports.  An object is covered when libshim exports every one of its
symbols: preloaded, libshim then serves all of its pthread calls.

Two symbols are left out: __libc_single_threaded (a libc variable programs
read, not a function libshim provides) and __cxa_thread_atexit_impl (the
C++ runtime's hook, glibc's own).

The exit status is 1 when a census symbol that at least N objects import
(--min-objects, default 1: every one) is not exported: a program that
imports it would bind that call to glibc under LD_PRELOAD, or fail to
link with -lshim.  A name being exported says nothing of whether it is
implemented (an ENOSYS function is exported too).

--self-test judges libshim's exports with one census symbol taken away
(the most imported one, then the least): each must be reported, so the
check is known to be able to fail.
"""

import argparse
import csv
import sys

from exports import exported_names

IGNORED = {"__libc_single_threaded", "__cxa_thread_atexit_impl"}


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def report(exported, census, importers, min_objects):
    """Print the coverage; return the census rows that fail the check."""
    covered = [r for r in census if r["symbol"] in exported]
    print("census symbols exported: %d of %d" % (len(covered), len(census)))

    # Objects that import nothing but the ignored symbols say nothing
    # about libshim: they are not counted.
    needs = [set(obj["symbols"].split(",")) - IGNORED - {""} for obj in importers]
    needs = [need for need in needs if need]
    full = 0
    blocking = {}  # missing symbol -> objects it alone keeps from full coverage
    for need in needs:
        missing = need - exported
        if not missing:
            full += 1
        elif len(missing) == 1:
            (sym,) = missing
            blocking[sym] = blocking.get(sym, 0) + 1
    print("importing objects fully covered: %d of %d (%.1f%%)"
          % (full, len(needs), 100.0 * full / max(1, len(needs))))

    missing = [r for r in census if r["symbol"] not in exported]
    if missing:
        print("missing, most imported first (objects importing it"
              "; objects it is the last one missing for):")
        for r in missing[:25]:
            print("  %-32s %4s  %4d" % (r["symbol"], r["n_objects"],
                                         blocking.get(r["symbol"], 0)))
        if len(missing) > 25:
            print("  ... and %d more" % (len(missing) - 25))
    return [r for r in missing if int(r["n_objects"]) >= min_objects]


def self_test(exported, census, importers):
    ranked = sorted((r for r in census if r["symbol"] in exported),
                    key=lambda r: int(r["n_objects"]))
    if not ranked:
        print("self-test: no census symbol is exported at all")
        return 1
    for r in (ranked[-1], ranked[0]):
        print("self-test: without %s" % r["symbol"])
        bad = report(exported - {r["symbol"]}, census, importers, 1)
        if r not in bad:
            print("self-test FAILED: %s was not reported" % r["symbol"])
            return 1
    print("self-test: each removed symbol was reported")
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--min-objects", type=int, default=1)
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("lib")
    ap.add_argument("census")
    ap.add_argument("importers")
    args = ap.parse_args(argv[1:])
    exported = exported_names(args.lib)
    census = [r for r in read_tsv(args.census) if r["symbol"] not in IGNORED]
    importers = read_tsv(args.importers)
    if args.self_test:
        return self_test(exported, census, importers)

    bad = report(exported, census, importers, args.min_objects)
    for r in bad:
        print("not exported, imported by %s objects: %s"
              % (r["n_objects"], r["symbol"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
