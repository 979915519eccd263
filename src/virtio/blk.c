/*T:820 virtio-blk: a disk from a file
 * A request is a chain: a 16-byte header the driver wrote (type, sector),
 * the data, and one status byte for us to write last.  We find those three
 * wherever the driver put them, check the sector range against the image's
 * size, and hand the data buffers -- guest memory itself, no copy -- to
 * io_uring: up to BLK_QD requests in flight, none of them on a vCPU thread.
 * A completion writes the status byte and returns the chain.  FLUSH is an
 * fdatasync that waits for every write before it (IOSQE_IO_DRAIN), so the
 * driver hears "done" only when the data is on the host's disk.  DISCARD
 * and WRITE_ZEROES punch or zero the file.  The image is locked (flock):
 * exclusively when writable, shared when ",ro". */
#include "devices.h"
#include "virtio.h"
#include "../core/loop.h"
#include "../core/vm.h"
#include "../util.h"
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_DISCARD = 11, T_WRITE_ZEROES = 13 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2 };
#define F_SEG_MAX  (1ULL << 2)
#define F_RO       (1ULL << 5)
#define F_BLK_SIZE (1ULL << 6)
#define F_FLUSH    (1ULL << 9)
#define F_DISCARD  (1ULL << 13)
#define F_WRITE_ZEROES (1ULL << 14)
#define BLK_QD 64
#define MAX_DISCARD_SECTORS (1u << 22)
#define BLK_MAX_IO (1u << 30)      /* bytes one read or write may move: fits the used length */
#define SERIAL_LEN 20

struct blk_req {
	struct vq_chain chain;
	uint8_t *status;
	uint32_t written;          /* bytes we put in the chain, status included */
	uint64_t expect;           /* bytes the read or write must move */
	unsigned gen;              /* a reset since submission voids it */
	bool busy;
};

struct blk {
	struct virtio_dev vdev;
	struct virtio_ops ops;
	int fd;
	bool ro;
	uint64_t sectors;
	char serial[SERIAL_LEN + 1];
	struct io_uring ring;
	int ring_efd;
	unsigned inflight, gen;
	struct blk_req req[BLK_QD];
};

/* Take len bytes off the front of iov[0, *n) into dst (NULL: just skip). */
static size_t iov_take(struct iovec *iov, unsigned *n, void *dst, size_t len)
{
	size_t done = 0;
	while (*n && done < len) {
		size_t k = iov->iov_len < len - done ? iov->iov_len : len - done;
		if (dst)
			memcpy((uint8_t *)dst + done, iov->iov_base, k);
		iov->iov_base = (uint8_t *)iov->iov_base + k;
		iov->iov_len -= k;
		done += k;
		if (iov->iov_len == 0) {
			memmove(iov, iov + 1, (*n - 1) * sizeof(*iov));
			(*n)--;
		}
	}
	return done;
}

static uint64_t iov_bytes(const struct iovec *iov, unsigned n)
{
	uint64_t s = 0;
	for (unsigned i = 0; i < n; i++)
		s += iov[i].iov_len;
	return s;
}

/* Is [sector, sector + bytes/512) inside the disk?  (No overflow.) */
static bool in_range(const struct blk *b, uint64_t sector, uint64_t bytes)
{
	return sector <= b->sectors && (bytes + 511) / 512 <= b->sectors - sector;
}

static void finish(struct blk *b, struct blk_req *r, uint8_t status)
{
	b->vdev.requests++;
	b->vdev.bytes += status == S_OK ? r->expect : 0;
	b->vdev.errors += status != S_OK;
	*r->status = status;
	vq_push(&b->vdev.vq[0], r->chain.head, status == S_OK ? r->written : 1);
}

/* DISCARD / WRITE_ZEROES: one {sector, num_sectors, flags} segment. */
static int prep_fallocate(struct blk *b, struct io_uring_sqe *sqe, struct iovec *iov, unsigned n, uint32_t type)
{
	struct { uint64_t sector; uint32_t num, flags; } seg;
	if (b->ro || iov_take(iov, &n, &seg, sizeof(seg)) != sizeof(seg) ||
	    seg.num > MAX_DISCARD_SECTORS || !in_range(b, seg.sector, (uint64_t)seg.num * 512))
		return -1;
	int mode = FALLOC_FL_KEEP_SIZE |
		   (type == T_DISCARD || (seg.flags & 1) ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE);
	io_uring_prep_fallocate(sqe, b->fd, mode, seg.sector * 512, (uint64_t)seg.num * 512);
	return 0;
}

static void get_id(struct blk *b, struct blk_req *r, struct iovec *in, unsigned nin)
{
	char id[SERIAL_LEN] = { 0 };
	memcpy(id, b->serial, strlen(b->serial));
	uint64_t room = iov_bytes(in, nin);
	r->written += (uint32_t)(room < SERIAL_LEN ? room : SERIAL_LEN);
	for (unsigned i = 0, done = 0; i < nin && done < SERIAL_LEN; i++) {
		size_t k = in[i].iov_len < SERIAL_LEN - done ? in[i].iov_len : SERIAL_LEN - done;
		memcpy(in[i].iov_base, id + done, k);
		done += (unsigned)k;
	}
}

/* Turn a checked request into an io_uring operation; -1 if it is invalid. */
static int prep(struct blk *b, struct blk_req *r, uint32_t type, uint64_t sector,
		struct iovec *out, unsigned nout, struct iovec *in, unsigned nin)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
	uint64_t in_len = iov_bytes(in, nin), out_len = iov_bytes(out, nout);
	if (!sqe)
		return -1;
	io_uring_prep_nop(sqe);                 /* replaced below, or a harmless no-op */
	io_uring_sqe_set_data(sqe, NULL);
	switch (type) {
	case T_IN:                              /* data: device-writable only */
		if (nout || in_len > BLK_MAX_IO || !in_range(b, sector, in_len))
			return -1;
		io_uring_prep_readv(sqe, b->fd, in, nin, sector * 512);
		r->written += (uint32_t)in_len;
		r->expect = in_len;
		break;
	case T_OUT:                             /* data: device-readable only */
		if (b->ro || nin || out_len > BLK_MAX_IO || !in_range(b, sector, out_len))
			return -1;
		io_uring_prep_writev(sqe, b->fd, out, nout, sector * 512);
		r->expect = out_len;
		break;
	case T_FLUSH:
		io_uring_prep_fsync(sqe, b->fd, IORING_FSYNC_DATASYNC);
		sqe->flags |= IOSQE_IO_DRAIN;   /* after every write before it */
		break;
	default:                                /* DISCARD, WRITE_ZEROES */
		if (prep_fallocate(b, sqe, out, nout, type) < 0)
			return -1;
	}
	io_uring_sqe_set_data(sqe, r);
	return 0;
}

/* Parse one chain and queue its I/O, or finish it at once. */
static void start(struct blk *b, struct blk_req *r)
{
	struct vq_chain *c = &r->chain;
	struct iovec *out = c->iov, *in = c->iov + c->nout;
	unsigned nout = c->nout, nin = c->nin;
	struct { uint32_t type, reserved; uint64_t sector; } h;
	if (!nin || !in[nin - 1].iov_len) {       /* nowhere to put the status */
		vq_push(&b->vdev.vq[0], c->head, 0);
		return;
	}
	r->status = (uint8_t *)in[nin - 1].iov_base + in[nin - 1].iov_len - 1;
	if (--in[nin - 1].iov_len == 0)
		nin--;
	r->written = 1;
	r->expect = 0;
	if (iov_take(out, &nout, &h, sizeof(h)) != sizeof(h))
		return finish(b, r, S_IOERR);    /* header shorter than 16 bytes */
	if (h.type == T_GET_ID) {
		get_id(b, r, in, nin);
		return finish(b, r, S_OK);
	}
	if (h.type != T_IN && h.type != T_OUT && h.type != T_FLUSH &&
	    h.type != T_DISCARD && h.type != T_WRITE_ZEROES)
		return finish(b, r, S_UNSUPP);
	if (prep(b, r, h.type, h.sector, out, nout, in, nin) < 0)
		return finish(b, r, S_IOERR);
	r->gen = b->gen;
	r->busy = true;
	b->inflight++;
}

static struct blk_req *free_req(struct blk *b)
{
	for (unsigned i = 0; i < BLK_QD; i++)
		if (!b->req[i].busy)
			return &b->req[i];
	return NULL;
}

static void kick(struct virtio_dev *d, unsigned q)
{
	struct blk *b = d->opaque;
	struct virtqueue *vq = &d->vq[q];
	uint16_t old = vq->used_idx;
	struct blk_req *r;
	while ((r = free_req(b))) {
		int rc = vq_pop(vq, &r->chain);
		if (rc == VQ_EMPTY)
			break;
		if (rc == VQ_BROKEN) {
			virtio_broken(d);
			break;
		}
		if (rc == VQ_BAD_CHAIN)
			vq_push(vq, r->chain.head, 0);
		else
			start(b, r);
	}
	io_uring_submit(&b->ring);
	virtio_used(d, q, old);
}

/* One completion: finish its request, unless a reset voided it. */
static void complete(struct blk *b, struct io_uring_cqe *cqe)
{
	struct blk_req *r = io_uring_cqe_get_data(cqe);
	if (r) {
		bool bad = cqe->res < 0 || (r->expect && (uint64_t)cqe->res != r->expect);
		if (r->gen == b->gen && b->vdev.vq[0].enabled)
			finish(b, r, bad ? S_IOERR : S_OK);
		r->busy = false;
		b->inflight--;
	}
	io_uring_cqe_seen(&b->ring, cqe);
}

/* io_uring's eventfd: requests have finished. */
static void on_complete(void *opaque, int fd, uint32_t events)
{
	struct blk *b = opaque;
	struct io_uring_cqe *cqe;
	uint64_t n;
	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&b->vdev.lock);
	uint16_t old = b->vdev.vq[0].used_idx;
	while (io_uring_peek_cqe(&b->ring, &cqe) == 0)
		complete(b, cqe);
	if (virtio_ready(&b->vdev) && b->vdev.vq[0].enabled) {
		virtio_used(&b->vdev, 0, old);
		virtio_serve(&b->vdev, 0);          /* requests that waited for a slot */
	}
	pthread_mutex_unlock(&b->vdev.lock);
}

/* The driver may reuse its buffers once status reads 0, so nothing may
 * land in them after that: cancel what has not started, wait for the rest
 * (on the vCPU thread that reset us, as a real disk's reset takes time). */
static void reset(struct virtio_dev *d)
{
	struct blk *b = d->opaque;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe = b->inflight ? io_uring_get_sqe(&b->ring) : NULL;
	b->gen++;                                   /* in-flight requests: void */
	if (sqe) {
		io_uring_prep_cancel(sqe, NULL, IORING_ASYNC_CANCEL_ANY);
		io_uring_sqe_set_data(sqe, NULL);   /* the slot's last user_data: not ours */
		io_uring_submit(&b->ring);
	}
	while (b->inflight && io_uring_wait_cqe(&b->ring, &cqe) == 0)
		complete(b, cqe);
}

static unsigned counters(struct virtio_dev *d, struct virtio_counter *c, unsigned max)
{
	struct blk *b = d->opaque;
	c[0] = (struct virtio_counter){ "inflight", b->inflight };
	return max ? 1 : 0;
}

static void config(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len, bool is_write)
{
	struct blk *b = d->opaque;
	uint8_t cfg[0x3c] = { 0 };
	uint32_t seg_max = VQ_MAX_SEG - 2, blk_size = 512, max = MAX_DISCARD_SECTORS, one = 1, align = 8;
	memcpy(cfg + 0x00, &b->sectors, 8);
	memcpy(cfg + 0x0c, &seg_max, 4);
	memcpy(cfg + 0x14, &blk_size, 4);
	memcpy(cfg + 0x24, &max, 4);                /* discard: sectors, segments, alignment */
	memcpy(cfg + 0x28, &one, 4);
	memcpy(cfg + 0x2c, &align, 4);
	memcpy(cfg + 0x30, &max, 4);                /* write zeroes: sectors, segments, may unmap */
	memcpy(cfg + 0x34, &one, 4);
	cfg[0x38] = 1;
	if (!is_write)
		memcpy(data, cfg + off, len);
}

static int open_image(struct blk *b, const char *path)
{
	struct stat st;
	b->fd = open(path, (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0)
		return fail("disk %s: %s", path, strerror(errno));
	if (fstat(b->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return fail("disk %s: not a regular file (give a raw disk image)", path);
	if (st.st_size % 512)
		return fail("disk %s: size %lld is not a multiple of 512 bytes (truncate -s to a multiple of 512)",
			    path, (long long)st.st_size);
	if (flock(b->fd, (b->ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0)
		return fail("disk %s is in use: %s holds a lock on it", path, lock_holder(b->fd));
	b->sectors = (uint64_t)st.st_size / 512;
	return 0;
}

static int setup(struct blk *b, struct vm *vm, const char *path)
{
	if (open_image(b, path) < 0)
		return -1;
	if (io_uring_queue_init(BLK_QD * 2, &b->ring, 0) < 0)
		return fail("disk %s: io_uring is not available on this host", path);
	b->ring_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->ring_efd < 0 || io_uring_register_eventfd(&b->ring, b->ring_efd) < 0 ||
	    loop_add(&vm->loop, b->ring_efd, on_complete, b) < 0)
		return fail("disk %s: cannot watch io_uring completions", path);
	return 0;
}

int blk_add(struct pci_bus *bus, struct vm *vm, const char *path, bool ro, const char *serial)
{
	struct blk *b = calloc(1, sizeof(*b));
	if (!b)
		return fail("out of memory");
	b->ro = ro;
	snprintf(b->serial, sizeof(b->serial), "%s", serial ? serial : "");
	if (setup(b, vm, path) < 0) {
		free(b);
		return -1;
	}
	b->ops = (struct virtio_ops){
		.type = 2, .nqueues = 1, .cfg_size = 0x3c, .cfg = config, .kick = kick, .reset = reset, .stat = counters,
		.features = F_SEG_MAX | F_BLK_SIZE | F_FLUSH | F_DISCARD | F_WRITE_ZEROES | (b->ro ? F_RO : 0),
	};
	return virtio_pci_add(&b->vdev, bus, vm, &b->ops, b);
}
