/*T:860 A frame's way into a guest
 * Whoever hands a guest a frame (the LAN switch, TAP, libslirp) comes
 * through frame_deliver(): it takes receive buffers from the guest's queue
 * (several of them, when the driver negotiated MRG_RXBUF, with their count
 * in the header), and copies the frame into them once.  A sender may leave
 * work for the receiver: a checksum to finish (NEEDS_CSUM) or a 64 KiB TCP
 * segment to cut (TSO).  A receiver that negotiated the same offloads gets
 * the frame as it is; for one that did not, the work is done here, on the
 * way, never by dropping the frame.  The header and the lengths came from
 * a guest: every offset is checked against the frame before it is used. */
#include "frame.h"
#include <string.h>

#define RX_MAX_CHAINS 64
#define MAX_HDRS 256                     /* Ethernet + IP + TCP headers we rewrite */
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static struct vq_chain chains[RX_MAX_CHAINS];
static struct iovec parts[2 * VQ_MAX_SEG + 4];

size_t iov_size(const struct iovec *iov, int n)
{
	size_t s = 0;
	for (int i = 0; i < n; i++)
		s += iov[i].iov_len;
	return s;
}

size_t iov_copy(const struct iovec *dst, int ndst, size_t doff,
		const struct iovec *src, int nsrc, size_t soff, size_t len)
{
	size_t done = 0;
	int d = 0, s = 0;
	while (d < ndst && doff >= dst[d].iov_len)
		doff -= dst[d++].iov_len;
	while (s < nsrc && soff >= src[s].iov_len)
		soff -= src[s++].iov_len;
	while (done < len && d < ndst && s < nsrc) {
		size_t n = dst[d].iov_len - doff, m = src[s].iov_len - soff;
		n = n < m ? n : m;
		n = n < len - done ? n : len - done;
		memcpy((uint8_t *)dst[d].iov_base + doff, (const uint8_t *)src[s].iov_base + soff, n);
		done += n;
		doff += n;
		soff += n;
		if (doff == dst[d].iov_len)
			d++, doff = 0;
		if (soff == src[s].iov_len)
			s++, soff = 0;
	}
	return done;
}

/* Append [off, off+len) of src to parts[*n]: the frame is never gathered. */
static void slice(int *n, const struct iovec *src, int nsrc, size_t off, size_t len)
{
	for (int s = 0; s < nsrc && len; s++) {
		if (off >= src[s].iov_len) {
			off -= src[s].iov_len;
			continue;
		}
		size_t take = src[s].iov_len - off < len ? src[s].iov_len - off : len;
		parts[(*n)++] = (struct iovec){ (uint8_t *)src[s].iov_base + off, take };
		len -= take;
		off = 0;
	}
}

static void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* --- the Internet checksum, over bytes that may start at an odd offset --- */

struct csum { uint64_t sum; bool odd; };

static void csum_add(struct csum *c, const uint8_t *p, size_t n)
{
	size_t i = 0;
	if (c->odd && n) {
		c->sum += p[i++];
		c->odd = false;
	}
	for (; i + 1 < n; i += 2)
		c->sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < n) {
		c->sum += (uint32_t)p[i] << 8;
		c->odd = true;
	}
}

static void csum_iov(struct csum *c, const struct iovec *iov, int n)
{
	for (int i = 0; i < n; i++)
		csum_add(c, iov[i].iov_base, iov[i].iov_len);
}

static uint16_t csum_fold(const struct csum *c)
{
	uint64_t s = c->sum;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* --- receive buffers ----------------------------------------------------- */

/* Give back chains[0, k) unused: with no room for the frame, none of it
 * reaches the guest, and the buffers wait for the next one. */
static int no_room(struct net_rx *rx, unsigned k, bool bad)
{
	for (unsigned i = 0; bad && i < k; i++)
		vq_push(rx->vq, chains[i].head, 0);
	if (!bad)
		vq_unpop(rx->vq, (uint16_t)k);
	rx->drops++;
	return -1;
}

/* Copy parts[0, n) (our header first) into as many receive chains as it
 * takes (one, without MRG_RXBUF). */
static int put(struct net_rx *rx, int n)
{
	size_t total = iov_size(parts, n), room = 0, off = 0;
	bool mrg = rx->features & NET_F_MRG_RXBUF;
	unsigned k = 0;
	while (room < total) {
		if (k == RX_MAX_CHAINS || (!mrg && k == 1))
			return no_room(rx, k, false);
		int rc = vq_pop(rx->vq, &chains[k]);
		if (rc == VQ_EMPTY)
			return no_room(rx, k, false);
		if (rc == VQ_BROKEN)
			return no_room(rx, k, true);
		if (rc == VQ_BAD_CHAIN || chains[k].nout) {   /* fails alone, with what we took */
			vq_push(rx->vq, chains[k].head, 0);
			return no_room(rx, k, true);
		}
		room += chains[k++].bytes;
	}
	((struct virtio_net_hdr *)parts[0].iov_base)->num_buffers = (uint16_t)k;
	for (unsigned i = 0; i < k; i++) {
		size_t c = iov_copy(chains[i].iov, (int)chains[i].nin, 0, parts, n, off, total - off);
		vq_push(rx->vq, chains[i].head, (uint32_t)c);
		off += c;
	}
	rx->frames++;
	rx->bytes += total - NET_HDR_LEN;
	return 0;
}

/* --- offloads done on the way ---------------------------------------------- */

/* NEEDS_CSUM for a receiver without GUEST_CSUM: sum from csum_start (the
 * field holds the pseudo-header's sum) and put the result in its place. */
static int finish_csum(struct net_rx *rx, const struct iovec *src, int nsrc, size_t flen,
		       struct virtio_net_hdr *h)
{
	size_t start = h->csum_start, at = start + h->csum_offset;
	uint8_t field[2];
	if (start >= flen || at + 2 > flen)
		return -2;
	int n = 0;
	slice(&n, src, nsrc, NET_HDR_LEN + start, flen - start);
	struct csum c = { 0 };
	csum_iov(&c, parts, n);
	put_be16(field, csum_fold(&c));
	h->flags = 0;
	n = 0;
	parts[n++] = (struct iovec){ h, NET_HDR_LEN };
	slice(&n, src, nsrc, NET_HDR_LEN, at);
	parts[n++] = (struct iovec){ field, 2 };
	slice(&n, src, nsrc, NET_HDR_LEN + at + 2, flen - at - 2);
	return put(rx, n);
}

/* Where the headers of a TSO frame end: l3 and l4 offsets, all lengths. */
struct tso { size_t l4, hl; bool v6; };

static int tso_parse(const uint8_t *f, size_t got, const struct virtio_net_hdr *h, struct tso *t)
{
	unsigned gso = h->gso_type & ~NET_GSO_ECN;
	if (got < 14 + 40)
		return -1;
	if (be16(f + 12) == 0x0800 && gso == NET_GSO_TCPV4 && f[23] == 6 && (f[14] & 15) >= 5)
		t->l4 = 14 + (f[14] & 15) * 4u, t->v6 = false;
	else if (be16(f + 12) == 0x86dd && gso == NET_GSO_TCPV6 && f[20] == 6)
		t->l4 = 14 + 40, t->v6 = true;
	else
		return -1;
	if (t->l4 + 20 > got || (f[t->l4 + 12] >> 4) < 5)
		return -1;
	t->hl = t->l4 + (f[t->l4 + 12] >> 4) * 4u;
	return t->hl <= got ? 0 : -1;
}

/* One segment's IP and TCP headers, and its TCP checksum. */
static void tso_fix(uint8_t *s, const struct tso *t, size_t i, size_t nseg, size_t len,
		    uint32_t seq, const struct iovec *payload, int np)
{
	size_t tcp_len = t->hl - t->l4 + len;
	struct csum c = { 0 };
	if (t->v6) {
		put_be16(s + 18, (uint16_t)tcp_len);
		csum_add(&c, s + 22, 32);
	} else {
		put_be16(s + 16, (uint16_t)(t->l4 - 14 + tcp_len));
		put_be16(s + 18, (uint16_t)(be16(s + 18) + i));
		put_be16(s + 24, 0);
		csum_add(&c, s + 14, t->l4 - 14);
		put_be16(s + 24, csum_fold(&c));
		c = (struct csum){ 0 };
		csum_add(&c, s + 26, 8);
	}
	c.sum += 6 + tcp_len;
	uint8_t *tcp = s + t->l4;
	tcp[4] = (uint8_t)(seq >> 24), tcp[5] = (uint8_t)(seq >> 16), tcp[6] = (uint8_t)(seq >> 8), tcp[7] = (uint8_t)seq;
	if (i + 1 < nseg)
		tcp[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (i)
		tcp[13] &= (uint8_t)~TCP_CWR;
	put_be16(tcp + 16, 0);
	csum_add(&c, tcp, t->hl - t->l4);
	csum_iov(&c, payload, np);
	put_be16(tcp + 16, csum_fold(&c));
}

/* TSO for a receiver without it: gso_size pieces, each with its own
 * headers (built here) and a slice of the sender's payload. */
static int segment(struct net_rx *rx, const struct iovec *src, int nsrc, size_t flen,
		   const struct virtio_net_hdr *h)
{
	uint8_t hdrs[MAX_HDRS], seg[MAX_HDRS];
	struct virtio_net_hdr plain = { 0 };
	struct tso t;
	size_t got = iov_copy(&(struct iovec){ hdrs, sizeof(hdrs) }, 1, 0, src, nsrc, NET_HDR_LEN,
			      flen < MAX_HDRS ? flen : MAX_HDRS);
	size_t mss = h->gso_size;
	if (tso_parse(hdrs, got, h, &t) < 0 || !mss || flen <= t.hl || (flen - t.hl + mss - 1) / mss > 256)
		return -2;
	size_t payload = flen - t.hl, nseg = (payload + mss - 1) / mss;
	uint32_t seq = (uint32_t)hdrs[t.l4 + 4] << 24 | (uint32_t)hdrs[t.l4 + 5] << 16 |
		       (uint32_t)hdrs[t.l4 + 6] << 8 | hdrs[t.l4 + 7];
	int rc = 0;
	for (size_t i = 0; i < nseg; i++) {
		size_t len = payload - i * mss < mss ? payload - i * mss : mss;
		int n = 2;
		slice(&n, src, nsrc, NET_HDR_LEN + t.hl + i * mss, len);
		memcpy(seg, hdrs, t.hl);
		tso_fix(seg, &t, i, nseg, len, seq + (uint32_t)(i * mss), parts + 2, n - 2);
		parts[0] = (struct iovec){ &plain, NET_HDR_LEN };
		parts[1] = (struct iovec){ seg, t.hl };
		rc |= put(rx, n);
	}
	return rc;
}

int frame_deliver(struct net_rx *rx, const struct iovec *src, int nsrc)
{
	struct virtio_net_hdr h;
	size_t total = iov_size(src, nsrc);
	vq_turn(rx->vq);                /* a frame takes what it needs of the queue */
	if (total < NET_HDR_LEN + 14 || total > NET_HDR_LEN + NET_MAX_FRAME)
		return -2;
	iov_copy(&(struct iovec){ &h, sizeof(h) }, 1, 0, src, nsrc, 0, NET_HDR_LEN);
	size_t flen = total - NET_HDR_LEN;
	unsigned gso = h.gso_type & ~NET_GSO_ECN;
	bool csum_ok = rx->features & NET_F_GUEST_CSUM;
	if (gso != NET_GSO_NONE) {
		uint64_t need = gso == NET_GSO_TCPV4 ? NET_F_GUEST_TSO4 : NET_F_GUEST_TSO6;
		if (!csum_ok || !(rx->features & need))
			return segment(rx, src, nsrc, flen, &h);
	} else if ((h.flags & NET_HDR_F_NEEDS_CSUM) && !csum_ok) {
		return finish_csum(rx, src, nsrc, flen, &h);
	}
	int n = 0;
	parts[n++] = (struct iovec){ &h, NET_HDR_LEN };
	slice(&n, src, nsrc, NET_HDR_LEN, flen);
	return put(rx, n);
}
