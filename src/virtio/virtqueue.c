/*T:800 The virtqueue: where every request arrives
 * A split virtqueue is three arrays in guest memory: the descriptor table
 * (address, length, flags, next), the available ring (heads of chains the
 * driver offers) and the used ring (chains we give back, with how much we
 * wrote).  Every device pops and pushes through this file, so this is the
 * one place that must assume the driver is hostile.  We read each
 * descriptor once, into our own copy, before judging it; every buffer goes
 * through gpa_ptr(); a chain ends after at most queue-size descriptors, so
 * a loop cannot trap us; an indirect table must be a whole number of
 * descriptors and may not hold another; an avail index more than a queue
 * ahead of us is a broken ring.  A bad chain fails only its request. */
#include "virtqueue.h"
#include <string.h>

#define VRING_DESC_F_NEXT     1
#define VRING_DESC_F_WRITE    2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY 1

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};
struct vring_avail {
	uint16_t flags, idx;
	uint16_t ring[];                /* then used_event */
};
struct vring_used_elem {
	uint32_t id, len;
};
struct vring_used {
	uint16_t flags, idx;
	struct vring_used_elem ring[];  /* then avail_event */
};

void vq_reset(struct virtqueue *vq)
{
	const struct guest_ram *ram = vq->ram;
	memset(vq, 0, sizeof(*vq));
	vq->ram = ram;
	vq->msix_vector = 0xffff;
}

int vq_start(struct virtqueue *vq, const struct guest_ram *ram, uint16_t max_size)
{
	uint16_t n = vq->size;
	vq->ram = ram;
	if (!n || n > max_size || (n & (n - 1)))
		return -1;
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return -1;
	vq->desc = gpa_ptr(ram, vq->desc_gpa, 16ULL * n);
	vq->avail = gpa_ptr(ram, vq->avail_gpa, 6 + 2ULL * n);
	vq->used = gpa_ptr(ram, vq->used_gpa, 6 + 8ULL * n);
	if (!vq->desc || !vq->avail || !vq->used)
		return -1;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq_turn(vq);
	return 0;
}

void vq_turn(struct virtqueue *vq)
{
	vq->budget = VQ_TURN;
	vq->more = false;
}

/* The guest may rewrite the ring while we read it: one load per field. */
static uint16_t load16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static bool add_buf(struct vq_chain *c, const struct vring_desc *d, const struct guest_ram *ram)
{
	void *p = gpa_ptr(ram, d->addr, d->len);
	if (!p || c->nout + c->nin == VQ_MAX_SEG)
		return false;
	if (!(d->flags & VRING_DESC_F_WRITE) && c->nin)
		return false;           /* readable after writable: not allowed */
	c->iov[c->nout + c->nin] = (struct iovec){ p, d->len };
	c->bytes += d->len;
	if (d->flags & VRING_DESC_F_WRITE)
		c->nin++;
	else
		c->nout++;
	return true;
}

/* Follow the chain from c->head, through at most one indirect table. */
static int walk(struct virtqueue *vq, struct vq_chain *c)
{
	const struct vring_desc *table = vq->desc;
	uint32_t table_size = vq->size, i = c->head, budget = vq->size;
	bool in_indirect = false;
	for (;;) {
		struct vring_desc d;
		if (budget-- == 0 || i >= table_size)
			return VQ_BAD_CHAIN;                  /* a loop, or a bad next */
		const volatile struct vring_desc *src = &table[i];   /* read once */
		d.addr = src->addr;
		d.len = src->len;
		d.flags = src->flags;
		d.next = src->next;
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (in_indirect || !vq->indirect || (d.flags & VRING_DESC_F_NEXT) ||
			    d.len == 0 || d.len % sizeof(d) || d.len / sizeof(d) > VQ_MAX_SEG)
				return VQ_BAD_CHAIN;
			table = gpa_ptr(vq->ram, d.addr, d.len);
			if (!table)
				return VQ_BAD_CHAIN;
			table_size = budget = d.len / sizeof(d);
			in_indirect = true;
			i = 0;
			continue;
		}
		if (!add_buf(c, &d, vq->ram))
			return VQ_BAD_CHAIN;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return VQ_CHAIN;
		i = d.next;
	}
}

/* How many chains wait.  With EVENT_IDX, before we call the queue empty we
 * ask to be kicked past here (avail_event) and look again: the fence keeps
 * the load from passing the store, or a kick could fall between the two. */
static uint16_t pending(struct virtqueue *vq)
{
	uint16_t n = (uint16_t)(load16(&vq->avail->idx) - vq->last_avail);
	if (n || !vq->event_idx || vq->no_kicks)
		return n;
	__atomic_store_n((uint16_t *)&vq->used->ring[vq->size], vq->last_avail, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (uint16_t)(load16(&vq->avail->idx) - vq->last_avail);
}

int vq_pop(struct virtqueue *vq, struct vq_chain *c)
{
	if (!vq->avail)                 /* not started: the driver hasn't set it up */
		return VQ_EMPTY;
	uint16_t n = pending(vq);
	if (n == 0)
		return VQ_EMPTY;
	if (n > vq->size)
		return VQ_BROKEN;
	if (!vq->budget) {              /* this turn is over; the loop comes back */
		vq->more = true;
		return VQ_EMPTY;
	}
	uint16_t head = load16(&vq->avail->ring[vq->last_avail % vq->size]);
	vq->last_avail++;               /* (no kick wanted while there is more: see pending()) */
	if (head >= vq->size)
		return VQ_BROKEN;
	c->head = head;
	c->nout = c->nin = 0;
	c->bytes = 0;
	int rc = walk(vq, c);
	uint64_t cost = VQ_CHAIN_COST + c->bytes;
	vq->budget = cost < vq->budget ? vq->budget - (uint32_t)cost : 0;
	return rc;
}

void vq_no_kicks(struct virtqueue *vq)
{
	vq->no_kicks = true;
	__atomic_store_n(&vq->used->flags, VRING_USED_F_NO_NOTIFY, __ATOMIC_RELEASE);
}

uint16_t vq_ram_used_idx(const struct virtqueue *vq)
{
	return load16(&vq->used->idx);
}

bool vq_has_avail(struct virtqueue *vq)
{
	return vq->avail && pending(vq) != 0;       /* none: kick us when there are */
}

void vq_unpop(struct virtqueue *vq, uint16_t n)
{
	vq->last_avail -= n;
	if (vq->event_idx)
		__atomic_store_n((uint16_t *)&vq->used->ring[vq->size], vq->last_avail, __ATOMIC_RELEASE);
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e = &vq->used->ring[vq->used_idx % vq->size];
	e->id = head;
	e->len = len;
	vq->used_idx++;
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

bool vq_should_notify(struct virtqueue *vq, uint16_t old)
{
	if (!vq->avail)
		return false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);      /* used->idx before reading */
	if (!vq->event_idx)
		return !(load16(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	uint16_t event = load16(&vq->avail->ring[vq->size]);     /* used_event */
	return (uint16_t)(vq->used_idx - event - 1) < (uint16_t)(vq->used_idx - old);
}
