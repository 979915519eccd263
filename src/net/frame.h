#ifndef LG_FRAME_H
#define LG_FRAME_H
/* A frame on its way into a guest's receive queue (frame.c). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "../virtio/virtqueue.h"

/* virtio 1.2, 5.1.6: the header in front of every frame. */
struct virtio_net_hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
};
#define NET_HDR_LEN 12
#define NET_HDR_F_NEEDS_CSUM 1
#define NET_GSO_NONE 0
#define NET_GSO_TCPV4 1
#define NET_GSO_TCPV6 4
#define NET_GSO_ECN 0x80
#define NET_MAX_FRAME 65550              /* 64 KiB of IP and an Ethernet header */

/* virtio-net feature bits (5.1.3). */
#define NET_F_CSUM       (1ULL << 0)
#define NET_F_GUEST_CSUM (1ULL << 1)
#define NET_F_MTU        (1ULL << 3)
#define NET_F_MAC        (1ULL << 5)
#define NET_F_GUEST_TSO4 (1ULL << 7)
#define NET_F_GUEST_TSO6 (1ULL << 8)
#define NET_F_HOST_TSO4  (1ULL << 11)
#define NET_F_HOST_TSO6  (1ULL << 12)
#define NET_F_MRG_RXBUF  (1ULL << 15)
#define NET_F_STATUS     (1ULL << 16)
#define NET_F_OFFLOADS (NET_F_CSUM | NET_F_GUEST_CSUM | NET_F_GUEST_TSO4 | NET_F_GUEST_TSO6 | \
			NET_F_HOST_TSO4 | NET_F_HOST_TSO6)

/* What a frame's receiver is: its receive queue and what it negotiated. */
struct net_rx {
	struct virtqueue *vq;
	uint64_t features;
	uint64_t frames, bytes, drops;   /* delivered, and dropped for want of room */
};

/* Copy one frame (header + Ethernet frame, gathered from src) into rx's
 * buffers, once; finish in software a checksum or a TSO segmentation the
 * receiver did not negotiate.  0: delivered; -1: dropped (counted) for want
 * of buffers; -2: the frame itself is bad. */
int frame_deliver(struct net_rx *rx, const struct iovec *src, int nsrc);
/* Bytes in an iovec list. */
size_t iov_size(const struct iovec *iov, int n);
/* Copy len bytes from src at soff into dst at doff; returns bytes copied. */
size_t iov_copy(const struct iovec *dst, int ndst, size_t doff,
		const struct iovec *src, int nsrc, size_t soff, size_t len);
#endif
