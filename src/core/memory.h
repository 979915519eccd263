#ifndef LG_MEMORY_H
#define LG_MEMORY_H
#include <stdint.h>

/* Guest-physical layout: RAM starts at 0; what does not fit below the 32-bit
 * hole (where the LAPIC, IOAPIC and later PCI BARs live) continues at 4 GiB. */
#define LG_LOW_RAM_MAX  0xC0000000ULL
#define LG_HIGH_RAM_BASE 0x100000000ULL

/* Where guest-physical addresses lie in our address space: lguest's own
 * guest has two regions (below the hole, above 4 GiB); the LAN switch maps
 * up to RAM_MAX_REGIONS that a vhost-user front-end hands it. */
#define RAM_MAX_REGIONS 8
struct ram_region {
	uint64_t gpa, size;
	uint8_t *host;
};

struct guest_ram {
	uint8_t *host;        /* one mapping of the whole memfd */
	uint64_t size;        /* total bytes */
	uint64_t low_size;    /* bytes at [0, low_size) */
	uint64_t high_size;   /* bytes at [4 GiB, 4 GiB + high_size) */
	int fd;               /* the memfd; -1 when not created */
	struct ram_region region[RAM_MAX_REGIONS];
	int nregions;
};

/* Split size into the two regions at r->host (pure: no memory is made). */
void ram_layout(struct guest_ram *r, uint64_t size);
/* Make the memfd and map it; -1 (with fail()) on error. */
int ram_create(struct guest_ram *r, uint64_t size);

/* THE checked accessor: a host pointer to guest-physical [gpa, gpa+len), or
 * NULL unless the range lies wholly inside one RAM region.  Every guest
 * address lguest (and its switch) touches goes through here; it cannot
 * overflow. */
void *gpa_ptr(const struct guest_ram *r, uint64_t gpa, uint64_t len);
#endif
