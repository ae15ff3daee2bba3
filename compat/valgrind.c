/*
 * compat/valgrind.c -- tool detection and the private-memory request for
 * helgrind and drd.  Without valgrind's headers (its development files)
 * no tool is ever seen.
 */
#include "compat/valgrind.h"

#if __has_include(<valgrind/helgrind.h>) && __has_include(<valgrind/drd.h>)
#include <valgrind/helgrind.h>
#include <valgrind/drd.h>

/* drd's own request: drd.h leaves its macros undefined once helgrind.h
 * is in. */
#define DRD_PRIVATE(p, n) VALGRIND_DO_CLIENT_REQUEST_STMT( \
	VG_USERREQ__DRD_START_SUPPRESSION, (p), (n), 0, 0, 0)

/* -1: not decided yet.  Racy first calls decide the same. */
static int tool = -1;

enum valgrind_tool valgrind_tool(void)
{
	if (tool < 0) {
		if (!RUNNING_ON_VALGRIND)
			tool = VALGRIND_NONE;
		else if (DRD_GET_DRD_THREADID != 0)
			tool = VALGRIND_DRD;
		else if (VALGRIND_HG_GET_ABITS(NULL, NULL, 0) != -2)
			tool = VALGRIND_HELGRIND; /* -2: not helgrind */
		else
			tool = VALGRIND_NONE; /* memcheck and the others */
	}
	return (enum valgrind_tool)tool;
}

bool valgrind_running(void)
{
	return RUNNING_ON_VALGRIND != 0;
}

void valgrind_private(const void *p, size_t n)
{
	switch (valgrind_tool()) {
	case VALGRIND_HELGRIND:
		VALGRIND_HG_DISABLE_CHECKING(p, n);
		break;
	case VALGRIND_DRD:
		DRD_PRIVATE(p, n);
		break;
	case VALGRIND_NONE:
		break;
	}
}

#else

enum valgrind_tool valgrind_tool(void)
{
	return VALGRIND_NONE;
}

bool valgrind_running(void)
{
	return false;
}

void valgrind_private(const void *p, size_t n)
{
}

#endif

static bool in_glibc_call;

void valgrind_glibc_call_begin(void)
{
	in_glibc_call = valgrind_tool() != VALGRIND_NONE;
}

void valgrind_glibc_call_end(void)
{
	in_glibc_call = false;
}

bool valgrind_in_glibc_call(void)
{
	return in_glibc_call;
}
