/* smp: starts every AP listed in the MP table (or ACPI MADT) with
 * INIT-SIPI-SIPI and counts them.  The APs run the real-mode trampoline at
 * 0x8000 (rt/entry.S), reach long mode, bump cpus_up and park in cli;hlt.
 * The BSP side runs at ring 3 (LAPIC MMIO and delays are fine there).
 * Prints "cpus_started=<n> of <M>" (BSP included); exit 0 if n == M. */
#include "rt.h"

static u8 ids[RT_MAX_CPUS];
static int ncpus;
static const char *source;
static volatile u32 cpus_up = 1;	/* the BSP */

static void ap_hello(int index)
{
	(void)index;
	__atomic_fetch_add(&cpus_up, 1, __ATOMIC_SEQ_CST);
}

/* Wait about 'us' microseconds, assuming a TSC of at least 1 GHz. */
static void delay_us(u64 us)
{
	u64 t0 = rdtsc();
	while (rdtsc() - t0 < us * 1000)
		cpu_relax();
}

static void start_aps(void *unused)
{
	(void)unused;
	u32 self = lapic_id();

	ncpus = rt_cpu_apic_ids(ids, RT_MAX_CPUS, &source);
	rt_install_trampoline();
	for (int i = 0; i < ncpus; i++) {
		if (ids[i] == self)
			continue;
		lapic_send_init(ids[i]);
		delay_us(10000);
		lapic_send_sipi(ids[i], RT_TRAMPOLINE >> 12);
		delay_us(200);
		lapic_send_sipi(ids[i], RT_TRAMPOLINE >> 12);
		delay_us(200);
	}
	/* Wait up to ~5 s (at 1 GHz) for everyone to check in. */
	u64 t0 = rdtsc();
	while (cpus_up < (u32)ncpus && rdtsc() - t0 < rt_arg("tsc_limit", 5000000000UL))
		cpu_relax();
}

int main(void)
{
	rt_ap_fn = ap_hello;
	lapic_enable();
	rt_run_user(start_aps, NULL, 0);
	rt_printf("cpu source=%s bsp_apic_id=%u\n", source, lapic_id());
	rt_printf("cpus_started=%u of %d\n", cpus_up, ncpus);
	return ncpus > 0 && cpus_up == (u32)ncpus ? 0 : 1;
}
