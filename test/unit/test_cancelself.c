/*
 * tst-cancel-self, tst-cancel-self-cancelstate (glibc 2.36's nptl tests):
 * a thread that cancels itself (deferred) and then writes with stdio.
 * The write inside libc is glibc's own cancellation point: it acts on
 * glibc's bit and unwinds with glibc's unwinder into the thread's cleanup
 * handlers.  Built twice (meson.build): without -fexceptions, as glibc's
 * tests are, pthread_cleanup_push registers a buffer with
 * __pthread_register_cancel, which glibc's unwinder longjmps into; with
 * it, the handlers are cleanups the unwinder runs as landing pads.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

/* Each stream is unbuffered over a pipe: every fputs is one write. */
struct self_cancel {
	FILE *out;          /* the pipe's write end */
	int order[4];       /* which handler ran, in the order they ran */
	_Atomic int ran;
	bool disable_first; /* cancel with the state disabled */
	bool nested;        /* an inner handler calling cancellation points */
	bool exit_in_handler; /* the inner one calls pthread_exit at once */
	_Atomic int after;  /* steps reached that a cancellation skips */
};

static FILE *pipe_stream(int fds[2])
{
	assert_int_equal(pipe(fds), 0);
	FILE *f = fdopen(fds[1], "w");
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	return f;
}

static void note_outer(void *arg)
{
	struct self_cancel *sc = arg;
	sc->order[sc->ran++] = 1;
}

/* Cancellation points while glibc's unwinding is under way: libc's own
 * (fputs's write), libshim's (write, usleep, pthread_testcancel).  None
 * may act a second time or run this handler again. */
static void note_inner(void *arg)
{
	struct self_cancel *sc = arg;
	if (sc->ran == 4)
		abort(); /* run over and over */
	sc->order[sc->ran++] = 2;
	if (sc->exit_in_handler)
		pthread_exit((void *)7); /* the first thing libshim sees */
	fputs("inner\n", sc->out);
	if (write(fileno(sc->out), "w", 1) != 1)
		sc->after += 100;
	usleep(1);
	pthread_testcancel();
}

static void *cancel_self_then_write(void *arg)
{
	struct self_cancel *sc = arg;
	pthread_cleanup_push(note_outer, sc);
	if (sc->disable_first)
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	if (pthread_cancel(pthread_self()) != 0)
		return NULL;
	if (sc->disable_first) {
		fputs("disabled\n", sc->out); /* must not act */
		sc->after++;
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	}
	if (sc->nested) {
		pthread_cleanup_push(note_inner, sc);
		fputs("cancelled here\n", sc->out);
		sc->after += 10;
		pthread_cleanup_pop(0);
	} else {
		fputs("cancelled here\n", sc->out);
		sc->after += 10;
	}
	pthread_cleanup_pop(0);
	return (void *)1;
}

static void run_self_cancel(struct self_cancel *sc, void *expect)
{
	int fds[2];
	sc->out = pipe_stream(fds);
	pthread_t t;
	void *res = NULL;
	assert_int_equal(pthread_create(&t, NULL, cancel_self_then_write, sc), 0);
	assert_int_equal(pthread_join(t, &res), 0);
	fclose(sc->out);
	close(fds[0]);
	assert_ptr_equal(res, expect);
}

static void test_cancel_self_printf(void **state)
{
	(void)state;
	struct self_cancel sc = { 0 };
	run_self_cancel(&sc, PTHREAD_CANCELED);
	assert_int_equal(sc.ran, 1);
	assert_int_equal(sc.after, 0);
}

/* tst-cancel-self-cancelstate: disabled while cancelled, a write goes
 * through; enabled again, the next one acts. */
static void test_cancel_self_enabled_later(void **state)
{
	(void)state;
	struct self_cancel sc = { .disable_first = true };
	run_self_cancel(&sc, PTHREAD_CANCELED);
	assert_int_equal(sc.ran, 1);
	assert_int_equal(sc.after, 1);
}

/* Each handler runs once, innermost first, though the inner one calls
 * cancellation points during the unwinding, or (exits) ends the thread
 * itself with result 7. */
static void check_nested(bool exits)
{
	struct self_cancel sc = { .nested = true, .exit_in_handler = exits };
	run_self_cancel(&sc, exits ? (void *)7 : PTHREAD_CANCELED);
	assert_int_equal(sc.ran, 2);
	assert_int_equal(sc.order[0], 2);
	assert_int_equal(sc.order[1], 1);
	assert_int_equal(sc.after, 0);
}

static void test_cancel_self_handler_no_recursion(void **state)
{
	(void)state;
	check_nested(false);
}

static void test_cancel_self_handler_exits(void **state)
{
	(void)state;
	check_nested(true);
}

/* The same in the main thread (tst-cancel-self's own case), in a child:
 * the handler runs, the unwinding goes on past main's frames, and the
 * process, its last thread gone, exits 0. */
static int main_report = -1;

static void note_main(void *arg)
{
	(void)arg;
	if (write(main_report, "h", 1) != 1)
		_exit(3);
}

static void test_cancel_self_printf_main(void **state)
{
	(void)state;
	int rep[2];
	assert_int_equal(pipe(rep), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(rep[0]);
		main_report = rep[1];
		int fds[2];
		FILE *f = pipe_stream(fds);
		pthread_cleanup_push(note_main, NULL);
		pthread_cancel(pthread_self());
		fputs("cancelled here\n", f);
		_exit(2); /* no cancellation point of libshim's on the way */
		pthread_cleanup_pop(0);
	}
	close(rep[1]);
	char got[8] = { 0 };
	ssize_t n = read(rep[0], got, sizeof got);
	close(rep[0]);
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got[0], 'h');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cancel_self_printf),
		cmocka_unit_test(test_cancel_self_enabled_later),
		cmocka_unit_test(test_cancel_self_handler_no_recursion),
		cmocka_unit_test(test_cancel_self_handler_exits),
		cmocka_unit_test(test_cancel_self_printf_main),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
