#ifndef LG_VHOST_USER_H
#define LG_VHOST_USER_H
/* The vhost-user protocol's messages (QEMU's docs/interop/vhost-user.rst),
 * both ends: lguest's virtio-net is a front-end, the LAN switch a back-end. */
#include <stddef.h>
#include <stdint.h>
#include "../core/memory.h"

enum vu_request {
	VU_GET_FEATURES = 1, VU_SET_FEATURES = 2, VU_SET_OWNER = 3, VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5, VU_SET_LOG_BASE = 6, VU_SET_LOG_FD = 7, VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9, VU_SET_VRING_BASE = 10, VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12, VU_SET_VRING_CALL = 13, VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15, VU_SET_PROTOCOL_FEATURES = 16, VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18, VU_SEND_RARP = 19, VU_NET_SET_MTU = 20,
};
#define VU_VERSION 1
#define VU_FLAG_REPLY 4
#define VU_FLAG_NEED_REPLY 8
#define VU_F_PROTOCOL_FEATURES (1ULL << 30)
#define VU_PROTOCOL_F_MQ 0
#define VU_PROTOCOL_F_REPLY_ACK 3
#define VU_VRING_NOFD 0x100          /* in a KICK/CALL payload: no fd sent */
#define VU_MAX_FDS 8

struct vu_region {
	uint64_t gpa, size, uaddr, offset;
};

struct vu_msg {
	uint32_t request, flags, size;
	union {
		uint64_t u64;
		struct { uint32_t index, num; } state;
		struct { uint32_t index, flags; uint64_t desc, used, avail, log; } addr;
		struct { uint32_t nregions, padding; struct vu_region region[RAM_MAX_REGIONS]; } mem;
	};
} __attribute__((packed));
#define VU_HDR_SIZE 12

/* Send msg (its header and size bytes of payload) and nfds descriptors. */
int vu_send(int sock, struct vu_msg *msg, const int *fds, int nfds);
/* A message arriving in pieces on a non-blocking socket: the back-end must
 * not wait on a front-end that sends half a message and stalls. */
struct vu_rx {
	struct vu_msg msg;
	size_t have;                 /* bytes of msg so far */
	int fds[VU_MAX_FDS], nfds;   /* descriptors that came with it */
};
/* Read what has arrived: 1 when rx->msg is whole, 0 when more is to come,
 * -1 on end of file, an error, or a message bigger than any we know.  The
 * caller owns (and closes) the fds of a whole message; rx_reset after. */
int vu_rx_feed(int sock, struct vu_rx *rx);
void vu_rx_reset(struct vu_rx *rx);
/* Front-end: a request (with its u64 or state payload, flags such as
 * NEED_REPLY) and, when reply is given, wait up to 2 s for its u64 reply. */
int vu_call(int sock, uint32_t req, uint32_t flags, uint64_t arg, uint64_t *reply);
/* Back-end: the front-end's memory, mapped.  ram serves gpa_ptr(); map[]
 * remembers each region's user address (vring addresses come in those) and
 * the mapping to undo. */
struct vu_mem {
	struct guest_ram ram;
	struct { uint64_t uaddr; void *base; size_t len; } map[RAM_MAX_REGIONS];
};
/* Map a SET_MEM_TABLE's regions; -1 (nothing left mapped) when they are
 * too many, overlap, wrap, or lie beyond a file that could shrink. */
int vu_map(struct vu_mem *m, const struct vu_msg *msg, const int *fds, int nfds);
void vu_unmap(struct vu_mem *m);
/* A front-end user address range -> guest-physical; -1 if in no region. */
int vu_gpa_of(const struct vu_mem *m, uint64_t ua, uint64_t len, uint64_t *gpa);
#endif
