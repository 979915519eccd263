/*T:230 Interrupts stay in the kernel
 * The 8259 PICs, the IOAPIC, every vCPU's local APIC and the 8254 timer are
 * emulated inside KVM: the guest programs them without ever leaving guest
 * mode, and secondary vCPUs wake from INIT/SIPI there too.  A device that
 * wants attention either pulls a line (irq_line: GSI n is IOAPIC pin n) or,
 * the fast way, writes an eventfd that KVM turned into an MSI (irqfd): no
 * ioctl, no vCPU exit, no lock.  The other direction is the same trick
 * backwards: a guest write to a virtqueue's notify address signals an
 * eventfd inside KVM (ioeventfd) and the vCPU goes straight back to the
 * guest while our event loop does the work. */
#include "irq.h"
#include "vm.h"
#include "../util.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

/* KVM_SET_GSI_ROUTING replaces the whole table, so we keep all of it: the
 * default IOAPIC/PIC routes first, then one MSI route per allocated GSI. */
static struct {
	pthread_mutex_t lock;
	struct kvm_irq_routing *table;
	unsigned nmsi;
} routes = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int routes_init(struct vm *vm)
{
	size_t n = IRQ_IOAPIC_PINS + 16 + IRQ_MAX_MSI;
	routes.table = calloc(1, sizeof(*routes.table) + n * sizeof(routes.table->entries[0]));
	if (!routes.table)
		return fail("out of memory for interrupt routes");
	struct kvm_irq_routing_entry *e = routes.table->entries;
	unsigned k = 0;
	for (unsigned pin = 0; pin < IRQ_IOAPIC_PINS; pin++) {
		e[k++] = (struct kvm_irq_routing_entry){ .gsi = pin, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = pin } };
		if (pin < 16)
			e[k++] = (struct kvm_irq_routing_entry){ .gsi = pin, .type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { .irqchip = pin < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
					       .pin = pin % 8 } };
	}
	routes.table->nr = k;
	(void)vm;
	return 0;
}

int irq_init(struct vm *vm)
{
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return fail("KVM_CREATE_IRQCHIP failed: %s", strerror(errno));
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0)
		return fail("KVM_CREATE_PIT2 failed: %s", strerror(errno));
	/* Lost PIT ticks are dropped, not replayed (QEMU's lost_tick_policy=
	 * discard): Linux keeps time with kvm-clock, and KVM then has no
	 * notifiers to tear down when the VM goes (4 ms of exit here). */
	struct kvm_reinject_control no_reinject = { .pit_reinject = 0 };
	ioctl(vm->fd, KVM_REINJECT_CONTROL, &no_reinject);
	return routes_init(vm);
}

void irq_line(struct vm *vm, unsigned gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = (uint32_t)level };
	ioctl(vm->fd, KVM_IRQ_LINE, &l);
}

int irq_msi_alloc(struct vm *vm, int *efd)
{
	pthread_mutex_lock(&routes.lock);
	int gsi = routes.nmsi < IRQ_MAX_MSI ? (int)(IRQ_IOAPIC_PINS + routes.nmsi++) : -1;
	pthread_mutex_unlock(&routes.lock);
	if (gsi < 0)
		return fail("more than %d MSI vectors", IRQ_MAX_MSI);
	*efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct kvm_irqfd irqfd = { .fd = (uint32_t)*efd, .gsi = (uint32_t)gsi };
	if (*efd < 0 || irq_msi_route(vm, gsi, 0xfee00000, 0) < 0 ||
	    ioctl(vm->fd, KVM_IRQFD, &irqfd) < 0)
		return fail("cannot set up an MSI irqfd: %s", strerror(errno));
	return gsi;
}

int irq_msi_route(struct vm *vm, int gsi, uint64_t addr, uint32_t data)
{
	struct kvm_irq_routing_entry msi = { .gsi = (uint32_t)gsi, .type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data } };
	pthread_mutex_lock(&routes.lock);
	struct kvm_irq_routing_entry *e = routes.table->entries;
	unsigned i = 0;
	while (i < routes.table->nr && e[i].gsi != (uint32_t)gsi)
		i++;
	e[i] = msi;
	if (i == routes.table->nr)
		routes.table->nr++;
	int rc = ioctl(vm->fd, KVM_SET_GSI_ROUTING, routes.table);
	pthread_mutex_unlock(&routes.lock);
	return rc;
}

int irq_ioeventfd(struct vm *vm, uint64_t addr, unsigned len, int efd, int assign)
{
	struct kvm_ioeventfd io = { .addr = addr, .len = len, .fd = efd,
				    .flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN };
	return ioctl(vm->fd, KVM_IOEVENTFD, &io);
}
