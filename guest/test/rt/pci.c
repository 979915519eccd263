/*T:960 PCI: configuration space, BARs and high MMIO
 * Devices live on PCI bus 0, reached through configuration mechanism #1:
 * write the address (enable bit, bus, device, function, register) to port
 * 0xCF8, then move data through 0xCFC..0xCFF.  Port I/O from ring 3 faults
 * on kvm-pvm, so all of this runs at ring 0, once, before a guest drops to
 * ring 3 where the virtio work happens through MMIO.  A BAR that firmware
 * (or lguest) left at 0 is sized the standard way - write all ones, read
 * back the mask - and given an address from a window at 0xE0000000.  BARs
 * above 4 GiB lie outside the boot page tables, so rt_map_mmio() adds
 * uncached 2 MiB mappings for them.
 */
#include "rt.h"

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc


static u16 select(u8 bus, u8 dev, u8 fn, u16 off)
{
	outl(0x80000000u | (u32)(off >> 8 & 0xf) << 24 | (u32)bus << 16 |
	     (u32)(dev & 31) << 11 | (u32)(fn & 7) << 8 | (off & 0xfc), PCI_ADDR);
	return PCI_DATA + (off & 3);
}

u32 pci_cfg_read(u8 bus, u8 dev, u8 fn, u16 off, int size)
{
	u16 port = select(bus, dev, fn, off);
	return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

void pci_cfg_write(u8 bus, u8 dev, u8 fn, u16 off, int size, u32 val)
{
	u16 port = select(bus, dev, fn, off);
	if (size == 1)
		outb((u8)val, port);
	else if (size == 2)
		outw((u16)val, port);
	else
		outl(val, port);
}

static u32 cfg32(u8 dev, u16 off) { return pci_cfg_read(0, dev, 0, off, 4); }
static void cfg32w(u8 dev, u16 off, u32 v) { pci_cfg_write(0, dev, 0, off, 4, v); }

u8 pci_find_cap(u8 dev, u8 id)
{
	if (!(pci_cfg_read(0, dev, 0, 0x06, 2) & 0x10))	/* status: cap list */
		return 0;
	u8 p = (u8)pci_cfg_read(0, dev, 0, 0x34, 1) & 0xfc;
	for (int n = 0; p && n < 48; n++) {	/* 48 caps fit in 192 bytes */
		if (pci_cfg_read(0, dev, 0, p, 1) == id)
			return p;
		p = (u8)pci_cfg_read(0, dev, 0, p + 1, 1) & 0xfc;
	}
	return 0;
}

static u64 bar_window = RT_BAR_WINDOW;
u64 rt_bar_window64;

u64 pci_bar(u8 dev, int bar)
{
	u16 off = (u16)(0x10 + 4 * bar);
	u32 lo = cfg32(dev, off);
	int is64 = (lo & 7) == 4;		/* memory, type 10b */

	if (lo & 1)				/* I/O BAR: not for us */
		return 0;
	u64 addr = (lo & ~0xfULL) | (is64 ? (u64)cfg32(dev, off + 4) << 32 : 0);
	if (addr)
		return addr;

	/* Unassigned: size it with decoding off, then place it. */
	u32 cmd = cfg32(dev, 0x04) & 0xffff;
	cfg32w(dev, 0x04, cmd & ~2u);
	cfg32w(dev, off, ~0u);
	u64 mask = cfg32(dev, off) & ~0xfULL;
	if (is64) {
		cfg32w(dev, off + 4, ~0u);
		mask |= (u64)cfg32(dev, off + 4) << 32;
	} else {
		mask |= 0xffffffff00000000ULL;
	}
	u64 size = ~mask + 1;
	if (!mask)
		return 0;			/* BAR not implemented */
	u64 *win = is64 && rt_bar_window64 ? &rt_bar_window64 : &bar_window;
	addr = (*win + size - 1) & ~(size - 1);
	*win = addr + size;
	cfg32w(dev, off, (u32)addr | (lo & 0xf));
	if (is64)
		cfg32w(dev, off + 4, (u32)(addr >> 32));
	cfg32w(dev, 0x04, cmd | 2);
	return addr;
}

/* Spare page-table pages for mappings above 4 GiB. */
static u64 pt_pool[8][512] __attribute__((aligned(4096)));
static int pt_used;

static u64 *table_at(u64 *entry)
{
	if (!(*entry & 1)) {
		if (pt_used == 8)
			return NULL;
		*entry = (u64)pt_pool[pt_used++] | 7;	/* present, rw, user */
	}
	return (u64 *)(*entry & 0x000ffffffffff000ULL);
}

void rt_map_mmio(u64 addr, u64 len)
{
	u64 cr3, *pml4;

	if (addr + len <= 0x100000000ULL)
		return;				/* entry.S maps the low 4 GiB */
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	pml4 = (u64 *)(cr3 & 0x000ffffffffff000ULL);
	for (u64 a = addr & ~0x1fffffULL; a < addr + len; a += 0x200000) {
		u64 *pdpt = table_at(&pml4[a >> 39 & 511]);
		u64 *pd = pdpt ? table_at(&pdpt[a >> 30 & 511]) : NULL;
		if (!pd) {
			rt_printf("rt_map_mmio: out of page tables at 0x%lx\n", a);
			return;
		}
		pd[a >> 21 & 511] = a | 0x9f;	/* P RW US PWT PCD PS */
	}
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}
