/* fuzz_bzimage, fuzz_elf: lguest's loaders on a hostile kernel image,
 * through their public entry, boot_kernel() (so a loader may change inside
 * and this still builds): the input is the file, 48 MiB of guest RAM.
 * fuzz_bzimage (LOADER_bzimage) keeps the boot sector's 0xAA55 and "HdrS"
 * in place, so the fuzzer spends its time on the setup header; fuzz_elf
 * (LOADER_elf) keeps "\177ELF", for the ELF header, program headers and
 * notes (PVH's XEN_ELFNOTE_PHYS32_ENTRY, Linux's).  The vCPU has no KVM
 * behind it: loading succeeds or fails before the first register is set.
 * An odd last byte adds an initrd (the input's first half). */
#include "fuzz.h"
#include "boot/boot.h"
#include <stdlib.h>

#define RAM (48u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t file[1 << 16];
	static int fd = -1, initrd_fd = -1;
	char path[32], initrd[32];
	struct vm *vm = fuzz_vm(RAM);
	if (size > sizeof(file))
		return 0;
	memcpy(file, data, size);
#ifdef LOADER_bzimage
	if (size < 0x210)
		return 0;
	memcpy(file + 0x1fe, "\x55\xaa", 2);
	memcpy(file + 0x202, "HdrS", 4);
#else
	if (size < 4)
		return 0;
	memcpy(file, "\177ELF", 4);
#endif
	struct boot_args a = { .kernel = fuzz_file(&fd, path, file, size), .cmdline = "console=ttyS0" };
	if (data[size - 1] & 1)
		a.initrd = fuzz_file(&initrd_fd, initrd, data, size / 2);
	boot_kernel(vm, &a);
	return 0;
}
