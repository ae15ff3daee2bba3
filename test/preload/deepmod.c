/*
 * test/preload/deepmod.c -- the library deepbind.c loads with
 * RTLD_DEEPBIND: its own threads run deepwork.c through its own bindings.
 * Built with -fvisibility=hidden; only these entry points are exported.
 */
#include <dlfcn.h>
#include <string.h>

#include "deepbind.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT deep_start_fn deep_lib_start;
EXPORT deep_join_fn deep_lib_join;
EXPORT deep_addr_fn deep_lib_addr;
EXPORT const void *deep_lib_relro(void);

int deep_lib_start(struct deep_shared *sh, enum deep_phase phase)
{
	return deep_side_start(sh, phase, 1);
}

void deep_lib_join(void)
{
	deep_side_join();
}

/* Taking an address reads the GOT (R_X86_64_GLOB_DAT); the table is
 * filled by R_X86_64_64 relocations in RELRO data. */
#define NAMES(X)                                                        \
	X(pthread_create) X(pthread_mutex_lock) X(pthread_cond_wait)     \
	X(pthread_rwlock_rdlock) X(sem_post) X(dlopen)
#define ENTRY(f) {#f, (void *)f},
static const struct {
	const char *name;
	void *fn;
} relocated[] = {NAMES(ENTRY)};

void *deep_lib_addr(const char *name, int data)
{
#define GOT(f)                                                          \
	if (!data && strcmp(name, #f) == 0)                             \
		return (void *)f;
	NAMES(GOT)
	for (unsigned i = 0; data && i < sizeof relocated / sizeof *relocated; i++)
		if (strcmp(name, relocated[i].name) == 0)
			return relocated[i].fn;
	return NULL;
}

/* A slot in RELRO data, which must be read-only again after the
 * rebinding. */
const void *deep_lib_relro(void)
{
	return &relocated[0].fn;
}
