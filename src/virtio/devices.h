#ifndef LG_DEVICES_H
#define LG_DEVICES_H
/* The virtio devices main() can plug in. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
struct pci_bus;
struct vm;

/* virtio-rng, fed from getrandom(2). */
int rng_add(struct pci_bus *bus, struct vm *vm);

/* virtio-blk over a raw image (serial: up to 20 characters, or NULL). */
int blk_add(struct pci_bus *bus, struct vm *vm, const char *path, bool ro, const char *serial);
/* virtio-console (hvc0) printing through out(); typed bytes come in through
 * vcon_input (the console.c sink). */
int vcon_add(struct pci_bus *bus, struct vm *vm, void (*out)(const uint8_t *buf, size_t n),
	     void (*on_room)(void *));
unsigned vcon_input(void *unused, const uint8_t *buf, unsigned len);
/* virtio-net: "lan=NAME", "tap[=IF]", "user[,...]", "vhost-user=PATH", each
 * [,mac=MAC]; net_check() is the parse alone (config.c), -1 with fail(). */
#define LG_MAX_NICS 8
int net_check(const char *spec);
int net_add(struct pci_bus *bus, struct vm *vm, const char *spec, int index, const char *guest);
/* LGUEST_REPORT: frames and bytes each way, drops, link. */
void net_report(void);
#endif
