#!/usr/bin/env python3
"""Run the benchmarks against three peers and write doc/performance.md.

The peers are the same measurements under three thread libraries:
  glibc    build/bench/bench_X                      (glibc's own pthreads)
  libshim  build/bench/bench_X, LD_PRELOAD=build/libshim.so
  musl     build/bench/bench_X.musl                 (static, musl-gcc)

For each round, each program runs once per peer in turn (A B C A B C ...), so
a slow spell on the machine hits all three alike; the report gives the median
over rounds and the spread.  A peer whose program fails (non-zero exit, crash,
time-out) is marked FAIL for every metric of that program and is not retried.

Build first:  meson setup build && ninja -C build
Then:         python3 bench/run.py                 full run, writes doc/
              python3 bench/run.py --quick         short, writes build/bench-report/
              python3 bench/run.py --only 'mutex\\.contended'
The arm64 column, a correctness run under qemu-user (no timings: an
emulator's times say nothing of a CPU's; doc/aarch64.md):
              meson setup build-aarch64 --cross-file cross/aarch64-linux-gnu.ini
              ninja -C build-aarch64
              python3 bench/run.py --build build-aarch64 --correctness qemu-aarch64
"""

import argparse
import hashlib
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = ("glibc", "libshim", "musl")
PROGRAMS = ("floor", "mutex", "cond", "sem", "queue", "rwlock", "thread", "calls", "cxx")
# C++: musl-gcc has no C++ compiler, so these have no musl twin.
NO_MUSL = ("cxx",)
STARTUP_METRIC = "startup.true"
# The diagnostics' cost: these measurements again under libshim with
# SHIM_STATS=1 (the contention profiler) and with SHIM_LOCKDEP=1 (the
# lock-order detector), reported as profiler.<metric> and lockdep.<metric>
# beside <metric>.
DIAGNOSED = (("profiler", "SHIM_STATS"), ("lockdep", "SHIM_LOCKDEP"))
# GNU sort with two threads on generated data, timed by run.py itself.
SORT_METRIC = "realprog.sort_parallel2"
SORT_RECORDS = 1000000      # GNU sort gives a thread work only past 128 Ki lines
PROFILED = (("mutex", r"^mutex\.(lock_unlock|contended\.short\.t16)$"),
            ("cond", r"^cond\.pingpong\.same_cpu$"))
THREAD_COUNTS = (2, 4, 8, 16)

# Which physical floor each metric is read against (bench/floor.c says what
# each floor is).  Metrics without an honest floor are left out.
FLOOR_OF = {
    "mutex.lock_unlock": "floor.cas_pair",
    "mutex.trylock_unlock": "floor.cas_pair",
    # On one CPU a hand-over must sleep and wake; across two, spinning is the floor.
    "cond.pingpong.same_cpu": "floor.futex_pingpong.same_cpu",
    "cond.pingpong.cross_cpu": "floor.spin_pingpong.cross_cpu",
    "sem.pingpong.same_cpu": "floor.futex_pingpong.same_cpu",
    "sem.pingpong.cross_cpu": "floor.spin_pingpong.cross_cpu",
    "thread.create_join": "floor.clone_wait",
    # Any preload costs the loader something; an empty one is the least.
    STARTUP_METRIC: "floor.startup_empty_preload",
}
for _cs in ("short", "long"):
    for _n in THREAD_COUNTS:
        FLOOR_OF[f"mutex.contended.{_cs}.t{_n}"] = f"floor.futex_mutex.{_cs}.t{_n}"

SECTIONS = (
    ("mutex", "Mutex"),
    ("cond", "Condition variable"),
    ("sem", "Semaphore"),
    ("queue", "Bounded queue (mutex + 2 condition variables)"),
    ("rwlock", "Read-write lock"),
    ("cxx", "C++ program: std::shared_mutex, std::mutex, std::thread (seconds per run)"),
    ("realprog", "Real programs (seconds per run)"),
    ("thread", "Threads"),
    ("calls", "Cheap calls"),
    ("profiler", "Contention profiler switched on (libshim with `SHIM_STATS=1`)"),
    ("lockdep", "Lock-order detector switched on (libshim with `SHIM_LOCKDEP=1`)"),
    ("startup", "Cost of the preload when unused"),
    ("floor", "Physical floors"),
)


class Result:
    """Every value of every metric, per peer, and why a peer failed."""

    def __init__(self):
        self.values = {}        # metric -> peer -> [value per round]
        self.unit = {}          # metric -> unit
        self.higher = {}        # metric -> higher is better
        self.program_of = {}    # metric -> program
        self.failed = {}        # (program, peer) -> reason
        self.impl = {}          # (program, peer) -> {symbol: object}
        self.skipped = {}       # metric -> reason

    def add(self, program, peer, metric, value, unit, higher):
        self.values.setdefault(metric, {}).setdefault(peer, []).append(value)
        self.unit[metric] = unit
        self.higher[metric] = higher
        self.program_of[metric] = program

    def median(self, metric, peer):
        if (self.program_of.get(metric), peer) in self.failed:
            return None
        vals = self.values.get(metric, {}).get(peer)
        return statistics.median(vals) if vals else None

    def spread(self, metric, peer):
        vals = self.values.get(metric, {}).get(peer)
        if not vals or len(vals) < 2:
            return None
        med = statistics.median(vals)
        return (max(vals) - min(vals)) / 2 / med if med else None

    def interposed(self, program):
        """False when a libshim run was served by some other library."""
        seen = self.impl.get((program, "libshim"), {})
        return all("libshim" in obj for obj in seen.values())


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="meson build directory (default: build)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    ap.add_argument("--quick", action="store_true",
                    help="0.05 s per measurement, 200 start-ups; report to build/bench-report")
    ap.add_argument("--only", metavar="REGEX",
                    help="run only measurements whose name matches (extended regex)")
    ap.add_argument("--out", help="report folder (default doc/, or build/bench-report "
                                  "with --quick/--only)")
    ap.add_argument("--correctness", metavar="EMULATOR",
                    help="run each program once under EMULATOR (a cross build's "
                         "exe_wrapper), on glibc and on libshim, and report only "
                         "whether it ran to completion with its checks passing")
    ap.add_argument("--peers", default=",".join(PEERS),
                    help="comma-separated subset of " + ",".join(PEERS))
    args = ap.parse_args()
    args.peers = [p for p in args.peers.split(",") if p]
    for p in args.peers:
        if p not in PEERS:
            ap.error(f"unknown peer {p}")
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if args.only:
        try:
            re.compile(args.only)
        except re.error as e:
            ap.error(f"--only: {e}")
    args.seconds = 0.05 if args.quick else 0.25
    args.startups = 200 if args.quick else 1000
    if args.out is None:
        partial = args.quick or args.only
        args.out = os.path.join(args.build, "bench-report") if partial else os.path.join(ROOT, "doc")
    return args


def peer_command(args, program, peer):
    """The argv and environment of one program under one peer, or a reason it cannot run."""
    if peer == "musl" and program in NO_MUSL:
        return None, None, None
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    base = os.path.join(args.build, "bench", "bench_" + program)
    exe = base + ".musl" if peer == "musl" else base
    if not os.access(exe, os.X_OK):
        return None, None, f"{exe} not built"
    argv = [exe, "-t", str(args.seconds)]
    if args.only:
        argv += ["-m", args.only]
    if peer == "libshim":
        lib = os.path.join(args.build, "libshim.so")
        if not os.path.exists(lib):
            return None, None, f"{lib} not built"
        env["LD_PRELOAD"] = lib
    return argv, env, None


def startup_command(args, peer):
    """glibc: /bin/true as is; libshim: /bin/true with the preload; musl: nothing to compare."""
    if peer == "musl":
        return None, None, None
    exe = os.path.join(args.build, "bench", "bench_startup")
    if not os.access(exe, os.X_OK):
        return None, None, f"{exe} not built"
    empty = os.path.join(args.build, "bench", "libbench_empty_preload.so")
    if not os.path.exists(empty):
        return None, None, f"{empty} not built"
    argv = [exe, "-n", str(args.startups), "-e", empty]
    if peer == "libshim":
        lib = os.path.join(args.build, "libshim.so")
        if not os.path.exists(lib):
            return None, None, f"{lib} not built"
        argv += ["-p", lib]
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    return argv, env, None


def sort_data(args):
    """The input of the sort row (made once per build folder) and the SHA-256
    its sorted output must have.  Records come from test/realprogs/gendata.py."""
    sys.path.insert(0, os.path.join(ROOT, "test", "realprogs"))
    import gendata
    records = gendata.sort_records(seed=3, count=SORT_RECORDS)
    folder = os.path.join(args.build, "bench-data")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"sort-{SORT_RECORDS}.txt")
    if not os.path.exists(path):
        with open(path + ".part", "wb") as f:
            f.writelines(records)
        os.replace(path + ".part", path)
    return path, hashlib.sha256(b"".join(sorted(records))).hexdigest()


def sort_command(args, peer, data):
    """sort --parallel=2 under glibc and under the preload (musl: no sort built on it)."""
    if peer == "musl":
        return None, None, None
    if not shutil.which("sort"):
        return None, None, "sort not installed (Debian: coreutils)"
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    env["LC_ALL"] = "C"     # byte order, the order the check expects
    if peer == "libshim":
        lib = os.path.join(args.build, "libshim.so")
        if not os.path.exists(lib):
            return None, None, f"{lib} not built"
        env["LD_PRELOAD"] = lib
    # To a file: through a pipe to run.py the run takes several times as long.
    return ["sort", "--parallel=2", "-S", "256M", "-o", data[0] + ".sorted", data[0]], env, None


def run_sort(result, peer, argv, env, timeout, want_sha):
    """Times one sort run; its output must be the input in byte order."""
    t0 = time.monotonic()
    try:
        proc = subprocess.run(argv, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s (hang?)"
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        return f"exit status {proc.returncode}: {proc.stderr.decode(errors='replace')[-200:]}"
    with open(argv[argv.index("-o") + 1], "rb") as f:
        if hashlib.sha256(f.read()).hexdigest() != want_sha:
            return "output is not the input in byte order"
    result.add("sort", peer, SORT_METRIC, seconds, "s", False)
    return None


def diagnosed_command(args, program, wanted, variable, peer):
    """libshim only: program's wanted measurements with a diagnostic on."""
    if peer != "libshim":
        return None, None, None
    argv, env, problem = peer_command(args, program, peer)
    if problem is None:
        argv += ["-m", wanted]
        env[variable] = "1"
    return argv, env, problem


def run_one(result, program, peer, argv, env, timeout, prefix=""):
    try:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s (hang?)"
    if proc.returncode != 0:
        why = (f"killed by signal {-proc.returncode}" if proc.returncode < 0
               else f"exit status {proc.returncode}")
        tail = proc.stderr.strip().splitlines()[-3:]
        return why + (": " + " / ".join(tail) if tail else "")
    rows = []
    for line in proc.stdout.splitlines():
        fields = line.split("\t")
        if fields[0] == "#impl" and len(fields) == 3:
            result.impl.setdefault((program, peer), {})[fields[1]] = fields[2]
        elif fields[0] == "#skip" and len(fields) == 3:
            result.skipped[prefix + fields[1]] = fields[2]
        elif len(fields) == 4 and not fields[0].startswith("#"):
            try:
                rows.append((prefix + fields[0], float(fields[1]), fields[2],
                             fields[3] == "1"))
            except ValueError:
                return f"unparsable line {line!r}"
        elif line.strip():
            return f"unexpected output {line!r}"
    for metric, value, unit, higher in rows:
        result.add(program, peer, metric, value, unit, higher)
    return None


def measure(args):
    result = Result()
    timeout = 30 + 40 * args.seconds
    jobs = [(p, lambda peer, p=p: peer_command(args, p, peer)) for p in PROGRAMS]
    if not args.only or re.search(args.only, STARTUP_METRIC):
        jobs.append(("startup", lambda peer: startup_command(args, peer)))
    data = None
    if not args.only or re.search(args.only, SORT_METRIC):
        data = sort_data(args)
        jobs.append(("sort", lambda peer: sort_command(args, peer, data)))
    for diag, variable in DIAGNOSED:
        if not args.only or re.search(args.only, diag + "."):
            jobs += [(diag, lambda peer, p=p, w=w, v=variable:
                      diagnosed_command(args, p, w, v, peer))
                     for p, w in PROFILED]
    for rnd in range(1, args.rounds + 1):
        for program, command in jobs:
            for peer in args.peers:
                if (program, peer) in result.failed:
                    continue
                argv, env, problem = command(peer)
                if argv is None and problem is None:
                    continue
                t0 = time.monotonic()
                if problem is None and program == "sort":
                    problem = run_sort(result, peer, argv, env, timeout, data[1])
                elif problem is None:
                    prefix = program + "." if program in dict(DIAGNOSED) else ""
                    problem = run_one(result, program, peer, argv, env, timeout, prefix)
                status = "FAIL: " + problem if problem else "ok"
                print(f"round {rnd}/{args.rounds}  {program:8} {peer:8} "
                      f"{time.monotonic() - t0:5.1f} s  {status}", file=sys.stderr, flush=True)
                if problem:
                    result.failed[(program, peer)] = problem
    return result


# ---------------------------------------------------------------- report

def fmt(v):
    if v is None:
        return "—"
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 0.1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def cell(result, metric, peer, peers):
    if peer not in peers:
        return "not run"
    program = result.program_of[metric]
    if (program, peer) in result.failed:
        return "FAIL"
    med = result.median(metric, peer)
    if med is None:
        return "—"
    text = fmt(med)
    spread = result.spread(metric, peer)
    if spread is not None:
        text += f" ±{spread * 100:.0f}%"
    if peer == "libshim" and program != "startup" and not result.interposed(program):
        text += " †"
    return text


def ratio(result, metric, peer):
    a, b = result.median(metric, peer), result.median(metric, "glibc")
    return fmt(a / b) if a is not None and b else "—"


def floor_value(result, floor):
    """The best of the peers' medians: the floor code is the same in every peer."""
    meds = [m for m in (result.median(floor, p) for p in PEERS) if m is not None]
    if not meds:
        return None
    return max(meds) if result.higher.get(floor) else min(meds)


def distance(result, metric, peer):
    """How many times worse than the floor (1 = at the floor, < 1 = beats it)."""
    floor = FLOOR_OF.get(metric)
    fv = floor_value(result, floor) if floor else None
    v = result.median(metric, peer)
    if fv is None or v is None or v == 0:
        return "—"
    return fmt(fv / v if result.higher[metric] else v / fv) + "×"


def table(result, peers):
    lines = []
    for prefix, title in SECTIONS:
        metrics = [m for m in result.values if m.split(".")[0] == prefix]
        if not metrics:
            continue
        lines += ["", f"### {title}", "",
                  "| metric | unit | better | glibc | libshim | musl | libshim/glibc | musl/glibc "
                  "| floor | glibc÷floor | libshim÷floor | musl÷floor |",
                  "|---|---|:-:|--:|--:|--:|--:|--:|---|--:|--:|--:|"]
        for m in metrics:
            floor = FLOOR_OF.get(m)
            fv = floor_value(result, floor) if floor else None
            floor_text = f"{fmt(fv)} ({floor.split('.', 1)[1]})" if fv is not None else "—"
            lines.append("| " + " | ".join([
                f"`{m}`", result.unit[m], "↑" if result.higher[m] else "↓",
                *(cell(result, m, p, peers) for p in PEERS),
                ratio(result, m, "libshim"), ratio(result, m, "musl"),
                floor_text, *(distance(result, m, p) for p in PEERS)]) + " |")
    return lines


FLOOR_LINE = "futex mutex (floor)"
# Fixed per series, so a peer keeps its colour when another has no data.
PLOT_STYLE = {
    "glibc": "lc rgb '#1f77b4' pt 7",
    "libshim": "lc rgb '#d62728' pt 5",
    "musl": "lc rgb '#2ca02c' pt 9",
    FLOOR_LINE: "lc rgb '#606060' dashtype 2 pt 6",
}


def plot(result, out_dir):
    """doc/contended.png: contended mutex throughput against thread count."""
    if not shutil.which("gnuplot"):
        return "gnuplot not installed (Debian: apt-get install gnuplot-nox): no plot"
    series = [(p, "mutex.contended") for p in PEERS] + [(FLOOR_LINE, "floor.futex_mutex")]
    panels = []         # (title, {series name: [value or None per thread count]})
    for cs, title in (("short", "short critical section (one increment)"),
                      ("long", "long critical section (about 100 ns)")):
        lines = {}
        for name, prefix in series:
            metrics = [f"{prefix}.{cs}.t{n}" for n in THREAD_COUNTS]
            values = [floor_value(result, m) if prefix.startswith("floor")
                      else result.median(m, name) for m in metrics]
            # gnuplot refuses a series with no point at all.
            if any(v is not None for v in values):
                lines[name] = values
        if lines:
            panels.append((title, lines))
    if not panels:
        return "no contended measurements in this run: no plot"
    missing = [p for p in PEERS if not any(p in lines for _, lines in panels)]
    png = os.path.join(out_dir, "contended.png")
    script = [
        f"set terminal pngcairo size {550 * len(panels)},480 font 'sans,10'",
        f"set output '{png}'",
        f"set multiplot layout 1,{len(panels)} title 'Contended pthread\\_mutex lock+unlock "
        f"throughput ({len(os.sched_getaffinity(0))} CPUs)"
        + (f"; no data: {', '.join(missing)}" if missing else "") + "'",
        "set logscale x 2", "set xtics (2,4,8,16)", "set xrange [1.7:19]",
        "set xlabel 'threads'", "set ylabel 'M lock+unlock / s'", "set yrange [0:*]",
        "set key outside bottom center horizontal maxrows 1 samplen 2", "set grid",
    ]
    for title, lines in panels:
        # Inline data ('-'), one block per series, NaN where a peer failed.
        parts, blocks = [], []
        for name, values in lines.items():
            parts.append(f"'-' using 1:2 with linespoints lw 2 {PLOT_STYLE[name]} "
                         f"title '{name}'")
            blocks += [f"{n} {'NaN' if v is None else f'{v:.4f}'}"
                       for n, v in zip(THREAD_COUNTS, values)] + ["e"]
        script += [f"set title '{title}'", "plot " + ", ".join(parts), *blocks]
    script.append("unset multiplot")
    proc = subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True,
                          capture_output=True)
    if proc.returncode != 0:
        return "gnuplot failed: " + proc.stderr.strip()[-300:]
    return None


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    musl = subprocess.run(["/lib/ld-musl-x86_64.so.1"], capture_output=True, text=True).stderr \
        if os.path.exists("/lib/ld-musl-x86_64.so.1") else ""
    musl_version = next((l.split()[1] for l in musl.splitlines() if l.startswith("Version")), "?")
    rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip() or "?"
    return [
        f"- CPUs: {len(os.sched_getaffinity(0))} usable (`nproc`), {model}",
        f"- kernel: Linux {platform.release()}",
        f"- glibc {os.confstr('CS_GNU_LIBC_VERSION').split()[-1]}, musl {musl_version}, "
        f"libshim at `{rev}`",
    ]


def notes(result, peers):
    out = []
    if result.failed:
        by_reason = {}
        for (prog, peer), why in sorted(result.failed.items()):
            by_reason.setdefault((peer, why), []).append(f"`bench_{prog}`")
        out += ["", "Failures (the program's metrics read FAIL for that peer):", ""]
        out += [f"- under {peer}: {', '.join(progs)}: {why}"
                for (peer, why), progs in by_reason.items()]
    measured = set(result.program_of.values())
    not_served = sorted(p for p in PROGRAMS if "libshim" in peers and p in measured
                        and (p, "libshim") in result.impl and not result.interposed(p))
    if not_served:
        served = [f"`bench_{p}` (" + ", ".join(f"{sym} from {obj}" for sym, obj
                                              in result.impl[(p, "libshim")].items()) + ")"
                  for p in not_served]
        out += ["", "† LD_PRELOAD did not replace the library's functions in these programs, "
                "so their libshim column measures glibc: " + ", ".join(served)]
    if result.skipped:
        out += ["", "Skipped: " + ", ".join(f"`{m}` ({why})" for m, why in result.skipped.items())]
    what = {"profiler": "Contention profiler on against off (libshim's own column, value "
                        "ratio; on, every acquisition is counted in the lock's row and every "
                        "contended one timed and its call stack taken",
            "lockdep": "Lock-order detector on against off (libshim's own column, value "
                       "ratio; on, every acquisition looks up the edge from each lock held "
                       "to it, and only a new edge is searched and recorded"}
    for diag, _ in DIAGNOSED:
        on_off = []
        for metric in result.values:
            if metric.startswith(diag + "."):
                off = metric[len(diag) + 1:]
                on_v, off_v = result.median(metric, "libshim"), result.median(off, "libshim")
                if on_v and off_v:
                    on_off.append(f"`{off}` {fmt(on_v / off_v)}×")
        if on_off:
            out += ["", what[diag] + "; off, each lock and unlock call pays one load and an "
                    "untaken branch): " + ", ".join(on_off) + "."]
    g, s = result.median(STARTUP_METRIC, "glibc"), result.median(STARTUP_METRIC, "libshim")
    if g is not None and s is not None:
        out += ["", f"Cost of the preload when unused: /bin/true takes {fmt(g)} µs without and "
                f"{fmt(s)} µs with `LD_PRELOAD=libshim.so`, {fmt(s - g)} µs "
                f"({(s - g) / g * 100:+.0f}%) per program start."]
    return out


def report(args, result, started, load_before, seconds):
    os.makedirs(args.out, exist_ok=True)
    plot_problem = plot(result, args.out)
    cmd = "python3 bench/run.py" + "".join(" " + shlex.quote(a) for a in sys.argv[1:])
    lines = [
        "# libshim performance",
        "",
        "Generated by `bench/run.py`; do not edit by hand.  The same benchmark binaries run",
        "under glibc's own pthreads, under libshim (`LD_PRELOAD=build/libshim.so`), and",
        "rebuilt statically with musl-gcc.  Rounds alternate the peers program by program",
        "(glibc, libshim, musl, glibc, ...); each cell is the median over rounds, ±",
        "half the range as a share of the median.  Every program checks its own result",
        "(lost updates, torn reads, miscounted wake-ups) and a wrong result is a FAIL, never",
        "a number.",
        "",
        "Reading the columns: ↑ higher is better, ↓ lower is better.  Ratios are plain",
        "value ratios (for ↓ metrics above 1 means slower than glibc).  The floor is the",
        "best of the three peers' medians for the raw measurement in `bench/floor.c`;",
        "÷floor says how many times worse than that floor a peer is (1× = at the floor,",
        "below 1× = beats it, which the plain futex mutex as a contended 'floor' allows).",
        "",
        "## Command",
        "",
        "```",
        "meson setup build && ninja -C build",
        cmd,
        "```",
        "",
        f"Run started {started}, {args.rounds} rounds of {args.seconds} s per measurement, "
        f"{args.startups} start-ups per startup row; took {seconds:.0f} s.  Load average "
        f"before: {load_before}, after: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        "(other work on the machine shows up as spread).",
        "",
        "## Machine",
        "",
        *machine(),
        "",
        "## Results",
        *table(result, args.peers),
        *notes(result, args.peers),
        "",
        "## Contended throughput",
        "",
    ]
    lines.append(f"Plot not made: {plot_problem}" if plot_problem else
                 "![contended mutex throughput against threads](contended.png)")
    lines += [
        "",
        "## What each benchmark does",
        "",
        "- `mutex.lock_unlock`, `mutex.trylock_unlock`: one thread, a second idle thread alive.",
        "- `mutex.contended.<short|long>.tN`: N threads lock, run the critical section",
        "  (one increment, or ~100 ns of dependent arithmetic over 4 cache lines) and",
        "  unlock, with nothing between; `.fairness` is the fewest over the most",
        "  operations of one thread (1 fair, near 0 a thread starved).",
        "- `cond.pingpong.*`, `sem.pingpong.*`: two threads hand a turn back and forth",
        "  (round trips per second), both pinned to one CPU (`same_cpu`: every",
        "  hand-over sleeps and wakes) or one per CPU (`cross_cpu`: a waiter that spins",
        "  briefly can catch the hand-over without a system call).  Left to the",
        "  scheduler the same binary swings between the two, hence the pinning.",
        "- `queue.4x4`: 4 producers and 4 consumers on a 64-slot mutex+condvar queue.",
        "- `rwlock.read_mostly`: 7 readers and 1 writer, default attributes; writer",
        "  throughput shows the lock's preference (glibc prefers readers).",
        "- `rwlock.mix.wP.tN`: N threads, each operation a write with probability P%,",
        "  a read otherwise (lock+unlock per second, both kinds together).",
        "- `cxx.*`: a C++ program (`bench/cxx.cpp`), 4 std::threads doing a fixed",
        "  amount of work, timed from the first start to the last join:",
        "  std::shared_mutex with P% writes (`wP`) or 2 writing and 2 reading",
        "  threads (`2w2r`), and std::lock_guard<std::mutex> around one increment.",
        f"- `{SORT_METRIC}`: `sort --parallel=2 -S 256M` of {SORT_RECORDS} generated lines",
        "  (`test/realprogs/gendata.py`), run by `bench/run.py` and timed by it.",
        "- `thread.create_join`: create a thread that returns at once, join it.",
        "- `thread.spawn1000`: 1000 live threads, time until all started; `.rss`: growth",
        "  of VmHWM per thread; `thread.join1000`: release and join them all.",
        "- `calls.*`: pthread_once (done), pthread_getspecific, pthread_self, each",
        "  through a function pointer.",
        "- `profiler.*`: the same measurement under libshim with `SHIM_STATS=1`, the",
        "  contention profiler counting every acquisition and timing every contended",
        "  one; `lockdep.*`: the same with `SHIM_LOCKDEP=1`, the lock-order detector",
        "  checking every acquisition; the libshim column of the metric without the",
        "  prefix is the same run with both off.",
        "- `startup.true`: /bin/true run with and without the preload (µs per run).",
        "- `floor.*`: see the comment at the top of `bench/floor.c`;",
        "  `floor.startup_empty_preload` is `/bin/true` preloading an empty library",
        "  (`bench/empty_preload.c`), timed by `bench_startup` beside `startup.true`.",
        "",
    ]
    path = os.path.join(args.out, "performance.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path, plot_problem


def correctness(args):
    """The correctness column: each program once per peer under the
    emulator, pass or the reason it failed; no figure is kept."""
    sys.path.insert(0, os.path.join(ROOT, "test", "preload"))
    from testproc import emulated
    os.environ["MESON_EXE_WRAPPER"] = args.emulator
    peers = [p for p in args.peers if p != "musl"]  # musl is x86_64 only here
    lines = ["| program | " + " | ".join(peers) + " |",
             "| --- |" + " --- |" * len(peers)]
    failed = 0
    result = Result()
    for program in PROGRAMS:
        cells = []
        for peer in peers:
            argv, env, problem = peer_command(args, program, peer)
            if argv is not None:
                argv, env = emulated(argv, env)
                problem = run_one(result, program, peer, argv, env,
                                  timeout=600)
            if problem is None and peer == "libshim" and not result.interposed(program):
                problem = "its objects were not libshim's (#impl lines)"
            cells.append("runs, checks pass" if problem is None
                         else "FAIL: " + problem)
            failed += problem is not None
        lines.append(f"| bench_{program} | " + " | ".join(cells) + " |")
    print("\n".join(lines))
    return 1 if failed else 0


def main():
    args = parse_args()
    if args.correctness:
        args.emulator = args.correctness
        return correctness(args)
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    t0 = time.monotonic()
    result = measure(args)
    path, plot_problem = report(args, result, started, load_before, time.monotonic() - t0)
    print(f"wrote {path}" + (f" ({plot_problem})" if plot_problem else " and contended.png"),
          file=sys.stderr)
    # A failing glibc or musl peer is a bug in the benchmarks themselves.
    broken = [f"bench_{prog} under {peer}" for (prog, peer) in result.failed if peer != "libshim"]
    if broken:
        print("benchmark failures outside libshim: " + ", ".join(broken), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
