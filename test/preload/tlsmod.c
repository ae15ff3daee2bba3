/*
 * test/preload/tlsmod.c -- a shared library loaded with dlopen by
 * dlopen_tls.c.  Its __thread variables live in dynamic TLS (general-dynamic
 * model, reached through __tls_get_addr), so each thread gets its copy,
 * initialised from the TLS image, the first time it touches them -- also a
 * thread that was already running when the library was loaded.  It also makes
 * threads itself: a library loaded after start-up binds pthread_create to
 * libshim too, since LD_PRELOAD objects come first in every lookup.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define TLSMOD_INITIAL 42

__thread int tlsmod_counter = TLSMOD_INITIAL;
__thread char tlsmod_name[32];

int tlsmod_initial(void)
{
	return TLSMOD_INITIAL;
}

int tlsmod_bump(int by)
{
	return tlsmod_counter += by;
}

int *tlsmod_counter_addr(void)
{
	return &tlsmod_counter;
}

void tlsmod_set_name(const char *name)
{
	snprintf(tlsmod_name, sizeof tlsmod_name, "%s", name);
}

const char *tlsmod_name_of_thread(void)
{
	return tlsmod_name;
}

/* A fresh thread starts with the initial value, not its creator's. */
static void *spawned(void *arg)
{
	intptr_t id = (intptr_t)arg;
	int ok = tlsmod_counter == TLSMOD_INITIAL && tlsmod_name[0] == '\0';

	tlsmod_bump((int)id);
	ok = ok && tlsmod_counter == TLSMOD_INITIAL + id;
	return (void *)(intptr_t)ok;
}

/* Starts n threads from inside the library; returns how many saw their own
 * fresh TLS, or -1 if one could not be started. */
int tlsmod_spawn(int n)
{
	pthread_t t[16];
	int ok = 0;

	if (n > 16)
		return -1;
	tlsmod_bump(1000);	/* the caller's copy; the new threads must not see it */
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, spawned, (void *)(intptr_t)(i + 1)) != 0)
			return -1;
	for (int i = 0; i < n; i++) {
		void *r;
		pthread_join(t[i], &r);
		ok += (int)(intptr_t)r;
	}
	return ok;
}
