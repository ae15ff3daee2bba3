#!/bin/sh
# scripts/deps.sh -- install the Debian 12 packages that building libshim and
# running all of its tests need.  Only what is missing is installed, so a
# second run (and CI on a machine that has them) touches nothing.
#
# Non-interactive by construction: no prompt, no stdin (CI=true runs it with
# none), and it waits for another apt/dpkg run to finish instead of failing.
set -eu

# build: meson ninja-build pkg-config gcc g++ libcmocka-dev
# test/debug: gdb (and its gcore), run in batch mode on libshim threads.
# test runners: python3, binutils (nm); test/fault: valgrind (memcheck,
# and <valgrind/memcheck.h> for the stack hand-over note in compat/linux)
# test/preload/allocators.py: jemalloc, tcmalloc, mimalloc beside libshim
# test/realprogs: the programs run under libshim.  gcc brings libgomp (the
# OpenMP program); libopenblas0-pthread makes numpy's BLAS the threaded
# OpenBLAS (Debian's alternatives rank it above the reference BLAS).
# test/tools: groff (groff-base) renders the manual pages (tools.man).
# test/sanitizers: gcc's -fsanitize=thread and =address runtimes.
packages="meson ninja-build pkg-config gcc g++ libcmocka-dev
python3 binutils
gdb
xz-utils zstd pigz pbzip2 coreutils git ripgrep nodejs
python3-numpy libopenblas0-pthread stress-ng
valgrind
libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0
groff-base
libtsan2
libasan8
"

missing=
for p in $packages; do
	if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: not root: install these packages, then run again" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() {
	apt-get -q -y -o DPkg::Lock::Timeout=600 "$@" </dev/null
}
apt_get update
# shellcheck disable=SC2086  # one word per package
apt_get install --no-install-recommends $missing
