#!/usr/bin/env python3
"""check_install.py MESON NINJA SRCDIR -- the installed shimrun finds the
installed libshim.so whatever the libdir.

Configures SRCDIR afresh in a temporary directory with a prefix, a libdir
(lib64) and a bindir (two levels deep) that are not the defaults, builds
only the library and the tools (-Dtests=disabled -Dbench=false), installs
with `meson install --destdir`, and runs the installed shimrun from the
staging tree, directly and through a symlink elsewhere: it must preload
the staged libshim.so (SHIM_STATS's line is the proof).  The manual pages
and libshim.pc must be installed too.  Exit 0 when all hold, 1 otherwise.
"""
import os
import pathlib
import subprocess
import sys
import tempfile

meson, ninja, srcdir = sys.argv[1:4]
PREFIX, LIBDIR, BINDIR = "/opt/libshim-test", "lib64", "tools/bin"
problems = []


def step(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        print("FAIL install: %s exited %d\n%s%s" % (" ".join(cmd),
              proc.returncode, proc.stdout[-4000:], proc.stderr[-4000:]))
        sys.exit(1)
    return proc


with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    build, stage = tmp / "build", tmp / "stage"
    step([meson, "setup", str(build), srcdir, "--prefix", PREFIX,
          "--libdir", LIBDIR, "--bindir", BINDIR, "-Dtests=disabled",
          "-Dbench=false"])
    step([ninja, "-C", str(build)])
    step([meson, "install", "-C", str(build), "--destdir", str(stage),
          "--no-rebuild", "--quiet"])

    root = stage / PREFIX.lstrip("/")
    installed = root / BINDIR / "shimrun"
    lib = (root / LIBDIR / "libshim.so").resolve()
    for path in [installed, lib, root / LIBDIR / "pkgconfig" / "libshim.pc",
                 root / "share/man/man1/shimrun.1",
                 root / "share/man/man7/libshim.7"]:
        if not path.exists():
            problems.append("not installed: %s" % path.relative_to(stage))
    link = tmp / "elsewhere" / "shimrun"
    link.parent.mkdir()
    link.symlink_to(installed)

    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    for how, script in [("installed", installed), ("through a symlink", link)]:
        if not installed.exists():
            break
        proc = subprocess.run([str(script), "--stats", "sh", "-c",
                               'printf %s "$LD_PRELOAD"'], env=env,
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 0 or proc.stdout != str(lib):
            problems.append("%s: status %d, LD_PRELOAD %r (want %r), "
                            "stderr %r" % (how, proc.returncode, proc.stdout,
                                           str(lib), proc.stderr))
        proc = subprocess.run([str(script), "--stats", "true"], env=env,
                              capture_output=True, text=True, timeout=60)
        if "libshim: threads created: 0" not in proc.stderr:
            problems.append("%s: libshim did not run: %r"
                            % (how, proc.stderr))

if problems:
    print("FAIL install (prefix %s, libdir %s, bindir %s):\n  %s"
          % (PREFIX, LIBDIR, BINDIR, "\n  ".join(problems)))
    sys.exit(1)
print("ok install: shimrun in %s/%s preloads %s/%s/libshim.so"
      % (PREFIX, BINDIR, PREFIX, LIBDIR))
