#ifndef LG_IRQ_H
#define LG_IRQ_H
struct vm;
/* In-kernel PIC, IOAPIC, LAPICs and PIT. */
int irq_init(struct vm *vm);
/* Raise (1) or lower (0) a level-triggered interrupt line (GSI). */
void irq_line(struct vm *vm, unsigned gsi, int level);
#endif
