/* hello: the smallest guest.  Prints a greeting on COM1 and exits with the
 * status given as "status=N" on the command line (default 0).  For the
 * launcher's own tests:
 *   lines=N  print the greeting N times (a guest that talks a lot)
 *   term=1   set the alternate screen, mouse reporting and bracketed paste,
 *            hide the cursor, as a full-screen program would, and leave them
 *   panic=1  print a Linux kernel's panic report and hang, as a kernel
 *            without panic= does (panic=2: its first line only)
 *   rtc=1    read the CMOS clock's seconds first ("rtc_seconds=0xNN", BCD) */
#include "rt.h"

static void hang(void)
{
	u64 t0 = rdtsc();
	while (rdtsc() - t0 < rt_arg("tsc_limit", 100000000000UL))
		cpu_relax();
}

int main(void)
{
	if (rt_arg("rtc", 0)) {
		outb(0x00, 0x70);
		rt_printf("rtc_seconds=0x%x\n", inb(0x71));
	}
	for (u64 i = rt_arg("lines", 1); i; i--)
		rt_puts("hello from the lguest test guest\n");
	if (rt_arg("term", 0))
		rt_puts("\033[?1049h\033[?1000;1006h\033[?2004h\033[?25l\033[?47h\033[?47lfull screen\n");
	if (rt_arg("panic", 0)) {
		rt_puts("[    1.000000] Kernel panic - not syncing: hello panics\n");
		if (rt_arg("panic", 0) == 1)
			rt_puts("[    1.000001] ---[ end Kernel panic - not syncing: hello panics ]---\n");
		hang();
		return 1;
	}
	return (int)rt_arg("status", 0);
}
