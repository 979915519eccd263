#ifndef LG_BUS_H
#define LG_BUS_H
#include <stdbool.h>
#include <stdint.h>

/* A device's answer to one access: offset is relative to the start of the
 * range it registered; data holds len bytes (1, 2, 4 or 8). */
typedef void (*bus_fn)(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);

struct bus_range {
	uint64_t base, len;
	bus_fn fn;
	void *opaque;
};

#define BUS_MAX_RANGES 64
struct bus {
	struct bus_range range[BUS_MAX_RANGES];
	int n;
};

/* Claim [base, base+len); -1 (with fail()) when full or overlapping. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_fn fn, void *opaque);
/* Send one access to its owner.  false when nobody owns addr: then a read
 * has been answered with all ones, as an empty bus does. */
bool bus_access(const struct bus *b, uint64_t addr, uint8_t *data, unsigned len, bool is_write);
#endif
