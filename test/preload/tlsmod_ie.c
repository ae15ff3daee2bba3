/*
 * test/preload/tlsmod_ie.c -- a library loaded with dlopen by
 * dlopen_static_tls.c whose __thread variable is initial-exec: it lives in
 * the static TLS of every thread (glibc's surplus), at a fixed offset from
 * the thread pointer.  dlopen must copy its initial value into each thread
 * already running, since no later access goes through __tls_get_addr.
 */
#define TLSMOD_IE_INITIAL 4242

__attribute__((tls_model("initial-exec"))) __thread int tlsmod_ie_var =
	TLSMOD_IE_INITIAL;

int tlsmod_ie_initial(void)
{
	return TLSMOD_IE_INITIAL;
}

int tlsmod_ie_get(void)
{
	return tlsmod_ie_var;
}
