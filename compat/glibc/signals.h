/*
 * compat/glibc/signals.h -- the two signals glibc keeps for itself (the
 * first two of the kernel's realtime range; glibc's SIGRTMIN starts above
 * them), which programs can therefore neither send nor block.
 */
#ifndef SHIM_COMPAT_GLIBC_SIGNALS_H
#define SHIM_COMPAT_GLIBC_SIGNALS_H

/* Cancellation; libshim also delivers its set*id requests with it. */
#define SIGCANCEL 32
/* glibc's set*id broadcast to the threads on its lists. */
#define SIGSETXID 33

#endif
