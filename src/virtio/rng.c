/*T:840 virtio-rng: entropy on demand
 * The simplest device there is, and so the shape of every other: the driver
 * posts empty buffers, we fill them from getrandom(2) and give them back.
 * Linux's hw_random core reads it at boot, so the guest's entropy pool is
 * ready without waiting for interrupts to trickle in.  A chain gets at most
 * RNG_CHAIN_MAX bytes, so one cannot hold the loop for seconds. */
#include "devices.h"
#include "virtio.h"
#include <sys/random.h>

#define RNG_CHAIN_MAX (64u << 10)     /* what one chain gets, whatever it asks */

static struct virtio_dev rng;

static void kick(struct virtio_dev *d, unsigned q)
{
	struct virtqueue *vq = &d->vq[q];
	static struct vq_chain c;
	uint16_t old = vq->used_idx;
	int rc;
	while ((rc = vq_pop(vq, &c)) != VQ_EMPTY) {
		if (rc == VQ_BROKEN) {
			virtio_broken(d);
			break;
		}
		uint32_t len = 0;
		for (unsigned i = c.nout; rc == VQ_CHAIN && i < c.nout + c.nin && len < RNG_CHAIN_MAX; i++) {
			size_t want = c.iov[i].iov_len < RNG_CHAIN_MAX - len ? c.iov[i].iov_len : RNG_CHAIN_MAX - len;
			ssize_t n = getrandom(c.iov[i].iov_base, want, 0);
			len += n > 0 ? (uint32_t)n : 0;
			if (n != (ssize_t)want)
				break;          /* the bytes we give are the first len */
		}
		vq_push(vq, c.head, len);
		d->requests++;
		d->bytes += len;
	}
	virtio_used(d, q, old);
}

static const struct virtio_ops ops = { .type = 4, .nqueues = 1, .kick = kick };

int rng_add(struct pci_bus *bus, struct vm *vm)
{
	return virtio_pci_add(&rng, bus, vm, &ops, NULL);
}
