#!/bin/sh
# scripts/setup.sh -- from a fresh Debian 12 checkout to libshim serving a
# real program: install what is missing, build, then run the main job:
#
#     build/tools/shimrun --stats xz -T2
#
# on 64 MiB of generated text.  The job checks itself: the archive must
# decompress to the same bytes, and libshim's statistics line must show that
# it created xz's threads.  Idempotent; safe to run again.
set -eu
cd "$(dirname "$0")/.."

./scripts/deps.sh
./scripts/build.sh

job=build/setup-job
mkdir -p "$job"
if [ ! -f "$job/input" ]; then
	python3 test/realprogs/gendata.py text 64M "$job/input.tmp"
	mv "$job/input.tmp" "$job/input"
fi

echo "setup: xz -T2 on $(wc -c <"$job/input") bytes under libshim"
build/tools/shimrun --stats xz -T2 -c "$job/input" >"$job/input.xz" 2>"$job/stderr" || {
	cat "$job/stderr" >&2
	echo "setup: FAILED: xz under libshim exited with an error" >&2
	exit 1
}

# Decompress without libshim: the check must not trust what it checks.
if ! xz -dc "$job/input.xz" | cmp -s - "$job/input"; then
	echo "setup: FAILED: the archive xz made under libshim does not decompress to its input" >&2
	exit 1
fi
echo "setup: round trip ok ($(wc -c <"$job/input.xz") bytes compressed)"

stats=$(grep '^libshim: threads created: ' "$job/stderr" || true)
threads=$(printf '%s\n' "$stats" | sed -n 's/^libshim: threads created: \([0-9][0-9]*\).*/\1/p' | head -n 1)
if [ -z "$stats" ]; then
	cat "$job/stderr" >&2
	echo "setup: FAILED: no 'libshim: threads created' line: libshim did not serve xz" >&2
	exit 1
fi
echo "setup: $stats"
if [ "${threads:-0}" -eq 0 ]; then
	echo "setup: FAILED: libshim created no thread for xz -T2" >&2
	exit 1
fi
echo "setup: ok"
