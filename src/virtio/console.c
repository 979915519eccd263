/*T:830 virtio-console: hvc0
 * The serial port costs an exit per byte; virtio-console moves a whole
 * buffer per kick.  Queue 1 (transmit) carries what the guest prints: we
 * write it straight to our stdout.  Queue 0 (receive) holds empty buffers
 * the driver posted; bytes typed at the terminal (console.c) wait in a
 * small FIFO until there is a buffer to put them in.  One port, no
 * multiport: that is all hvc0 needs.  We print at most VCON_CHAIN_MAX bytes
 * of one chain: Linux's hvc sends far less, a hostile driver far more. */
#include "devices.h"
#include "virtio.h"
#include "../core/vm.h"

#define FIFO 4096
#define VCON_CHAIN_MAX (64u << 10)    /* what we print of one chain, at most */

static struct {
	struct virtio_dev vdev;
	void (*out)(const uint8_t *buf, size_t n);
	void (*on_room)(void *);   /* the FIFO drained: more input welcome */
	uint8_t fifo[FIFO];
	unsigned head, count;      /* loop thread only, under vdev.lock */
	struct vq_chain c;
} con;

/* Move typed bytes into the driver's receive buffers. */
static void fill_rx(struct virtio_dev *d)
{
	struct virtqueue *vq = &d->vq[0];
	uint16_t old = vq->used_idx;
	while (con.count) {
		int rc = vq_pop(vq, &con.c);
		if (rc == VQ_EMPTY)
			break;
		if (rc == VQ_BROKEN) {
			virtio_broken(d);
			break;
		}
		uint32_t len = 0;
		for (unsigned i = con.c.nout; rc == VQ_CHAIN && i < con.c.nout + con.c.nin; i++)
			for (size_t k = 0; k < con.c.iov[i].iov_len && con.count; k++, len++) {
				((uint8_t *)con.c.iov[i].iov_base)[k] = con.fifo[con.head];
				con.head = (con.head + 1) % FIFO;
				con.count--;
			}
		vq_push(vq, con.c.head, len);
		d->requests++;
		d->bytes += len;
		if (!con.count && con.on_room)
			con.on_room(NULL);
	}
	virtio_used(d, 0, old);
}

static void transmit(struct virtio_dev *d)
{
	struct virtqueue *vq = &d->vq[1];
	uint16_t old = vq->used_idx;
	int rc;
	while ((rc = vq_pop(vq, &con.c)) != VQ_EMPTY) {
		if (rc == VQ_BROKEN) {
			virtio_broken(d);
			break;
		}
		size_t left = VCON_CHAIN_MAX;
		for (unsigned i = 0; rc == VQ_CHAIN && i < con.c.nout && left; i++) {
			size_t k = con.c.iov[i].iov_len < left ? con.c.iov[i].iov_len : left;
			con.out(con.c.iov[i].iov_base, k);
			left -= k;
		}
		vq_push(vq, con.c.head, 0);
		d->requests++;
		d->bytes += VCON_CHAIN_MAX - left;
	}
	virtio_used(d, 1, old);
}

static void kick(struct virtio_dev *d, unsigned q)
{
	if (q == 0)
		fill_rx(d);
	else
		transmit(d);
}

static void config(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len, bool is_write)
{
	(void)d, (void)off;
	if (!is_write)
		for (unsigned i = 0; i < len; i++)
			data[i] = 0;          /* no size, one port */
}

static const struct virtio_ops ops = {
	.type = 3, .nqueues = 2, .cfg_size = 12, .cfg = config, .kick = kick,
};

unsigned vcon_input(void *unused, const uint8_t *buf, unsigned len)
{
	(void)unused;
	pthread_mutex_lock(&con.vdev.lock);
	unsigned n = 0;
	for (; n < len && con.count < FIFO; n++, con.count++)
		con.fifo[(con.head + con.count) % FIFO] = buf[n];
	virtio_serve(&con.vdev, 0);      /* typed before the driver is up: waits */
	pthread_mutex_unlock(&con.vdev.lock);
	return n;
}

int vcon_add(struct pci_bus *bus, struct vm *vm, void (*out)(const uint8_t *buf, size_t n),
	     void (*on_room)(void *))
{
	con.out = out;
	con.on_room = on_room;
	return virtio_pci_add(&con.vdev, bus, vm, &ops, NULL);
}
