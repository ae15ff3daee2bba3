/*
 * arch/aarch64/arch_syscall.h -- raw system calls, returning -errno.
 *
 * Used where libc must not be (see arch/x86_64/arch_syscall.h).  Linux
 * arm64: number in x8, arguments in x0..x5, result in x0; svc clobbers
 * nothing else.  arm64 has only the generic system call table: no open,
 * poll, pause, epoll_wait, select; portable code uses their successors
 * (openat, ppoll, epoll_pwait, pselect6) on every CPU.
 */
#ifndef SHIM_ARCH_SYSCALL_H
#define SHIM_ARCH_SYSCALL_H

#define SHIM_SVC(...)                                                        \
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), ##__VA_ARGS__ : "memory")

static inline long shim_syscall0(long n)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0");
	SHIM_SVC();
	return x0;
}

static inline long shim_syscall1(long n, long a)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	SHIM_SVC();
	return x0;
}

static inline long shim_syscall2(long n, long a, long b)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	SHIM_SVC("r"(x1));
	return x0;
}

static inline long shim_syscall3(long n, long a, long b, long c)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	SHIM_SVC("r"(x1), "r"(x2));
	return x0;
}

static inline long shim_syscall4(long n, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	SHIM_SVC("r"(x1), "r"(x2), "r"(x3));
	return x0;
}

static inline long shim_syscall6(long n, long a, long b, long c, long d,
				 long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	SHIM_SVC("r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5));
	return x0;
}

#endif
