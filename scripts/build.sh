#!/bin/sh
# scripts/build.sh -- configure build/ (once) and build everything in it.
set -eu
cd "$(dirname "$0")/.."

if [ -f build/build.ninja ]; then
	:	# configured: ninja re-runs meson itself when a meson.build changed
elif [ -f build/meson-private/coredata.dat ]; then
	meson setup --reconfigure build	# an earlier setup stopped half-way
else
	meson setup build
fi
ninja -C build
