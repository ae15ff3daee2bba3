#!/usr/bin/env python3
"""How much of the real world's pthread use libshim.so covers.

    census.py LIBSHIM CENSUS.tsv IMPORTERS.tsv

test/data/pthread-census.tsv ranks the pthread-family symbols that the
binaries of a Debian system import, with how many objects import each;
pthread-importers.tsv lists, per importing object, every such symbol it
imports.  An object is covered when libshim exports every one of its
symbols: preloaded, libshim then serves all of its pthread calls.

Two symbols are left out: __libc_single_threaded (a libc variable programs
read, not a function libshim provides) and __cxa_thread_atexit_impl (the
C++ runtime's hook, glibc's own).

Information only for now: the exit status is 0 whenever the files can be
read.  A name being exported says nothing of whether it is implemented
(an ENOSYS function is exported too).
"""

import csv
import sys

from exports import exported_names

IGNORED = {"__libc_single_threaded", "__cxa_thread_atexit_impl"}


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    exported = exported_names(argv[1])
    census = [r for r in read_tsv(argv[2]) if r["symbol"] not in IGNORED]
    importers = read_tsv(argv[3])

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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
