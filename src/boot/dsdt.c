/*T:546 The DSDT: what a distribution kernel needs to find its devices
 * Hardware-reduced ACPI has no legacy interrupt controller, so a kernel that
 * boots with ACPI maps no ISA interrupt and scans no PCI bus on its own: it
 * learns both from the DSDT.  Ours names five things, in AML (ACPI's
 * bytecode, written here by hand):
 *   \_S5      the "soft off" sleep type (acpi.c's sleep register);
 *   COM1      a PNP0501 UART at 0x3F8, interrupt 4 (serial.c);
 *   RTC_      the PNP0B00 clock at 0x70 (rtc.c), interrupt 8, never raised;
 *   KBD_      the PNP0303 keyboard controller at 0x60 and 0x64, interrupt 1
 *             (platform.c), where `lguest stop` types Ctrl-Alt-Del;
 *   PCI0      the host bridge (hw/pci.c): bus 0, the config ports, the I/O
 *             and memory windows, and _PRT: slot s's INTA is GSI 16 + s % 8,
 *             the routing the MP table gives kernels without ACPI.
 * An AML object with contents starts with its length ("PkgLength", one to
 * three bytes, counting itself); aml_open() leaves room, aml_close() fills it in. */
#include "boot.h"
#include "../hw/pci.h"
#include <string.h>

struct aml {
	uint8_t *p;
	size_t n, cap;
	size_t open[4];              /* where each open object's body starts */
	int depth;
};

static void put(struct aml *a, const void *b, size_t n)
{
	if (a->n + n <= a->cap)
		memcpy(a->p + a->n, b, n);
	a->n += n;                   /* overflow shows as n > cap (dsdt_write) */
}
static void byte(struct aml *a, uint8_t b) { put(a, &b, 1); }
static void name(struct aml *a, const char seg[4]) { byte(a, 0x08); put(a, seg, 4); }

static void integer(struct aml *a, uint64_t v)
{
	if (v <= 1) {
		byte(a, (uint8_t)v);                      /* ZeroOp, OneOp */
		return;
	}
	int len = v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffff ? 4 : 8;
	byte(a, len == 1 ? 0x0a : len == 2 ? 0x0b : len == 4 ? 0x0c : 0x0e);
	put(a, &v, (size_t)len);                          /* little-endian */
}

/* An object with a PkgLength: its opcode bytes, then open() ... close(). */
static void aml_open(struct aml *a, const uint8_t *op, size_t oplen)
{
	put(a, op, oplen);
	a->open[a->depth++] = a->n;
}

static void aml_close(struct aml *a)
{
	size_t start = a->open[--a->depth], body = a->n - start;
	int extra = body + 1 < 0x40 ? 0 : body + 2 < 0x1000 ? 1 : 2;
	size_t len = body + 1 + (size_t)extra;
	uint8_t pl[3] = { (uint8_t)(extra ? (extra << 6) | (len & 0xf) : len),
			  (uint8_t)(len >> 4), (uint8_t)(len >> 12) };
	if (a->n + 1 + (size_t)extra <= a->cap) {
		memmove(a->p + start + 1 + extra, a->p + start, body);
		memcpy(a->p + start, pl, 1 + (size_t)extra);
	}
	a->n += 1 + (size_t)extra;
}

static void device(struct aml *a, const char seg[4], uint32_t eisa_id, unsigned uid)
{
	static const uint8_t op[] = { 0x5b, 0x82 };       /* DeviceOp */
	aml_open(a, op, sizeof(op));
	put(a, seg, 4);
	name(a, "_HID");
	integer(a, eisa_id);
	name(a, "_UID");
	integer(a, uid);
}

/* Name (_CRS, Buffer () { resource descriptors, end tag }) */
static void crs(struct aml *a, const uint8_t *res, size_t n)
{
	static const uint8_t op[] = { 0x11 };             /* BufferOp */
	name(a, "_CRS");
	aml_open(a, op, 1);
	integer(a, n + 2);
	put(a, res, n);
	byte(a, 0x79);                                    /* end tag, checksum 0 */
	byte(a, 0);
	aml_close(a);
}

/* A legacy device: IO (Decode16, port, port, 1, n) and IRQNoFlags () { irq }. */
static void isa_device(struct aml *a, const char seg[4], uint32_t eisa_id, unsigned uid,
		       uint16_t port, uint8_t n, unsigned irq)
{
	const uint8_t res[] = { 0x47, 1, (uint8_t)port, (uint8_t)(port >> 8), (uint8_t)port,
				(uint8_t)(port >> 8), 1, n, 0x22, (uint8_t)(1u << irq), (uint8_t)((1u << irq) >> 8) };
	device(a, seg, eisa_id, uid);
	crs(a, res, sizeof(res));
	aml_close(a);
}

/* A large address-space descriptor (Word 0x88, DWord 0x87, QWord 0x8A) of
 * a range the bridge passes on (producer, fixed min and max). */
static size_t window(uint8_t *d, uint8_t kind, uint8_t type, uint8_t flags, uint64_t min, uint64_t max)
{
	size_t w = kind == 0x88 ? 2 : kind == 0x87 ? 4 : 8;
	uint64_t fields[5] = { 0, min, max, 0, max - min + 1 };  /* granularity ... length */
	d[0] = kind;
	d[1] = (uint8_t)(3 + 5 * w);
	d[2] = 0;
	d[3] = type;
	d[4] = 0x0c;                                      /* MinFixed, MaxFixed, producer */
	d[5] = flags;
	for (int i = 0; i < 5; i++)
		memcpy(d + 6 + (size_t)i * w, &fields[i], w);
	return 6 + 5 * w;
}

static void pci0(struct aml *a)
{
	uint8_t r[160];
	size_t n = 0;
	device(a, "PCI0", 0x030AD041, 0);                 /* EISAID ("PNP0A03") */
	n += window(r + n, 0x88, 2, 0, 0, 0);             /* bus 0 */
	static const uint8_t cf8[] = { 0x47, 1, 0xf8, 0x0c, 0xf8, 0x0c, 1, 8 };
	memcpy(r + n, cf8, sizeof(cf8));                  /* IO (0xCF8, 8): ours */
	n += sizeof(cf8);
	n += window(r + n, 0x88, 1, 3, 0, 0xcf7);         /* I/O ports, both sides */
	n += window(r + n, 0x88, 1, 3, 0xd00, 0xffff);
	n += window(r + n, 0x87, 0, 1, PCI_MMIO_BASE, PCI_MMIO_END - 1);
	n += window(r + n, 0x8a, 0, 1, PCI_MMIO64_BASE, PCI_MMIO64_END - 1);
	crs(a, r, n);
	/* Name (_PRT, Package () { Package () { slot << 16 | 0xFFFF, INTA, 0, GSI }, ... }) */
	static const uint8_t pkg[] = { 0x12 };            /* PackageOp */
	name(a, "_PRT");
	aml_open(a, pkg, 1);
	byte(a, PCI_MAX_SLOTS);
	for (unsigned slot = 0; slot < PCI_MAX_SLOTS; slot++) {
		aml_open(a, pkg, 1);
		byte(a, 4);
		integer(a, slot << 16 | 0xffff);
		integer(a, 0);
		integer(a, 0);
		integer(a, PCI_INTX_GSI(slot));
		aml_close(a);
	}
	aml_close(a);
	aml_close(a);
}

/* The DSDT's body (after its header): at most cap bytes; its length. */
size_t dsdt_body(uint8_t *p, size_t cap)
{
	struct aml a = { .p = p, .cap = cap };
	static const uint8_t s5[] = { 0x12, 0x07, 0x04, 0x0a, 0x05, 0, 0, 0 };
	name(&a, "_S5_");                                 /* Package (4) { 5, 0, 0, 0 } */
	put(&a, s5, sizeof(s5));
	isa_device(&a, "COM1", 0x0105D041, 1, 0x3f8, 8, 4);  /* EISAID ("PNP0501") */
	isa_device(&a, "RTC_", 0x000BD041, 0, 0x70, 2, 8);   /* EISAID ("PNP0B00") */
	static const uint8_t kbd[] = { 0x47, 1, 0x60, 0, 0x60, 0, 1, 1, 0x47, 1, 0x64, 0, 0x64, 0, 1, 1, 0x22, 2, 0 };
	device(&a, "KBD_", 0x0303D041, 0);                /* EISAID ("PNP0303") */
	crs(&a, kbd, sizeof(kbd));
	aml_close(&a);
	pci0(&a);
	return a.n;
}
