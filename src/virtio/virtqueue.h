#ifndef LG_VIRTQUEUE_H
#define LG_VIRTQUEUE_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include "../core/memory.h"

#define VQ_MAX_SIZE 256          /* the largest queue we offer */
#define VQ_MAX_SEG  256          /* buffers in one chain, indirect included */
/* One turn of the event loop serves a queue up to VQ_TURN bytes, each chain
 * counting VQ_CHAIN_COST more than its buffers; the rest waits for the next
 * turn, after the other devices, the terminal and signals had theirs. */
#define VQ_TURN       (1u << 20)
#define VQ_CHAIN_COST (16u << 10)

/* One split virtqueue (virtio 1.2, 2.7).  The driver owns desc and avail,
 * we own used; all three live in guest RAM. */
struct virtqueue {
	uint16_t size;                  /* set by the driver; a power of 2 */
	uint16_t msix_vector;
	bool enabled;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* From vq_start(): host pointers to the checked rings. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;            /* next avail entry to look at */
	uint16_t used_idx;              /* our copy of used->idx */
	bool event_idx, indirect;       /* negotiated features */
	bool no_kicks;                  /* the device never waits for a kick here */
	uint32_t budget;                /* left of this turn's VQ_TURN */
	bool more;                      /* the turn ended with chains waiting */
	const struct guest_ram *ram;
};

/* A popped chain: iov[0, nout) the device reads, iov[nout, nout+nin) it
 * may write (the spec puts all readable buffers first). */
struct vq_chain {
	uint16_t head;
	unsigned nout, nin;
	uint64_t bytes;                 /* all its buffers, both ways */
	struct iovec iov[VQ_MAX_SEG];
};

enum { VQ_EMPTY = 0, VQ_CHAIN = 1, VQ_BAD_CHAIN = -1, VQ_BROKEN = -2 };

/* Check the rings the driver gave (size, alignment, all inside RAM) and
 * start serving; -1 if they are unusable. */
int vq_start(struct virtqueue *vq, const struct guest_ram *ram, uint16_t max_size);
void vq_reset(struct virtqueue *vq);
/* A new turn: a full budget, nothing left over yet. */
void vq_turn(struct virtqueue *vq);
/* Take the next available chain.  VQ_CHAIN: c filled in.  VQ_BAD_CHAIN:
 * the chain at c->head breaks a rule and must be returned as used with
 * length 0 (the queue goes on).  VQ_BROKEN: the driver broke the ring
 * itself; the device needs a reset.  VQ_EMPTY: nothing to do, or this
 * turn's budget is spent (then vq->more is set). */
int vq_pop(struct virtqueue *vq, struct vq_chain *c);
/* A queue we never wait on (the LAN's receive queues: a frame with no room
 * is dropped, not held): the driver is told not to kick it. */
void vq_no_kicks(struct virtqueue *vq);
/* The used index in guest RAM: where another back-end left the queue. */
uint16_t vq_ram_used_idx(const struct virtqueue *vq);
/* Has the driver made a chain available that we did not pop yet?  When not,
 * it is asked (avail_event) to kick us when it does. */
bool vq_has_avail(struct virtqueue *vq);
/* Put back the last n chains popped, untouched: they come again. */
void vq_unpop(struct virtqueue *vq, uint16_t n);
/* Return a chain with len bytes written into it. */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len);
/* After pushes: does the driver want an interrupt? */
bool vq_should_notify(struct virtqueue *vq, uint16_t old_used_idx);
#endif
