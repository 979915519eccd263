/*T:300 The bus: which device owns an address
 * When the guest touches an I/O port or an MMIO address that is not RAM, KVM
 * stops the vCPU and tells us the address (vm.c).  The bus is a short table
 * of [base, base+len) ranges, one per device; a lookup is a walk over a
 * dozen entries and allocates nothing.  Unclaimed ports read as all ones and
 * swallow writes, as on a real machine with nothing plugged in. */
#include "bus.h"
#include "../util.h"
#include <string.h>

int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_fn fn, void *opaque)
{
	if (!len || base + len < base)
		return fail("bus: empty or wrapping range %#llx+%#llx",
			    (unsigned long long)base, (unsigned long long)len);
	if (b->n == BUS_MAX_RANGES)
		return fail("bus: more than %d ranges", BUS_MAX_RANGES);
	for (int i = 0; i < b->n; i++) {
		const struct bus_range *r = &b->range[i];
		if (base < r->base + r->len && r->base < base + len)
			return fail("bus: range %#llx+%#llx overlaps %#llx+%#llx",
				    (unsigned long long)base, (unsigned long long)len,
				    (unsigned long long)r->base, (unsigned long long)r->len);
	}
	b->range[b->n++] = (struct bus_range){ base, len, fn, opaque };
	return 0;
}

bool bus_access(const struct bus *b, uint64_t addr, uint8_t *data, unsigned len, bool is_write)
{
	for (int i = 0; i < b->n; i++) {
		const struct bus_range *r = &b->range[i];
		if (addr >= r->base && addr - r->base < r->len) {
			r->fn(r->opaque, addr - r->base, data, len, is_write);
			return true;
		}
	}
	if (!is_write)
		memset(data, 0xff, len);
	return false;
}
