/*
 * test/unit/testutil.h -- what several unit tests need: deadlines and
 * elapsed time on a given clock, running a call in another thread, a
 * child process that holds a shared mutex, a thread's state and
 * priority as the kernel reports them, and a thread held up in a signal
 * handler.
 */
#ifndef SHIM_TESTUTIL_H
#define SHIM_TESTUTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

/* Now plus ms on clock, normalised: a deadline for the timed calls. */
struct timespec deadline_in(clockid_t clock, long ms);

/* Milliseconds on clock since start. */
long ms_since(clockid_t clock, const struct timespec *start);

/* Run fn(arg) in a new thread, join it, return its result as an int
 * (the errno-style result of the call it made). */
int in_thread(void *(*fn)(void *), void *arg);

/* For in_thread: a mutex call made by a thread that is not the caller. */
void *mutex_lock_op(void *m);
void *mutex_trylock_op(void *m);
void *mutex_unlock_op(void *m);

/* Fork a child that takes m (in shared memory) with lock, sets *held
 * (shared too) and waits to be killed; returns its pid once it holds m. */
pid_t fork_holder(pthread_mutex_t *m, int (*lock)(pthread_mutex_t *),
		  _Atomic int *held);

/* Field number field (from 1, as proc(5) counts) of
 * /proc/self/task/tid/stat: the state character for field 3, else the
 * number; LONG_MIN if it cannot be read. */
long task_stat_field(pid_t tid, int field);

/* Whether thread tid is asleep ('S' in /proc/self/task/tid/stat). */
bool thread_asleep(pid_t tid);

/* Hold thread t up in a SIGUSR1 handler (installed here) until
 * release_stalled: a wake-up posted to it meanwhile cannot make it run.
 * Returns once the handler has started.  One thread at a time. */
void stall_thread(pthread_t t);
void release_stalled(void);

#endif

/*
 * What a user-mode emulator (qemu-user, doc/aarch64.md) cannot give a
 * test, probed rather than assumed: testutil_emulated() is true when
 * /proc reports another system call than the read(2) the calling thread
 * is in (the emulator's host call).  TESTUTIL_SKIP(why) skips the calling
 * cmocka test with its reason; testutil_status(failed) is then 77 (the
 * binary is a skip, never a pass) unless a test failed.
 */
bool testutil_emulated(void);
void testutil_note_skip(const char *why);
#define TESTUTIL_SKIP(why)                                                     \
	do {                                                                   \
		testutil_note_skip(why);                                       \
		skip();                                                        \
	} while (0)
int testutil_status(int failed);

/* The kernel keeps no robust futex list for this process (ENOSYS:
 * qemu-user), so an owner's death is never reported to its mutexes. */
bool testutil_no_robust_lists(void);
