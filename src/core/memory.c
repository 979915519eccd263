/*T:100 Guest memory
 * The guest's RAM is a memfd mapped once into our process, as lguest's guest
 * memory was a range of the launcher's own.  KVM is told where it lies
 * (vm.c); we reach it only through gpa_ptr(), which refuses any range that is
 * not wholly inside RAM.  The guest chooses most of the addresses we will be
 * handed later (descriptor tables, buffers), so this one function is what
 * stands between a hostile guest and the launcher's own memory. */
#include "memory.h"
#include "../util.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void ram_layout(struct guest_ram *r, uint64_t size)
{
	r->size = size;
	r->low_size = size < LG_LOW_RAM_MAX ? size : LG_LOW_RAM_MAX;
	r->high_size = size - r->low_size;
	r->region[0] = (struct ram_region){ 0, r->low_size, r->host };
	r->region[1] = (struct ram_region){ LG_HIGH_RAM_BASE, r->high_size, r->host + r->low_size };
	r->nregions = r->high_size ? 2 : 1;
}

int ram_create(struct guest_ram *r, uint64_t size)
{
	ram_layout(r, size);
	r->fd = memfd_create("lguest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (r->fd < 0)
		return fail("cannot create guest memory: %s", strerror(errno));
	/* Sealed at its size: a vhost-user back-end we hand it to can trust
	 * that it will not shrink under its mappings. */
	if (ftruncate(r->fd, (off_t)size) < 0 || fcntl(r->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0)
		return fail("cannot size guest memory to %llu bytes: %s",
			    (unsigned long long)size, strerror(errno));
	r->host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, r->fd, 0);
	if (r->host == MAP_FAILED)
		return fail("cannot map %llu bytes of guest memory: %s (try a smaller -m)",
			    (unsigned long long)size, strerror(errno));
	ram_layout(r, size);
	return 0;
}

/* [gpa, gpa+len) inside [base, base+size)?  Written so nothing can wrap. */
static int inside(uint64_t gpa, uint64_t len, uint64_t base, uint64_t size)
{
	if (gpa < base)
		return 0;
	uint64_t off = gpa - base;
	return off <= size && len <= size - off;
}

void *gpa_ptr(const struct guest_ram *r, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < r->nregions; i++)
		if (inside(gpa, len, r->region[i].gpa, r->region[i].size))
			return r->region[i].host + (gpa - r->region[i].gpa);
	return NULL;
}
