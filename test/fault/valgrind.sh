#!/bin/sh
# test/fault/valgrind.sh [--possible] LIBSHIM PROGRAM [ARGS...]
#
# Run PROGRAM (an ordinary glibc program) under valgrind's memcheck with
# LD_PRELOAD=LIBSHIM.  Fails on any memcheck error (invalid read or write,
# use of uninitialised memory, bad system call argument, a definite leak),
# on the program's own failure, and when libshim did not create its
# threads.  Exit 77 (SKIP) without valgrind.
#
# --possible: a "possibly lost" block fails too.  For programs whose
# threads have all ended by exit: a thread still running then has a dtv
# memcheck counts as possibly lost, under glibc's threads as under
# libshim's (glibc points at it from inside the block); an ended one's
# is libshim's to free or keep reachable (the stack cache, stack.c).
#
# No suppressions: every program here runs clean under memcheck on plain
# glibc 2.36 (checked with the same command without LD_PRELOAD), so any
# report is libshim's.  Should a glibc upgrade bring reports of its own,
# add a suppression file with one commented entry per glibc report.
set -u
leaks=definite
if [ "$1" = --possible ]; then
	leaks=definite,possible
	shift
fi
lib=$1
shift
command -v valgrind >/dev/null 2>&1 || { echo "no valgrind: skipped"; exit 77; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
LD_PRELOAD=$(realpath "$lib") SHIM_STATS=1 \
	valgrind --tool=memcheck -q --error-exitcode=99 \
	--leak-check=full --errors-for-leak-kinds=$leaks \
	"$@" 2>"$log"
status=$?
cat "$log" >&2
if [ "$status" -eq 99 ]; then
	echo "FAIL: memcheck reported errors (above)"
	exit 1
elif [ "$status" -ne 0 ]; then
	echo "FAIL: the program failed under valgrind (exit status $status)"
	exit 1
elif ! grep -q '^libshim: threads created: [1-9]' "$log"; then
	echo "FAIL: libshim created no thread: it did not serve the program"
	exit 1
fi
echo "ok: memcheck clean"
