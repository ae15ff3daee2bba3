/*
 * test/unit/testutil.h -- what several unit tests need: deadlines and
 * elapsed time on a given clock.
 */
#ifndef SHIM_TESTUTIL_H
#define SHIM_TESTUTIL_H

#include <time.h>

/* Now plus ms on clock, normalised: a deadline for the timed calls. */
struct timespec deadline_in(clockid_t clock, long ms);

/* Milliseconds on clock since start. */
long ms_since(clockid_t clock, const struct timespec *start);

#endif
