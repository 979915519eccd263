#ifndef LG_DEVICES_H
#define LG_DEVICES_H
/* The virtio devices main() can plug in. */
struct pci_bus;
struct vm;

/* virtio-rng, fed from getrandom(2). */
int rng_add(struct pci_bus *bus, struct vm *vm);

/* virtio-blk over a raw image: "PATH[,ro][,serial=ID]". */
int blk_add(struct pci_bus *bus, struct vm *vm, const char *spec);
#endif
