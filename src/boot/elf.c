/*T:520 ELF kernels: PVH and vmlinux
 * An ELF file carries its load addresses in its program headers, so there is
 * no decompressor and no guessing.  Two kinds boot: one with a PVH note
 * (Xen's XEN_ELFNOTE_PHYS32_ENTRY, as QEMU, Firecracker and Cloud Hypervisor
 * read it), entered in 32-bit protected mode with %ebx pointing at a
 * struct hvm_start_info; and Linux's own vmlinux (it has notes named
 * "Linux"), entered like a bzImage, in long mode with a zero page.  A PVH
 * kernel may be a 32-bit ELF (i386), as freestanding kernels and test suites
 * ship; QEMU and Xen boot those too.  Our test guests are PVH ELFs, so the
 * same image boots under QEMU for benchmarks. */
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
	Elf64_Phdr ph[64];     /* a 32-bit file's, widened */
	unsigned phnum;
	uint64_t entry;
	uint64_t pvh_entry;    /* 0: none */
	int is_linux, is32;
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

/* The ELF header and the program headers, 32-bit ones widened. */
static int read_headers(struct elf_kernel *k, int fd, const char *path)
{
	union { Elf64_Ehdr e64; Elf32_Ehdr e32; } h;   /* e_type, e_machine: same place */
	Elf32_Phdr p32[ARRAY_SIZE(k->ph)];
	if (pread_full(fd, &h, sizeof(h), 0) < 0)
		return fail("kernel %s is truncated: no room for its ELF header", path);
	k->is32 = h.e64.e_ident[EI_CLASS] == ELFCLASS32;
	if (h.e64.e_ident[EI_CLASS] != (h.e64.e_machine == EM_386 ? ELFCLASS32 : ELFCLASS64) ||
	    (h.e64.e_machine != EM_X86_64 && h.e64.e_machine != EM_386))
		return fail("kernel %s: not an x86 ELF (x86-64, or i386 with a PVH note)", path);
	if (h.e64.e_type != ET_EXEC)
		return fail("kernel %s: an ELF %s, not an executable kernel", path,
			    h.e64.e_type == ET_DYN ? "shared object or position-independent program" : "object");
	k->phnum = k->is32 ? h.e32.e_phnum : h.e64.e_phnum;
	k->entry = k->is32 ? h.e32.e_entry : h.e64.e_entry;
	uint64_t off = k->is32 ? h.e32.e_phoff : h.e64.e_phoff;
	size_t size = k->is32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr);
	if ((k->is32 ? h.e32.e_phentsize : h.e64.e_phentsize) != size || !k->phnum || k->phnum > ARRAY_SIZE(k->ph))
		return fail("kernel %s: ELF program headers unreadable", path);
	if (pread_full(fd, k->is32 ? (void *)p32 : (void *)k->ph, size * k->phnum, off) < 0)
		return fail("kernel %s is truncated: its ELF program headers are not all there", path);
	for (unsigned i = 0; k->is32 && i < k->phnum; i++)
		k->ph[i] = (Elf64_Phdr){ .p_type = p32[i].p_type, .p_offset = p32[i].p_offset, .p_paddr = p32[i].p_paddr,
					 .p_filesz = p32[i].p_filesz, .p_memsz = p32[i].p_memsz };
	return 0;
}

static int elf_parse(struct elf_kernel *k, int fd, const char *path)
{
	struct stat st;
	if (read_headers(k, fd, path) < 0 || fstat(fd, &st) < 0)
		return -1;
	uint64_t size = (uint64_t)st.st_size;
	for (unsigned i = 0; i < k->phnum; i++) {
		const Elf64_Phdr *p = &k->ph[i];
		uint8_t buf[4096];
		uint64_t len = p->p_filesz < sizeof(buf) ? p->p_filesz : sizeof(buf);
		if (p->p_type != PT_LOAD && p->p_type != PT_NOTE)
			continue;
		if (p->p_offset > size || p->p_filesz > size - p->p_offset)
			return fail("kernel %s is truncated: its program headers promise %llu bytes, the file has %llu",
				    path, (unsigned long long)(p->p_offset + p->p_filesz), (unsigned long long)size);
		if (p->p_type == PT_NOTE && pread_full(fd, buf, len, p->p_offset) == 0)
			scan_notes(k, buf, len);
	}
	if (k->is32 && !k->pvh_entry)
		return fail("kernel %s: a 32-bit ELF without a PVH entry note (lguest boots 32-bit kernels through PVH)", path);
	if (!k->pvh_entry && !k->is_linux)
		return fail("kernel %s: ELF without a PVH entry note, and not a Linux vmlinux", path);
	return 0;
}

static int load_segments(struct elf_kernel *k, struct vm *vm, int fd, const char *path)
{
	for (unsigned i = 0; i < k->phnum; i++) {
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
	int max = zero_page_build(zp, NULL, 0, &vm->ram);
	if (max < 0 || cmdline_put(&vm->ram, a, linux_cmdline(a, buf, sizeof(buf)), (uint64_t)max) < 0)
		return -1;
	if (a->initrd && linux_initrd(vm, zp, a->initrd, (k->end + 0xfff) & ~0xfffULL) < 0)
		return -1;
	return cpu_boot_long(&vm->vcpu[0], &vm->ram, k->entry, BOOT_ZERO_PAGE);
}

int elf_boot(struct vm *vm, int fd, const char *path, const struct boot_args *a)
{
	struct elf_kernel k;
	memset(&k, 0, sizeof(k));
	if (elf_parse(&k, fd, path) < 0 || load_segments(&k, vm, fd, path) < 0)
		return -1;
	if (k.is_linux && !k.is32)
		return vmlinux_boot(vm, &k, a);
	if (cmdline_put(&vm->ram, a, a->cmdline, BOOT_CMDLINE_MAX) < 0)
		return -1;
	if (pvh_start_info(vm, a, (k.end + 0xfff) & ~0xfffULL) < 0)
		return -1;
	return cpu_boot_pvh(&vm->vcpu[0], &vm->ram, k.pvh_entry, BOOT_PVH_INFO);
}
