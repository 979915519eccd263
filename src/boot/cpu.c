/*T:530 The first registers
 * A real PC starts in 16-bit real mode and firmware climbs to long mode.  We
 * skip the climb: the boot vCPU starts where the kernel's entry expects it.
 * For Linux that is 64-bit mode with paging on: a GDT with the flat
 * segments the boot protocol names (code 0x10, data 0x18) and page tables
 * that identity-map the first 4 GiB in 2 MiB pages.  For PVH it is 32-bit
 * protected mode, paging off.  The other vCPUs are left to the guest, which
 * wakes them with INIT and SIPI through the in-kernel local APIC.
 *
 * CPUID is the host's (KVM_GET_SUPPORTED_CPUID) with each vCPU's APIC ID
 * filled in and the hypervisor bit set, so Linux finds KVM's paravirt
 * leaves at 0x40000000 (kvm-clock, PV EOI, PV unhalt, steal time). */
#include "boot.h"
#include "../core/vm.h"
#include "../util.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

static struct kvm_cpuid2 *supported_cpuid(int kvm)
{
	for (int n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (size_t)n * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = (uint32_t)n;
		if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}

static void cpuid_for(struct kvm_cpuid2 *c, int apic_id, int ncpus)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x0000ffff) | ((uint32_t)ncpus << 16) | ((uint32_t)apic_id << 24);
			e->ecx |= 1u << 31;         /* "running on a hypervisor" */
			break;
		case 0xb:
		case 0x1f:
			e->edx = (uint32_t)apic_id;  /* x2APIC ID */
			break;
		}
	}
}

int cpu_init(struct vm *vm)
{
	struct kvm_cpuid2 *c = supported_cpuid(vm->kvm);
	if (!c)
		return fail("KVM_GET_SUPPORTED_CPUID failed: %s", strerror(errno));
	int rc = 0;
	for (int i = 0; i < vm->ncpus && rc == 0; i++) {
		cpuid_for(c, i, vm->ncpus);
		if (ioctl(vm->vcpu[i].fd, KVM_SET_CPUID2, c) < 0)
			rc = fail("KVM_SET_CPUID2 failed on vCPU %d: %s", i, strerror(errno));
	}
	free(c);
	return rc;
}

static const struct kvm_segment code64 = {
	.limit = 0xffffffff, .selector = 0x10, .type = 0xb, .present = 1, .s = 1, .l = 1, .g = 1,
};
static const struct kvm_segment code32 = {
	.limit = 0xffffffff, .selector = 0x08, .type = 0xb, .present = 1, .s = 1, .db = 1, .g = 1,
};
static const struct kvm_segment data = {
	.limit = 0xffffffff, .selector = 0x18, .type = 0x3, .present = 1, .s = 1, .db = 1, .g = 1,
};
static const struct kvm_segment tss = {
	.limit = 0x67, .selector = 0x20, .type = 0xb, .present = 1,
};

/* The same flat segments, in a GDT in guest memory for when the guest
 * reloads a selector. */
static int write_gdt(const struct guest_ram *r, struct kvm_sregs *s)
{
	static const uint64_t gdt[] = {
		0, 0x00cf9b000000ffffULL, 0x00af9b000000ffffULL, 0x00cf93000000ffffULL,
		0x00008b0000000067ULL,
	};
	void *p = gpa_ptr(r, BOOT_GDT, sizeof(gdt));
	if (!p)
		return fail("no room for the GDT");
	memcpy(p, gdt, sizeof(gdt));
	s->gdt.base = BOOT_GDT;
	s->gdt.limit = sizeof(gdt) - 1;
	s->idt.base = 0;
	s->idt.limit = 0;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = tss;
	return 0;
}

/* PML4[0] -> PDPT, PDPT[0..3] -> four PDs of 512 2-MiB pages each. */
static int write_page_tables(const struct guest_ram *r)
{
	uint64_t *pml4 = gpa_ptr(r, BOOT_PML4, 4096);
	uint64_t *pdpt = gpa_ptr(r, BOOT_PDPT, 4096);
	uint64_t *pd = gpa_ptr(r, BOOT_PD, 4 * 4096);
	if (!pml4 || !pdpt || !pd)
		return fail("no room for the boot page tables");
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = BOOT_PDPT | 0x3;                       /* present, writable */
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD + i * 4096) | 0x3;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83;                /* present, writable, 2 MiB */
	return 0;
}

static int set_regs(struct vcpu *v, struct kvm_sregs *s, uint64_t rip, uint64_t rsi, uint64_t rbx)
{
	struct kvm_regs g = { .rip = rip, .rsi = rsi, .rbx = rbx, .rflags = 2 };
	if (ioctl(v->fd, KVM_SET_SREGS, s) < 0 || ioctl(v->fd, KVM_SET_REGS, &g) < 0)
		return fail("cannot set the boot vCPU's registers: %s", strerror(errno));
	return 0;
}

int cpu_boot_long(struct vcpu *v, const struct guest_ram *r, uint64_t entry, uint64_t rsi)
{
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return fail("KVM_GET_SREGS: %s", strerror(errno));
	if (write_gdt(r, &s) < 0 || write_page_tables(r) < 0)
		return -1;
	s.cs = code64;
	s.cr3 = BOOT_PML4;
	s.cr4 = 0x20;                      /* PAE */
	s.cr0 = 0x80000033;                /* PG NE ET MP PE */
	s.efer = 0x500;                    /* LME LMA */
	return set_regs(v, &s, entry, rsi, 0);
}

int cpu_boot_pvh(struct vcpu *v, const struct guest_ram *r, uint64_t entry, uint64_t start_info)
{
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return fail("KVM_GET_SREGS: %s", strerror(errno));
	if (write_gdt(r, &s) < 0)
		return -1;
	s.cs = code32;
	s.cr0 = 0x11;                      /* ET PE */
	s.cr4 = 0;
	s.efer = 0;
	return set_regs(v, &s, entry, 0, start_info);
}
