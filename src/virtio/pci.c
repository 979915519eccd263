/*T:710 virtio over PCI: the transport
 * A virtio 1.x device on PCI is one BAR carved into regions that vendor
 * capabilities point at: common configuration (features, status, and the
 * queue registers, one queue at a time through queue_select), the ISR byte,
 * the device's own config, the notify area, and the MSI-X table.  Feature
 * negotiation and status follow the spec's order: a driver that does not
 * accept VERSION_1, or changes its features after FEATURES_OK, does not get
 * FEATURES_OK.  Queue rings are checked when the driver enables them; a bad
 * ring sets NEEDS_RESET.  A write to a queue's notify address signals that
 * queue's eventfd inside KVM (ioeventfd) and the event loop calls the
 * device's kick(); interrupts go out through per-vector irqfds. */
#include "virtio.h"
#include "../core/irq.h"
#include "../core/vm.h"
#include "../util.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Where the regions sit in BAR 0. */
enum { COMMON = 0x0000, ISR = 0x1000, DEVCFG = 0x2000, NOTIFY = 0x3000,
       MSIX_TABLE = 0x3400, MSIX_PBA = 0x3800, BAR_SIZE = 0x4000 };
#define NOTIFY_MULT 4
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_NEEDS_RESET 0x40
#define MSIX_ENABLE 0x8000
#define MSIX_MASKALL 0x4000

static struct virtio_dev *all[PCI_MAX_SLOTS];     /* for virtio_report() */
static int nall;

void virtio_report(void)
{
	for (int i = 0; i < nall; i++) {
		unsigned used = 0;
		for (unsigned q = 0; q < all[i]->ops->nqueues; q++)
			used += all[i]->vq[q].used_idx;
		fprintf(stderr, "lguest-report: virtio type=%u slot=%d status=0x%x used=%u\n",
			all[i]->ops->type, all[i]->pci.slot, all[i]->status, used);
	}
}

size_t virtio_stat(char *out, size_t size, bool counters)
{
	static const char *const type[] = { "dev", "net", "blk", "console", "rng" };
	size_t n = 0;
	out[0] = 0;
	for (int i = 0; i < nall && n < size; i++) {
		struct virtio_dev *d = all[i];
		const char *t = type[d->ops->type < ARRAY_SIZE(type) ? d->ops->type : 0];
		int k = 0;
		for (int j = 0; j < i; j++)
			k += all[j]->ops->type == d->ops->type;
		pthread_mutex_lock(&d->lock);
		struct virtio_counter c[12] = { { "requests", d->requests }, { "bytes", d->bytes }, { "errors", d->errors } };
		unsigned m = counters ? 3 + (d->ops->stat ? d->ops->stat(d, c + 3, 9) : 0) : 0;
		pthread_mutex_unlock(&d->lock);
		if (!counters)
			n += (size_t)snprintf(out + n, size - n, "%s%s%d", i ? " " : "", t, k);
		for (unsigned j = 0; j < m && n < size; j++)
			n += (size_t)snprintf(out + n, size - n, ",\"%s%d_%s\":%llu", t, k, c[j].name,
					      (unsigned long long)c[j].value);
	}
	return n < size ? n : size - 1;
}

static struct virtio_dev *of(struct pci_dev *p)
{
	return (struct virtio_dev *)p;            /* pci is the first member */
}

static uint64_t offered(const struct virtio_dev *d)
{
	return d->offer;
}

bool virtio_ready(const struct virtio_dev *d)
{
	return (d->status & STATUS_DRIVER_OK) && !(d->status & STATUS_NEEDS_RESET);
}

/* --- interrupts ------------------------------------------------------- */

static uint16_t msix_control(const struct virtio_dev *d)
{
	return pci_cfg16(&d->pci, d->msix_cap + 2);
}

static void interrupt(struct virtio_dev *d, uint16_t vector, uint8_t isr_bit)
{
	uint16_t ctl = msix_control(d);
	if (!(ctl & MSIX_ENABLE)) {               /* INTx: ISR says why */
		d->isr |= isr_bit;
		pci_intx(&d->pci, 1);
		return;
	}
	if (vector >= VIRTIO_MAX_VECTORS)
		return;
	if ((ctl & MSIX_MASKALL) || (d->msix[vector].word[3] & 1) || d->msix[vector].efd < 0) {
		d->pba |= 1u << vector;               /* pending until unmasked */
		return;
	}
	uint64_t one = 1;
	if (write(d->msix[vector].efd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: an interrupt is pending anyway */
	}
}

void virtio_used(struct virtio_dev *d, unsigned q, uint16_t old)
{
	if (vq_should_notify(&d->vq[q], old))
		interrupt(d, d->vq[q].msix_vector, 1);
}

void virtio_broken(struct virtio_dev *d)
{
	if (d->status & STATUS_NEEDS_RESET)
		return;
	d->status |= STATUS_NEEDS_RESET;
	interrupt(d, d->config_vector, 2);
}

void virtio_config_changed(struct virtio_dev *d)
{
	d->generation++;
	if (d->status & STATUS_DRIVER_OK)
		interrupt(d, d->config_vector, 2);
}

void virtio_notify(struct virtio_dev *d, unsigned q)
{
	interrupt(d, d->vq[q].msix_vector, 1);
}

int virtio_irqfd(const struct virtio_dev *d, unsigned q)
{
	uint16_t v = d->vq[q].msix_vector;
	if (!(msix_control(d) & MSIX_ENABLE) || v >= VIRTIO_MAX_VECTORS)
		return -1;
	return d->msix[v].efd;
}

/* Fire what was pending on vectors that are no longer masked. */
static void msix_unmasked(struct virtio_dev *d)
{
	uint32_t pending = d->pba;
	d->pba = 0;
	for (uint16_t v = 0; v < VIRTIO_MAX_VECTORS; v++)
		if (pending & (1u << v))
			interrupt(d, v, 0);
}

static void msix_table(struct virtio_dev *d, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	unsigned v = (unsigned)off / 16, w = (unsigned)(off % 16) / 4;
	if (len == 8 && off % 8 == 0) {            /* PCI allows a QWORD: two DWORDs */
		msix_table(d, off, data, 4, is_write);
		msix_table(d, off + 4, data + 4, 4, is_write);
		return;
	}
	if (v >= VIRTIO_MAX_VECTORS || len != 4 || off % 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (!is_write) {
		memcpy(data, &d->msix[v].word[w], 4);
		return;
	}
	memcpy(&d->msix[v].word[w], data, 4);
	/* The GSI and irqfd come with the first entry the driver writes: a
	 * guest that never uses a vector never pays for one (nor does exit,
	 * where KVM waits out each irqfd's teardown). */
	if (d->msix[v].gsi < 0 && (d->msix[v].gsi = irq_msi_alloc(d->vm, &d->msix[v].efd)) < 0)
		return;
	uint32_t *e = d->msix[v].word;
	irq_msi_route(d->vm, d->msix[v].gsi, e[0] | (uint64_t)e[1] << 32, e[2]);
	msix_unmasked(d);
}

/* --- common configuration ---------------------------------------------- */

static void reset(struct virtio_dev *d)
{
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		vq_reset(&d->vq[q]);
		d->vq[q].size = VQ_MAX_SIZE;           /* until the driver picks less */
	}
	d->driver_features = d->features = 0;
	d->dfselect = d->gfselect = 0;
	d->status = d->isr = 0;
	d->qselect = 0;
	d->config_vector = VIRTIO_NO_VECTOR;
	pci_intx(&d->pci, 0);
	if (d->ops->reset)
		d->ops->reset(d);
}

static void set_status(struct virtio_dev *d, uint8_t s)
{
	uint8_t old = d->status;
	if (s == 0) {
		reset(d);
		return;
	}
	if ((s & STATUS_FEATURES_OK) && !(d->status & STATUS_FEATURES_OK)) {
		uint64_t f = d->driver_features;
		if (!(f & VIRTIO_F_VERSION_1) || (f & ~offered(d)))
			s &= (uint8_t)~STATUS_FEATURES_OK;   /* refused: the driver sees it */
		else
			d->features = f;
	}
	d->status = (uint8_t)((s & ~STATUS_NEEDS_RESET) | (d->status & STATUS_NEEDS_RESET));
	if ((s & STATUS_DRIVER_OK) && !(d->status & STATUS_FEATURES_OK))
		virtio_broken(d);                         /* DRIVER_OK without features */
	else if ((s & STATUS_DRIVER_OK) && !(old & STATUS_DRIVER_OK) && d->ops->ready)
		d->ops->ready(d);
}

static void enable_queue(struct virtio_dev *d, struct virtqueue *vq)
{
	vq->event_idx = d->features & VIRTIO_F_EVENT_IDX;
	vq->indirect = d->features & VIRTIO_F_INDIRECT_DESC;
	if (!(d->status & STATUS_FEATURES_OK) || vq_start(vq, &d->vm->ram, VQ_MAX_SIZE) < 0) {
		virtio_broken(d);
		return;
	}
	vq->enabled = true;
}

/* The common config as bytes: the current values, with the selected queue. */
static void common_image(struct virtio_dev *d, uint8_t img[64])
{
	struct virtqueue *vq = d->qselect < d->ops->nqueues ? &d->vq[d->qselect] : NULL;
	uint64_t feat = d->dfselect < 2 ? offered(d) >> (32 * d->dfselect) : 0;
	uint32_t f32 = (uint32_t)feat, gf = d->gfselect < 2 ? (uint32_t)(d->driver_features >> (32 * d->gfselect)) : 0;
	uint16_t nq = d->ops->nqueues, qsize = vq ? vq->size : 0;
	uint16_t qvec = vq ? vq->msix_vector : VIRTIO_NO_VECTOR, qen = vq && vq->enabled;
	uint16_t qoff = d->qselect;
	memset(img, 0, 64);
	memcpy(img + 0x00, &d->dfselect, 4);
	memcpy(img + 0x04, &f32, 4);
	memcpy(img + 0x08, &d->gfselect, 4);
	memcpy(img + 0x0c, &gf, 4);
	memcpy(img + 0x10, &d->config_vector, 2);
	memcpy(img + 0x12, &nq, 2);
	img[0x14] = d->status;
	img[0x15] = d->generation;
	memcpy(img + 0x16, &d->qselect, 2);
	memcpy(img + 0x18, &qsize, 2);
	memcpy(img + 0x1a, &qvec, 2);
	memcpy(img + 0x1c, &qen, 2);
	memcpy(img + 0x1e, &qoff, 2);
	if (vq) {
		memcpy(img + 0x20, &vq->desc_gpa, 8);
		memcpy(img + 0x28, &vq->avail_gpa, 8);
		memcpy(img + 0x30, &vq->used_gpa, 8);
	}
}

/* A vector beyond the MSI-X table reads back as NO_VECTOR: refused. */
static uint16_t valid_vector(uint16_t v)
{
	return v < VIRTIO_MAX_VECTORS ? v : VIRTIO_NO_VECTOR;
}

/* Apply a write: which field changed decides what happens. */
static void common_write(struct virtio_dev *d, unsigned off, const uint8_t *img)
{
	struct virtqueue *vq = d->qselect < d->ops->nqueues ? &d->vq[d->qselect] : NULL;
	uint32_t v32;
	uint16_t v16;
	memcpy(&v32, img + (off & ~3u), 4);
	memcpy(&v16, img + (off & ~1u), 2);
	switch (off) {
	case 0x00 ... 0x03: d->dfselect = v32; return;
	case 0x08 ... 0x0b: d->gfselect = v32; return;
	case 0x0c ... 0x0f:
		if (d->gfselect < 2 && !(d->status & STATUS_FEATURES_OK)) {
			uint64_t mask = 0xffffffffULL << (32 * d->gfselect);
			d->driver_features = (d->driver_features & ~mask) | ((uint64_t)v32 << (32 * d->gfselect));
		}
		return;
	case 0x10 ... 0x11: d->config_vector = valid_vector(v16); return;
	case 0x14: set_status(d, img[0x14]); return;
	case 0x16 ... 0x17: d->qselect = v16; return;
	}
	if (!vq || vq->enabled)                 /* queue fields: only before enabling */
		return;
	switch (off) {
	case 0x18 ... 0x19: vq->size = v16; break;
	case 0x1a ... 0x1b: vq->msix_vector = valid_vector(v16); break;
	case 0x1c ... 0x1d: if (v16 == 1) enable_queue(d, vq); break;
	case 0x20 ... 0x27: memcpy(&vq->desc_gpa, img + 0x20, 8); break;
	case 0x28 ... 0x2f: memcpy(&vq->avail_gpa, img + 0x28, 8); break;
	case 0x30 ... 0x37: memcpy(&vq->used_gpa, img + 0x30, 8); break;
	}
}

static void common(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len, bool is_write)
{
	uint8_t img[64];
	common_image(d, img);
	if (off >= 0x38 || len > 0x38 - off) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (!is_write) {
		memcpy(data, img + off, len);
		return;
	}
	memcpy(img + off, data, len);
	common_write(d, off, img);
}

/* --- the BAR ------------------------------------------------------------ */

static void kick_now(struct virtio_dev *d, unsigned q)
{
	uint64_t one = 1;
	if (q < d->ops->nqueues && write(d->kick_efd[q], &one, sizeof(one)) < 0) {
		/* saturated counter: the loop will see it */
	}
}

static void bar_io(struct pci_dev *p, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct virtio_dev *d = of(p);
	pthread_mutex_lock(&d->lock);
	if (off < ISR) {
		common(d, (unsigned)off, data, len, is_write);
	} else if (off < DEVCFG) {
		if (!is_write && off == ISR) {             /* read-to-clear */
			memset(data, 0, len);
			data[0] = d->isr;
			d->isr = 0;
			pci_intx(p, 0);
		} else if (!is_write) {
			memset(data, 0, len);
		}
	} else if (off < NOTIFY) {
		unsigned o = (unsigned)(off - DEVCFG);
		if (o < d->ops->cfg_size && len <= d->ops->cfg_size - o)
			d->ops->cfg(d, o, data, len, is_write);
		else if (!is_write)
			memset(data, 0xff, len);
	} else if (off < MSIX_TABLE) {                    /* notify that missed the ioeventfd */
		if (is_write)
			kick_now(d, (unsigned)(off - NOTIFY) / NOTIFY_MULT);
		else
			memset(data, 0, len);
	} else if (off < MSIX_PBA) {
		msix_table(d, off - MSIX_TABLE, data, len, is_write);
	} else if (!is_write) {
		memset(data, 0, len);
		if (off == MSIX_PBA)
			memcpy(data, &d->pba, len < 4 ? len : 4);
	}
	pthread_mutex_unlock(&d->lock);
}

static void notify_fds(struct virtio_dev *d, uint64_t bar, int assign)
{
	for (unsigned q = 0; q < d->ops->nqueues; q++)
		irq_ioeventfd(d->vm, bar + NOTIFY + q * NOTIFY_MULT, 2, d->kick_efd[q], assign);
}

static void bar_moved(struct pci_dev *p, uint64_t old)
{
	notify_fds(of(p), old, 0);
	notify_fds(of(p), p->bar_addr, 1);
}

static void cfg_written(struct pci_dev *p, unsigned off, unsigned len)
{
	struct virtio_dev *d = of(p);
	if (off <= d->msix_cap + 3 && off + len > d->msix_cap + 2) {
		pthread_mutex_lock(&d->lock);
		msix_unmasked(d);                          /* enable or unmask-all */
		pthread_mutex_unlock(&d->lock);
	}
}

void virtio_serve(struct virtio_dev *d, unsigned q)
{
	struct virtqueue *vq = &d->vq[q];
	if (!virtio_ready(d) || !vq->enabled)
		return;
	vq_turn(vq);
	d->ops->kick(d, q);
	if (vq->more)                   /* our own kick: back after the others */
		kick_now(d, q);
}

static void on_kick(void *opaque, int fd, uint32_t events)
{
	struct virtio_dev *d = opaque;
	uint64_t n;
	(void)events;
	if (read(fd, &n, sizeof(n)) < 0)
		return;
	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		if (d->kick_efd[q] != fd)
			continue;
		pthread_mutex_lock(&d->lock);
		virtio_serve(d, q);
		pthread_mutex_unlock(&d->lock);
	}
}

/* --- capabilities and set-up --------------------------------------------- */

static void vendor_cap(struct virtio_dev *d, uint8_t type, uint32_t off, uint32_t len, bool notify)
{
	uint8_t cap[20] = { PCI_CAP_VENDOR, 0, notify ? 20 : 16, type, 0 /* BAR 0 */ };
	uint32_t mult = NOTIFY_MULT;
	memcpy(cap + 8, &off, 4);
	memcpy(cap + 12, &len, 4);
	memcpy(cap + 16, &mult, 4);
	pci_add_cap(&d->pci, cap, notify ? 20 : 16);
}

static int msix_setup(struct virtio_dev *d)
{
	uint8_t cap[12] = { PCI_CAP_MSIX, 0, VIRTIO_MAX_VECTORS - 1, 0 };
	uint32_t table = MSIX_TABLE, pba = MSIX_PBA;       /* both in BAR 0 */
	memcpy(cap + 4, &table, 4);
	memcpy(cap + 8, &pba, 4);
	d->msix_cap = pci_add_cap(&d->pci, cap, sizeof(cap));
	d->pci.wmask[d->msix_cap + 3] = 0xc0;              /* enable, mask all */
	for (int v = 0; v < VIRTIO_MAX_VECTORS; v++) {
		d->msix[v].word[3] = 1;                    /* masked */
		d->msix[v].gsi = d->msix[v].efd = -1;      /* made on first use */
	}
	return 0;
}

int virtio_pci_add(struct virtio_dev *d, struct pci_bus *bus, struct vm *vm,
		   const struct virtio_ops *ops, void *opaque)
{
	d->ops = ops;
	d->offer = ops->features | VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC;
	d->vm = vm;
	d->opaque = opaque;
	/* Recursive: a device's back-end may answer at once, from inside a kick
	 * (libslirp replies to an ARP request before slirp_input returns). */
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&d->lock, &attr);
	d->pci.bar_io = bar_io;
	d->pci.bar_moved = bar_moved;
	d->pci.cfg_written = cfg_written;
	/* Class: mass storage for blk, else "other"; device ID 0x1040 + type. */
	uint32_t class_code = ops->type == 2 ? 0x010000 : ops->type == 1 ? 0x020000 : 0xff0000;
	if (pci_add(bus, &d->pci, 0x1af4, (uint16_t)(0x1040 + ops->type), class_code,
		    ops->type, BAR_SIZE) < 0)
		return -1;
	vendor_cap(d, 1, COMMON, 0x38, false);
	vendor_cap(d, 3, ISR, 4, false);
	vendor_cap(d, 4, DEVCFG, ops->cfg_size ? ops->cfg_size : 4, false);
	vendor_cap(d, 2, NOTIFY, ops->nqueues * NOTIFY_MULT, true);
	if (msix_setup(d) < 0)
		return -1;
	reset(d);
	for (unsigned q = 0; q < ops->nqueues; q++) {
		d->kick_efd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->kick_efd[q] < 0 || loop_add(&vm->loop, d->kick_efd[q], on_kick, d) < 0)
			return fail("virtio: cannot make a queue eventfd: %s", strerror(errno));
	}
	notify_fds(d, d->pci.bar_addr, 1);
	all[nall++] = d;
	return 0;
}
