/* memsize: sums the type-1 (RAM) entries of the PVH memory map and prints
 * ram_bytes=, ram_top= (highest end address of RAM) and map_entries=.
 * probe=ADDR also reads and writes the 32-bit word at ADDR (within the
 * identity-mapped 4 GiB) and prints probe=0x<value read>: beyond RAM that
 * is an MMIO exit to the launcher, which answers all ones. */
#include "rt.h"

int main(void)
{
	const struct hvm_memmap_entry *map;
	int n = rt_memmap(&map);
	u64 bytes = 0, top = 0;

	for (int i = 0; i < n; i++) {
		if (rt_arg("verbose", 0))
			rt_printf("map[%d] addr=0x%lx size=0x%lx type=%u\n",
				  i, map[i].addr, map[i].size, map[i].type);
		if (map[i].type != 1)
			continue;
		bytes += map[i].size;
		if (map[i].addr + map[i].size > top)
			top = map[i].addr + map[i].size;
	}
	rt_printf("ram_bytes=%lu\nram_top=%lu\nmap_entries=%d\n", bytes, top, n);
	u64 probe = rt_arg("probe", 0);
	if (probe) {
		volatile u32 *p = phys(probe);
		*p = 0x12345678;
		rt_printf("probe=0x%x\n", *p);
	}
	return 0;
}
