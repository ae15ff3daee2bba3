#!/usr/bin/env python3
"""Fail if libshim.so exports a name outside the API: the names and patterns
of libshim/exports.list (exports.py).  Run right after the link (with
--stamp, which it touches on success, so the build fails on a stray name)
and as the test preload.exports.

    check_exports.py LIBSHIM [--stamp FILE]
"""

import sys

from exports import ALLOWED, exported_names


def main(argv):
    stamp = None
    if len(argv) == 4 and argv[2] == "--stamp":
        stamp = argv[3]
    elif len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    names = exported_names(argv[1])
    stray = sorted(n for n in names if not ALLOWED.match(n))
    for n in stray:
        print("not an API name, must not be exported: %s" % n)
    print("exports: %d names, %d outside the API" % (len(names), len(stray)))
    if stray:
        return 1
    if stamp is not None:
        open(stamp, "w").close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
