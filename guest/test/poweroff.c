/* poweroff: ACPI "soft off", the way an ACPI kernel does it on a
 * hardware-reduced platform.  Finds the FADT, reads its sleep control
 * register (a port), finds \_S5's sleep type in the DSDT, and writes
 * SLP_TYP << 2 | SLP_EN.  If the machine is still running after that,
 * prints "poweroff did not happen" and exits 1. */
#include "rt.h"

static u64 rd64(const u8 *p)
{
	u64 v;
	memcpy(&v, p, 8);
	return v;
}

/* Name(_S5, Package(){ BytePrefix N, ...}): the byte after the 0x0a. */
static int s5_type(const u8 *dsdt)
{
	u32 len;
	memcpy(&len, dsdt + 4, 4);
	for (u32 i = 36; i + 9 < len; i++)
		if (!memcmp(dsdt + i, "_S5_", 4) && dsdt[i + 4] == 0x12)
			return dsdt[i + 7] == 0x0a ? dsdt[i + 8] : dsdt[i + 7];
	return -1;
}

int main(void)
{
	const u8 *fadt = rt_acpi_table("FACP");
	if (!fadt) {
		rt_puts("poweroff: no FADT\n");
		return 2;
	}
	const u8 *dsdt = phys(rd64(fadt + 140));
	const u8 *gas = fadt + 244;                 /* SLEEP_CONTROL_REG */
	int type = s5_type(dsdt);
	rt_printf("poweroff: sleep control space=%u port=0x%lx s5=%d\n", gas[0], rd64(gas + 4), type);
	if (gas[0] != 1 || type < 0)
		return 2;
	outb((u8)(((type & 7) << 2) | 0x20), (u16)rd64(gas + 4));
	for (u64 t0 = rdtsc(); rdtsc() - t0 < 2000000000UL;)
		cpu_relax();
	rt_puts("poweroff did not happen\n");
	return 1;
}
