/*
 * libshim/symbol.c -- naming an address without taking a lock (symbol.h).
 *
 * dladdr takes the loader's lock, and the diagnostics name addresses from
 * inside lock calls (the lock-order detector), from signal handlers (the
 * thread dump) and at exit, when a thread inside dlopen may hold that lock
 * while waiting for a mutex held by the thread that names.  So the object
 * is found with _dl_find_object (glibc 2.35: lock-free, async-signal-safe)
 * and the symbol by walking that object's dynamic symbol table ourselves,
 * which is what dladdr would have searched.  A function or variable the
 * object does not export (a static one, or any in an executable linked
 * without -rdynamic) is then looked for in the file's full symbol table,
 * mapped once with open and mmap (system calls, no allocation: still
 * async-signal-safe); in a stripped file it is object+offset.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "compat/lwp.h"
#include "libshim/diag.h"
#include "libshim/symbol.h"

/* The loader relocates the d_ptr entries of a loaded object's dynamic
 * section in place; the vDSO's are left as link-time addresses. */
static uintptr_t dyn_addr(uintptr_t base, ElfW(Addr) p)
{
	return p < base ? base + p : p;
}

void shim_dynamic_read(uintptr_t base, const ElfW(Dyn) *dyn,
		       struct shim_dynamic *d)
{
	memset(d, 0, sizeof *d);
	for (; dyn != NULL && dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t p = dyn_addr(base, dyn->d_un.d_ptr);
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			d->symtab = (const void *)p;
			break;
		case DT_STRTAB:
			d->strtab = (const void *)p;
			break;
		case DT_HASH:
			d->hash = (const void *)p;
			break;
		case DT_GNU_HASH:
			d->gnu = (const void *)p;
			break;
		case DT_RELA:
			d->rela = (const void *)p;
			break;
		case DT_RELASZ:
			d->relasz = dyn->d_un.d_val;
			break;
		case DT_JMPREL:
			d->jmprel = (const void *)p;
			break;
		case DT_PLTRELSZ:
			d->jmprelsz = dyn->d_un.d_val;
			break;
		}
	}
}

/* The GNU hash of a name (the ELF gABI extension's djb2 variant). */
static uint32_t gnu_hash(const char *name)
{
	uint32_t h = 5381;
	for (const unsigned char *c = (const void *)name; *c != '\0'; c++)
		h = h * 33 + *c;
	return h;
}

const ElfW(Sym) *shim_dynamic_lookup(const struct shim_dynamic *d,
				     const char *name)
{
	if (d->gnu == NULL || d->symtab == NULL || d->strtab == NULL)
		return NULL;
	uint32_t nbuckets = d->gnu[0], symoffset = d->gnu[1];
	uint32_t bloom_size = d->gnu[2];
	const uint32_t *buckets =
		d->gnu + 4 + bloom_size * (sizeof(ElfW(Addr)) / 4);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t h = gnu_hash(name);
	/* The chain of bucket h % nbuckets holds the symbols of that
	 * bucket in order; each entry is its symbol's hash with bit 0 set
	 * on the last one. */
	for (uint32_t i = buckets[h % nbuckets]; i >= symoffset; i++) {
		uint32_t ch = chain[i - symoffset];
		const ElfW(Sym) *s = &d->symtab[i];
		if ((ch | 1) == (h | 1) && s->st_shndx != SHN_UNDEF &&
		    strcmp(d->strtab + s->st_name, name) == 0)
			return s;
		if (ch & 1)
			break;
	}
	return NULL;
}

/* The number of dynamic symbols: DT_HASH says it; with only DT_GNU_HASH,
 * one past the highest symbol any hash chain reaches. */
static size_t symbol_count(const uint32_t *hash, const uint32_t *gnu)
{
	if (hash != NULL)
		return hash[1];
	if (gnu == NULL)
		return 0;
	uint32_t nbuckets = gnu[0], symoffset = gnu[1], bloom_size = gnu[2];
	const uint32_t *buckets =
		gnu + 4 + bloom_size * (sizeof(ElfW(Addr)) / 4);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t last = 0;
	for (uint32_t i = 0; i < nbuckets; i++)
		if (buckets[i] > last)
			last = buckets[i];
	if (last < symoffset)
		return symoffset;
	while (!(chain[last - symoffset] & 1))
		last++;
	return last + 1;
}

static size_t copy_str(char *buf, size_t n, const char *s)
{
	size_t i = 0;
	for (; s[i] != '\0' && i + 1 < n; i++)
		buf[i] = s[i];
	if (n != 0)
		buf[i] = '\0';
	return i;
}

static size_t put_hex(char *buf, size_t n, uintptr_t v)
{
	char tmp[20];
	size_t k = 0;
	do {
		tmp[k++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v != 0);
	size_t i = 0;
	if (i + 2 < n) {
		buf[i++] = '0';
		buf[i++] = 'x';
	}
	while (k != 0 && i + 1 < n)
		buf[i++] = tmp[--k];
	if (n != 0)
		buf[i] = '\0';
	return i;
}

/* The symbol of syms[0..count) that addr is in (the object loaded at
 * base): inside a sized one, or the nearest unsized one below, as dladdr
 * chooses. */
static const ElfW(Sym) *best_symbol(const ElfW(Sym) *syms, size_t count,
				    uintptr_t base, uintptr_t addr)
{
	const ElfW(Sym) *best = NULL;
	for (size_t i = 1; i < count; i++) {
		const ElfW(Sym) *s = &syms[i];
		int type = ELF64_ST_TYPE(s->st_info);
		if (s->st_shndx == SHN_UNDEF || s->st_value == 0 ||
		    (type != STT_FUNC && type != STT_OBJECT &&
		     type != STT_GNU_IFUNC))
			continue;
		uintptr_t lo = base + s->st_value;
		if (lo > addr || (s->st_size != 0 && addr >= lo + s->st_size))
			continue;
		if (best == NULL || base + best->st_value < lo)
			best = s;
	}
	return best;
}

/*
 * The full symbol table (.symtab) of an object's file, which also names
 * static functions and variables, mapped read-only once per object and
 * kept: a stripped file has none.  Slots are claimed with a CAS and
 * published by their key, so concurrent callers (a lock call, a signal
 * handler) need no lock; two racing for one object may both map it.
 */
struct symfile {
	_Atomic int claimed;
	_Atomic(const struct link_map *) map; /* set last */
	const ElfW(Sym) *syms;
	size_t count;
	const char *strs;
};
static struct symfile symfiles[32];

static void map_symtab(const struct link_map *map, struct symfile *f)
{
	const char *path = map->l_name != NULL && map->l_name[0] != '\0'
				   ? map->l_name
				   : "/proc/self/exe";
	/* Raw open and close: libshim's are cancellation points, which must
	 * not act inside a lock call or a signal handler. */
	int fd = lwp_open(path, O_RDONLY | O_CLOEXEC, 0);
	struct stat st;
	if (fd < 0)
		return;
	void *p = fstat(fd, &st) == 0 && st.st_size > (off_t)sizeof(ElfW(Ehdr))
			  ? mmap(NULL, (size_t)st.st_size, PROT_READ,
				 MAP_PRIVATE, fd, 0)
			  : MAP_FAILED;
	lwp_close(fd);
	if (p == MAP_FAILED)
		return;
	size_t size = (size_t)st.st_size;
	const ElfW(Ehdr) *eh = p;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_shentsize != sizeof(ElfW(Shdr)) ||
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) > size)
		return;
	const ElfW(Shdr) *sh = (const void *)((const char *)p + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		const ElfW(Shdr) *str = &sh[sh[i].sh_link];
		if (sh[i].sh_offset + sh[i].sh_size > size ||
		    str->sh_offset + str->sh_size > size || str->sh_size == 0 ||
		    ((const char *)p)[str->sh_offset + str->sh_size - 1] != '\0')
			return;
		f->syms = (const void *)((const char *)p + sh[i].sh_offset);
		f->count = sh[i].sh_size / sizeof(ElfW(Sym));
		f->strs = (const char *)p + str->sh_offset;
		return;
	}
}

static const struct symfile *symfile_of(const struct link_map *map)
{
	for (size_t i = 0; i < sizeof symfiles / sizeof *symfiles; i++) {
		struct symfile *f = &symfiles[i];
		if (atomic_load_explicit(&f->map, memory_order_acquire) == map)
			return f;
		int expect = 0;
		if (!atomic_compare_exchange_strong(&f->claimed, &expect, 1))
			continue;
		map_symtab(map, f);
		atomic_store_explicit(&f->map, map, memory_order_release);
		return f;
	}
	return NULL;
}

bool shim_symbolize(uintptr_t addr, char *buf, size_t n)
{
	struct dl_find_object fo;
	if (n == 0)
		return false;
	if (_dl_find_object((void *)addr, &fo) != 0 || fo.dlfo_link_map == NULL) {
		buf[0] = '\0';
		return false;
	}
	const struct link_map *map = fo.dlfo_link_map;
	struct shim_dynamic dyn;
	shim_dynamic_read(map->l_addr, map->l_ld, &dyn);
	const char *strtab = dyn.strtab;
	const ElfW(Sym) *best = NULL;
	if (dyn.symtab != NULL && strtab != NULL)
		best = best_symbol(dyn.symtab, symbol_count(dyn.hash, dyn.gnu),
				   map->l_addr, addr);
	if (best == NULL) {
		/* Not exported: the file's own table may know it. */
		const struct symfile *f = symfile_of(map);
		if (f != NULL && f->syms != NULL) {
			best = best_symbol(f->syms, f->count, map->l_addr, addr);
			strtab = f->strs;
		}
	}
	/* The executable's link map has an empty name. */
	const char *file = map->l_name != NULL && map->l_name[0] != '\0'
				   ? map->l_name
				   : program_invocation_name;
	const char *base = strrchr(file, '/');
	base = base != NULL ? base + 1 : file;
	size_t i = 0;
	if (best != NULL) {
		i += copy_str(buf + i, n - i, strtab + best->st_name);
		i += copy_str(buf + i, n - i, "+");
		i += put_hex(buf + i, n - i,
			     addr - (map->l_addr + best->st_value));
		i += copy_str(buf + i, n - i, " (");
		i += copy_str(buf + i, n - i, base);
		copy_str(buf + i, n - i, ")");
	} else {
		i += copy_str(buf + i, n - i, base);
		i += copy_str(buf + i, n - i, "+");
		put_hex(buf + i, n - i, addr - (uintptr_t)fo.dlfo_map_start);
	}
	return best != NULL;
}

void out_named_object(struct outbuf *o, const void *obj, unsigned kind)
{
	char name[200];
	out_str(o, diag_kind_name(kind));
	out_str(o, " ");
	out_hex(o, (uintptr_t)obj);
	if (shim_symbolize((uintptr_t)obj, name, sizeof name)) {
		out_str(o, " ");
		out_str(o, name);
	}
}

void out_named_stack(struct outbuf *o, const uintptr_t *frames, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char name[200];
		shim_symbolize(frames[i], name, sizeof name);
		out_str(o, "libshim:     #");
		out_dec(o, i);
		out_str(o, " ");
		out_str(o, name[0] ? name : "?");
		out_str(o, "\n");
	}
}
