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
# scripts/test.sh's aarch64 stage (doc/aarch64.md): the cross compilers and
# arm64 glibc headers for build-aarch64 (gcc-aarch64-linux-gnu,
# g++-aarch64-linux-gnu, libc6-dev-arm64-cross); meson's exe_wrapper,
# qemu-aarch64 (qemu-user); from multiarch, cmocka for the unit suite
# (libcmocka-dev:arm64), arm64 glibc 2.36, the loader and libc every test
# runs on (libc6:arm64), the preload suite's C++ runtime (libstdc++6:arm64),
# and the libraries Debian's arm64 xz and pigz need in realprogs.arm64_*
# (liblzma5:arm64, zlib1g:arm64; the programs themselves are fetched with
# apt-get download, never installed: they would replace the amd64 ones).
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
gcc-aarch64-linux-gnu
g++-aarch64-linux-gnu
libc6-dev-arm64-cross
qemu-user
libcmocka-dev:arm64
libc6:arm64
libstdc++6:arm64
liblzma5:arm64
zlib1g:arm64
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
# The :arm64 packages come from multiarch: apt knows them only once the
# architecture is added (before the update that fetches its lists).
case "$missing" in
*:arm64*)
	dpkg --print-foreign-architectures | grep -qx arm64 ||
		dpkg --add-architecture arm64
	;;
esac
apt_get update
# shellcheck disable=SC2086  # one word per package
apt_get install --no-install-recommends $missing
