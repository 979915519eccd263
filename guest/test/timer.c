/* timer: LAPIC timer interrupts delivered to ring 3.  Programs the LAPIC
 * timer periodic on vector 0x30 (divide 16, initial count period=, default
 * 625000: 10 ms on KVM's and QEMU's 1 GHz APIC clock), then busy-waits at
 * ring 3 with IF=1 until ticks=N (default 10) interrupts have arrived or
 * about tsc_limit= TSC cycles (default 5e9, ~5 s at 1 GHz) have passed. */
#include "rt.h"

#define TIMER_VEC 0x30

static volatile u64 ticks;
static u64 want, limit;
static int timed_out;

static void on_tick(struct rt_frame *f)
{
	(void)f;
	ticks++;
	lapic_eoi();
}

static void wait_ticks(void *unused)
{
	(void)unused;
	u64 t0 = rdtsc();
	while (ticks < want)
		if (rdtsc() - t0 > limit) {
			timed_out = 1;
			return;
		}
}

int main(void)
{
	want = rt_arg("ticks", 10);
	limit = rt_arg("tsc_limit", 5000000000UL);
	rt_set_handler(TIMER_VEC, on_tick);
	lapic_enable();
	lapic_timer_periodic(TIMER_VEC, (u32)rt_arg("period", 625000));
	rt_run_user(wait_ticks, NULL, 1);
	lapic_timer_stop();
	rt_printf("timer ticks=%lu\n", ticks);
	if (timed_out)
		rt_puts("timer: timed out\n");
	return timed_out ? 1 : 0;
}
