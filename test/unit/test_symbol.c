/*
 * libshim/symbol.c's reading of a loaded object's dynamic section and its
 * GNU-hash look-up, which deepbind.c uses to tell the names libshim
 * exports: checked against the loader's own answers for libc.so.6.
 */
#include <dlfcn.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "libshim/symbol.h"

static struct link_map *libc_map(void)
{
	void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	struct link_map *map = NULL;
	assert_non_null(h);
	assert_int_equal(dlinfo(h, RTLD_DI_LINKMAP, &map), 0);
	dlclose(h);
	return map;
}

static void test_lookup_agrees_with_dlsym(void **state)
{
	(void)state;
	struct link_map *map = libc_map();
	struct shim_dynamic d;
	shim_dynamic_read(map->l_addr, map->l_ld, &d);
	assert_non_null(d.symtab);
	assert_non_null(d.strtab);
	assert_non_null(d.gnu);
	assert_non_null(d.rela);
	assert_true(d.relasz > 0);
	/* Names early and late in glibc's table, of both kinds. */
	static const char *const names[] = {"pthread_mutex_lock", "sem_post",
					    "malloc", "dlopen", "environ"};
	void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	for (unsigned i = 0; i < sizeof names / sizeof *names; i++) {
		const ElfW(Sym) *s = shim_dynamic_lookup(&d, names[i]);
		assert_non_null(s);
		assert_ptr_equal((void *)(map->l_addr + s->st_value),
				 dlsym(h, names[i]));
	}
	dlclose(h);
}

static void test_lookup_misses(void **state)
{
	(void)state;
	struct link_map *map = libc_map();
	struct shim_dynamic d;
	shim_dynamic_read(map->l_addr, map->l_ld, &d);
	assert_null(shim_dynamic_lookup(&d, "no_such_name_in_libc"));
	assert_null(shim_dynamic_lookup(&d, ""));
	/* An import (from ld.so) is in the table but not defined there. */
	assert_null(shim_dynamic_lookup(&d, "_rtld_global_ro"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_agrees_with_dlsym),
		cmocka_unit_test(test_lookup_misses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
