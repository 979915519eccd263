/* ctl: the guest the control socket's tests drive (tests/control.sh).
 *   mode=count (default): count at ring 3, and every tick_ms=N (100) of
 *     kvm-clock time print "ctl: tick N"; watch the largest step between
 *     two kvm-clock readings in a row.  After seconds=S (5) of kvm-clock
 *     time print "ctl: count ticks=N clock_ms=.. tsc_ms=.. max_gap_ms=.."
 *     and exit 0.  A pause whose time the host takes out of kvm-clock shows
 *     as tsc_ms - clock_ms (the TSC runs on), not as a gap.
 *   mode=kbd: the keyboard controller's interrupt (IOAPIC pin 1, edge):
 *     print "ctl: keyboard ready", then on Ctrl-Alt-Del (scancodes 1d 38
 *     e0 53, as the i8042 translates them) "ctl: ctrl-alt-del" and exit 0,
 *     or with ignore=1 "ctl: ignoring ctrl-alt-del" and wait for ever. */
#include "rt.h"

#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KBD_VEC 0x32

static volatile struct {
	u32 version, pad0;
	u64 tsc_timestamp, system_time;
	u32 mul;
	signed char shift;
	u8 flags, pad[2];
} pvti __attribute__((aligned(64)));

static volatile int done;
static volatile u32 last4;

static u64 clock_ns(void)
{
	u32 v;
	u64 t;
	do {
		v = pvti.version;
		__asm__ volatile("" ::: "memory");
		u64 d = rdtsc() - pvti.tsc_timestamp;
		d = pvti.shift >= 0 ? d << pvti.shift : d >> -pvti.shift;
		t = pvti.system_time + (u64)(((unsigned __int128)d * pvti.mul) >> 32);
		__asm__ volatile("" ::: "memory");
	} while ((v & 1) || v != pvti.version);
	return t;
}

static void count(void *unused)
{
	(void)unused;
	u64 seconds = rt_arg("seconds", 5), tick = rt_arg("tick_ms", 100) * 1000000;
	u64 t0 = clock_ns(), c0 = rdtsc(), last = t0, next = t0 + tick, gap = 0, ticks = 0, n = 0;
	for (u64 t = t0; t - t0 < seconds * 1000000000ULL; t = clock_ns(), n++) {
		gap = t - last > gap ? t - last : gap;
		last = t;
		if (t >= next) {
			rt_printf("ctl: tick %lu\n", ++ticks);
			next += tick;
		}
	}
	rt_printf("ctl: count ticks=%lu loops=%lu clock_ms=%lu tsc_ms=%lu max_gap_ms=%lu\n", ticks, n,
		  (last - t0) / 1000000, rt_tsc_ns(rdtsc() - c0) / 1000000, gap / 1000000);
}

static void on_kbd(struct rt_frame *f)
{
	(void)f;
	while (inb(0x64) & 1) {
		last4 = last4 << 8 | inb(0x60);
		done |= last4 == 0x1d38e053;
	}
	lapic_eoi();
}

static void wait_kbd(void *unused)
{
	(void)unused;
	while (!done)
		cpu_relax();
}

int main(void)
{
	if (rt_arg_is("mode", "kbd")) {
		rt_set_handler(KBD_VEC, on_kbd);
		lapic_enable();
		rt_ioapic_route(1, KBD_VEC, 0);
		outb(0x60, 0x64);                           /* write the controller's configuration: */
		outb(0x45, 0x60);                           /* translate, system flag, keyboard interrupt */
		rt_puts("ctl: keyboard ready\n");
		rt_run_user(wait_kbd, NULL, 1);
		rt_puts("ctl: ctrl-alt-del\n");
		if (!rt_arg("ignore", 0))
			return 0;
		rt_puts("ctl: ignoring ctrl-alt-del\n");
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	rt_tsc_hz();                                        /* (its first call is at ring 0) */
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (u64)&pvti | 1);
	for (u64 t0 = rdtsc(); !pvti.mul && rdtsc() - t0 < 1000000000;)
		cpu_relax();
	if (!pvti.mul) {
		rt_puts("ctl: no kvm-clock\n");
		return 1;
	}
	rt_run_user(count, NULL, 0);
	return 0;
}
