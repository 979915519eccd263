/*T:225 When a vCPU cannot go on
 * say where it stood: the registers a developer needs first, and the
 * instruction bytes at RIP (found through the guest's own page tables with
 * KVM_TRANSLATE, read through the checked accessor).  lguest then ends with
 * LG_EXIT_CRASH. */
#include "vm.h"
#include <stdio.h>
#include <sys/ioctl.h>

static void dump_code(struct vcpu *v, uint64_t rip)
{
	struct kvm_translation t = { .linear_address = rip };
	if (ioctl(v->fd, KVM_TRANSLATE, &t) < 0 || !t.valid) {
		fprintf(stderr, "  code: rip not mapped\n");
		return;
	}
	const uint8_t *p = gpa_ptr(&v->vm->ram, t.physical_address, 16);
	if (!p) {
		fprintf(stderr, "  code: rip at gpa %#llx is outside RAM\n",
			(unsigned long long)t.physical_address);
		return;
	}
	fprintf(stderr, "  code at gpa %#llx:", (unsigned long long)t.physical_address);
	for (int i = 0; i < 16; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "\n");
}

void vcpu_dump(struct vcpu *v, const char *why)
{
	struct kvm_run *r = v->run;
	struct kvm_regs g;
	struct kvm_sregs s;
	fprintf(stderr, "lguest: vCPU %d stopped: %s (exit reason %u", v->id, why, r->exit_reason);
	if (r->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		fprintf(stderr, ", suberror %u", r->internal.suberror);
	if (r->exit_reason == KVM_EXIT_FAIL_ENTRY)
		fprintf(stderr, ", hardware reason %#llx",
			(unsigned long long)r->fail_entry.hardware_entry_failure_reason);
	fprintf(stderr, ")\n");
	if (ioctl(v->fd, KVM_GET_REGS, &g) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return;
	fprintf(stderr, "  rip %016llx rsp %016llx rflags %08llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx\n"
		"  cs %04x (cpl %u, %s) cr0 %08llx cr3 %08llx cr4 %08llx efer %llx\n",
		g.rip, g.rsp, g.rflags, g.rax, g.rbx, g.rcx, g.rdx, g.rsi, g.rdi, g.rbp,
		s.cs.selector, s.cs.dpl, s.cs.l ? "64-bit" : s.cs.db ? "32-bit" : "16-bit",
		s.cr0, s.cr3, s.cr4, s.efer);
	dump_code(v, s.cs.base + g.rip);
}
