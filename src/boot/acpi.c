/*T:545 ACPI: the same facts for modern kernels, and a way to power off
 * Kernels built with ACPI look for an RSDP instead of an MP table.  We
 * give them the least that works: hardware-reduced ACPI (no PM timer, no
 * SCI, no legacy fixed hardware), so the FADT's only job is to point at the
 * DSDT and at a sleep control register; the DSDT (dsdt.c) names \_S5, the
 * "soft off" sleep type, COM1 and the PCI host bridge.  A guest powers off by writing
 * SLP_TYP(5) << 2 | SLP_EN to that register, our port 0x600 (platform.c).
 * The MADT lists the local APICs and the IOAPIC, as the MP table does.
 * The RSDP sits at 0xE0000, where a BIOS would leave it; the zero page and
 * hvm_start_info also carry its address. */
#include "boot.h"
#include "../hw/platform.h"
#include "../util.h"
#include <string.h>

struct acpi_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision, creator_id, creator_revision;
} __attribute__((packed));

struct acpi_gas {                 /* generic address structure */
	uint8_t space, bit_width, bit_offset, access_size;
	uint64_t address;
} __attribute__((packed));

#define FADT_LEN 276
#define FADT_FLAGS 112
#define FADT_MINOR 131
#define FADT_X_DSDT 140
#define FADT_SLEEP_CONTROL 244
#define FADT_SLEEP_STATUS 256
#define FADT_HW_REDUCED (1u << 20)

static uint8_t checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *b++);
	return (uint8_t)-s;
}

/* Start a table at p: header filled in, length and checksum by finish(). */
static struct acpi_header *table(uint8_t *p, const char *sig, uint8_t rev)
{
	struct acpi_header *h = (struct acpi_header *)p;
	memcpy(h->sig, sig, 4);
	h->revision = rev;
	memcpy(h->oem_id, "LGUEST", 6);
	memcpy(h->oem_table_id, "LGUEST  ", 8);
	h->oem_revision = 1;
	memcpy(&h->creator_id, "LGST", 4);
	h->creator_revision = 1;
	return h;
}

static uint32_t finish(struct acpi_header *h, uint32_t len)
{
	h->length = len;
	h->checksum = checksum(h, len);
	return (len + 15) & ~15u;
}

static uint32_t dsdt(uint8_t *p, size_t cap)
{
	struct acpi_header *h = table(p, "DSDT", 2);
	size_t n = dsdt_body((uint8_t *)(h + 1), cap - sizeof(*h));
	if (n > cap - sizeof(*h))
		return 0;
	return finish(h, (uint32_t)(sizeof(*h) + n));
}

static uint32_t fadt(uint8_t *p, uint64_t dsdt_addr)
{
	struct acpi_header *h = table(p, "FACP", 6);
	struct acpi_gas sleep = { .space = 1, .bit_width = 8, .access_size = 1,
				  .address = ACPI_SLEEP_PORT };
	uint32_t flags = FADT_HW_REDUCED;
	memcpy(p + FADT_FLAGS, &flags, 4);
	p[FADT_MINOR] = 4;                               /* FADT 6.4 */
	memcpy(p + FADT_X_DSDT, &dsdt_addr, 8);
	memcpy(p + FADT_SLEEP_CONTROL, &sleep, sizeof(sleep));
	sleep.address = ACPI_SLEEP_PORT + 1;
	memcpy(p + FADT_SLEEP_STATUS, &sleep, sizeof(sleep));
	memcpy(p + 268, "LGUEST\0\0", 8);               /* hypervisor vendor */
	return finish(h, FADT_LEN);
}

static uint32_t madt(uint8_t *p, int ncpus)
{
	struct acpi_header *h = table(p, "APIC", 5);
	uint8_t *e = p + sizeof(*h);
	uint32_t lapic = 0xFEE00000, flags = 1;           /* PC-AT compatible PICs */
	memcpy(e, &lapic, 4);
	memcpy(e + 4, &flags, 4);
	e += 8;
	for (int i = 0; i < ncpus; i++, e += 8) {         /* processor local APIC */
		uint8_t cpu[8] = { 0, 8, (uint8_t)i, (uint8_t)i, 1, 0, 0, 0 };
		memcpy(e, cpu, 8);
	}
	uint8_t ioapic[12] = { 1, 12, (uint8_t)ncpus, 0, 0, 0, 0xC0, 0xFE, 0, 0, 0, 0 };
	memcpy(e, ioapic, 12);
	e += 12;
	uint8_t nmi[6] = { 4, 6, 0xff, 0, 0, 1 };         /* all CPUs: NMI on LINT1 */
	memcpy(e, nmi, 6);
	e += 6;
	return finish(h, (uint32_t)(e - p));
}

int acpi_write(const struct guest_ram *r, int ncpus)
{
	uint8_t *base = gpa_ptr(r, BOOT_ACPI, BOOT_ACPI_SIZE);
	if (!base)
		return fail("no room for the ACPI tables");
	memset(base, 0, BOOT_ACPI_SIZE);
	uint32_t off = 48;                                /* RSDP first, then tables */
	uint64_t dsdt_addr = BOOT_ACPI + off;
	uint32_t n = dsdt(base + off, BOOT_ACPI_SIZE - off - 1024);  /* FADT, MADT, XSDT after */
	if (!n)
		return fail("the DSDT does not fit its room");
	off += n;
	uint64_t fadt_addr = BOOT_ACPI + off;
	off += fadt(base + off, dsdt_addr);
	uint64_t madt_addr = BOOT_ACPI + off;
	off += madt(base + off, ncpus);
	struct acpi_header *x = table(base + off, "XSDT", 1);
	uint64_t entries[2] = { fadt_addr, madt_addr };
	memcpy(x + 1, entries, sizeof(entries));
	uint64_t xsdt_addr = BOOT_ACPI + off;
	finish(x, sizeof(*x) + sizeof(entries));

	uint8_t *rsdp = base;
	uint32_t len = 36;
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "LGUEST", 6);
	rsdp[15] = 2;                                     /* ACPI 2.0+: XSDT */
	memcpy(rsdp + 20, &len, 4);
	memcpy(rsdp + 24, &xsdt_addr, 8);
	rsdp[8] = checksum(rsdp, 20);
	rsdp[32] = checksum(rsdp, 36);
	return 0;
}
