"""What libshim.so exports, read with `nm -D --defined-only`, and which
names it may export at all.  Shared by check_exports.py and census.py."""

import fnmatch
import os
import re
import subprocess

# The public API and nothing else: an internal name that leaked would
# interpose a symbol of the host program or of glibc.  The build checks the
# linked library against this list, and so does preload.exports.
EXPORTS_LIST = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "..", "libshim", "exports.list")


def list_patterns(path=EXPORTS_LIST):
    """The names and glob patterns of libshim/exports.list."""
    with open(path) as f:
        text = re.sub(r"#.*", " ", f.read())
    patterns = [p.strip() for p in text.split(";") if p.strip()]
    if not patterns:
        raise ValueError("%s: no names" % path)
    return patterns


ALLOWED = re.compile(
    "|".join("(?:%s)" % fnmatch.translate(p) for p in list_patterns()))


def exported_names(lib):
    """The names of the defined global dynamic symbols, without @version
    suffixes.  Left out: local symbols, which the linker may put in .dynsym
    (nm's lower-case types; 'i' and 'u' are global all the same), and version
    nodes (absolute symbols named after a version, when a version script is
    used)."""
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) != 3:
            continue
        _, kind, name = fields
        if kind == "A" or not (kind.isupper() or kind in "iu"):
            continue
        names.add(name.split("@")[0])
    return names
