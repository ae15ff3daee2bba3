#!/bin/sh
# scripts/test.sh -- install what is missing, build, and run every test
# suite (unit, preload, realprogs, fault), then the unit tests again in an
# AddressSanitizer + UndefinedBehaviorSanitizer build, and the unit, preload
# and realprogs suites of the arm64 build under qemu-user: what CI runs
# (.ci/run).  Extra arguments go to the first meson test (e.g. --suite unit).
set -eu
cd "$(dirname "$0")/.."

./scripts/deps.sh
./scripts/build.sh

status=0
meson test -C build --print-errorlogs "$@" || status=$?

# The sanitizer build: unit tests only (the preloaded programs are not
# built with the sanitizers' runtime).
if [ ! -f build-asan/build.ninja ]; then
	meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbench=false -Drealprogs=false
fi
ninja -C build-asan
# LeakSanitizer finds live pointers by scanning the stacks and TLS of the
# threads ASan knows, and ASan knows only the threads made through its own
# pthread_create: what libshim's threads hold looks leaked.  Leaks are
# checked by valgrind instead (suite fault), which sees every LWP.
ASAN_OPTIONS=detect_leaks=0 \
	meson test -C build-asan --print-errorlogs --suite unit || status=$?

# The arm64 build (doc/aarch64.md), cross-compiled and run under
# qemu-user by meson's exe_wrapper: the unit, preload and realprogs
# suites (realprogs: Debian's arm64 xz and pigz).  What qemu cannot
# emulate is a skip with its reason.  Correctness only: no timing here.
if [ ! -f build-aarch64/build.ninja ]; then
	meson setup build-aarch64 --cross-file cross/aarch64-linux-gnu.ini \
		-Dbench=false
fi
ninja -C build-aarch64
meson test -C build-aarch64 --print-errorlogs \
	--suite unit --suite preload --suite realprogs || status=$?

# One closing line with the counts, from meson's own logs of all runs.
python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
	build-aarch64/meson-logs/testlog.json <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
kind = {"OK": "passed", "EXPECTEDFAIL": "passed", "SKIP": "skipped"}
for path in sys.argv[1:]:
    with open(path) as log:
        for line in log:
            if line.strip():
                counts[kind.get(json.loads(line)["result"], "failed")] += 1
print("meson: %(passed)d passed, %(failed)d failed, %(skipped)d skipped" % counts)
PY
exit "$status"
