#!/usr/bin/env python3
"""check_man.py [--self-test] --src DIR... --env-page PAGE PAGE...

The manual pages render without a warning, and the ENVIRONMENT section of
PAGE (doc/libshim.7) has a .TP entry for every SHIM_* variable the C and
assembly sources under each DIR name in a string literal (what getenv is
given), and for no other.

  PAGE...      each is rendered with `groff -man -ww -z`: any output on
               stderr, or a failure, is a warning.
  --self-test  instead, checks the checker: a source that names a variable
               the page leaves out, and a page with SHIM_STATS's entry
               taken out, must each be reported.

Exit 0 when all hold, 1 with what did not, 77 without groff (Debian's
groff-base, in scripts/deps.sh).
"""
import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

LITERAL = re.compile(r'"(SHIM_[A-Z0-9_]+)')
SOURCES = ("*.c", "*.h", "*.S")


def read_by_code(dirs):
    names = set()
    for d in dirs:
        for pattern in SOURCES:
            for path in pathlib.Path(d).rglob(pattern):
                names.update(LITERAL.findall(path.read_text(errors="replace")))
    return names


def documented(page_text):
    """The SHIM_* names in the tags of the ENVIRONMENT section's .TP
    entries (the line after each .TP)."""
    section = re.search(r"^\.SH ENVIRONMENT\n(.*?)(?=^\.SH |\Z)", page_text,
                        re.M | re.S)
    if section is None:
        return set()
    tags = re.findall(r"^\.TP[^\n]*\n([^\n]*)", section.group(1), re.M)
    return {n for tag in tags for n in re.findall(r"SHIM_[A-Z0-9_]+", tag)}


def env_problems(dirs, page_text):
    code = read_by_code(dirs)
    doc = documented(page_text)
    if not code:
        return ["no SHIM_* variable found in %s: the scan is broken"
                % " ".join(dirs)]
    return (["%s is read by the code but has no entry in ENVIRONMENT" % n
             for n in sorted(code - doc)] +
            ["%s has an entry in ENVIRONMENT but the code does not read it"
             % n for n in sorted(doc - code)])


def render_problems(pages):
    problems = []
    for page in pages:
        proc = subprocess.run(["groff", "-man", "-ww", "-z", page],
                              capture_output=True, text=True)
        if proc.returncode != 0 or proc.stderr:
            problems.append("%s: groff status %d: %s"
                            % (page, proc.returncode, proc.stderr.strip()))
    return problems


def self_test(dirs, page_text):
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        extra = pathlib.Path(tmp) / "extra.c"
        extra.write_text('const char *v = getenv("SHIM_SELFTEST_UNDOCUMENTED");\n')
        found = env_problems(dirs + [tmp], page_text)
        if not any(p.startswith("SHIM_SELFTEST_UNDOCUMENTED ") for p in found):
            problems.append("a variable the page leaves out was not "
                            "reported: %r" % found)
    cut = re.sub(r"^\.TP\n\.B SHIM_STATS\n", ".PP\n", page_text, flags=re.M)
    if cut == page_text:
        problems.append("the page has no `.TP`/`.B SHIM_STATS` entry to cut")
    elif not any(p.startswith("SHIM_STATS ") for p in env_problems(dirs, cut)):
        problems.append("a page without SHIM_STATS's entry was not reported")
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", action="append", required=True)
    ap.add_argument("--env-page", required=True)
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("pages", nargs="*")
    args = ap.parse_args()
    page_text = pathlib.Path(args.env_page).read_text()
    if args.self_test:
        problems = self_test(args.src, page_text)
    else:
        if shutil.which("groff") is None:
            print("SKIP man pages: groff is not installed (Debian: groff-base)")
            return 77
        problems = (render_problems(args.pages) +
                    env_problems(args.src, page_text))
    if problems:
        print("FAIL man pages:\n  " + "\n  ".join(problems))
        return 1
    print("ok man pages: %s" % ("the checker reports what is missing"
                                if args.self_test else
                                "render cleanly; %s documented"
                                % ", ".join(sorted(read_by_code(args.src)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
