/*T:520 ELF kernels: PVH and vmlinux
 * An ELF file carries its load addresses in its program headers, so there is
 * no decompressor and no guessing.  Two kinds boot: one with a PVH note
 * (Xen's XEN_ELFNOTE_PHYS32_ENTRY, as QEMU, Firecracker and Cloud Hypervisor
 * read it), entered in 32-bit protected mode with %ebx pointing at a
 * struct hvm_start_info; and Linux's own vmlinux (it has notes named
 * "Linux"), entered like a bzImage, in long mode with a zero page.  Our test
 * guests are PVH ELFs, so the same image boots under QEMU for benchmarks. */
#include <elf.h>
#include "boot.h"
#include "../core/vm.h"
#include "../util.h"
#include <string.h>
#include <sys/stat.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};
struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

struct elf_kernel {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	uint64_t pvh_entry;    /* 0: none */
	int is_linux;
	uint64_t end;          /* highest byte loaded */
};

/* Walk the notes of one PT_NOTE segment (read into buf). */
static void scan_notes(struct elf_kernel *k, const uint8_t *buf, uint64_t len)
{
	uint64_t off = 0;
	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr n;
		memcpy(&n, buf + off, sizeof(n));
		uint64_t name = off + sizeof(n);
		uint64_t desc = name + (((uint64_t)n.n_namesz + 3) & ~3ULL);
		uint64_t next = desc + (((uint64_t)n.n_descsz + 3) & ~3ULL);
		if (next > len || desc > len)
			return;
		if (n.n_namesz == 4 && !memcmp(buf + name, "Xen", 4) &&
		    n.n_type == XEN_ELFNOTE_PHYS32_ENTRY && n.n_descsz >= 4) {
			uint32_t e;
			memcpy(&e, buf + desc, 4);
			k->pvh_entry = e;
		}
		if (n.n_namesz == 6 && !memcmp(buf + name, "Linux", 6))
			k->is_linux = 1;
		off = next;
	}
}

static int elf_parse(struct elf_kernel *k, int fd, const char *path)
{
	Elf64_Ehdr *e = &k->eh;
	if (pread_full(fd, e, sizeof(*e), 0) < 0 || e->e_ident[EI_CLASS] != ELFCLASS64 ||
	    e->e_machine != EM_X86_64 || e->e_type != ET_EXEC)
		return fail("kernel %s: not a 64-bit x86 executable ELF", path);
	if (e->e_phentsize != sizeof(Elf64_Phdr) || e->e_phnum == 0 || e->e_phnum > ARRAY_SIZE(k->ph))
		return fail("kernel %s: ELF program headers unreadable", path);
	if (pread_full(fd, k->ph, sizeof(Elf64_Phdr) * e->e_phnum, e->e_phoff) < 0)
		return fail("kernel %s: ELF program headers truncated", path);
	for (int i = 0; i < e->e_phnum; i++) {
		uint8_t buf[4096];
		if (k->ph[i].p_type != PT_NOTE)
			continue;
		uint64_t len = k->ph[i].p_filesz < sizeof(buf) ? k->ph[i].p_filesz : sizeof(buf);
		if (pread_full(fd, buf, len, k->ph[i].p_offset) == 0)
			scan_notes(k, buf, len);
	}
	if (!k->pvh_entry && !k->is_linux)
		return fail("kernel %s: ELF without a PVH entry note, and not a Linux vmlinux", path);
	return 0;
}

static int load_segments(struct elf_kernel *k, struct vm *vm, int fd, const char *path)
{
	for (int i = 0; i < k->eh.e_phnum; i++) {
		const Elf64_Phdr *p = &k->ph[i];
		if (p->p_type != PT_LOAD || !p->p_memsz)
			continue;
		uint8_t *dst = gpa_ptr(&vm->ram, p->p_paddr, p->p_memsz);
		if (!dst || p->p_paddr < BOOT_KERNEL_MIN || p->p_filesz > p->p_memsz)
			return fail("kernel %s: ELF segment at %#llx+%#llx does not fit in %llu MiB of guest RAM above 1 MiB (raise -m)",
				    path, (unsigned long long)p->p_paddr, (unsigned long long)p->p_memsz,
				    (unsigned long long)(vm->ram.size >> 20));
		if (pread_full(fd, dst, p->p_filesz, p->p_offset) < 0)
			return fail("kernel %s: ELF segment truncated", path);
		memset(dst + p->p_filesz, 0, p->p_memsz - p->p_filesz);
		if (p->p_paddr + p->p_memsz > k->end)
			k->end = p->p_paddr + p->p_memsz;
	}
	return k->end ? 0 : fail("kernel %s: ELF has nothing to load", path);
}

/* hvm_start_info, its module list (the initrd) and memory map. */
static int pvh_start_info(struct vm *vm, const struct boot_args *a, uint64_t kernel_end)
{
	struct hvm_start_info *si = gpa_ptr(&vm->ram, BOOT_PVH_INFO, sizeof(*si));
	struct hvm_modlist_entry *mod = gpa_ptr(&vm->ram, BOOT_PVH_INFO + 64, sizeof(*mod));
	struct e820_entry e[E820_MAX];
	int n = e820_build(&vm->ram, e, E820_MAX);
	struct hvm_memmap_entry *mm = gpa_ptr(&vm->ram, BOOT_PVH_MEMMAP, sizeof(*mm) * E820_MAX);
	if (n < 0)
		return fail("guest memory too small (at least %llu MiB)", BOOT_MIN_RAM >> 20);
	*si = (struct hvm_start_info){
		.magic = HVM_START_MAGIC, .version = 1, .cmdline_paddr = BOOT_CMDLINE,
		.rsdp_paddr = BOOT_ACPI,
		.memmap_paddr = BOOT_PVH_MEMMAP, .memmap_entries = (uint32_t)n,
	};
	for (int i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_entry){ e[i].addr, e[i].size, e[i].type, 0 };
	if (!a->initrd)
		return 0;
	uint64_t hi = vm->ram.low_size, addr, size;
	if (initrd_load(&vm->ram, a->initrd, kernel_end, hi, &addr, &size) < 0)
		return -1;
	*mod = (struct hvm_modlist_entry){ .paddr = addr, .size = size };
	si->nr_modules = 1;
	si->modlist_paddr = BOOT_PVH_INFO + 64;
	return 0;
}

static int vmlinux_boot(struct vm *vm, struct elf_kernel *k, const struct boot_args *a)
{
	uint8_t *zp = gpa_ptr(&vm->ram, BOOT_ZERO_PAGE, 4096);
	char buf[8192];
	const char *cmdline = linux_cmdline(a, buf, sizeof(buf));
	if (zero_page_build(zp, NULL, 0, &vm->ram, strlen(cmdline)) < 0 ||
	    cmdline_put(&vm->ram, cmdline, BOOT_CMDLINE_MAX) < 0)
		return -1;
	if (a->initrd && linux_initrd(vm, zp, a->initrd, (k->end + 0xfff) & ~0xfffULL) < 0)
		return -1;
	return cpu_boot_long(&vm->vcpu[0], &vm->ram, k->eh.e_entry, BOOT_ZERO_PAGE);
}

int elf_boot(struct vm *vm, int fd, const char *path, const struct boot_args *a)
{
	struct elf_kernel k;
	memset(&k, 0, sizeof(k));
	if (elf_parse(&k, fd, path) < 0 || load_segments(&k, vm, fd, path) < 0)
		return -1;
	if (k.is_linux)
		return vmlinux_boot(vm, &k, a);
	if (cmdline_put(&vm->ram, a->cmdline, BOOT_CMDLINE_MAX) < 0)
		return -1;
	if (pvh_start_info(vm, a, (k.end + 0xfff) & ~0xfffULL) < 0)
		return -1;
	return cpu_boot_pvh(&vm->vcpu[0], &vm->ram, k.pvh_entry, BOOT_PVH_INFO);
}
