/* ioloop: the port-I/O benchmark.  Does count=N (default 100000) "outb" to
 * port=P (default 0x80) in a tight loop timed with rdtsc, and prints the TSC
 * cycles.  ring=0 (default) loops in the kernel; ring=3 loops at CPL 3 with
 * IOPL 3, which is native on hosts that honour IOPL but on kvm-pvm turns
 * every outb into a #GP that the runtime emulates (see emulated_io=). */
#include "rt.h"

static u64 count, cycles;
static u16 port;

static void loop(void *unused)
{
	(void)unused;
	u64 t0 = rdtsc();
	for (u64 i = 0; i < count; i++)
		outb(0, port);
	cycles = rdtsc() - t0;
}

int main(void)
{
	int ring = rt_arg("ring", 0) == 3 ? 3 : 0;

	count = rt_arg("count", 100000);
	port = (u16)rt_arg("port", 0x80);
	if (ring == 3)
		rt_run_user(loop, NULL, 0);
	else
		loop(NULL);
	rt_printf("ioloop ring=%d port=0x%x emulated_io=%lu\n", ring, port, rt_io_emulated);
	rt_printf("ioloop count=%lu tsc_cycles=%lu\n", count, cycles);
	return 0;
}
