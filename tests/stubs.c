/* The unit tests link the pure parts of lguest; these stand in for the
 * parts that need KVM. */
#include "boot/boot.h"
int elf_boot(struct vm *vm, int fd, const char *path, const struct boot_args *a)
{
	(void)vm, (void)fd, (void)path, (void)a;
	return -1;
}
int cpu_boot_long(struct vcpu *v, const struct guest_ram *r, uint64_t entry, uint64_t rsi)
{
	(void)v, (void)r, (void)entry, (void)rsi;
	return -1;
}
