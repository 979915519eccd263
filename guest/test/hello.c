/* hello: the smallest guest.  Prints a greeting on COM1 and exits with the
 * status given as "status=N" on the command line (default 0); with rtc=1 it
 * reads the CMOS clock's seconds first ("rtc_seconds=0xNN", BCD). */
#include "rt.h"

int main(void)
{
	if (rt_arg("rtc", 0)) {
		outb(0x00, 0x70);
		rt_printf("rtc_seconds=0x%x\n", inb(0x71));
	}
	rt_puts("hello from the lguest test guest\n");
	return (int)rt_arg("status", 0);
}
