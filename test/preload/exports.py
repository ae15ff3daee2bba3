"""What libshim.so exports, read with `nm -D --defined-only`, and which
names it may export at all.  Shared by check_exports.py and census.py."""

import re
import subprocess

# The public API and nothing else: an internal name that leaked would
# interpose a symbol of the host program or of glibc.  Besides the pthread,
# semaphore and C11 families, only the set*id and fork wrappers (which must
# reach threads glibc does not know) may be exported.
# The thread API, the set*id family (libshim broadcasts it to its threads)
# and the blocking libc calls POSIX names as cancellation points
# (libshim/cancelpoints.c): nothing else may leave the library.
CANCEL_POINTS = (
    "read readv pread pread64 write writev pwrite pwrite64 open open64 openat "
    "openat64 creat creat64 close nanosleep clock_nanosleep sleep usleep pause "
    "poll ppoll select pselect epoll_wait epoll_pwait accept accept4 connect "
    "recv recvfrom recvmsg send sendto sendmsg wait waitpid waitid sigwait "
    "sigwaitinfo sigtimedwait sigsuspend fsync fdatasync msync tcdrain "
    "preadv preadv64 pwritev pwritev64 fcntl fcntl64 lockf lockf64 wait3 wait4 "
    "msgrcv msgsnd mq_receive mq_send mq_timedreceive mq_timedsend "
    # glibc's cancellation points beyond POSIX's list (its tst-cancel4).
    "sigpause __sigpause __xpg_sigpause sendmmsg recvmmsg "
    "preadv2 preadv64v2 pwritev2 pwritev64v2").split()
ALLOWED = re.compile(
    r"^(pthread_\w+|__pthread_\w+|_pthread_\w+|sem_\w+"
    r"|thrd_\w+|mtx_\w+|cnd_\w+|tss_\w+|call_once"
    r"|setuid|setgid|seteuid|setegid|setreuid|setregid|setresuid|setresgid"
    r"|setgroups|" + "|".join(CANCEL_POINTS) + r")$")


def exported_names(lib):
    """The names of the defined global dynamic symbols, without @version
    suffixes.  Left out: local symbols, which the linker may put in .dynsym
    (nm's lower-case types; 'i' and 'u' are global all the same), and version
    nodes (absolute symbols named after a version, when a version script is
    used)."""
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) != 3:
            continue
        _, kind, name = fields
        if kind == "A" or not (kind.isupper() or kind in "iu"):
            continue
        names.add(name.split("@")[0])
    return names
