/*T:500 The guest's memory map
 * With no firmware, nobody tells the guest where its RAM is but us.  Linux
 * reads an e820 table from the zero page, a PVH guest reads the same table
 * from hvm_start_info.  RAM runs from 0; we keep back the top of the first
 * 640 KiB (where a PC's EBDA sits) and the BIOS area from 0xE0000, where our
 * ACPI tables and MP table live.  The boot structures all sit in the first MiB, and the
 * kernel loads above it. */
#include "boot.h"
#include "../util.h"
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int e820_build(const struct guest_ram *r, struct e820_entry *e, int max)
{
	struct e820_entry t[] = {
		{ 0, BOOT_EBDA, E820_RAM },
		{ BOOT_EBDA, 0xA0000 - BOOT_EBDA, E820_RESERVED },
		{ BOOT_ACPI, 0x100000 - BOOT_ACPI, E820_RESERVED },
		{ 0x100000, r->low_size - 0x100000, E820_RAM },
		{ LG_HIGH_RAM_BASE, r->high_size, E820_RAM },
	};
	int n = r->high_size ? 5 : 4;
	if (r->low_size < BOOT_MIN_RAM || n > max)
		return -1;
	memcpy(e, t, sizeof(t[0]) * (size_t)n);
	return n;
}

int initrd_place(uint64_t lo, uint64_t hi, uint64_t size, uint64_t *addr)
{
	if (hi < lo || size > hi - lo)
		return -1;
	uint64_t a = (hi - size) & ~0xfffULL;
	if (a < lo)
		return -1;
	*addr = a;
	return 0;
}

int cmdline_put(const struct guest_ram *r, const struct boot_args *a, const char *cmdline, uint64_t max)
{
	size_t len = strlen(cmdline), added = len - strlen(a->cmdline);
	char why[64] = "";
	if (added)
		snprintf(why, sizeof(why), " (%zu of them this host's kvm-pvm parameters)", added);
	if (len + 1 > max)
		return fail("the kernel command line is %zu bytes%s; this kernel takes at most %llu: shorten %s",
			    len, why, (unsigned long long)(max - 1), a->shorten ? a->shorten : "-a");
	char *p = gpa_ptr(r, BOOT_CMDLINE, len + 1);
	if (!p)
		return fail("no room for the command line");
	memcpy(p, cmdline, len + 1);
	return 0;
}

int initrd_load(const struct guest_ram *r, const char *path, uint64_t lo, uint64_t hi,
		uint64_t *addr, uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return fail("initrd %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail("initrd %s: not a regular file", path);
	}
	*size = (uint64_t)st.st_size;
	if (initrd_place(lo, hi, *size, addr) < 0) {
		close(fd);                      /* more -m helps only if RAM is what ends [lo, hi) */
		bool more = hi == r->low_size && r->low_size < LG_LOW_RAM_MAX;
		return fail("initrd %s (%llu KiB) does not fit in guest memory between the kernel and %llu MiB (%s)",
			    path, (unsigned long long)(*size >> 10), (unsigned long long)(hi >> 20),
			    more ? "raise -m" : "the kernel takes it no higher: give a smaller initrd");
	}
	void *dst = gpa_ptr(r, *addr, *size);
	int rc = dst ? pread_full(fd, dst, *size, 0) : -1;
	close(fd);
	return rc < 0 ? fail("initrd %s: read failed", path) : 0;
}
