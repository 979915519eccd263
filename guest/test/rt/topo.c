/*T:940 Finding the CPUs: MP table first, ACPI MADT second
 * lguest describes its vCPUs with an Intel MultiProcessor table (a "_MP_"
 * floating pointer in the EBDA or the BIOS area, pointing at a "PCMP" table of
 * processor entries); QEMU always provides ACPI, whose "APIC" table (MADT)
 * lists one local-APIC entry per CPU.  We take the MP table when there is
 * one and fall back to the MADT.  Both are plain memory scans, best done at
 * ring 3 on a software hypervisor.
 */
#include "rt.h"

static int checksum_ok(const void *p, size_t len)
{
	const u8 *b = p;
	u8 sum = 0;
	while (len--)
		sum += *b++;
	return sum == 0;
}

/* Scan [start, start+len) on 'step'-byte boundaries for a signature. */
static const u8 *scan(u64 start, u64 len, const char *sig, size_t siglen,
		      size_t cklen, unsigned step)
{
	for (u64 a = start; a + cklen <= start + len; a += step)
		if (!memcmp(phys(a), sig, siglen) && checksum_ok(phys(a), cklen))
			return phys(a);
	return NULL;
}

static u16 rd16(const u8 *p) { return (u16)(p[0] | p[1] << 8); }
static u32 rd32(const u8 *p) { return rd16(p) | (u32)rd16(p + 2) << 16; }
static u64 rd64(const u8 *p) { return rd32(p) | (u64)rd32(p + 4) << 32; }

static int from_mptable(u8 *ids, int max)
{
	u64 ebda = (u64)rd16(phys(0x40e)) << 4;
	const u8 *fp = NULL;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		fp = scan(ebda, 1024, "_MP_", 4, 16, 16);
	if (!fp)
		fp = scan(0x9fc00, 1024, "_MP_", 4, 16, 16);
	if (!fp)
		fp = scan(0xf0000, 0x10000, "_MP_", 4, 16, 16);
	if (!fp || !rd32(fp + 4))
		return 0;

	const u8 *ct = phys(rd32(fp + 4));
	if (memcmp(ct, "PCMP", 4) || !checksum_ok(ct, rd16(ct + 4)))
		return 0;
	const u8 *e = ct + 44, *end = ct + rd16(ct + 4);
	int n = 0;
	for (int i = 0; i < rd16(ct + 34) && e < end; i++) {
		if (e[0] == 0) {		/* processor: 20 bytes */
			if ((e[3] & 1) && n < max)	/* CPU enabled */
				ids[n++] = e[1];
			e += 20;
		} else {
			e += 8;			/* bus, I/O APIC, interrupts */
		}
	}
	return n;
}

static const u8 *find_rsdp(void)
{
	if (rt_start_info && rt_start_info->rsdp_paddr)
		return phys(rt_start_info->rsdp_paddr);
	u64 ebda = (u64)rd16(phys(0x40e)) << 4;
	const u8 *r = NULL;
	if (ebda >= 0x80000 && ebda < 0xa0000)
		r = scan(ebda, 1024, "RSD PTR ", 8, 20, 16);
	if (!r)
		r = scan(0xe0000, 0x20000, "RSD PTR ", 8, 20, 16);
	return r;
}

/* The ACPI table with signature sig, through the RSDP's XSDT (ACPI 2+) or
 * RSDT; NULL if there is none. */
const u8 *rt_acpi_table(const char *sig)
{
	const u8 *rsdp = find_rsdp();
	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8))
		return NULL;
	const u8 *sdt;
	unsigned esz;
	if (rsdp[15] >= 2 && rd64(rsdp + 24)) {
		sdt = phys(rd64(rsdp + 24));
		esz = 8;
	} else {
		sdt = phys(rd32(rsdp + 16));
		esz = 4;
	}
	if (!sdt)
		return NULL;
	u32 nent = (rd32(sdt + 4) - 36) / esz;
	for (u32 i = 0; i < nent; i++) {
		const u8 *p = sdt + 36 + i * esz;
		const u8 *t = phys(esz == 8 ? rd64(p) : rd32(p));
		if (!memcmp(t, sig, 4) && checksum_ok(t, rd32(t + 4)))
			return t;
	}
	return NULL;
}

static int from_madt(u8 *ids, int max)
{
	const u8 *t = rt_acpi_table("APIC");
	if (!t)
		return 0;
	const u8 *e = t + 44, *end = t + rd32(t + 4);
	int n = 0;
	for (; e + 2 <= end && e[1] >= 2; e += e[1]) {
		if (e[0] == 0 && (rd32(e + 4) & 1) && n < max)
			ids[n++] = e[3];	/* processor local APIC */
	}
	return n;
}

/* The MP table wins, unless the MADT lists more CPUs: QEMU's SeaBIOS puts
 * only the first CPU of each package into its MP table.  topo=madt or
 * topo=mptable on the command line reads only that one. */
int rt_cpu_apic_ids(u8 *ids, int max, const char **source)
{
	u8 madt_ids[RT_MAX_CPUS];
	int n = rt_arg_is("topo", "madt") ? 0 : from_mptable(ids, max);
	int m = rt_arg_is("topo", "mptable") ? 0 :
		from_madt(madt_ids, max < RT_MAX_CPUS ? max : RT_MAX_CPUS);

	*source = "mptable";
	if (m > n) {
		memcpy(ids, madt_ids, m);
		n = m;
		*source = "madt";
	}
	if (n == 0)
		*source = "none";
	return n;
}
