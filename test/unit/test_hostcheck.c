/*
 * compat/glibc/tcb.c's start-up check: on a host glibc whose layout it does
 * not recognise, libshim must refuse to run -- a clear message and exit
 * status 127 -- rather than build TCBs at the wrong offsets.
 *
 * This test binary defines glibc's libthread_db descriptor for
 * struct pthread's tid field with a wrong offset; linked statically with
 * libshim's archive, the check's reference binds to this definition
 * instead of glibc's, so the check sees "a different glibc".
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

/* {bits, count, offset}: glibc 2.36 says {32, 1, 720}. */
const unsigned int _thread_db_pthread_tid[3] = {32, 1, 724};

static void *noop(void *arg)
{
	return arg;
}

static void test_refuses_unknown_layout(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		pthread_t t;
		pthread_create(&t, NULL, noop, NULL); /* the check runs here */
		_exit(0);
	}
	close(p[1]);
	char buf[512] = "";
	size_t n = 0;
	ssize_t r;
	while (n < sizeof buf - 1 &&
	       (r = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
		n += (size_t)r;
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 127);
	assert_non_null(strstr(buf, "libshim: unsupported host C library"));
	assert_non_null(strstr(buf, "pthread.tid"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refuses_unknown_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
