/*T:700 PCI: how Linux finds our devices
 * Distribution kernels find virtio devices on a PCI bus, so we give them
 * one: a host bridge and up to 31 functions on bus 0, reached through the
 * PC's configuration mechanism #1 (an address written to port 0xCF8, data
 * through 0xCFC).  Each device has 256 bytes of config space with a mask of
 * the bits the guest may change, and one 64-bit memory BAR that we place,
 * as firmware would, in the hole below 4 GiB that the e820 map leaves free.
 * A guest may size and move the BAR the standard way; MMIO in the window
 * goes to whichever device's BAR holds the address right now.  INTx is
 * wired INTA -> IOAPIC pin 16 + slot % 8 (the MP table says so), so slots
 * s and s+8 share a line: it is up while either asserts.  MSI-X
 * (virtio/pci.c) is what Linux uses. */
#include "pci.h"
#include "../core/bus.h"
#include "../core/irq.h"
#include "../core/vm.h"
#include "../util.h"
#include <string.h>

#define CONF1_ADDR 0xcf8
#define BAR0 0x10
#define BAR_TYPE_64 0x04

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24); }

static void set_bar(struct pci_dev *d, uint64_t addr)
{
	put32(d->cfg + BAR0, (uint32_t)addr | BAR_TYPE_64);
	put32(d->cfg + BAR0 + 4, (uint32_t)(addr >> 32));
	d->bar_addr = addr;
}

static void ids(struct pci_dev *d, uint16_t vendor, uint16_t device, uint32_t class_code)
{
	put16(d->cfg, vendor);
	put16(d->cfg + 2, device);
	put32(d->cfg + 8, class_code << 8 | 1);                   /* revision 1 */
	put16(d->wmask + PCI_COMMAND, PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE);
	d->wmask[0x0c] = d->wmask[0x0d] = d->wmask[0x3c] = 0xff; /* cache line, latency, irq line */
}

int pci_add(struct pci_bus *bus, struct pci_dev *d, uint16_t vendor, uint16_t device,
	    uint32_t class_code, uint16_t subsys, uint64_t bar_size)
{
	int slot = 1;
	while (slot < PCI_MAX_SLOTS && bus->slot[slot])
		slot++;
	if (slot == PCI_MAX_SLOTS)
		return fail("more than %d PCI devices", PCI_MAX_SLOTS - 1);
	ids(d, vendor, device, class_code);
	put16(d->cfg + 0x2c, vendor);                             /* subsystem vendor */
	put16(d->cfg + 0x2e, subsys);
	d->cfg[0x3c] = (uint8_t)PCI_INTX_GSI(slot);
	d->cfg[0x3d] = 1;                                         /* INTA */
	d->slot = slot;
	d->vm = bus->vm;
	d->bus = bus;
	d->bar_size = bar_size;
	if (bar_size) {
		uint64_t a = (bus->next_bar + bar_size - 1) & ~(bar_size - 1);
		if (a + bar_size > PCI_MMIO_END)
			return fail("no room for PCI BARs");
		set_bar(d, a);
		bus->next_bar = a + bar_size;
	}
	pthread_mutex_lock(&bus->lock);
	bus->slot[slot] = d;
	pthread_mutex_unlock(&bus->lock);
	return 0;
}

unsigned pci_add_cap(struct pci_dev *d, const uint8_t *cap, unsigned len)
{
	unsigned off = d->cap_next ? d->cap_next : 0x40;
	if (off + len > sizeof(d->cfg))
		return 0;
	memcpy(d->cfg + off, cap, len);
	d->cfg[off + 1] = 0;                                       /* end of list */
	d->cfg[d->cap_last ? d->cap_last + 1 : 0x34] = (uint8_t)off;
	d->cfg[6] |= PCI_STATUS_CAPS;
	d->cap_last = off;
	d->cap_next = (off + len + 3) & ~3u;
	return off;
}

void pci_intx(struct pci_dev *d, int level)
{
	unsigned *count = &d->bus->intx_count[d->slot % 8];
	level = level && !(pci_cfg16(d, PCI_COMMAND) & PCI_CMD_INTX_DISABLE);
	pthread_mutex_lock(&d->bus->intx_lock);
	if (level != d->intx) {
		d->intx = level;
		*count = level ? *count + 1 : *count - 1;
		irq_line(d->vm, (unsigned)PCI_INTX_GSI(d->slot), *count > 0);
	}
	pthread_mutex_unlock(&d->bus->intx_lock);
}

/* The BAR registers: a write of all ones asks the size (the guest reads
 * back ~(size - 1)); anything else moves the BAR, size-aligned. */
static void bar_write(struct pci_dev *d, unsigned off, uint8_t *data, unsigned len)
{
	uint8_t reg[8];
	memcpy(reg, d->cfg + BAR0, 8);
	memcpy(reg + (off - BAR0), data, len);
	uint64_t v = get32(reg) | (uint64_t)get32(reg + 4) << 32;
	uint64_t old = d->bar_addr;
	v &= ~(d->bar_size - 1) & ~0xfULL;
	put32(d->cfg + BAR0, (uint32_t)v | BAR_TYPE_64);
	put32(d->cfg + BAR0 + 4, (uint32_t)(v >> 32));
	d->bar_addr = v;
	if (v != old && d->bar_moved)
		d->bar_moved(d, old);
}

static void cfg_access(struct pci_dev *d, unsigned off, uint8_t *data, unsigned len, bool is_write)
{
	if (!is_write) {
		memcpy(data, d->cfg + off, len);
		return;
	}
	if (off >= BAR0 && off + len <= BAR0 + 8) {
		if (d->bar_size)
			bar_write(d, off, data, len);
		return;
	}
	for (unsigned i = 0; i < len; i++)
		d->cfg[off + i] = (uint8_t)((d->cfg[off + i] & ~d->wmask[off + i]) | (data[i] & d->wmask[off + i]));
	if (d->cfg_written)
		d->cfg_written(d, off, len);
}

/* 0xCF8: enable bit, bus, device, function, register.  0xCFC-0xCFF: data
 * of the register named, at the byte offset of the port.  Only bus 0,
 * function 0 exist; anything else reads all ones. */
static void conf1(void *opaque, uint64_t port, uint8_t *data, unsigned len, bool is_write)
{
	struct pci_bus *bus = opaque;
	pthread_mutex_lock(&bus->lock);
	if (port < 4) {
		if (len == 4 && port == 0 && is_write)
			bus->address = get32(data);
		else if (!is_write)
			memcpy(data, (uint8_t *)&bus->address + port, len > 4 - port ? 4 - port : len);
		pthread_mutex_unlock(&bus->lock);
		return;
	}
	uint32_t a = bus->address;
	unsigned dev = (a >> 11) & 31, fn = (a >> 8) & 7, off = (a & 0xfc) + (unsigned)(port - 4);
	struct pci_dev *d = bus->slot[dev];
	if (!(a & 0x80000000u) || (a >> 16 & 0xff) || fn || !d || off + len > 256) {
		if (!is_write)
			memset(data, 0xff, len);
	} else {
		cfg_access(d, off, data, len, is_write);
	}
	pthread_mutex_unlock(&bus->lock);
}

/* The BAR windows: find the device whose (enabled) BAR holds addr. */
static void bar_access(struct pci_bus *bus, uint64_t addr, uint8_t *data, unsigned len, bool is_write)
{
	for (int i = 1; i < PCI_MAX_SLOTS; i++) {
		struct pci_dev *d = bus->slot[i];
		if (d && d->bar_size && (pci_cfg16(d, PCI_COMMAND) & PCI_CMD_MEM) &&
		    addr >= d->bar_addr && addr - d->bar_addr < d->bar_size &&
		    len <= d->bar_size - (addr - d->bar_addr)) {
			d->bar_io(d, addr - d->bar_addr, data, len, is_write);
			return;
		}
	}
	if (!is_write)
		memset(data, 0xff, len);
}

static void window32(void *bus, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	bar_access(bus, PCI_MMIO_BASE + offset, data, len, is_write);
}

static void window64(void *bus, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	bar_access(bus, PCI_MMIO64_BASE + offset, data, len, is_write);
}

int pci_init(struct pci_bus *bus, struct vm *vm)
{
	memset(bus, 0, sizeof(*bus));
	pthread_mutex_init(&bus->lock, NULL);
	pthread_mutex_init(&bus->intx_lock, NULL);
	bus->vm = vm;
	bus->next_bar = PCI_MMIO_BASE;
	ids(&bus->host_bridge, 0x8086, 0x1237, 0x060000);          /* a 440FX host bridge */
	bus->host_bridge.vm = vm;
	bus->slot[0] = &bus->host_bridge;
	if (bus_register(&vm->pio, CONF1_ADDR, 8, conf1, bus) < 0 ||
	    bus_register(&vm->mmio, PCI_MMIO_BASE, PCI_MMIO_END - PCI_MMIO_BASE, window32, bus) < 0 ||
	    bus_register(&vm->mmio, PCI_MMIO64_BASE, PCI_MMIO64_END - PCI_MMIO64_BASE, window64, bus) < 0)
		return -1;
	return 0;
}
