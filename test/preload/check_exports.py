#!/usr/bin/env python3
"""Fail if libshim.so exports a name outside the API: the names and patterns
of libshim/exports.map, the version script it is linked with (exports.py).

    check_exports.py LIBSHIM
"""

import sys

from exports import ALLOWED, exported_names


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    names = exported_names(argv[1])
    stray = sorted(n for n in names if not ALLOWED.match(n))
    for n in stray:
        print("not an API name, must not be exported: %s" % n)
    print("exports: %d names, %d outside the API" % (len(names), len(stray)))
    return 1 if stray else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
