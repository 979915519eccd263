/* hello: the smallest guest.  Prints a greeting on COM1 and exits with the
 * status given as "status=N" on the command line (default 0). */
#include "rt.h"

int main(void)
{
	rt_puts("hello from the lguest test guest\n");
	return (int)rt_arg("status", 0);
}
