/*
 * test/preload/execstack_mod.c -- a library that needs an executable
 * stack (linked -z execstack): tryme() calls a GCC nested function
 * through a pointer, which runs a trampoline written on the caller's
 * stack.  It faults where the stack is not executable.
 */
int tryme(int x)
{
	int bias = x;
	int add(int y)
	{
		return y + bias;
	}
	int (*volatile f)(int) = add;
	return f(1);
}
