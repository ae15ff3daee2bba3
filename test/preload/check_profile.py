#!/usr/bin/env python3
"""check_profile.py LIBSHIM CONTENDED PROFILE_TRUTH -- the contention
profiler (SHIM_STATS) against the truth.

1. CONTENDED (contended.c): the first mutex row is hot_lock, blocked at bump.
2. PROFILE_TRUTH (profile_truth.c) measures its own locks (a trylock, then
   the blocking call, timed; counts kept inside the critical section) and
   prints them as "truth NAME key=value..." lines.  Every figure of the
   report must match: acquisitions and owner changes exactly, contended
   acquisitions, total and longest wait within 10% (or a small absolute
   slack where the counts are tiny: a loaded 2-core machine decides how much
   contention there is), hold time within 10% of the span between the
   truth's two ends (before the unlock call, after it returned).  The idle condvar pool must be in the
   condvar table with its waits and unheard signals, and not among the locks.
3. Options: frames=, top=, sort=, file= with %p (one report per process of
   a tree, each headed by its pid and program), invalid values refused, SHIM_STATS=no off, no descriptor taken
   and libgcc_s not loaded at start-up.
Exit 0 when all hold, 1 with the reasons otherwise.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

from testproc import emulated

lib, contended, truth_prog = (os.path.abspath(sys.argv[1]), sys.argv[2],
                              sys.argv[3])
problems = []
ROW = re.compile(r"^libshim: (0x[0-9a-f]+)\s+(\S+)\s+(.*)$")


def run(argv, stats, **kw):
    env = dict(os.environ, LD_PRELOAD=lib)
    if stats is not None:
        env["SHIM_STATS"] = stats
    argv, env = emulated(argv, env)
    return subprocess.run(argv, env=env, capture_output=True, text=True,
                          timeout=150, **kw)


def tables(report):
    """{table title: [(kind, [columns], name, [stack lines])]}"""
    out, title, header = {}, None, None
    for line in report.splitlines():
        m = re.match(r"^libshim: ([a-z][^:]*): \d+ shown", line)
        if m:
            title = m.group(1).split(" (")[0]
            out[title] = []
            continue
        m = ROW.match(line)
        if m and title:
            kind, cols = m.group(2), m.group(3).split()
            if re.match(r"^[0-9.]+$", kind):  # a condvar row has no kind
                kind, cols = "condvar", [kind] + cols
            # Numbers first, then the name (which may hold spaces).
            nums = []
            while cols and re.match(r"^([0-9.]+|-)$", cols[0]):
                c = cols.pop(0)
                nums.append(None if c == "-" else float(c))
            out[title].append((kind, nums, " ".join(cols), []))
            continue
        m = re.match(r"^libshim:     (at|by) (.*)$", line)
        if m and title and out[title]:
            out[title][-1][3].append(m.group(2))
    return out


def close(what, got, want, rel=0.10, slack=0.0):
    if abs(got - want) > max(rel * want, slack):
        problems.append("%s: report %g, truth %g" % (what, got, want))


# 1. The lock and the call site.
proc = run([contended], "1")
rows = tables(proc.stderr).get("mutexes", [])
if proc.returncode != 0:
    problems.append("contended failed its own check (status %d)" % proc.returncode)
elif not rows:
    problems.append("contended: no mutex rows:\n" + proc.stderr)
else:
    kind, nums, name, stack = rows[0]
    if not name.startswith("hot_lock+0x0"):
        problems.append("contended: the top mutex is %r, not hot_lock" % name)
    if not stack or not stack[0].startswith("bump+"):
        problems.append("contended: blocked at %r, not in bump" % stack)

# 2. The figures against the truth.
proc = run([truth_prog], "hold,frames=4,top=20")
if proc.returncode != 0:
    problems.append("profile_truth failed (status %d)" % proc.returncode)
truth = {}
for line in proc.stdout.splitlines():
    if line.startswith("truth "):
        f = line.split()
        truth[f[1]] = {k: int(v) for k, v in (x.split("=") for x in f[2:])}
t = tables(proc.stderr)
# Columns: acquired contended wait_ms max_ms avg_us held_ms hmax_ms owners
where = {"hot_mutex": ("mutexes", "mutex"), "onecpu_mutex": ("mutexes", "mutex"),
         "table_rwlock-wr": ("rwlocks", "rwlock-wr"),
         "table_rwlock-rd": ("rwlocks", "rwlock-rd"),
         "count_spin": ("spin locks", "spinlock"),
         "slot_sem": ("semaphores", "semaphore")}
for name, (table, kind) in where.items():
    want = truth.get(name)
    lock = name.split("-")[0]
    got = [r for r in t.get(table, [])
           if r[0] == kind and r[2].startswith(lock + "+0x0")]
    if want is not None and want["contended"] == 0 and not got:
        continue  # shown only with contention (min=1): none this run
    if want is None or not got:
        problems.append("%s: no truth or no row in the %s table" % (name, table))
        continue
    nums = got[0][1]
    if nums[0] != want["acquired"]:
        problems.append("%s acquired: report %d, truth %d" % (name, nums[0], want["acquired"]))
    close(name + " contended", nums[1], want["contended"], slack=2)
    close(name + " wait ms", nums[2], want["wait_ns"] / 1e6, slack=0.5)
    close(name + " max ms", nums[3], want["max_ns"] / 1e6, slack=0.5)
    if "hold_ns" in want and kind != "semaphore":
        # The lock was let go between the two ends of the truth.  A
        # spinner preempted between the lock's return and its own clock
        # read holds the lock that much longer than its clock says; on a
        # loaded machine spinners are preempted all the time, so for the
        # spin lock only the lower bound is firm.
        lo, hi = want["hold_ns"] / 1e6, want["hold_hi_ns"] / 1e6
        if kind == "spinlock":
            hi = float("inf")
        if not 0.9 * lo - 2 <= nums[5] <= 1.1 * hi + 2:
            problems.append("%s held ms: report %g, truth %g to %g"
                            % (name, nums[5], lo, hi))
    if "owners" in want:
        close(name + " owners", nums[7], want["owners"], rel=0.0, slack=0)
    worker = {"hot_mutex": "mutex_worker", "onecpu_mutex": "onecpu_worker",
              "count_spin": "spin_worker", "slot_sem": "sem_worker"}.get(name, "rw_worker")
    if not got[0][3]:
        problems.append("%s: no call stack" % name)
    elif not got[0][3][0].startswith(worker + "+"):
        # A static function: named from the file's symbol table.
        problems.append("%s: blocked at %r, not in %s" % (name, got[0][3][0], worker))
    elif len(got[0][3]) > 4:
        problems.append("%s: %d frames for frames=4" % (name, len(got[0][3])))
for table, rows in t.items():
    if table != "condition variables" and any("pool_cond" in r[2] for r in rows):
        problems.append("the idle condvar is in the %s table" % table)
conds = [r for r in t.get("condition variables", []) if r[2].startswith("pool_cond+0x0")]
if not conds:
    problems.append("no pool_cond row in the condvar table")
else:
    # Columns: waits timedout wait_ms max_ms signals broadcasts unheard
    nums = conds[0][1]
    if nums[0] != truth["pool_cond"]["waits"] or nums[6] != truth["pool_cond"]["unheard"]:
        problems.append("pool_cond: waits %d unheard %d, truth %s"
                        % (nums[0], nums[6], truth["pool_cond"]))
if not re.search(r"^libshim: pid \d+ \(profile_truth\)$", proc.stderr, re.M):
    problems.append("no 'libshim: pid N (profile_truth)' header")

# 3. Options.  Programs of the build machine (bash, true, sh) carry
# libshim in some checks: under an emulator (a cross build) libshim is of
# another CPU, and those checks are skipped.
host_carriers = emulated([contended], None)[0][0] == contended
proc = run([contended], "top=1,sort=acquired,min=0,frames=2")
rows = tables(proc.stderr).get("mutexes", [])
if len(rows) != 1 or not rows[0][2].startswith("hot_lock"):
    problems.append("top=1,sort=acquired: %r" % [r[2] for r in rows])
with tempfile.TemporaryDirectory() as d:
    proc = run([contended], "file=%s/prof.%%p" % d)
    files = glob.glob(os.path.join(d, "prof.*"))
    if len(files) != 1 or "hot_lock" not in open(files[0]).read():
        problems.append("file=: wrote %r" % files)
    elif "libshim:" in proc.stderr:
        problems.append("file=: the report went to stderr too")
    elif files[0] != os.path.join(d, "prof.%d" % int(
            re.search(r"pid (\d+)", open(files[0]).read()).group(1))):
        problems.append("file=: %p is not the pid in the header")
    if host_carriers:
        # A process tree: a report per process, each headed by its program.
        for f in files:
            os.unlink(f)
        run(["bash", "-c", '"$0"; "$0"; exit 0', contended], "file=%s/prof.%%p" % d)
        heads = sorted(re.search(r"^libshim: pid \d+ \((\S+)\)$", open(f).read(), re.M).group(1)
                       for f in glob.glob(os.path.join(d, "prof.*")))
        if heads != ["bash", "contended", "contended"]:
            problems.append("a process tree's reports are headed %r" % heads)
if host_carriers:
    for bad in ["top=x", "sort=bogus", "frames=99", "colour=1", "hold=2"]:
        proc = run(["true"], bad)
        if not re.search(r"SHIM_STATS: .*(invalid value|unknown option|not a key=value)",
                         proc.stderr) or "threads created" in proc.stderr:
            problems.append("SHIM_STATS=%s not refused: %r" % (bad, proc.stderr))
    for off in ["no", "false", "0", "off"]:
        proc = run(["true"], off)
        if proc.stderr:
            problems.append("SHIM_STATS=%s is not off: %r" % (off, proc.stderr))
    fds = "ls /proc/$$/fd; grep -c libgcc_s /proc/$$/maps || true"
    plain = run(["sh", "-c", fds], None).stdout
    profiled = run(["sh", "-c", fds], "1").stdout
    if plain != profiled:
        problems.append("SHIM_STATS=1 changes the start-up descriptors or maps: "
                        "%r vs %r" % (plain, profiled))

if problems:
    print("FAIL profiler:\n  " + "\n  ".join(problems))
    sys.exit(1)
if not host_carriers:
    print("skipped: the checks carried by the build machine's bash, true "
          "and sh (libshim is for the emulated CPU)")
    sys.exit(77)
print("ok profiler: figures match the truth; options work")
