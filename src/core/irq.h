#ifndef LG_IRQ_H
#define LG_IRQ_H
#include <stdint.h>
struct vm;

#define IRQ_IOAPIC_PINS 24
#define IRQ_MAX_MSI 256

/* In-kernel PIC, IOAPIC, LAPICs and PIT. */
int irq_init(struct vm *vm);
/* Raise (1) or lower (0) a level-triggered interrupt line (GSI). */
void irq_line(struct vm *vm, unsigned gsi, int level);
/* A new GSI for MSI delivery and an eventfd that fires it (irqfd).  -1 on
 * failure; *efd gets the eventfd. */
int irq_msi_alloc(struct vm *vm, int *efd);
/* Point an MSI GSI at an address/data pair (an MSI-X table entry). */
int irq_msi_route(struct vm *vm, int gsi, uint64_t addr, uint32_t data);
/* Let KVM signal efd on a guest write to [addr, addr+len) (len 1, 2, 4 or
 * 8; MMIO) without leaving the kernel; deassign with assign = 0. */
int irq_ioeventfd(struct vm *vm, uint64_t addr, unsigned len, int efd, int assign);
#endif
