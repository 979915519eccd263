/*T:510 Loading Linux with no firmware
 * A bzImage starts with a header (Documentation/x86/boot.rst) that a boot
 * loader reads and fills in: "HdrS" at 0x202, the protocol version, where
 * the 64-bit code may go and how much room it needs to decompress itself.
 * We copy that header into a zero page (struct boot_params) at 0x7000, add
 * the e820 map, command line and initrd, read the protected-mode kernel to
 * its preferred address, and point the boot vCPU at its 64-bit entry: load
 * address + 0x200, %rsi = zero page, already in long mode (cpu.c).  An ELF
 * file goes to elf.c. */
#include "boot.h"
#include "../core/vm.h"
#include "../util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The setup header, at offset 0x1f1 of both the bzImage and the zero page. */
struct bz_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size, vid_mode, root_dev, boot_flag, jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg, kernel_version;
	uint8_t type_of_loader, loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start, ramdisk_image, ramdisk_size, bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver, ext_loader_type;
	uint32_t cmd_line_ptr, initrd_addr_max, kernel_alignment;
	uint8_t relocatable_kernel, min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size, hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset, payload_length;
	uint64_t setup_data, pref_address;
	uint32_t init_size, handover_offset, kernel_info_offset;
} __attribute__((packed));
_Static_assert(offsetof(struct bz_header, header) == 0x202 - 0x1f1, "setup header layout");
_Static_assert(offsetof(struct bz_header, pref_address) == 0x258 - 0x1f1, "setup header layout");

#define HDR_OFF         0x1f1
#define ZP_ACPI_RSDP    0x070
#define ZP_E820_ENTRIES 0x1e8
#define ZP_E820_TABLE   0x2d0
#define HDRS            0x53726448      /* "HdrS" */
#define XLF_KERNEL_64   (1 << 0)
#define LOADED_HIGH     (1 << 0)
#define KERNEL_ADDR     0x1000000ULL    /* 16 MiB, where a bzImage wants to run */

static struct bz_header *hdr_of(uint8_t *page)
{
	return (struct bz_header *)(page + HDR_OFF);
}

/* Is buf (the first len bytes of a file) a bzImage we can boot? */
int bz_check(const uint8_t *buf, uint64_t len)
{
	struct bz_header h;
	if (len < HDR_OFF + sizeof(h))
		return fail("too short to be a bzImage");
	memcpy(&h, buf + HDR_OFF, sizeof(h));
	if (h.boot_flag != 0xAA55 || h.header != HDRS)
		return fail("not a bzImage (no \"HdrS\" boot header)");
	if (h.version < 0x020c || !(h.xloadflags & XLF_KERNEL_64))
		return fail("bzImage has boot protocol %u.%02u without a 64-bit entry; lguest needs 2.12 or later (Linux 3.8+)",
			    h.version >> 8, h.version & 0xff);
	return 0;
}

/* Fill the zero page: the kernel's own header (hdr_len bytes from 0x1f1),
 * then what a boot loader owes it. hdr == NULL makes one from scratch, for
 * an ELF vmlinux, which has none. */
int zero_page_build(uint8_t *zp, const uint8_t *hdr, uint64_t hdr_len, const struct guest_ram *r)
{
	struct bz_header *h = hdr_of(zp);
	memset(zp, 0, 4096);
	if (hdr) {
		if (hdr_len > 0x290 - HDR_OFF)
			hdr_len = 0x290 - HDR_OFF;
		memcpy(zp + HDR_OFF, hdr, hdr_len);
	} else {
		h->boot_flag = 0xAA55;
		h->header = HDRS;
		h->version = 0x020c;
		h->loadflags = LOADED_HIGH;
		h->kernel_alignment = 0x1000000;
		h->initrd_addr_max = 0x7fffffff;
		h->cmdline_size = BOOT_CMDLINE_MAX - 1;
	}
	uint64_t max = h->version < 0x0206 ? 256 : h->cmdline_size + 1ULL;
	max = max < BOOT_CMDLINE_MAX ? max : BOOT_CMDLINE_MAX;
	h->type_of_loader = 0xff;
	h->cmd_line_ptr = BOOT_CMDLINE;
	uint64_t rsdp = BOOT_ACPI;                       /* read from protocol 2.14 */
	memcpy(zp + ZP_ACPI_RSDP, &rsdp, sizeof(rsdp));
	int n = e820_build(r, (struct e820_entry *)(zp + ZP_E820_TABLE), E820_MAX);
	if (n < 0)
		return fail("guest memory too small (at least %llu MiB)", BOOT_MIN_RAM >> 20);
	zp[ZP_E820_ENTRIES] = (uint8_t)n;
	return (int)max;
}

/* Initrd above the kernel, as high as the kernel allows. */
int linux_initrd(struct vm *vm, uint8_t *zp, const char *path, uint64_t kernel_end)
{
	struct bz_header *h = hdr_of(zp);
	uint64_t hi = (uint64_t)h->initrd_addr_max + 1, addr, size;
	if (hi > vm->ram.low_size)
		hi = vm->ram.low_size;
	if (initrd_load(&vm->ram, path, kernel_end, hi, &addr, &size) < 0)
		return -1;
	h->ramdisk_image = (uint32_t)addr;
	h->ramdisk_size = (uint32_t)size;
	return 0;
}

static bool params_given;        /* linux_cmdline() put linux_params first */

const char *linux_cmdline(const struct boot_args *a, char *buf, size_t size)
{
	if (!a->linux_params)
		return a->cmdline;
	params_given = true;
	snprintf(buf, size, "%s %s", a->linux_params, a->cmdline);
	return buf;
}

static int bz_load(struct vm *vm, int fd, const char *path, const uint8_t *head,
		   uint64_t file_size, const struct boot_args *a)
{
	const struct bz_header *fh = (const struct bz_header *)(head + HDR_OFF);
	uint64_t setup = ((uint64_t)(fh->setup_sects ? fh->setup_sects : 4) + 1) * 512;
	uint64_t promised = setup + 16 * (uint64_t)(fh->syssize ? fh->syssize : 1);
	if (promised > file_size)
		return fail("kernel %s is truncated: its header promises %llu bytes, the file has %llu",
			    path, (unsigned long long)promised, (unsigned long long)file_size);
	uint64_t ksize = file_size - setup, need = fh->init_size > ksize ? fh->init_size : ksize;
	uint8_t *kernel = gpa_ptr(&vm->ram, KERNEL_ADDR, need);
	if (!kernel)
		return fail("kernel %s needs %llu MiB of guest memory above 16 MiB; raise -m",
			    path, (unsigned long long)(need >> 20) + 1);
	if (pread_full(fd, kernel, ksize, setup) < 0)
		return fail("kernel %s: read failed", path);

	uint8_t *zp = gpa_ptr(&vm->ram, BOOT_ZERO_PAGE, 4096);
	uint64_t hdr_len = 0x202 + head[0x201] - HDR_OFF;
	char buf[8192];
	int max = zero_page_build(zp, head + HDR_OFF, hdr_len, &vm->ram);
	if (max < 0 || cmdline_put(&vm->ram, a, linux_cmdline(a, buf, sizeof(buf)), (uint64_t)max) < 0)
		return -1;
	hdr_of(zp)->code32_start = KERNEL_ADDR;
	if (a->initrd && linux_initrd(vm, zp, a->initrd, KERNEL_ADDR + need) < 0)
		return -1;
	return cpu_boot_long(&vm->vcpu[0], &vm->ram, KERNEL_ADDR + 0x200, BOOT_ZERO_PAGE);
}

int boot_kernel(struct vm *vm, const struct boot_args *a)
{
	uint8_t head[8192];
	struct stat st;
	int fd = open(a->kernel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("kernel %s: %s", a->kernel, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail("kernel %s: not a regular file (give a bzImage or an ELF kernel)", a->kernel);
	}
	memset(head, 0, sizeof(head));
	ssize_t n = pread(fd, head, sizeof(head), 0);
	int rc;
	if (n >= 4 && !memcmp(head, "\177ELF", 4))
		rc = elf_boot(vm, fd, a->kernel, a);
	else if (n > 0 && bz_check(head, (uint64_t)n) == 0)
		rc = bz_load(vm, fd, a->kernel, head, (uint64_t)st.st_size, a);
	else {
		char why[sizeof(lg_error)];
		snprintf(why, sizeof(why), "%s", n < 0 ? strerror(errno) : n == 0 ? "empty file" : lg_error);
		rc = fail("kernel %s: neither a bzImage nor an ELF file: %s", a->kernel, why);
	}
	close(fd);
	if (rc == 0 && params_given && a->notes)
		fprintf(stderr, "lguest: note: this host's KVM is kvm-pvm, so Linux's command line starts with \"%s\", "
			"which keeps the kernel off what the host cannot emulate\n", a->linux_params);
	return rc;
}
