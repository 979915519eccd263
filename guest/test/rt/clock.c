/*T:935 Time: how fast the TSC ticks
 * rdtsc works at ring 3 at full speed, so it is the guests' clock; to turn
 * its cycles into nanoseconds we need its frequency.  We ask, in order:
 * the hypervisor's timing leaf 0x40000010 (EAX = TSC kHz, where the highest
 * hypervisor leaf reaches it), kvm-clock (the pvclock page KVM fills in holds
 * the exact cycles-to-nanoseconds factor: ns = (cycles << shift) * mul >> 32),
 * CPUID leaf 0x15 (crystal clock times the TSC/crystal ratio), and last the
 * PIT: channel 2 counts down 50 ms of its 1.193182 MHz clock while we watch
 * the TSC.  The first call does MSR writes and port I/O, so it runs at ring 0.
 */
#include "rt.h"

#define PIT_HZ 1193182ULL
#define MSR_KVM_SYSTEM_TIME 0x12
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01

const char *rt_tsc_source = "none";
static u64 tsc_hz;

static void cpuid(u32 leaf, u32 r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* The hypervisor leaves' highest index, or 0 when there are none. */
static u32 hv_max(int kvm_only)
{
	u32 r[4];
	cpuid(1, r);
	if (!(r[2] >> 31))
		return 0;
	cpuid(0x40000000, r);
	if (kvm_only && (r[1] != 0x4b4d564b || r[2] != 0x564b4d56 || r[3] != 0x4d))
		return 0;			/* not "KVMKVMKVM\0\0\0" */
	return r[0];
}

static u64 from_timing_leaf(void)
{
	u32 r[4], max = hv_max(0);
	if (max < 0x40000010 || max > 0x400000ff)
		return 0;
	cpuid(0x40000010, r);
	return (u64)r[0] * 1000;
}

struct pvclock {
	u32 version, pad0;
	u64 tsc_timestamp, system_time;
	u32 mul;
	signed char shift;
	u8 flags, pad[2];
};
static struct pvclock pvti __attribute__((aligned(64)));

static u64 from_kvmclock(void)
{
	u32 r[4], msr;
	if (hv_max(1) < 0x40000001)
		return 0;
	cpuid(0x40000001, r);
	msr = r[0] & 8 ? MSR_KVM_SYSTEM_TIME_NEW : r[0] & 1 ? MSR_KVM_SYSTEM_TIME : 0;
	if (!msr)
		return 0;
	wrmsr(msr, (u64)&pvti | 1);
	volatile struct pvclock *p = &pvti;
	u32 mul = 0;
	int shift = 0;
	for (int i = 0; i < 1000 && !mul; i++) {
		u32 v = p->version;
		__asm__ volatile("" ::: "memory");
		mul = p->mul;
		shift = p->shift;
		__asm__ volatile("" ::: "memory");
		if ((v & 1) || v != p->version)
			mul = 0;		/* being updated: read again */
	}
	wrmsr(msr, 0);
	if (!mul)
		return 0;
	u64 hz = (1000000000ULL << 32) / mul;
	return shift >= 0 ? hz >> shift : hz << -shift;
}

static u64 from_leaf15(void)
{
	u32 r[4];
	cpuid(0, r);
	if (r[0] < 0x15)
		return 0;
	cpuid(0x15, r);
	return r[0] && r[1] && r[2] ? (u64)r[2] * r[1] / r[0] : 0;
}

static u64 from_pit(void)
{
	const u16 count = (u16)(PIT_HZ / 20);		/* 50 ms */
	outb((u8)((inb(0x61) & ~0x02) | 0x01), 0x61);	/* gate 2 on, speaker off */
	outb(0xb0, 0x43);				/* channel 2, lo/hi, mode 0 */
	outb((u8)count, 0x42);
	outb((u8)(count >> 8), 0x42);
	u64 t0 = rdtsc(), t1 = t0;
	while (!(inb(0x61) & 0x20) && t1 - t0 < 20000000000ULL)	/* OUT2 high */
		t1 = rdtsc();
	if (!(inb(0x61) & 0x20))
		return 0;			/* no PIT */
	return (t1 - t0) * PIT_HZ / count;
}

u64 rt_tsc_hz(void)
{
	if (tsc_hz)
		return tsc_hz;
	if ((tsc_hz = from_timing_leaf()))
		rt_tsc_source = "cpuid_0x40000010";
	else if ((tsc_hz = from_kvmclock()))
		rt_tsc_source = "kvmclock";
	else if ((tsc_hz = from_leaf15()))
		rt_tsc_source = "cpuid_0x15";
	else if ((tsc_hz = from_pit()))
		rt_tsc_source = "pit";
	else {
		tsc_hz = 1000000000;
		rt_tsc_source = "guess";
	}
	return tsc_hz;
}

u64 rt_tsc_ns(u64 cycles)
{
	u64 hz = rt_tsc_hz();
	return cycles / hz * 1000000000ULL + cycles % hz * 1000000000ULL / hz;
}

u64 rt_ms_tsc(u64 ms)
{
	return ms * (rt_tsc_hz() / 1000);
}
