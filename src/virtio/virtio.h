#ifndef LG_VIRTIO_H
#define LG_VIRTIO_H
#include <pthread.h>
#include "../hw/pci.h"
#include "virtqueue.h"

#define VIRTIO_F_INDIRECT_DESC (1ULL << 28)
#define VIRTIO_F_EVENT_IDX     (1ULL << 29)
#define VIRTIO_F_VERSION_1     (1ULL << 32)
#define VIRTIO_NO_VECTOR 0xffff
#define VIRTIO_MAX_QUEUES 4
#define VIRTIO_MAX_VECTORS (VIRTIO_MAX_QUEUES + 1)

struct virtio_dev;
/* One of a device's counters for `lguest stat`. */
struct virtio_counter {
	const char *name;
	uint64_t value;
};

/* What a device type adds to the transport. */
struct virtio_ops {
	uint16_t type;                 /* virtio device ID: 2 blk, 3 console, 4 rng */
	uint16_t nqueues;
	uint64_t features;             /* device-specific feature bits offered */
	unsigned cfg_size;             /* bytes of device-specific config */
	void (*cfg)(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len, bool is_write);
	/* The driver kicked queue q (event loop thread, d->lock held). */
	void (*kick)(struct virtio_dev *d, unsigned q);
	/* The driver reset the device (d->lock held). */
	void (*reset)(struct virtio_dev *d);
	/* The driver set DRIVER_OK (d->lock held). */
	void (*ready)(struct virtio_dev *d);
	/* `lguest stat`: counters beyond requests, bytes and errors (a NIC's
	 * frames each way, what is in flight): up to max into c; how many
	 * (loop thread, d->lock held).  May be NULL. */
	unsigned (*stat)(struct virtio_dev *d, struct virtio_counter *c, unsigned max);
};

struct virtio_dev {
	struct pci_dev pci;
	const struct virtio_ops *ops;
	struct vm *vm;
	void *opaque;                  /* the device type's own state */
	pthread_mutex_t lock;          /* vCPU config accesses vs. the loop's work */
	uint64_t offer;                /* the features offered (the device may narrow them) */
	uint64_t driver_features, features;    /* written so far; accepted */
	uint32_t dfselect, gfselect;
	uint8_t status, isr, generation;
	uint16_t qselect, config_vector;
	struct virtqueue vq[VIRTIO_MAX_QUEUES];
	int kick_efd[VIRTIO_MAX_QUEUES];
	struct { uint32_t word[4]; int gsi, efd; } msix[VIRTIO_MAX_VECTORS];
	uint32_t pba;
	unsigned msix_cap;
	uint64_t requests, bytes, errors;      /* chains served, bytes moved, failed (d->lock) */
};

/* Plug d into bus as a modern virtio-pci device, its kicks on the loop. */
int virtio_pci_add(struct virtio_dev *d, struct pci_bus *bus, struct vm *vm,
		   const struct virtio_ops *ops, void *opaque);
/* Is the driver done setting up, and the device not broken? */
bool virtio_ready(const struct virtio_dev *d);
/* Serve queue q for one turn of the loop (d->lock held): the device's
 * kick(), and if chains are left, a kick of our own to come back later. */
void virtio_serve(struct virtio_dev *d, unsigned q);
/* After pushing to queue q (old = used index before): interrupt the
 * driver if it wants one. */
void virtio_used(struct virtio_dev *d, unsigned q, uint16_t old);
/* The driver broke a ring: set NEEDS_RESET and tell it. */
void virtio_broken(struct virtio_dev *d);
/* The device's config changed (a link went down): tell the driver. */
void virtio_config_changed(struct virtio_dev *d);
/* Interrupt the driver for queue q, as another process would through the
 * eventfd virtio_irqfd() gives: KVM's irqfd of q's MSI-X vector, or -1
 * when the driver uses INTx (then whoever signals must come through here). */
void virtio_notify(struct virtio_dev *d, unsigned q);
int virtio_irqfd(const struct virtio_dev *d, unsigned q);
/* LGUEST_REPORT: one line per device: type, status, chains used. */
void virtio_report(void);
/* `lguest stat`: every device's counters as JSON members, `,"blk0_bytes":N`
 * ...; or (counters false) the devices' names, "blk0 rng0".  Into out
 * (always terminated); its length. */
size_t virtio_stat(char *out, size_t size, bool counters);
#endif
