/*
 * libshim/self.c -- the calling thread's descriptor, and adoption of
 * threads libshim did not create.
 *
 * Adoption runs on a thread's first call that needs a descriptor, and
 * that call may come from anywhere: from inside a malloc replacement that
 * holds its own lock and asks pthread_self() or takes a pthread mutex
 * while the process starts (jemalloc, tcmalloc), from a signal handler,
 * from inside park_wait.  So adoption allocates nothing through malloc,
 * reads no file and takes no lock a waiting thread could already hold:
 * the initial thread's descriptor is static, another thread's is one
 * anonymous mapping, and what used to be measured here (the initial
 * thread's stack) is measured when pthread_getattr_np asks for it.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "arch.h"
#include "libshim/rdslot.h"
#include "libshim/shim.h"
#include "libshim/thread.h"

/* Initial-exec: libshim is loaded at start-up (LD_PRELOAD or DT_NEEDED),
 * so its TLS is in the static block every TCB carries; reading it is one
 * %fs-relative load.  libshim's own threads set it before user code. */
__thread struct shim_thread *shim_self_td
	__attribute__((tls_model("initial-exec")));

/* The initial thread's descriptor: it lives as long as the process
 * (exit() runs TLS destructors while other threads may still unpark it).
 * In a fork child the survivor may be a glibc thread never adopted, whose
 * tid is now the pid; main_td then belongs to the parent's initial thread,
 * dead here but still named by the copied thread list, so that survivor
 * gets a mapping instead. */
static struct shim_thread main_td;

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
	void *tp = arch_thread_pointer();
	pid_t *tidp = shim_tcb_tid_word(tp);
	bool initial = *tidp == shim_pid();
	struct shim_thread *td = &main_td;
	if (!initial || main_td.td_self != NULL) {
		/* mmap, not malloc: see the top of this file. */
		td = mmap(NULL, sizeof *td, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (td == MAP_FAILED)
			return NULL;
	}
	td->td_self = td;
	td->td_tp = tp;
	td->td_tidp = tidp;
	td->td_adopted = true;
	td->td_state = TD_JOINABLE;
	pthread_attr_init(&td->td_attr);
	shim_self_td = td;
	/* The list lock is a libshim mutex: if it is contended, park_wait
	 * finds the descriptor set just above and adopts nothing again. */
	shim_thread_list(td);
	if (!initial)
		tcb_at_glibc_thread_exit(adopted_exit, td);
	return td;
}
