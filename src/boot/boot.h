#ifndef LG_BOOT_H
#define LG_BOOT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../core/memory.h"

struct vm;
struct vcpu;

/* Where the boot structures go in guest-physical memory: all in the first
 * MiB, below where any kernel loads (docs/TOUR.md has the map). */
#define BOOT_GDT          0x0500
#define BOOT_PVH_INFO     0x6000     /* hvm_start_info, then modlist */
#define BOOT_PVH_MEMMAP   0x6100
#define BOOT_ZERO_PAGE    0x7000     /* Linux's struct boot_params */
#define BOOT_PML4         0x9000
#define BOOT_PDPT         0xA000
#define BOOT_PD           0xB000     /* four pages: 4 GiB in 2 MiB pages */
#define BOOT_CMDLINE      0x20000
#define BOOT_EBDA         0x9FC00
#define BOOT_ACPI         0xE0000    /* RSDP, then the tables */
#define BOOT_ACPI_SIZE    0x2000
#define BOOT_MPTABLE      0xF0000
#define BOOT_KERNEL_MIN   0x100000   /* nothing of the kernel's below 1 MiB */
#define BOOT_CMDLINE_MAX  2048       /* x86 Linux's COMMAND_LINE_SIZE */
#define BOOT_MIN_RAM      (2ULL << 20)

#define E820_RAM      1
#define E820_RESERVED 2
struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));
#define E820_MAX 8

/* What the user asked to boot. */
struct boot_args {
	const char *kernel, *initrd, *cmdline;
	const char *linux_params;   /* put before cmdline for Linux only (pvm.c) */
	const char *shorten;        /* what the user can shorten: "-a", ... */
	bool notes;                 /* say what lguest adds to the command line */
};
/* The command line a Linux kernel gets: linux_params, then cmdline. */
const char *linux_cmdline(const struct boot_args *a, char *buf, size_t size);

/* memmap.c: the guest's view of its physical memory. */
int e820_build(const struct guest_ram *r, struct e820_entry *e, int max);
/* The highest page-aligned place for size bytes in [lo, hi); -1 if none. */
int initrd_place(uint64_t lo, uint64_t hi, uint64_t size, uint64_t *addr);
/* Copy the command line (a's, or linux_cmdline()'s) to BOOT_CMDLINE if it
 * fits in max bytes with its NUL. */
int cmdline_put(const struct guest_ram *r, const struct boot_args *a, const char *cmdline, uint64_t max);
/* Read the initrd file to the top of [lo, hi). */
int initrd_load(const struct guest_ram *r, const char *path, uint64_t lo, uint64_t hi,
		uint64_t *addr, uint64_t *size);

/* linux.c: bzImage and ELF vmlinux through the 64-bit boot protocol. */
int boot_kernel(struct vm *vm, const struct boot_args *a);
struct bz_header;
int bz_check(const uint8_t *buf, uint64_t len);
/* Returns the most bytes of command line (with its NUL) the kernel takes. */
int zero_page_build(uint8_t *zp, const uint8_t *hdr, uint64_t hdr_len, const struct guest_ram *r);

/* The initrd above kernel_end, its place and size written to the zero page. */
int linux_initrd(struct vm *vm, uint8_t *zp, const char *path, uint64_t kernel_end);

/* elf.c: ELF files, with a PVH note or a Linux one. */
int elf_boot(struct vm *vm, int fd, const char *path, const struct boot_args *a);

/* cpu.c: CPUID for every vCPU, and the boot vCPU's first registers. */
int cpu_init(struct vm *vm);
int cpu_boot_long(struct vcpu *v, const struct guest_ram *r, uint64_t entry, uint64_t rsi);
int cpu_boot_pvh(struct vcpu *v, const struct guest_ram *r, uint64_t entry, uint64_t start_info);

/* mptable.c: tell the guest about its CPUs and interrupt controllers. */
int mptable_write(const struct guest_ram *r, int ncpus);
/* dsdt.c: the DSDT's AML (\_S5, COM1, RTC_, PCI0) into at most cap bytes; its
 * length (more than cap: it did not fit). */
size_t dsdt_body(uint8_t *p, size_t cap);
/* acpi.c: the same in ACPI tables (RSDP at BOOT_ACPI), and soft-off. */
int acpi_write(const struct guest_ram *r, int ncpus);
#endif
