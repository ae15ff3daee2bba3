/*
 * libshim/sem_named.c -- named semaphores: sem_open, sem_close, sem_unlink.
 *
 * Named semaphores live in /dev/shm/sem.NAME, created as glibc creates
 * them: the initial contents are written to a temporary file, which is
 * then link()ed to the final name, so no process can ever map a
 * half-initialised semaphore, and O_EXCL is decided by link's EEXIST.  A
 * process maps each semaphore once: sem_open looks the file up in a table
 * keyed, as glibc's, by device, inode and the name as given, returns the
 * existing address with a reference added, and sem_close unmaps it when
 * the last reference goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libshim/lock.h"
#include "libshim/nocancel.h"
#include "libshim/shim.h"
#include "libshim/thread.h"
#include "common/visibility.h"

#define SEM_DIR "/dev/shm/"
#define SEM_PREFIX "sem."
#define SEM_TMP_SUFFIX "XXXXXX"
#define SEM_TMP_TRIES 50

/* glibc's buffer: the directory, the prefix and NAME_MAX characters. */
struct sem_path {
	char p[sizeof SEM_DIR + sizeof SEM_PREFIX - 1 + NAME_MAX];
};

/* The file for a semaphore name: leading slashes are skipped; an empty
 * rest, one with a slash or one too long for the buffer is invalid. */
static bool sem_path_of(struct sem_path *path, const char *name)
{
	while (*name == '/')
		name++;
	size_t len = strlen(name);
	if (len == 0 || memchr(name, '/', len) != NULL ||
	    sizeof SEM_DIR - 1 + sizeof SEM_PREFIX - 1 + len >= sizeof path->p)
		return false;
	memcpy(path->p, SEM_DIR SEM_PREFIX, sizeof SEM_DIR SEM_PREFIX - 1);
	memcpy(path->p + sizeof SEM_DIR SEM_PREFIX - 1, name, len + 1);
	return true;
}

/* The semaphores this process has mapped. */
struct sem_mapping {
	struct sem_mapping *m_next;
	dev_t m_dev;
	ino_t m_ino;
	int m_refs;
	sem_t *m_sem;
	char m_name[]; /* as the caller spelled it, like glibc's key */
};

static struct sem_mapping *sem_mappings;
static shim_lock_t sem_mappings_lock = SHIM_LOCK_INIT;

/*
 * Return this process's mapping of the semaphore file open on fd, adding a
 * reference; map it (or adopt mapped, the caller's fresh mapping of it)
 * if there is none yet.  A mapped that is not returned is unmapped.
 * SEM_FAILED with errno set on failure.
 */
static sem_t *sem_mapping_get(const char *name, int fd, sem_t *mapped)
{
	sem_t *result = SEM_FAILED;
	struct stat st;
	if (fstat(fd, &st) != 0)
		goto out;
	shim_lock(&sem_mappings_lock);
	struct sem_mapping *m;
	for (m = sem_mappings; m != NULL; m = m->m_next)
		if (m->m_dev == st.st_dev && m->m_ino == st.st_ino &&
		    strcmp(m->m_name, name) == 0)
			break;
	if (m != NULL) {
		m->m_refs++;
		result = m->m_sem;
	} else if ((m = malloc(sizeof *m + strlen(name) + 1)) != NULL) {
		if (mapped == SEM_FAILED) {
			void *p = mmap(NULL, sizeof(sem_t),
				       PROT_READ | PROT_WRITE, MAP_SHARED, fd,
				       0);
			mapped = p == MAP_FAILED ? SEM_FAILED : p;
		}
		if (mapped != SEM_FAILED) {
			m->m_dev = st.st_dev;
			m->m_ino = st.st_ino;
			m->m_refs = 1;
			m->m_sem = mapped;
			strcpy(m->m_name, name);
			m->m_next = sem_mappings;
			sem_mappings = m;
			result = mapped;
		} else {
			free(m);
		}
	}
	shim_unlock(&sem_mappings_lock);
out:
	if (mapped != SEM_FAILED && mapped != result) {
		int save = errno;
		munmap(mapped, sizeof(sem_t));
		errno = save;
	}
	return result;
}

/* Six characters for a temporary name; O_EXCL makes any choice safe, the
 * mixing only makes collisions between processes unlikely. */
static void sem_tmp_fill(char *x, uint64_t *seed)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789";
	for (int i = 0; i < 6; i++) {
		*seed = *seed * 6364136223846793005u + 1442695040888963407u;
		x[i] = set[(*seed >> 33) % (sizeof set - 1)];
	}
}

/*
 * Create the semaphore file at path with its contents in place: write a
 * temporary file, map it, link it to path.  Returns the new mapping, or
 * SEM_FAILED with errno set (EEXIST when path already exists).
 */
static sem_t *sem_create(const char *name, const struct sem_path *path,
			 mode_t mode, unsigned value)
{
	sem_t init;
	memset(&init, 0, sizeof init);
	sem_init(&init, 1, value);

	char tmp[] = SEM_DIR SEM_PREFIX SEM_TMP_SUFFIX;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t seed = (uint64_t)now.tv_nsec ^ (uint64_t)now.tv_sec << 30 ^
			(uint64_t)shim_tid() << 12;
	int fd = -1;
	for (int tries = 0; fd < 0; tries++) {
		if (tries == SEM_TMP_TRIES) {
			errno = EAGAIN;
			return SEM_FAILED;
		}
		sem_tmp_fill(tmp + sizeof tmp - 1 - 6, &seed);
		fd = nocancel_open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
				   mode);
		if (fd < 0 && errno != EEXIST)
			return SEM_FAILED;
	}

	sem_t *result = SEM_FAILED;
	if (nocancel_write(fd, &init, sizeof init) == (ssize_t)sizeof init) {
		void *p = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd, 0);
		if (p != MAP_FAILED) {
			if (link(tmp, path->p) == 0) {
				result = sem_mapping_get(name, fd, p);
			} else {
				int save = errno;
				munmap(p, sizeof(sem_t));
				errno = save;
			}
		}
	}
	int save = errno;
	unlink(tmp);
	nocancel_close(fd);
	errno = save;
	return result;
}

/* Open an existing semaphore file; SEM_FAILED with errno set. */
static sem_t *sem_attach(const char *name, const struct sem_path *path,
			 int oflag)
{
	int fd = nocancel_open(path->p, (oflag & ~(O_CREAT | O_ACCMODE)) |
					       O_NOFOLLOW | O_RDWR | O_CLOEXEC,
			       0);
	if (fd < 0)
		return SEM_FAILED;
	sem_t *result = sem_mapping_get(name, fd, SEM_FAILED);
	int save = errno;
	nocancel_close(fd);
	errno = save;
	return result;
}

static sem_t *sem_open_path(const char *name, const struct sem_path *path,
			    int oflag, mode_t mode, unsigned value)
{
	if (!(oflag & O_CREAT))
		return sem_attach(name, path, oflag);
	if (value > SEM_VALUE_MAX) {
		errno = EINVAL;
		return SEM_FAILED;
	}
	/* Without O_EXCL, an existing file is opened; one that vanishes
	 * between our open and our link is simply tried again. */
	for (;;) {
		if (!(oflag & O_EXCL)) {
			sem_t *s = sem_attach(name, path, oflag);
			if (s != SEM_FAILED || errno != ENOENT)
				return s;
		}
		sem_t *s = sem_create(name, path, mode, value);
		if (s != SEM_FAILED || errno != EEXIST || (oflag & O_EXCL))
			return s;
	}
}

SHIM_EXPORT sem_t *sem_open(const char *name, int oflag, ...)
{
	struct sem_path path;
	if (!sem_path_of(&path, name)) {
		errno = EINVAL;
		return SEM_FAILED;
	}
	mode_t mode = 0;
	unsigned value = 0;
	if (oflag & O_CREAT) {
		va_list ap;
		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		value = va_arg(ap, unsigned);
		va_end(ap);
	}
	/* Not cancellable half-way: that would leak a temporary file, a
	 * mapping or a descriptor. */
	int cancel_state;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
	sem_t *s = sem_open_path(name, &path, oflag, mode, value);
	int save = errno;
	pthread_setcancelstate(cancel_state, NULL);
	errno = save;
	return s;
}

SHIM_EXPORT int sem_close(sem_t *s)
{
	int err = EINVAL;
	shim_lock(&sem_mappings_lock);
	for (struct sem_mapping **pm = &sem_mappings; *pm != NULL;
	     pm = &(*pm)->m_next) {
		struct sem_mapping *m = *pm;
		if (m->m_sem != s)
			continue;
		err = 0;
		if (--m->m_refs == 0) {
			*pm = m->m_next;
			if (munmap(m->m_sem, sizeof(sem_t)) != 0)
				err = EINVAL;
			free(m);
		}
		break;
	}
	shim_unlock(&sem_mappings_lock);
	return err ? shim_fail(err) : 0;
}

SHIM_EXPORT int sem_unlink(const char *name)
{
	struct sem_path path;
	if (!sem_path_of(&path, name))
		return shim_fail(ENOENT);
	if (unlink(path.p) != 0)
		return shim_fail(errno == EPERM ? EACCES : errno);
	return 0;
}

/* fork: the table of named semaphores stays consistent in the child. */
void sem_fork_prepare(void)
{
	shim_lock(&sem_mappings_lock);
}

void sem_fork_parent(void)
{
	shim_unlock(&sem_mappings_lock);
}

void sem_fork_child(void)
{
	shim_lock_init(&sem_mappings_lock);
}
