/*
 * bench/empty_preload.c -- a shared library with nothing in it, preloaded by
 * bench_startup -e: what the loader charges for preloading any library at
 * all (opening, mapping, one more object in every symbol lookup).  The
 * floor of libshim's own start-up cost.
 */
int bench_empty_preload_marker;
