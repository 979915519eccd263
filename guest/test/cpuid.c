/* cpuid: what CPUID tells each vCPU.  On every CPU (the BSP, and each AP
 * started through the MP table) reads leaf 1 (initial APIC ID in EBX[31:24],
 * the hypervisor bit ECX[31]) and, on the BSP, the hypervisor leaves at
 * 0x40000000 (signature "KVMKVMKVM", highest leaf) and 0x40000001 (KVM
 * paravirt features).  Prints one line per CPU:
 *   cpuid cpu=<index> lapic=<LAPIC ID register> leaf1_apic=<n> hv=<0|1>
 * and "cpuid signature=<12 chars> max=0x.. kvm_features=0x..". */
#include "rt.h"

static void cpuid(u32 leaf, u32 r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

static volatile u32 lock, reported;

static void report(int index)
{
	u32 r[4];
	cpuid(1, r);
	while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	rt_printf("cpuid cpu=%d lapic=%u leaf1_apic=%u hv=%u\n", index, lapic_id(), r[1] >> 24, r[2] >> 31);
	__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
	__atomic_fetch_add(&reported, 1, __ATOMIC_RELEASE);
}

static void ap(int index)
{
	report(index + 1);
}

int main(void)
{
	u32 r[4];
	char sig[13];
	cpuid(0x40000000, r);
	memcpy(sig, &r[1], 4);
	memcpy(sig + 4, &r[2], 4);
	memcpy(sig + 8, &r[3], 4);
	sig[12] = 0;
	for (int i = 0; i < 12; i++)
		if (sig[i] < 32 || sig[i] > 126)
			sig[i] = '.';
	u32 max = r[0];
	cpuid(0x40000001, r);
	rt_printf("cpuid signature=%s max=0x%x kvm_features=0x%x\n", sig, max, r[0]);
	report(0);

	u8 ids[RT_MAX_CPUS];
	const char *src;
	int n = rt_cpu_apic_ids(ids, RT_MAX_CPUS, &src);
	rt_ap_fn = ap;
	lapic_enable();
	rt_install_trampoline();
	for (int i = 0; i < n; i++) {
		if (ids[i] == lapic_id())
			continue;
		lapic_send_init(ids[i]);
		lapic_send_sipi(ids[i], RT_TRAMPOLINE >> 12);
		lapic_send_sipi(ids[i], RT_TRAMPOLINE >> 12);
	}
	for (u64 t0 = rdtsc(); reported < (u32)n && rdtsc() - t0 < 20000000000UL;)
		cpu_relax();
	rt_printf("cpuid cpus=%d (%s) reported=%u\n", n, src, reported);
	return reported == (u32)n ? 0 : 1;
}
