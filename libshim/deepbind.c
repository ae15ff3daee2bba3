/*
 * libshim/deepbind.c -- objects loaded with RTLD_DEEPBIND call libshim.
 *
 * RTLD_DEEPBIND makes the loader look a new object's symbols up in the
 * object's own dependency scope first (itself, then its DT_NEEDED list
 * breadth first, libc.so.6 among them) and only then in the global scope,
 * where the preloaded libshim sits ahead of libc.  Such an object binds
 * pthread_mutex_lock and the rest to glibc while the program binds them
 * to libshim, and a mutex the two share is locked by two implementations
 * that do not see each other's waiters: wake-ups are lost and threads
 * hang.
 *
 * So libshim's dlopen (arch/<cpu>/dlopen.S) sends a RTLD_DEEPBIND load
 * here: after glibc's dlopen returned, every object it added is rebound:
 * each relocated PLT, GOT or data slot (arch.h's ARCH_R_*: on x86_64
 * R_X86_64_JUMP_SLOT, R_X86_64_GLOB_DAT, R_X86_64_64), in DT_RELA and
 * DT_JMPREL, that imports a name libshim.so
 * exports and that the loader bound to glibc, or left lazily unbound, is
 * pointed at libshim's definition -- what the object would have got
 * without RTLD_DEEPBIND.  The names are read from libshim's own dynamic
 * symbol table: what libshim/exports.list lets it export (the build
 * checks), so there is no second list.  A slot bound to a third object (the new object's own
 * dependency that defines the name) is left alone, as are the object's
 * own definitions, which RTLD_DEEPBIND exists to prefer.
 *
 * Why this is safe:
 *  - It all runs inside dl_iterate_phdr's callback, which holds the
 *    loader's list lock: no object is added or removed meanwhile, and
 *    two rebinding threads take turns (so one cannot make a RELRO page
 *    read-only again under the other's write).
 *  - An object is touched only once the loader has finished relocating
 *    it: glibc registers a dlopen'd object with _dl_find_object after its
 *    relocation (and its RELRO mprotect), so an object another thread's
 *    dlopen is still relocating is not found and is skipped.
 *  - A slot is one aligned 8-byte store, so a thread calling through it
 *    meanwhile jumps to glibc's function or to libshim's, never to a mix.
 *    A lazy slot written here is never resolved by the loader afterwards
 *    (the PLT jumps through it).
 *  - RELRO pages are made writable only for the stores and then read-only
 *    again, exactly the pages glibc protected (its rounding).
 *  - libshim's own look-ups of glibc functions (dlvsym, RTLD_NEXT) read
 *    symbol tables, not these slots, and libshim, libc and the loader are
 *    never rewritten.
 *
 * Free when unused: a dlopen without RTLD_DEEPBIND is one test and a jump.
 * Nothing here waits for shim_init: a program may load such a library
 * before it creates any thread (the tests do), and glibc's dlopen is
 * looked up at the first dlopen.
 *
 * Objects that the new objects' constructors load meanwhile, through
 * glibc's dlopen since they are not rebound yet, are new objects too.
 *
 * Not covered (doc/usage.md): the new objects' constructors, which run
 * inside glibc's dlopen before the rebinding, call glibc; an object that
 * looks pthread functions up itself (dlsym(RTLD_DEFAULT or RTLD_NEXT) from
 * inside it, or dlsym(handle) on it) gets glibc's; dlmopen namespaces have
 * their own libc and no libshim; a RTLD_DEEPBIND load that bypasses
 * libshim's dlopen (glibc's own, found by dlsym) is not rebound.  Nor is
 * one that glibc might find through its caller's own search paths or
 * "$ORIGIN": libshim must make that call itself to act after it, and
 * glibc takes the return address as the caller (shim_dlopen_as_caller), so
 * it leaves such a load to glibc, unchanged.
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch.h"
#include "common/visibility.h"
#include "libshim/symbol.h"

/* glibc's dlopen, filled in at the first call (dlopen.S). */
SHIM_HIDDEN void *(*_Atomic shim_glibc_dlopen)(const char *, int);
SHIM_HIDDEN void *(*shim_glibc_dlopen_lookup(void))(const char *, int);
SHIM_HIDDEN void *shim_dlopen_deepbind(const char *file, int mode);
SHIM_HIDDEN int shim_dlopen_as_caller(const char *file, int mode,
				      const void *caller);

void *(*shim_glibc_dlopen_lookup(void))(const char *, int)
{
	/* Two first callers may both look it up: the same answer. */
	void *(*fn)(const char *, int) = (void *(*)(const char *, int))dlvsym(
		RTLD_NEXT, "dlopen", "GLIBC_2.34");
	atomic_store_explicit(&shim_glibc_dlopen, fn, memory_order_relaxed);
	return fn;
}

static const struct link_map *owner(uintptr_t addr);

/* Which search-path entries an object's dynamic section has. */
enum { HAS_RPATH = 1, HAS_RUNPATH = 2, HAS_NODEFLIB = 4 };
static int search_tags(const ElfW(Dyn) *d)
{
	int has = 0;
	for (; d != NULL && d->d_tag != DT_NULL; d++)
		if (d->d_tag == DT_RPATH)
			has |= HAS_RPATH;
		else if (d->d_tag == DT_RUNPATH)
			has |= HAS_RUNPATH;
		else if (d->d_tag == DT_FLAGS_1 && (d->d_un.d_val & DF_1_NODEFLIB))
			has |= HAS_NODEFLIB;
	return has;
}

static int library_rpath(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	if (info->dlpi_name[0] == '\0')
		return 0; /* the program */
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			return search_tags((const void *)(info->dlpi_addr +
							  info->dlpi_phdr[i].p_vaddr)) &
			       HAS_RPATH;
	return 0;
}

/*
 * Whether glibc, asked by libshim, opens the file it would open for the
 * caller, so that libshim may make the call and rebind after it.  glibc
 * uses its caller for the namespace (the base one here: only callers in it
 * bind libshim's dlopen), to expand "$ORIGIN" and the like in the name,
 * and to search for a name without '/': the DT_RPATH of the caller and of
 * the objects that loaded it (unless the caller has a DT_RUNPATH), the
 * program's DT_RPATH, LD_LIBRARY_PATH, the caller's DT_RUNPATH, the cache,
 * and the default directories unless the caller was linked -z nodeflib.
 * libshim has no such entries, so the answers agree for a name with '/',
 * and for a bare name when the caller has none of them either and no
 * library has a DT_RPATH (any may be in the caller's loader chain) -- or
 * when the caller is the program and has neither DT_RUNPATH nor nodeflib
 * (its DT_RPATH is searched for every caller).
 */
int shim_dlopen_as_caller(const char *file, int mode, const void *caller)
{
	(void)mode; /* dlopen's second argument, kept in its register */
	if (file == NULL || strchr(file, '$') != NULL)
		return 0;
	if (strchr(file, '/') != NULL)
		return 1;
	const struct link_map *c = owner((uintptr_t)caller);
	if (c == NULL)
		return 0;
	int has = search_tags(c->l_ld);
	if (c->l_name[0] == '\0')
		return !(has & (HAS_RUNPATH | HAS_NODEFLIB));
	return has == 0 && dl_iterate_phdr(library_rpath, NULL) == 0;
}

/* What one pass over the loaded objects knows and counts. */
struct rebind {
	size_t before;		/* objects loaded before the dlopen */
	unsigned long long subs;	/* dlpi_subs then */
	size_t seen;		/* objects visited by this pass */
	struct shim_dynamic shim;	/* libshim's own dynamic section */
	uintptr_t shim_base;
	const struct link_map *shim_map, *libc_map;
};

static const struct link_map *owner(uintptr_t addr)
{
	struct dl_find_object fo;
	return _dl_find_object((void *)addr, &fo) == 0 ? fo.dlfo_link_map
						      : NULL;
}

/* The pages glibc made read-only after relocating the object, rounded as
 * it rounds them (the partial last page stays writable). */
struct relro {
	uintptr_t lo, hi;
	bool open;
};

static bool relro_write(struct relro *r, uintptr_t *slot, uintptr_t v)
{
	uintptr_t a = (uintptr_t)slot;
	if (a >= r->lo && a < r->hi && !r->open) {
		if (mprotect((void *)r->lo, r->hi - r->lo,
			     PROT_READ | PROT_WRITE) != 0)
			return false;
		r->open = true;
	}
	/* One untorn store: another thread may be calling through the slot
	 * (a lazy binding's old value or the new one, both valid); no other
	 * memory is published with it. */
	__atomic_store_n(slot, v, __ATOMIC_RELAXED);
	return true;
}

static void rebind_relocs(const struct rebind *rb, uintptr_t base,
			  const struct link_map *self,
			  const struct shim_dynamic *d, const ElfW(Rela) *rel,
			  size_t bytes, struct relro *relro)
{
	for (size_t i = 0; rel != NULL && i < bytes / sizeof *rel; i++) {
		unsigned type = ELF64_R_TYPE(rel[i].r_info);
		unsigned idx = ELF64_R_SYM(rel[i].r_info);
		if ((type != ARCH_R_JUMP_SLOT && type != ARCH_R_GLOB_DAT &&
		     type != ARCH_R_ABS) ||
		    idx == 0 || d->symtab[idx].st_shndx != SHN_UNDEF)
			continue;
		const ElfW(Sym) *def = shim_dynamic_lookup(
			&rb->shim, d->strtab + d->symtab[idx].st_name);
		if (def == NULL)
			continue;
		uintptr_t *slot = (uintptr_t *)(base + rel[i].r_offset);
		uintptr_t addend = type == ARCH_R_ABS ? rel[i].r_addend : 0;
		uintptr_t want = rb->shim_base + def->st_value + addend;
		uintptr_t now = *slot;
		if (now == want)
			continue;
		const struct link_map *to = owner(now - addend);
		/* Bound to glibc, or a lazy slot still pointing into the
		 * object's own PLT, which the resolver would bind to glibc
		 * (or, if a dependency of the object's own defines the name,
		 * there: the loader cannot be asked which without its lock,
		 * so such a rare object gets libshim's). */
		if (to == rb->libc_map ||
		    (to == self && type == ARCH_R_JUMP_SLOT))
			if (!relro_write(relro, slot, want))
				return;
	}
}

static int rebind_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct rebind *rb = arg;
	(void)size;
	/* Only objects added since the snapshot, unless some were removed
	 * meanwhile: then all (rebinding is idempotent). */
	if (rb->seen++ < rb->before && info->dlpi_subs == rb->subs)
		return 0;
	const ElfW(Dyn) *dyn = NULL;
	struct relro relro = {0, 0, false};
	long page = sysconf(_SC_PAGESIZE);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_DYNAMIC)
			dyn = (const void *)(info->dlpi_addr + ph->p_vaddr);
		else if (ph->p_type == PT_GNU_RELRO) {
			uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
			relro.lo = lo & -(uintptr_t)page;
			relro.hi = (lo + ph->p_memsz) & -(uintptr_t)page;
		}
	}
	const struct link_map *self = dyn != NULL ? owner((uintptr_t)dyn) : NULL;
	/* Not (yet) registered: still being relocated by another dlopen. */
	if (self == NULL || self == rb->shim_map || self == rb->libc_map)
		return 0;
	struct shim_dynamic d;
	shim_dynamic_read(info->dlpi_addr, dyn, &d);
	if (d.symtab == NULL || d.strtab == NULL)
		return 0;
	rebind_relocs(rb, info->dlpi_addr, self, &d, d.rela, d.relasz, &relro);
	rebind_relocs(rb, info->dlpi_addr, self, &d, d.jmprel, d.jmprelsz,
		      &relro);
	if (relro.open)
		mprotect((void *)relro.lo, relro.hi - relro.lo, PROT_READ);
	return 0;
}

static int count_objects(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct rebind *rb = arg;
	(void)size;
	rb->before++;
	rb->subs = info->dlpi_subs;
	return 0;
}

void *shim_dlopen_deepbind(const char *file, int mode)
{
	void *(*glibc)(const char *, int) =
		atomic_load_explicit(&shim_glibc_dlopen, memory_order_relaxed);
	if (glibc == NULL)
		glibc = shim_glibc_dlopen_lookup();
	struct rebind rb = {0};
	dl_iterate_phdr(count_objects, &rb);
	void *h = glibc(file, mode);
	if (h == NULL)
		return NULL;
	rb.shim_map = owner((uintptr_t)shim_dlopen_deepbind);
	rb.libc_map = owner((uintptr_t)glibc);
	if (rb.shim_map == NULL || rb.libc_map == NULL)
		return h;
	rb.shim_base = rb.shim_map->l_addr;
	shim_dynamic_read(rb.shim_base, rb.shim_map->l_ld, &rb.shim);
	dl_iterate_phdr(rebind_object, &rb);
	return h;
}
