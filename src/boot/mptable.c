/*T:540 How the guest finds its CPUs: the MP table
 * Intel's MultiProcessor Specification 1.4 is the smallest way to tell an OS
 * how many CPUs it has and where its interrupt controllers are: a floating
 * pointer ("_MP_") in the BIOS area, pointing at a table ("PCMP") with one
 * entry per CPU, one for the IOAPIC, one per interrupt line, and the
 * local APICs' LINT0/LINT1 wiring.  Linux and our test guests scan
 * 0xF0000-0xFFFFF for it.  ISA IRQ n is IOAPIC pin n, as KVM routes it;
 * PCI slot s's INTA is pin 16 + s % 8, level-triggered (hw/pci.c). */
#include "boot.h"
#include "../hw/pci.h"
#include "../util.h"
#include <string.h>

struct mpf {             /* floating pointer structure */
	char sig[4];
	uint32_t physptr;
	uint8_t length, spec_rev, checksum, feature[5];
} __attribute__((packed));

struct mpc_header {      /* configuration table header */
	char sig[4];
	uint16_t length;
	uint8_t spec_rev, checksum;
	char oem[8], product[12];
	uint32_t oem_ptr;
	uint16_t oem_size, count;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum, reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type, apic_id, apic_ver, flags;
	uint32_t signature, features, reserved[2];
} __attribute__((packed));

struct mpc_entry8 {      /* bus, IOAPIC, I/O and local interrupt entries */
	uint8_t b[8];
} __attribute__((packed));

enum { MP_CPU, MP_BUS, MP_IOAPIC, MP_IOINT, MP_LINT };
#define IOAPIC_ADDR 0xFEC00000u
#define LAPIC_ADDR  0xFEE00000u
#define ISA_IRQS 16

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return (uint8_t)-s;
}

static struct mpc_entry8 entry8(uint8_t a, uint8_t b, uint8_t c, uint8_t d,
				uint8_t e, uint8_t f, uint8_t g, uint8_t h)
{
	return (struct mpc_entry8){ { a, b, c, d, e, f, g, h } };
}

int mptable_write(const struct guest_ram *r, int ncpus)
{
	size_t size = sizeof(struct mpf) + sizeof(struct mpc_header) +
		      (size_t)ncpus * sizeof(struct mpc_cpu) + (4 + ISA_IRQS + PCI_MAX_SLOTS + 2) * 8;
	uint8_t *base = gpa_ptr(r, BOOT_MPTABLE, size);
	if (!base)
		return fail("no room for the MP table");
	memset(base, 0, size);
	struct mpf *f = (struct mpf *)base;
	struct mpc_header *h = (struct mpc_header *)(f + 1);
	uint8_t *p = (uint8_t *)(h + 1);
	uint8_t ioapic_id = (uint8_t)ncpus;

	for (int i = 0; i < ncpus; i++, p += sizeof(struct mpc_cpu))
		*(struct mpc_cpu *)p = (struct mpc_cpu){
			.type = MP_CPU, .apic_id = (uint8_t)i, .apic_ver = 0x14,
			.flags = (uint8_t)(1 | (i == 0 ? 2 : 0)),   /* enabled, boot CPU */
			.signature = 0x600, .features = 0x201,      /* FPU, APIC */
		};
	struct mpc_entry8 e[4 + ISA_IRQS + PCI_MAX_SLOTS + 2];
	int n = 0;
	e[n++] = entry8(MP_BUS, 0, 'P', 'C', 'I', ' ', ' ', ' ');
	e[n++] = entry8(MP_BUS, 1, 'I', 'S', 'A', ' ', ' ', ' ');
	e[n++] = entry8(MP_IOAPIC, ioapic_id, 0x11, 1, 0, 0, 0xC0, 0xFE);
	for (int irq = 0; irq < ISA_IRQS; irq++)   /* INT, conforming, ISA irq -> pin */
		e[n++] = entry8(MP_IOINT, 0, 0, 0, 1, (uint8_t)irq, ioapic_id, (uint8_t)irq);
	for (int slot = 1; slot < PCI_MAX_SLOTS; slot++)   /* INTA, level, active high */
		e[n++] = entry8(MP_IOINT, 0, 0x0d, 0, 0, (uint8_t)(slot << 2), ioapic_id,
				(uint8_t)PCI_INTX_GSI(slot));
	e[n++] = entry8(MP_LINT, 3, 0, 0, 0, 0, 0xff, 0);   /* ExtINT -> LINT0 */
	e[n++] = entry8(MP_LINT, 1, 0, 0, 0, 0, 0xff, 1);   /* NMI -> LINT1 */
	memcpy(p, e, sizeof(e[0]) * (size_t)n);
	p += sizeof(e[0]) * (size_t)n;

	memcpy(h->sig, "PCMP", 4);
	h->length = (uint16_t)(p - (uint8_t *)h);
	h->spec_rev = 4;
	memcpy(h->oem, "LGUEST  ", 8);
	memcpy(h->product, "LGUEST      ", 12);
	h->count = (uint16_t)(ncpus + n);
	h->lapic = LAPIC_ADDR;
	h->checksum = checksum((uint8_t *)h, h->length);

	memcpy(f->sig, "_MP_", 4);
	f->physptr = BOOT_MPTABLE + sizeof(*f);
	f->length = 1;
	f->spec_rev = 4;
	f->checksum = checksum((uint8_t *)f, sizeof(*f));
	return 0;
}
