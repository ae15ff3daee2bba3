"""What libshim.so exports, read with `nm -D --defined-only`, and which
names it may export at all.  Shared by check_exports.py and census.py."""

import fnmatch
import os
import re
import subprocess

# The public API and nothing else: an internal name that leaked would
# interpose a symbol of the host program or of glibc.  The list is the
# linker's version script, which enforces it when libshim.so is linked;
# here it judges the result.
EXPORTS_MAP = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "..", "libshim", "exports.map")


def map_patterns(path=EXPORTS_MAP):
    """The names and glob patterns of the version script's global: part."""
    with open(path) as f:
        text = re.sub(r"/\*.*?\*/", " ", f.read(), flags=re.S)
    m = re.search(r"global:(.*?)local:", text, re.S)
    if m is None:
        raise ValueError("%s: no global: ... local: section" % path)
    return [p.strip() for p in m.group(1).split(";") if p.strip()]


ALLOWED = re.compile(
    "|".join("(?:%s)" % fnmatch.translate(p) for p in map_patterns()))


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
