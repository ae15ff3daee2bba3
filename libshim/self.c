/*
 * libshim/self.c -- the calling thread's descriptor, and adoption of
 * threads libshim did not create.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "arch/x86_64/arch.h"
#include "libshim/rdslot.h"
#include "libshim/shim.h"
#include "libshim/thread.h"

/* Initial-exec: libshim is loaded at start-up (LD_PRELOAD or DT_NEEDED),
 * so its TLS is in the static block every TCB carries; reading it is one
 * %fs-relative load.  libshim's own threads set it before user code. */
__thread struct shim_thread *shim_self_td
	__attribute__((tls_model("initial-exec")));

extern int __cxa_thread_atexit_impl(void (*)(void *), void *, void *);
extern void *__dso_handle;

void shim_set_self(struct shim_thread *td)
{
	shim_self_td = td;
}

static void adopted_exit(void *p)
{
	struct shim_thread *td = p;
	shim_thread_unlist(td);
	shim_self_td = NULL;
	shim_tsd_run_destructors(td);
	rdslot_thread_exit(); /* after every destructor that might read-lock */
	munmap(td, sizeof *td);
}

struct shim_thread *shim_adopt(void)
{
	/* mmap, not malloc: adoption may happen inside a signal handler. */
	struct shim_thread *td = mmap(NULL, sizeof *td, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (td == MAP_FAILED)
		return NULL;
	td->td_self = td;
	td->td_tp = arch_thread_pointer();
	td->td_tidp = shim_tcb_tid_word(td->td_tp);
	td->td_adopted = true;
	td->td_state = TD_JOINABLE;
	shim_attr_of_running(td);
	shim_self_td = td;
	shim_thread_list(td);
	/* glibc runs this when a thread it made exits.  Not for the main
	 * thread: exit() runs TLS destructors while other threads may still
	 * unpark it, so its descriptor lives as long as the process. */
	if (*td->td_tidp != shim_pid())
		__cxa_thread_atexit_impl(adopted_exit, td, &__dso_handle);
	return td;
}
