#!/bin/sh
# scripts/test.sh -- install what is missing, build, and run every test
# suite (unit, preload, realprogs): what CI runs (.ci/run).
set -eu
cd "$(dirname "$0")/.."

./scripts/deps.sh
./scripts/build.sh

status=0
meson test -C build --print-errorlogs "$@" || status=$?

# One closing line with the counts, from meson's own log of this run.
python3 - build/meson-logs/testlog.json <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
kind = {"OK": "passed", "EXPECTEDFAIL": "passed", "SKIP": "skipped"}
with open(sys.argv[1]) as log:
    for line in log:
        if line.strip():
            counts[kind.get(json.loads(line)["result"], "failed")] += 1
print("meson: %(passed)d passed, %(failed)d failed, %(skipped)d skipped" % counts)
PY
exit "$status"
