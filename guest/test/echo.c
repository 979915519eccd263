/* echo: the serial port's receive side, driven by its interrupt.  Turns on
 * COM1's receive interrupt (IER bit 0, MCR OUT2), routes IOAPIC pin 4 to
 * vector 0x31 (level-triggered), then waits at ring 3 with IF=1.  The
 * handler drains RBR while LSR says data is ready, echoes each byte
 * upper-cased (unless quiet=1) and sums them.  A '.' ends it: prints
 * "echo: bytes=N sum=S irqs=I" and exits 0; no '.' within tsc_limit=
 * cycles exits 1.  fcr_wait=N: first wait N cycles without reading, then
 * clear the receive FIFO (FCR), as Linux's 8250 driver does at start-up. */
#include "rt.h"

#define COM1 0x3f8
#define ECHO_VEC 0x31

static volatile u64 bytes, sum, irqs;
static volatile int done;
static int quiet;

static void on_rx(struct rt_frame *f)
{
	(void)f;
	irqs++;
	while (inb(COM1 + 5) & 1) {
		u8 c = inb(COM1);
		bytes++;
		sum += c;
		if (!quiet)
			rt_putc(c >= 'a' && c <= 'z' ? (char)(c - 32) : (char)c);
		if (c == '.')
			done = 1;
	}
	lapic_eoi();
}

static void wait_dot(void *unused)
{
	(void)unused;
	u64 t0 = rdtsc(), limit = rt_arg("tsc_limit", 20000000000UL);
	while (!done && rdtsc() - t0 < limit)
		cpu_relax();
}

int main(void)
{
	quiet = (int)rt_arg("quiet", 0);
	if (rt_arg("fcr_wait", 0)) {
		for (u64 t0 = rdtsc(), n = rt_arg("fcr_wait", 0); rdtsc() - t0 < n;)
			cpu_relax();
		outb(0x07, COM1 + 2);                    /* FIFO on, both cleared */
	}
	rt_set_handler(ECHO_VEC, on_rx);
	lapic_enable();
	rt_ioapic_route(4, ECHO_VEC, 1);
	outb(0x0b, COM1 + 4);                            /* DTR RTS OUT2 */
	outb(0x01, COM1 + 1);                            /* receive interrupt */
	rt_puts("echo: ready\n");
	rt_run_user(wait_dot, NULL, 1);
	outb(0, COM1 + 1);
	rt_printf("\necho: bytes=%lu sum=%lu irqs=%lu\n", bytes, sum, irqs);
	return done ? 0 : 1;
}
