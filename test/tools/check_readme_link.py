#!/usr/bin/env python3
"""check_readme_link.py README BUILDDIR -- the README's -lshim commands
link with libshim, or fail where they cannot.

README's shell blocks that run pkg-config are its two ways to link a
program with -lshim: the installed one and the build tree's (in that
order).  Each is run with sh in a scratch directory holding prog.c (one
thread, made and joined) and `build`, a link to BUILDDIR:
  - the installed one, where pkg-config can find no libshim.pc, must fail
    and build nothing (not build against glibc's pthreads in silence);
  - the build tree's must build a.out that runs under libshim with no
    LD_PRELOAD (SHIM_STATS's line counts its thread).
Exit 0 when both hold, 1 otherwise.
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile

PROG = r"""#include <pthread.h>
static void *run(void *arg) { return arg; }
int main(void)
{
	pthread_t t;
	if (pthread_create(&t, 0, run, 0) != 0)
		return 1;
	return pthread_join(t, 0);
}
"""

readme, builddir = sys.argv[1], os.path.abspath(sys.argv[2])
blocks = [b for b in re.findall(r"^```sh\n(.*?)^```", pathlib.Path(readme)
                                .read_text(), re.M | re.S)
          if "pkg-config" in b]
if len(blocks) != 2:
    print("FAIL readme_link: %d pkg-config blocks in %s, want 2 (installed, "
          "build tree)" % (len(blocks), readme))
    sys.exit(1)
installed, uninstalled = blocks
problems = []

with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    (tmp / "prog.c").write_text(PROG)
    (tmp / "build").symlink_to(builddir)
    env = dict(os.environ, PWD=str(tmp))
    for name in ("LD_PRELOAD", "SHIM_STATS", "PKG_CONFIG_PATH"):
        env.pop(name, None)

    # An empty directory as pkg-config's whole search path: a libshim.pc
    # installed on this machine must not be found.
    (tmp / "nopc").mkdir()
    proc = subprocess.run(["sh", "-c", installed], cwd=tmp,
                          env=dict(env, PKG_CONFIG_LIBDIR=str(tmp / "nopc")),
                          capture_output=True, text=True, timeout=120)
    if proc.returncode == 0 or (tmp / "a.out").exists():
        problems.append("without libshim.pc the installed command succeeded "
                        "(status %d): it built against glibc" % proc.returncode)
    elif "libshim" not in proc.stderr:
        problems.append("without libshim.pc the installed command failed "
                        "without naming libshim: %r" % proc.stderr)
    (tmp / "a.out").unlink(missing_ok=True)

    proc = subprocess.run(["sh", "-c", uninstalled], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        problems.append("the build tree's command failed (status %d): %s"
                        % (proc.returncode, proc.stderr))
    else:
        run = subprocess.run([str(tmp / "a.out")], cwd=tmp,
                             env=dict(env, SHIM_STATS="1"),
                             capture_output=True, text=True, timeout=60)
        if run.returncode != 0 or \
                "libshim: threads created: 1," not in run.stderr:
            problems.append("a.out from the build tree's command: status %d, "
                            "stderr %r (want libshim's line, 1 thread)"
                            % (run.returncode, run.stderr))

if problems:
    print("FAIL readme_link:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("ok readme_link: without libshim.pc the command fails; the build "
      "tree's links libshim")
