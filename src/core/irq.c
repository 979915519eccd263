/*T:230 Interrupts stay in the kernel
 * The 8259 PICs, the IOAPIC, every vCPU's local APIC and the 8254 timer are
 * emulated inside KVM: the guest programs them without ever leaving guest
 * mode, and secondary vCPUs wake from INIT/SIPI there too.  We only pull an
 * interrupt line up or down when one of our devices wants attention; the
 * default routing sends GSI n to IOAPIC pin n (and PIC pin n below 16). */
#include "irq.h"
#include "vm.h"
#include "../util.h"
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

int irq_init(struct vm *vm)
{
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return fail("KVM_CREATE_IRQCHIP failed: %s", strerror(errno));
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0)
		return fail("KVM_CREATE_PIT2 failed: %s", strerror(errno));
	return 0;
}

void irq_line(struct vm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = (uint32_t)level };
	ioctl(vm->fd, KVM_IRQ_LINE, &l);
}
