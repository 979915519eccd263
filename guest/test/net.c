/*T:970 A network test guest: ARP, ping, blast, count, and lies
 * net.elf drives the first virtio-net card with rt/vnet.c and speaks just
 * enough Ethernet, ARP, IPv4, ICMP and UDP for one job, picked by mode=:
 * answer (reply to ARP and pings), ping, blast (send UDP frames as fast as
 * the ring goes), count (count what arrives), bcast (eight guests, each
 * counting who it heard) and hostile (malformed TX and RX chains, each
 * followed by a ping that proves the device and the LAN still work).
 * Everything after PCI set-up runs at ring 3.  The command line and the
 * output lines that tests grep are described above main().
 */
#include "rt.h"

#define MSIX_VEC 0x44
#define TICK_VEC 0x45		/* blast's 10 ms tick: no wait lasts forever */
#define ETH_IP 0x0800
#define ETH_ARP 0x0806
#define IP_ICMP 1
#define IP_TCP 6
#define IP_UDP 17
#define PORT_BLAST 7777
#define PORT_BCAST 7778
#define ICMP_ID 0x4c47
#define MAX_RTTS (1 << 18)

struct eth {
	u8 dst[6], src[6];
	u16 type;
} __attribute__((packed));
struct arp {
	u16 htype, ptype;
	u8 hlen, plen;
	u16 op;
	u8 sha[6];
	u32 spa;
	u8 tha[6];
	u32 tpa;
} __attribute__((packed));
struct ip4 {
	u8 vihl, tos;
	u16 len, id, frag;
	u8 ttl, proto;
	u16 csum;
	u32 src, dst;
} __attribute__((packed));
struct icmp {
	u8 type, code;
	u16 csum, id, seq;
} __attribute__((packed));
struct udp {
	u16 sport, dport, len, csum;
} __attribute__((packed));
struct tcp {
	u16 sport, dport;
	u32 seq, ack;
	u8 off, flags;
	u16 win, csum, urg;
} __attribute__((packed));

static struct vnet net;
static u8 peer_mac[6];
static const u8 bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static u32 my_ip, peer_ip;		/* host byte order */
static u64 hz;
static int csum_tx, answer_bcast, result = 1;
static u16 ip_id;

/* What rx_one() found besides the ARP and echo requests it answers. */
enum { RX_NONE, RX_OTHER, RX_ARP_REPLY, RX_ECHO_REPLY, RX_BLAST, RX_BCAST };
static u32 rx_len, rx_arp_ip, rx_plen;
static const u8 *rx_frame;
static struct virtio_net_hdr *rx_hdr;
static u8 rx_arp_mac[6];
static u16 rx_seq;
static const u8 *rx_payload;
static u64 echoes, arp_replies, bad_frames;

static u16 be16(u16 v) { return (u16)(v << 8 | v >> 8); }
static u32 be32(u32 v) { return __builtin_bswap32(v); }

static u32 sum16(const void *p, u32 len, u32 sum)
{
	const u8 *b = p;
	for (; len > 1; len -= 2, b += 2)
		sum += (u32)(b[0] << 8 | b[1]);
	if (len)
		sum += (u32)b[0] << 8;
	return sum;
}

static u16 fold(u32 sum)		/* the one's-complement checksum */
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

static u64 secs(u64 s) { return s * hz; }
static u64 ms(u64 m) { return m * (hz / 1000); }

/* --- parsing the command line --- */
static int parse_ip(const char *p, u32 *ip)
{
	u32 v = 0;
	for (int i = 0; i < 4; i++, p++) {
		u32 b = 0, digits = 0;
		for (; *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
			b = b * 10 + (u32)(*p - '0');
		int end = i == 3 && (!*p || *p == ' ');
		if (!digits || b > 255 || (*p != '.' && !end) || (i == 3 && !end))
			return -1;
		v = v << 8 | b;
	}
	*ip = v;
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int parse_mac(const char *p, u8 *mac)
{
	for (int i = 0; i < 6; i++, p += 3) {
		int h = hexval(p[0]), l = hexval(p[1]);
		if (h < 0 || l < 0 || (i < 5 && p[2] != ':'))
			return -1;
		mac[i] = (u8)(h << 4 | l);
	}
	return 0;
}

static int arg_ip(const char *key, u32 *ip)
{
	const char *v = rt_arg_str(key);
	return v ? parse_ip(v, ip) : 1;		/* 1: absent */
}

static void put_ip(const char *key, u32 ip)
{
	rt_printf("%s=%u.%u.%u.%u", key, ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255);
}

static void put_mac(const char *key, const u8 *m)
{
	rt_printf("%s=%x%x:%x%x:%x%x:%x%x:%x%x:%x%x", key, m[0] >> 4, m[0] & 15, m[1] >> 4,
		  m[1] & 15, m[2] >> 4, m[2] & 15, m[3] >> 4, m[3] & 15, m[4] >> 4, m[4] & 15,
		  m[5] >> 4, m[5] & 15);
}

/* --- building frames --- */
/* Ethernet and IPv4 headers for an IP packet of iplen bytes; the L4 header
 * goes at f + 34. */
static void ip_frame(u8 *f, const u8 *dst_mac, u32 dst_ip, u8 proto, u32 iplen)
{
	struct eth *e = (struct eth *)f;
	struct ip4 *ip = (struct ip4 *)(f + 14);
	memcpy(e->dst, dst_mac, 6);
	memcpy(e->src, net.mac, 6);
	e->type = be16(ETH_IP);
	*ip = (struct ip4){ 0x45, 0, be16((u16)iplen), be16(ip_id++), be16(0x4000), 64, proto, 0,
			    be32(my_ip), be32(dst_ip) };
	ip->csum = be16(fold(sum16(ip, 20, 0)));
}

/* The L4 checksum of the len bytes at f + off, field at +field: computed
 * here, or (csum=1 and VIRTIO_NET_F_CSUM) left to the device. */
static void l4_csum(struct virtio_net_hdr *h, u8 *f, u32 off, u32 len, u8 proto, u32 field)
{
	u8 *l4 = f + off;
	u32 pseudo = proto == IP_ICMP ? 0 : sum16(f + 26, 8, proto + len);
	l4[field] = l4[field + 1] = 0;
	u16 c;
	if (csum_tx) {
		h->flags = VNET_HDR_F_NEEDS_CSUM;
		h->csum_start = (u16)off;
		h->csum_offset = (u16)field;
		c = (u16)~fold(pseudo);		/* the sum so far, not inverted */
	} else {
		c = fold(sum16(l4, len, pseudo));
		if (proto == IP_UDP && !c)
			c = 0xffff;
	}
	l4[field] = (u8)(c >> 8);
	l4[field + 1] = (u8)c;
}

/* A TX buffer with a zeroed header; NULL when the ring stays full for 1 s. */
static u8 *tx_begin(int *slot, struct virtio_net_hdr **hp)
{
	struct virtio_net_hdr *h;
	for (u64 t0 = rdtsc(); !(h = vnet_tx_buf(&net, slot));) {
		vnet_tx_flush(&net);
		if (rdtsc() - t0 > hz)
			return NULL;
		cpu_relax();
	}
	memset(h, 0, VNET_HDR);
	if (hp)
		*hp = h;
	return (u8 *)h + VNET_HDR;
}

static void tx_end(int slot, u32 len)
{
	vnet_tx(&net, slot, len);
	vnet_tx_flush(&net);
}

static int send_arp(u16 op, const u8 *dst_mac, const u8 *tha, u32 tpa)
{
	int slot;
	u8 *f = tx_begin(&slot, NULL);
	if (!f)
		return -1;
	struct eth *e = (struct eth *)f;
	struct arp *a = (struct arp *)(f + 14);
	memcpy(e->dst, dst_mac, 6);
	memcpy(e->src, net.mac, 6);
	e->type = be16(ETH_ARP);
	*a = (struct arp){ be16(1), be16(ETH_IP), 6, 4, be16(op), {0}, be32(my_ip), {0}, be32(tpa) };
	memcpy(a->sha, net.mac, 6);
	memcpy(a->tha, tha, 6);
	memset(f + 42, 0, 18);			/* pad to the 60-byte minimum */
	tx_end(slot, 60);
	return 0;
}

/* An ICMP echo request (type 8) or reply (0) with payload bytes. */
static int send_echo(u8 type, const u8 *mac, u32 ip, u16 id, u16 seq, const u8 *data, u32 payload)
{
	int slot;
	struct virtio_net_hdr *h;
	u8 *f = payload <= net.tx_bufsize - VNET_HDR - 42 ? tx_begin(&slot, &h) : NULL;
	if (!f)
		return -1;
	ip_frame(f, mac, ip, IP_ICMP, 28 + payload);
	struct icmp *ic = (struct icmp *)(f + 34);
	*ic = (struct icmp){ type, 0, 0, be16(id), be16(seq) };
	if (data)
		memcpy(f + 42, data, payload);
	else
		for (u32 i = 0; i < payload; i++)
			f[42 + i] = (u8)i;
	l4_csum(h, f, 34, 8 + payload, IP_ICMP, 2);
	tx_end(slot, 42 + payload);
	return 0;
}

/* --- receiving: one frame, answering what asks for an answer --- */
static int for_me(u32 dst)
{
	return dst == my_ip || (answer_bcast && (dst == 0xffffffff || dst == (my_ip | 0xff)));
}

static int rx_ip(struct virtio_net_hdr *h, const u8 *f, u32 len)
{
	const struct eth *e = (const struct eth *)f;
	const struct ip4 *ip = (const struct ip4 *)(f + 14);
	u32 ihl = (ip->vihl & 15) * 4u, iplen = be16(ip->len);
	if (len < 34 || (ip->vihl >> 4) != 4 || ihl < 20 || iplen < ihl || 14 + iplen > len ||
	    14 + ihl > net.rx_contig)
		return RX_OTHER;
	const u8 *l4 = f + 14 + ihl;
	u32 l4len = iplen - ihl, src = be32(ip->src), dst = be32(ip->dst);
	int checked = !(h->flags & (VNET_HDR_F_NEEDS_CSUM | VNET_HDR_F_DATA_VALID));

	if (ip->proto == IP_UDP && l4len >= 8 && 14 + ihl + 8 <= net.rx_contig) {
		const struct udp *u = (const struct udp *)l4;
		rx_payload = l4 + 8;
		rx_plen = l4len - 8;
		if (be16(u->dport) == PORT_BLAST)
			return RX_BLAST;
		if (be16(u->dport) == PORT_BCAST && 14 + iplen <= net.rx_contig)
			return RX_BCAST;
		return RX_OTHER;
	}
	rx_plen = 0;
	if (ip->proto == IP_TCP && l4len >= 20 && 14 + ihl + 20 <= net.rx_contig &&
	    be16(((const struct tcp *)l4)->dport) == PORT_BLAST)
		return RX_BLAST;
	if (ip->proto != IP_ICMP || l4len < 8 || 14 + iplen > net.rx_contig)
		return RX_OTHER;
	const struct icmp *ic = (const struct icmp *)l4;
	if ((checked && fold(sum16(ip, ihl, 0))) || (checked && fold(sum16(l4, l4len, 0)))) {
		bad_frames++;
		return RX_OTHER;
	}
	if (ic->type == 0 && dst == my_ip && be16(ic->id) == ICMP_ID) {
		rx_seq = be16(ic->seq);
		return RX_ECHO_REPLY;
	}
	if (ic->type == 8 && for_me(dst) &&
	    !send_echo(0, e->src, src, be16(ic->id), be16(ic->seq), l4 + 8, l4len - 8))
		echoes++;
	return RX_OTHER;
}

static int rx_one(void)
{
	u32 len;
	struct virtio_net_hdr *h = vnet_rx(&net, &len);
	if (!h)
		return RX_NONE;
	const u8 *f = (const u8 *)h + VNET_HDR;
	const struct eth *e = (const struct eth *)f;
	rx_len = len;
	rx_frame = f;
	rx_hdr = h;
	if (len < 14 || net.rx_contig < 14 ||
	    (memcmp(e->dst, net.mac, 6) && memcmp(e->dst, bcast_mac, 6)))
		return RX_OTHER;
	if (be16(e->type) == ETH_IP)
		return rx_ip(h, f, len);
	if (be16(e->type) != ETH_ARP || len < 42 || net.rx_contig < 42)
		return RX_OTHER;
	const struct arp *a = (const struct arp *)(f + 14);
	if (be16(a->htype) != 1 || be16(a->ptype) != ETH_IP || a->hlen != 6 || a->plen != 4)
		return RX_OTHER;
	if (be16(a->op) == 1 && be32(a->tpa) == my_ip) {
		if (!send_arp(2, a->sha, a->sha, be32(a->spa)))
			arp_replies++;
		return RX_OTHER;
	}
	if (be16(a->op) != 2)
		return RX_OTHER;
	rx_arp_ip = be32(a->spa);
	memcpy(rx_arp_mac, a->sha, 6);
	return RX_ARP_REPLY;
}

/* --- ARP and ping, used by several modes --- */
/* ARP for ip every 100 ms until a reply or timeout cycles; 0 when found. */
static int arp_resolve(u32 ip, u8 *mac, u64 timeout)
{
	static const u8 zero[6];
	u64 t0 = rdtsc(), next = t0;
	for (;;) {
		u64 now = rdtsc();
		if (now - t0 > timeout)
			return -1;
		if (now >= next) {
			send_arp(1, bcast_mac, zero, ip);
			next = now + ms(100);
		}
		if (rx_one() == RX_ARP_REPLY && rx_arp_ip == ip) {
			memcpy(mac, rx_arp_mac, 6);
			return 0;
		}
	}
}

/* One echo to the peer; 1 with *rtt (TSC cycles) when the reply came. */
static int ping_once(u16 seq, u32 payload, u64 timeout, u64 *rtt)
{
	u64 t0 = rdtsc();
	if (send_echo(8, peer_mac, peer_ip, ICMP_ID, seq, NULL, payload))
		return 0;
	for (;;) {
		int k = rx_one();
		u64 now = rdtsc();
		if (k == RX_ECHO_REPLY && rx_seq == seq) {
			*rtt = now - t0;
			return 1;
		}
		if (now - t0 > timeout)
			return 0;
	}
}

static int wait_link(void)
{
	u64 t0 = rdtsc(), limit = secs(rt_arg("link_wait", 10));
	if (vnet_link_up(&net))
		return 1;
	rt_puts("net link=0 waiting=1\n");
	while (rdtsc() - t0 < limit)
		if (vnet_link_up(&net)) {
			rt_printf("net link=1 waited_ns=%lu\n", rt_tsc_ns(rdtsc() - t0));
			return 1;
		}
	rt_puts("net link=0 timeout=1\n");
	return 0;
}

static int resolve_peer(void)
{
	u64 t0 = rdtsc();
	if (arp_resolve(peer_ip, peer_mac, secs(rt_arg("arp_secs", 10)))) {
		rt_printf("net arp=timeout ");
		put_ip("peer", peer_ip);
		rt_puts("\n");
		return -1;
	}
	rt_puts("net arp=ok ");
	put_ip("peer", peer_ip);
	put_mac(" peer_mac", peer_mac);
	rt_printf(" arp_ns=%lu\n", rt_tsc_ns(rdtsc() - t0));
	return 0;
}

/* --- mode=answer --- */
static void mode_answer(void)
{
	u64 want = rt_arg("count", 0), limit = secs(rt_arg("secs", want ? 3600 : 30));
	u64 t0 = rdtsc();
	while ((!want || echoes < want) && rdtsc() - t0 < limit)
		rx_one();
	rt_printf("answer echoes=%lu arp_replies=%lu rx_frames=%lu ns=%lu irqs=%lu\n", echoes,
		  arp_replies, net.rx_frames, rt_tsc_ns(rdtsc() - t0), virtio_irqs);
	result = want && echoes < want;
}

/* --- mode=ping --- */
static u32 rtts[MAX_RTTS];

static void sort(u32 *a, u32 n)		/* Shell sort, Ciura's gaps and beyond */
{
	static const u32 gaps[] = { 88573, 39366, 17496, 7776, 3456, 1536, 701, 301, 132, 57, 23,
				    10, 4, 1 };
	for (u32 g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++)
		for (u32 i = gaps[g]; i < n; i++) {
			u32 v = a[i], j = i;
			for (; j >= gaps[g] && a[j - gaps[g]] > v; j -= gaps[g])
				a[j] = a[j - gaps[g]];
			a[j] = v;
		}
}

static u32 rank(u32 n, u32 pct)		/* nearest-rank percentile */
{
	return rtts[n ? ((u64)n * pct + 99) / 100 - 1 : 0];
}

static void mode_ping(void)
{
	u64 count = rt_arg("count", 10), got = 0, timeout = ms(rt_arg("timeout_ms", 1000));
	u64 gap = ms(rt_arg("interval_ms", 0));
	u32 payload = (u32)rt_arg("size", 56);
	if (resolve_peer())
		count = 0;
	for (u64 seq = 1; seq <= count; seq++) {
		u64 rtt, t0 = rdtsc();
		if (ping_once((u16)seq, payload, timeout, &rtt) && got < MAX_RTTS)
			rtts[got++] = (u32)(rt_tsc_ns(rtt) < 0xffffffffULL ? rt_tsc_ns(rtt) : 0xffffffff);
		while (rdtsc() - t0 < gap)
			rx_one();
	}
	sort(rtts, (u32)got);
	rt_printf("ping sent=%lu received=%lu rtt_median_ns=%u rtt_p99_ns=%u rtt_min_ns=%u "
		  "rtt_max_ns=%u irqs=%lu\n", count, got, rank((u32)got, 50), rank((u32)got, 99),
		  got ? rtts[0] : 0, got ? rtts[got - 1] : 0, virtio_irqs);
	result = !count || got != count;
}

/* --- mode=blast --- */

static void mode_blast(void)
{
	u64 count = rt_arg("count", 100000), batch = rt_arg("batch", 32);
	u32 size = (u32)rt_arg("size", 64), mss = (u32)rt_arg("mss", 1448);
	u8 dst[6];
	u32 dst_ip = 0xffffffff;
	int gso = size > 14u + net.mtu;

	memcpy(dst, bcast_mac, 6);
	if (size < 60 || size > VNET_FRAME_MAX || size + VNET_HDR > net.tx_bufsize) {
		rt_printf("blast error=size size=%u\n", size);
		return;
	}
	if (gso && !(net.pci.features & BIT(VIRTIO_NET_F_HOST_TSO4))) {
		rt_printf("blast skipped=1 reason=no_host_tso4 size=%u\n", size);
		result = 0;
		return;
	}
	if (rt_arg_str("dst") && !rt_arg_is("dst", "bcast") && parse_mac(rt_arg_str("dst"), dst)) {
		rt_puts("blast error=dst\n");
		return;
	}
	if (peer_ip) {
		dst_ip = peer_ip;
		if (!rt_arg_str("dst")) {
			if (resolve_peer())
				return;
			memcpy(dst, peer_mac, 6);
		}
	}
	/* The frame every slot carries: UDP (or, for GSO, one TCP segment of
	 * size bytes for the device to cut into mss pieces); the first four
	 * payload bytes are a sequence number. */
	static u8 tmpl[VNET_HDR + VNET_FRAME_MAX];
	struct virtio_net_hdr *th = (struct virtio_net_hdr *)tmpl;
	u8 *f = tmpl + VNET_HDR;
	u32 l4 = gso ? 20 : 8;
	ip_frame(f, dst, dst_ip, gso ? IP_TCP : IP_UDP, size - 14);
	if (gso) {
		*(struct tcp *)(f + 34) = (struct tcp){ be16(PORT_BLAST), be16(PORT_BLAST), 0, 0,
							 0x50, 0x18, be16(65535), 0, 0 };
		csum_tx = 1;
		l4_csum(th, f, 34, size - 34, IP_TCP, 16);
		th->gso_type = VNET_GSO_TCPV4;
		th->gso_size = (u16)mss;
		th->hdr_len = 54;
	} else {
		*(struct udp *)(f + 34) = (struct udp){ be16(PORT_BLAST), be16(PORT_BLAST),
							 be16((u16)(size - 34)), 0 };
		if (csum_tx)
			l4_csum(th, f, 34, size - 34, IP_UDP, 6);
	}
	for (u32 i = 34 + l4; i < size; i++)
		f[i] = (u8)i;
	for (int s = 0; s < net.tx_slots; s++)	/* every slot, before the clock starts */
		memcpy(vnet_tx_slot(&net, s), tmpl, VNET_HDR + size);
	vnet_rx_irq(&net, 0);
	/* With the ring full, wait for the TX interrupt after txwait percent of
	 * it is sent (75, as Linux does), or spin (txwait=0); a tick bounds a wait. */
	u64 txwait = rt_arg("txwait", 75);
	txwait = txwait > 100 ? 100 : txwait;
	if (txwait)
		rt_wait_tick(TICK_VEC);

	u64 t0 = rdtsc(), sent = 0, last_progress = t0;
	while (sent < count) {
		int slot;
		struct virtio_net_hdr *h = vnet_tx_buf(&net, &slot);
		if (!h) {		/* (no rx_one() here: its replies would take slots) */
			vnet_tx_flush(&net);
			if (rdtsc() - last_progress > secs(5)) {
				rt_printf("blast error=stuck sent=%lu\n", sent);
				return;
			}
			if (txwait)
				vnet_tx_wait(&net, (u32)txwait);
			continue;
		}
		*(volatile u32 *)((u8 *)h + VNET_HDR + 34 + l4) = (u32)sent;
		vnet_tx(&net, slot, size);
		if (++sent % batch == 0) {
			vnet_tx_flush(&net);
			last_progress = rdtsc();
		}
	}
	vnet_tx_flush(&net);
	while (!vnet_tx_idle(&net) && rdtsc() - t0 < secs(60))
		cpu_relax();
	u64 ns = rt_tsc_ns(rdtsc() - t0);
	if (txwait)
		lapic_timer_stop();
	rt_printf("blast frames=%lu bytes=%lu ns=%lu size=%u gso=%d fps=%lu kicks=%lu waits=%lu\n", sent,
		  sent * size, ns, size, gso, ns ? sent * 1000000000 / ns : 0, net.kicks, net.tx_waits);
	/* Stay a while: a receiver may still be taking in what its VMM queued
	 * (and QEMU 7.2's stream netdev crashes when its peer leaves then). */
	for (u64 t1 = rdtsc(), linger = ms(rt_arg("linger_ms", 1000)); rdtsc() - t1 < linger;)
		rx_one();
	result = 0;
}

/* --- mode=count --- */
/* The IPv4 and UDP/TCP checksums of the frame rx_one() just took: 0 when
 * right, 1 when wrong, 2 when we cannot tell (the header says the device
 * vouches or left it partial, or the frame is merged from several buffers). */
static int bad_csum(void)
{
	const u8 *f = rx_frame;
	u32 ihl = (f[14] & 15) * 4u, iplen = (u32)(f[16] << 8 | f[17]);
	if ((rx_hdr->flags & (VNET_HDR_F_NEEDS_CSUM | VNET_HDR_F_DATA_VALID)) ||
	    rx_len != net.rx_contig)
		return 2;
	if (14 + iplen > rx_len || fold(sum16(f + 14, ihl, 0)))
		return 1;
	u32 l4len = iplen - ihl;
	const u8 *l4 = f + 14 + ihl;
	if (f[23] == IP_UDP && !l4[6] && !l4[7])
		return 0;				/* no UDP checksum */
	return fold(sum16(l4, l4len, sum16(f + 26, 8, f[23] + l4len))) != 0;
}

static void mode_count(void)
{
	u64 want = rt_arg("count", 0), limit = secs(rt_arg("secs", 30));
	u64 idle = ms(rt_arg("idle_ms", 2000));
	u64 frames = 0, bytes = 0, first = 0, last = 0, bad = 0, unchecked = 0, t0 = rdtsc();
	int verify = (int)rt_arg("verify", 0);
	u32 seq_lo = 0xffffffff, seq_hi = 0;

	vnet_rx_irq(&net, 0);
	for (;;) {
		int k = rx_one();
		u64 now = rdtsc();
		if (k == RX_BLAST) {
			if (!frames)
				first = now;
			last = now;
			frames++;
			bytes += rx_len;
			if (verify) {
				int b = bad_csum();
				bad += b == 1;
				unchecked += b == 2;
			}
			if (rx_plen >= 4 && rx_len <= 14u + net.mtu) {
				u32 s = *(const u32 *)rx_payload;
				seq_lo = s < seq_lo ? s : seq_lo;
				seq_hi = s > seq_hi ? s : seq_hi;
			}
			if (want && frames >= want)
				break;
		} else if (k == RX_NONE && ((frames && now - last > idle) || now - t0 > limit)) {
			break;
		}
	}
	u64 span = seq_lo <= seq_hi ? (u64)seq_hi - seq_lo + 1 : 0;
	rt_printf("count frames=%lu bytes=%lu ns=%lu lost=%lu fps=%lu", frames, bytes,
		  rt_tsc_ns(last - first), span > frames ? span - frames : 0,
		  last > first ? frames * 1000000000 / rt_tsc_ns(last - first) : 0);
	if (verify)
		rt_printf(" bad_csum=%lu unchecked=%lu", bad, unchecked);
	rt_puts("\n");
	result = frames < (want ? want : 1) || bad;
}

/* --- mode=bcast --- */
static void mode_bcast(void)
{
	u64 expect = rt_arg("expect", 1), limit = secs(rt_arg("secs", 20));
	u64 gap = ms(rt_arg("interval_ms", 100)), t0 = rdtsc(), next = t0, done_at = 0;
	u32 id = (u32)rt_arg("id", net.mac[5]) & 255, heard = 0, sent = 0;
	static u8 heard_from[256], full_from[256];

	while (rdtsc() - t0 < limit && (!done_at || rdtsc() < done_at)) {
		if (rdtsc() >= next) {
			int slot;
			struct virtio_net_hdr *h;
			u8 *f = tx_begin(&slot, &h);
			if (f) {
				ip_frame(f, bcast_mac, 0xffffffff, IP_UDP, 28 + 12);
				*(struct udp *)(f + 34) = (struct udp){ be16(PORT_BCAST), be16(PORT_BCAST),
									 be16(8 + 12), 0 };
				u8 *p = f + 42;
				memcpy(p, "LGBC", 4);
				p[4] = (u8)id;
				p[5] = heard >= expect;
				p[6] = (u8)heard;
				p[7] = 0;
				memcpy(p + 8, &sent, 4);
				l4_csum(h, f, 34, 20, IP_UDP, 6);
				tx_end(slot, 60);
				sent++;
			}
			next = rdtsc() + gap;
		}
		if (rx_one() != RX_BCAST || rx_plen < 12 || memcmp(rx_payload, "LGBC", 4))
			continue;
		u8 from = rx_payload[4];
		if (from == id)
			continue;
		heard += !heard_from[from];
		heard_from[from] = 1;
		full_from[from] = rx_payload[5];
		/* Done when we and everyone we heard have heard enough; keep
		 * sending three more rounds so the last ones hear that too. */
		int all = heard >= expect;
		for (int i = 0; i < 256 && all; i++)
			all = !heard_from[i] || full_from[i];
		if (all && !done_at)
			done_at = rdtsc() + 3 * gap;
	}
	rt_printf("bcast heard=%u sent=%u id=%u expect=%lu\n", heard, sent, id, expect);
	result = heard < expect;
}

/* --- mode=hostile --- */
#define BAD_ADDR 0x10000000000ULL		/* 1 TiB: not RAM, no BAR */
#define HMEM (VNET_MEM + 0x1200000)		/* scratch past the TX buffers */
#define R 0
#define W VIRTQ_DESC_F_WRITE
#define N VIRTQ_DESC_F_NEXT
#define I VIRTQ_DESC_F_INDIRECT
#define RESERVE 8

static const char *name;
static u64 ram_end;
static struct virtq *txq = &net.tx, *rxq = &net.rx;
static u8 *hf, *big, *rxb;			/* good frame, 192 KiB, RX scratch */
static struct virtq_desc *itab, *itab2;
static u32 hf_len;

static void d(struct virtq *q, int i, u64 addr, u32 len, u16 flags, u16 next)
{
	q->desc[i].addr = addr;
	q->desc[i].len = len;
	q->desc[i].flags = flags;
	q->desc[i].next = next;
}
static void t(int i, u64 addr, u32 len, u16 flags, u16 next)
{
	d(txq, i, addr, len, flags, next);
}

/* A good frame at hf: header, then UDP to the peer's discard port. */
static void good_frame(void)
{
	hf_len = 14 + 20 + 8 + 64;
	memset(hf, 0, VNET_HDR);
	u8 *f = hf + VNET_HDR;
	ip_frame(f, peer_mac, peer_ip, IP_UDP, hf_len - 14);
	*(struct udp *)(f + 34) = (struct udp){ be16(9), be16(9), be16((u16)(hf_len - 34)), 0 };
	for (u32 i = 42; i < hf_len; i++)
		f[i] = (u8)i;
}

/* big: header + a TCP frame of len bytes (IP length as given) at big. */
static void big_frame(u32 len, u32 iplen)
{
	memset(big, 0, VNET_HDR);
	u8 *f = big + VNET_HDR;
	ip_frame(f, peer_mac, peer_ip, IP_TCP, iplen);
	*(struct tcp *)(f + 34) = (struct tcp){ be16(9), be16(9), 0, 0, 0x50, 0x18, 0xffff, 0, 0 };
	for (u32 i = 54; i < len; i++)
		f[i] = (u8)i;
}

static void publish(struct virtq *q, u16 head, u16 queue)
{
	q->avail->ring[q->avail_idx++ % q->size] = head;
	__asm__ volatile("" ::: "memory");
	q->avail->idx = q->avail_idx;
	q->kicked_idx = q->avail_idx;
	mb();
	mmio_write16(q->notify, queue);
}

/* Report what the device did with the queue's latest chain. */
static u16 used_before[2];		/* each queue's used->idx as a case starts */

static void observe(struct virtq *q)
{
	u16 before = used_before[q == txq];
	u64 t0 = rdtsc();
	u64 wait = ms(q == txq ? 200 : 1000);	/* RX: the peer's reply first */
	while (q->used->idx == before && rdtsc() - t0 < wait &&
	       !(virtio_status(&net.pci) & VIRTIO_S_NEEDS_RESET))
		cpu_relax();
	u16 idx = q->used->idx;
	rt_printf("hostile case=%s used=%d len=%u device_status=0x%x\n", name, idx != before,
		  idx != before ? q->used->ring[(u16)(idx - 1) % q->size].len : 0,
		  virtio_status(&net.pci));
}

static void tx_go(u16 head) { publish(txq, head, VNET_TXQ); observe(txq); }
static void tx_one(u64 addr, u32 len, u16 flags) { t(0, addr, len, flags, 0); tx_go(0); }
static void tx_good(void) { tx_one((u64)hf, VNET_HDR + hf_len, R); }
static void tx_hdr(u8 gso, u16 hdr_len, u16 gso_size, u8 flags, u16 start, u16 off)
{
	struct virtio_net_hdr *h = (struct virtio_net_hdr *)hf;
	*h = (struct virtio_net_hdr){ flags, gso, hdr_len, gso_size, start, off, 0 };
	tx_one((u64)hf, VNET_HDR + hf_len, 0);
}
static void big_hdr(u8 gso, u16 hdr_len, u16 gso_size, u32 len)
{
	big_frame(len, len - 14);
	*(struct virtio_net_hdr *)big = (struct virtio_net_hdr){ VNET_HDR_F_NEEDS_CSUM, gso, hdr_len,
								  gso_size, 34, 16, 0 };
	tx_one((u64)big, VNET_HDR + len, 0);
}

/* The two descriptors of the good frame as an indirect table at it. */
static void itable(struct virtq_desc *it, u16 flags1)
{
	it[0] = (struct virtq_desc){ (u64)hf, VNET_HDR, N, 1 };
	it[1] = (struct virtq_desc){ (u64)hf + VNET_HDR, hf_len, flags1, 0 };
}
static void tx_ind(u64 addr, u32 len, u16 flags) { itable(itab, 0); tx_one(addr, len, flags); }

/* TX: descriptors */
static void c_tx_addr_outside_ram(void) { tx_one(BAD_ADDR, VNET_HDR + hf_len, R); }
static void c_tx_addr_wrap(void) { tx_one(0xffffffffffffff00ULL, 0x1000, R); }
static void c_tx_addr_ram_end(void) { tx_one(ram_end - 64, VNET_HDR + hf_len, R); }
static void c_tx_addr_mmio(void) { tx_one((u64)net.pci.common, VNET_HDR + hf_len, R); }
static void c_tx_len_huge(void) { tx_one((u64)hf, 0xffffffff, R); }
static void c_tx_len_over_64k(void)
{
	big_frame(1514, 1500);
	tx_one((u64)big, VNET_HDR + 65536 + 1000, R);
}
static void c_tx_chain_over_64k(void)
{
	big_frame(1514, 1500);
	t(0, (u64)big, VNET_HDR + 1514, N, 1);
	for (u16 i = 1; i < RESERVE; i++)
		t(i, (u64)big + 0x4000, 0x4000, i + 1 < RESERVE ? N : 0, (u16)(i + 1));
	tx_go(0);
}
static void c_tx_len_zero(void) { tx_one((u64)hf, 0, R); }
static void c_tx_zero_len_in_chain(void)
{
	t(0, (u64)hf, VNET_HDR, N, 1);
	t(1, (u64)hf + VNET_HDR, 0, N, 2);
	t(2, (u64)hf + VNET_HDR, hf_len, R, 0);
	tx_go(0);
}
static void c_tx_header_only(void) { tx_one((u64)hf, VNET_HDR, R); }
static void c_tx_header_short(void) { tx_one((u64)hf, 6, R); }
static void c_tx_header_split(void)	/* legal with VERSION_1: any layout */
{
	t(0, (u64)hf, 4, N, 1);
	t(1, (u64)hf + 4, 4, N, 2);
	t(2, (u64)hf + 8, 4 + hf_len, R, 0);
	tx_go(0);
}
static void c_tx_runt_frame(void) { tx_one((u64)hf, VNET_HDR + 10, R); }
static void c_tx_frame_over_mtu(void)
{
	big_frame(9014, 9000);
	tx_one((u64)big, VNET_HDR + 9014, R);
}
static void c_tx_writable_desc(void)
{
	t(0, (u64)hf, VNET_HDR, N, 1);
	t(1, (u64)hf + VNET_HDR, hf_len, W, 0);
	tx_go(0);
}
static void c_tx_all_writable(void) { tx_one((u64)hf, VNET_HDR + hf_len, W); }
static void c_tx_desc_loop(void)
{
	t(0, (u64)hf, VNET_HDR, N, 1);
	t(1, (u64)hf + VNET_HDR, hf_len, N, 0);
	tx_go(0);
}
static void c_tx_desc_self_loop(void) { t(0, (u64)hf, VNET_HDR + hf_len, N, 0); tx_go(0); }
static void c_tx_next_oob(void) { t(0, (u64)hf, VNET_HDR, N, (u16)(txq->size + 7)); tx_go(0); }
static void c_tx_next_into_ring(void)	/* next = a descriptor of a queued slot */
{
	t(0, (u64)hf, VNET_HDR, N, (u16)(RESERVE + 3));
	tx_go(0);
}
/* TX: indirect tables */
static void c_tx_chain_too_long(void)
{
	int n = txq->size + 8;
	itab[0] = (struct virtq_desc){ (u64)hf, VNET_HDR, N, 1 };
	for (int i = 1; i < n; i++)
		itab[i] = (struct virtq_desc){ (u64)hf + VNET_HDR, 1, (u16)(i + 1 < n ? N : 0), (u16)(i + 1) };
	tx_one((u64)itab, (u32)n * 16, I);
}
static void c_tx_many_tiny_bufs(void)	/* legal: the frame a byte per entry */
{
	u32 n = 1 + 60;
	itab[0] = (struct virtq_desc){ (u64)hf, VNET_HDR, N, 1 };
	for (u32 i = 1; i < n; i++)
		itab[i] = (struct virtq_desc){ (u64)hf + VNET_HDR + i - 1, 1, (u16)(i + 1 < n ? N : 0),
					       (u16)(i + 1) };
	tx_one((u64)itab, n * 16, I);
}
static void c_tx_indirect_len_odd(void) { tx_ind((u64)itab, 40, I); }
static void c_tx_indirect_len_zero(void) { tx_ind((u64)itab, 0, I); }
static void c_tx_indirect_outside_ram(void) { tx_ind(BAD_ADDR, 32, I); }
static void c_tx_indirect_huge(void) { tx_ind((u64)itab, 0x100000, I); }
static void c_tx_indirect_and_next(void)
{
	itable(itab, 0);
	t(0, (u64)itab, 32, I | N, 1);
	t(1, (u64)hf, VNET_HDR, R, 0);
	tx_go(0);
}
static void c_tx_indirect_nested(void)
{
	itable(itab2, 0);
	itab[0] = (struct virtq_desc){ (u64)itab2, 32, I, 0 };
	tx_one((u64)itab, 16, I);
}
static void c_tx_indirect_next_oob(void)
{
	itable(itab, 0);
	itab[0].next = 5;
	tx_one((u64)itab, 32, I);
}
static void c_tx_indirect_loop(void) { itable(itab, N); tx_one((u64)itab, 32, I); }
static void c_tx_indirect_writable(void) { itable(itab, W); tx_one((u64)itab, 32, I); }
/* TX: the avail and used rings */
static void c_tx_avail_idx_jump(void)
{
	t(0, (u64)hf, VNET_HDR + hf_len, R, 0);
	txq->avail->ring[txq->avail_idx % txq->size] = 0;
	txq->avail->idx = (u16)(txq->avail_idx + txq->size + 10);
	mmio_write16(txq->notify, VNET_TXQ);
	observe(txq);
}
static void c_tx_avail_idx_back(void)
{
	txq->avail->idx = (u16)(txq->avail_idx - 3);
	mmio_write16(txq->notify, VNET_TXQ);
	observe(txq);
}
static void c_tx_head_oob(void) { tx_go((u16)(txq->size + 3)); }
static void c_tx_head_twice(void)	/* one chain made available twice */
{
	t(0, (u64)hf, VNET_HDR + hf_len, R, 0);
	txq->avail->ring[txq->avail_idx++ % txq->size] = 0;
	tx_go(0);
}
static void c_tx_used_scribble(void)
{
	txq->used->idx = 0x1234;
	txq->used->ring[0].id = 0xffff;
	tx_good();
}
static void c_tx_notify_storm(void)
{
	for (int i = 0; i < 10000; i++)
		mmio_write16(txq->notify, VNET_TXQ);
	tx_good();
}
static void c_tx_notify_bad_queue(void)
{
	mmio_write16(txq->notify, 5);
	mmio_write16(txq->notify, 0xffff);
	tx_good();
}
/* TX: virtio_net_hdr lies */
static void c_hdr_gso_garbage(void) { tx_hdr(0x77, 54, 100, 0, 0, 0); }
static void c_hdr_gso_ecn_udp(void) { tx_hdr(0x83, 42, 100, VNET_HDR_F_NEEDS_CSUM, 34, 6); }
static void c_hdr_csum_start_beyond(void) { tx_hdr(0, 0, 0, VNET_HDR_F_NEEDS_CSUM, 5000, 6); }
static void c_hdr_csum_offset_beyond(void)
{
	tx_hdr(0, 0, 0, VNET_HDR_F_NEEDS_CSUM, (u16)(hf_len - 2), 100);
}
static void c_hdr_csum_wrap(void) { tx_hdr(0, 0, 0, VNET_HDR_F_NEEDS_CSUM, 0xffff, 0xffff); }
static void c_hdr_flags_garbage(void) { tx_hdr(0, 0, 0, 0xfe, 0, 0); }
static void c_hdr_gso_not_tcp(void)
{
	tx_hdr(VNET_GSO_TCPV4, 54, 20, VNET_HDR_F_NEEDS_CSUM, 34, 16);
}
static void c_hdr_len_huge(void) { big_hdr(VNET_GSO_TCPV4, 0xffff, 1000, 3000); }
static void c_hdr_gso_size_zero(void) { big_hdr(VNET_GSO_TCPV4, 54, 0, 3000); }
static void c_hdr_gso_size_one(void) { big_hdr(VNET_GSO_TCPV4, 54, 1, 65000); }
static void c_hdr_gso_size_huge(void) { big_hdr(VNET_GSO_TCPV4, 54, 0xffff, 3000); }
static void c_hdr_gso_ip_len_lies(void)
{
	big_frame(3000, 60000);				/* IP says 60000, frame has 3000 */
	*(struct virtio_net_hdr *)big = (struct virtio_net_hdr){ VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4,
								  54, 1000, 34, 16, 0 };
	tx_one((u64)big, VNET_HDR + 3000, R);
}
static void c_hdr_gso_ihl_bad(void)
{
	big_frame(3000, 2986);
	big[VNET_HDR + 14] = 0x4f;			/* IHL 15: 60 bytes of IP header */
	*(struct virtio_net_hdr *)big = (struct virtio_net_hdr){ VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4,
								  54, 1000, 34, 16, 0 };
	tx_one((u64)big, VNET_HDR + 3000, R);
}
static void c_hdr_gso_tiny_frame(void) { big_hdr(VNET_GSO_TCPV4, 54, 100, 40); }
/* TX: frames a switch must not believe */
static void c_tx_src_mac_bcast(void) { memset(hf + VNET_HDR + 6, 0xff, 6); tx_good(); }
static void c_tx_src_mac_peer(void) { memcpy(hf + VNET_HDR + 6, peer_mac, 6); tx_good(); }
static void c_tx_dst_self(void) { memcpy(hf + VNET_HDR, net.mac, 6); tx_good(); }
static void c_tx_reset_inflight(void)
{
	struct virtio_net_hdr *h;
	int slot, n = 0;
	while (n < 200 && (h = vnet_tx_buf(&net, &slot))) {
		memcpy(h, hf, VNET_HDR + hf_len);
		vnet_tx(&net, slot, hf_len);
		n++;
	}
	publish(txq, 0, VNET_TXQ);		/* and one bad head among them */
	virtio_set_status(&net.pci, 0);
	rt_printf("hostile case=%s in_flight=%d device_status=0x%x\n", name, n,
		  virtio_status(&net.pci));
}

/* RX: the device writes a frame (the peer's echo reply) into these. */
static void rx_go(u16 head)
{
	publish(rxq, head, VNET_RXQ);
	send_echo(8, peer_mac, peer_ip, ICMP_ID, 999, NULL, 56);
	observe(rxq);
}
static void rx_one_desc(u64 addr, u32 len, u16 flags) { d(rxq, 0, addr, len, flags, 0); rx_go(0); }
static void c_rx_buf_tiny(void) { rx_one_desc((u64)rxb, 4, W); }
static void c_rx_buf_header_only(void) { rx_one_desc((u64)rxb, VNET_HDR, W); }
static void c_rx_buf_short(void) { rx_one_desc((u64)rxb, 40, W); }
static void c_rx_len_zero(void) { rx_one_desc((u64)rxb, 0, W); }
static void c_rx_readonly(void) { rx_one_desc((u64)rxb, VNET_BUF, R); }
static void c_rx_addr_outside_ram(void) { rx_one_desc(BAD_ADDR, VNET_BUF, W); }
static void c_rx_addr_wrap(void) { rx_one_desc(0xffffffffffffff00ULL, 0x1000, W); }
static void c_rx_addr_ram_end(void) { rx_one_desc(ram_end - 64, VNET_BUF, W); }
static void c_rx_addr_msi(void) { rx_one_desc(LAPIC_BASE, VNET_BUF, W); }
static void c_rx_len_huge(void) { rx_one_desc((u64)rxb, 0xffffffff, W); }
static void c_rx_desc_loop(void)
{
	d(rxq, 0, (u64)rxb, 8, W | N, 1);
	d(rxq, 1, (u64)rxb + 8, 8, W | N, 0);
	rx_go(0);
}
static void c_rx_next_oob(void) { d(rxq, 0, (u64)rxb, 8, W | N, (u16)(rxq->size + 1)); rx_go(0); }
static void c_rx_readable_after_writable(void)
{
	d(rxq, 0, (u64)rxb, VNET_HDR, W | N, 1);
	d(rxq, 1, (u64)rxb + VNET_HDR, VNET_BUF, R, 0);
	rx_go(0);
}
static void c_rx_tiny_chain(void)	/* 8 x 16 bytes: fits only merged */
{
	for (u16 i = 0; i < RESERVE; i++)
		d(rxq, i, (u64)rxb + 16 * i, 16, (u16)(W | (i + 1 < RESERVE ? N : 0)), (u16)(i + 1));
	rx_go(0);
}
static void c_rx_indirect_outside_ram(void) { rx_one_desc(BAD_ADDR, 32, I); }
static void c_rx_indirect_readonly(void)
{
	itab[0] = (struct virtq_desc){ (u64)rxb, VNET_BUF, R, 0 };
	rx_one_desc((u64)itab, 16, I);
}
static void c_rx_avail_idx_jump(void)
{
	d(rxq, 0, (u64)rxb, VNET_BUF, W, 0);
	rxq->avail->idx = (u16)(rxq->avail_idx + rxq->size + 10);
	mmio_write16(rxq->notify, VNET_RXQ);
	send_echo(8, peer_mac, peer_ip, ICMP_ID, 999, NULL, 56);
	observe(rxq);
}
static void c_rx_head_oob(void) { rx_go((u16)(rxq->size + 5)); }

#define RXC 1		/* an RX case: no good RX buffers until it is done */
#define IND 2		/* needs VIRTIO_F_INDIRECT_DESC */
static const struct hcase {
	const char *name;
	void (*fn)(void);
	int flags;
} cases[] = {
	{ "tx_addr_outside_ram", c_tx_addr_outside_ram, 0 },
	{ "tx_addr_wrap", c_tx_addr_wrap, 0 },
	{ "tx_addr_ram_end", c_tx_addr_ram_end, 0 },
	{ "tx_addr_mmio", c_tx_addr_mmio, 0 },
	{ "tx_len_huge", c_tx_len_huge, 0 },
	{ "tx_len_over_64k", c_tx_len_over_64k, 0 },
	{ "tx_chain_over_64k", c_tx_chain_over_64k, 0 },
	{ "tx_len_zero", c_tx_len_zero, 0 },
	{ "tx_zero_len_in_chain", c_tx_zero_len_in_chain, 0 },
	{ "tx_header_only", c_tx_header_only, 0 },
	{ "tx_header_short", c_tx_header_short, 0 },
	{ "tx_header_split", c_tx_header_split, 0 },
	{ "tx_runt_frame", c_tx_runt_frame, 0 },
	{ "tx_frame_over_mtu", c_tx_frame_over_mtu, 0 },
	{ "tx_writable_desc", c_tx_writable_desc, 0 },
	{ "tx_all_writable", c_tx_all_writable, 0 },
	{ "tx_desc_loop", c_tx_desc_loop, 0 },
	{ "tx_desc_self_loop", c_tx_desc_self_loop, 0 },
	{ "tx_next_oob", c_tx_next_oob, 0 },
	{ "tx_next_into_ring", c_tx_next_into_ring, 0 },
	{ "tx_chain_too_long", c_tx_chain_too_long, IND },
	{ "tx_many_tiny_bufs", c_tx_many_tiny_bufs, IND },
	{ "tx_indirect_len_odd", c_tx_indirect_len_odd, IND },
	{ "tx_indirect_len_zero", c_tx_indirect_len_zero, IND },
	{ "tx_indirect_outside_ram", c_tx_indirect_outside_ram, IND },
	{ "tx_indirect_huge", c_tx_indirect_huge, IND },
	{ "tx_indirect_and_next", c_tx_indirect_and_next, IND },
	{ "tx_indirect_nested", c_tx_indirect_nested, IND },
	{ "tx_indirect_next_oob", c_tx_indirect_next_oob, IND },
	{ "tx_indirect_loop", c_tx_indirect_loop, IND },
	{ "tx_indirect_writable", c_tx_indirect_writable, IND },
	{ "tx_avail_idx_jump", c_tx_avail_idx_jump, 0 },
	{ "tx_avail_idx_back", c_tx_avail_idx_back, 0 },
	{ "tx_head_oob", c_tx_head_oob, 0 },
	{ "tx_head_twice", c_tx_head_twice, 0 },
	{ "tx_used_scribble", c_tx_used_scribble, 0 },
	{ "tx_notify_storm", c_tx_notify_storm, 0 },
	{ "tx_notify_bad_queue", c_tx_notify_bad_queue, 0 },
	{ "hdr_gso_garbage", c_hdr_gso_garbage, 0 },
	{ "hdr_gso_ecn_udp", c_hdr_gso_ecn_udp, 0 },
	{ "hdr_csum_start_beyond", c_hdr_csum_start_beyond, 0 },
	{ "hdr_csum_offset_beyond", c_hdr_csum_offset_beyond, 0 },
	{ "hdr_csum_wrap", c_hdr_csum_wrap, 0 },
	{ "hdr_flags_garbage", c_hdr_flags_garbage, 0 },
	{ "hdr_gso_not_tcp", c_hdr_gso_not_tcp, 0 },
	{ "hdr_len_huge", c_hdr_len_huge, 0 },
	{ "hdr_gso_size_zero", c_hdr_gso_size_zero, 0 },
	{ "hdr_gso_size_one", c_hdr_gso_size_one, 0 },
	{ "hdr_gso_size_huge", c_hdr_gso_size_huge, 0 },
	{ "hdr_gso_ip_len_lies", c_hdr_gso_ip_len_lies, 0 },
	{ "hdr_gso_ihl_bad", c_hdr_gso_ihl_bad, 0 },
	{ "hdr_gso_tiny_frame", c_hdr_gso_tiny_frame, 0 },
	{ "tx_src_mac_bcast", c_tx_src_mac_bcast, 0 },
	{ "tx_src_mac_peer", c_tx_src_mac_peer, 0 },
	{ "tx_dst_self", c_tx_dst_self, 0 },
	{ "tx_reset_inflight", c_tx_reset_inflight, 0 },
	{ "rx_buf_tiny", c_rx_buf_tiny, RXC },
	{ "rx_buf_header_only", c_rx_buf_header_only, RXC },
	{ "rx_buf_short", c_rx_buf_short, RXC },
	{ "rx_len_zero", c_rx_len_zero, RXC },
	{ "rx_len_huge", c_rx_len_huge, RXC },
	{ "rx_readonly", c_rx_readonly, RXC },
	{ "rx_addr_outside_ram", c_rx_addr_outside_ram, RXC },
	{ "rx_addr_wrap", c_rx_addr_wrap, RXC },
	{ "rx_addr_ram_end", c_rx_addr_ram_end, RXC },
	{ "rx_addr_msi", c_rx_addr_msi, RXC },
	{ "rx_desc_loop", c_rx_desc_loop, RXC },
	{ "rx_next_oob", c_rx_next_oob, RXC },
	{ "rx_readable_after_writable", c_rx_readable_after_writable, RXC },
	{ "rx_tiny_chain", c_rx_tiny_chain, RXC },
	{ "rx_indirect_outside_ram", c_rx_indirect_outside_ram, RXC | IND },
	{ "rx_indirect_readonly", c_rx_indirect_readonly, RXC | IND },
	{ "rx_avail_idx_jump", c_rx_avail_idx_jump, RXC },
	{ "rx_head_oob", c_rx_head_oob, RXC },
};
#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))

static u64 wanted;

static int bring_up(int rx_hold)
{
	const char *why = "";
	net.rx_hold = rx_hold;
	if (vnet_init(&net, wanted, &why)) {
		rt_printf("net error=init reason=\"%s\" device_status=0x%x\n", why,
			  virtio_status(&net.pci));
		return -1;
	}
	return 0;
}

/* Is the device (and whatever is behind it) still passing frames?  A ping;
 * then ARP again (a switch may have learnt a lie); then a reset. */
static int survive(void)
{
	u8 st = virtio_status(&net.pci);
	const char *by = "none";
	u64 rtt;
	int ok = 0;

	if (!(st & (VIRTIO_S_NEEDS_RESET | VIRTIO_S_FAILED)) && (st & VIRTIO_S_DRIVER_OK)) {
		ok = ping_once(1, 56, ms(500), &rtt);
		if (!ok) {
			by = "arp";
			ok = !resolve_peer() && ping_once(2, 56, ms(500), &rtt);
		}
	}
	if (!ok) {
		by = "reset";
		ok = !bring_up(0) && (ping_once(3, 56, ms(500), &rtt) ||
				      (!resolve_peer() && ping_once(4, 56, ms(1000), &rtt)));
	}
	rt_printf("hostile case=%s status_after=0x%x needs_reset=%d recovered_by=%s survived=%d\n",
		  name, st, !!(st & VIRTIO_S_NEEDS_RESET), by, ok);
	return ok;
}

static int run_case(const struct hcase *c)
{
	name = c->name;
	if (bring_up(c->flags & RXC))
		return 0;
	good_frame();
	used_before[0] = rxq->used->idx;
	used_before[1] = txq->used->idx;
	if ((c->flags & IND) && !(net.pci.features & BIT(VIRTIO_F_INDIRECT_DESC)))
		rt_printf("hostile case=%s skipped=1 reason=no_indirect\n", name);
	else
		c->fn();
	vnet_tx_reclaim(&net);
	if (c->flags & RXC)
		vnet_rx_post(&net);		/* good buffers after the bad */
	return survive();
}

static void mode_hostile(void)
{
	const char *which = rt_arg_str("case"), *from = rt_arg_str("from");
	int all = rt_arg_is("case", "all") && !from, ran = 0, survived = 0;
	u64 rtt;

	hf = phys(HMEM);
	rxb = phys(HMEM + 0x800);
	itab = phys(HMEM + 0x1000);
	itab2 = phys(HMEM + 0x3000);
	big = phys(HMEM + 0x10000);
	if (!peer_ip || resolve_peer() || !ping_once(1, 56, secs(1), &rtt)) {
		rt_puts("hostile error=no_peer (peer=IP of a guest in mode=answer)\n");
		return;
	}
	for (int i = 0; i < NCASES; i++) {
		all |= from && rt_arg_is("from", cases[i].name);
		if (!all && !rt_arg_is("case", cases[i].name))
			continue;
		ran++;
		survived += run_case(&cases[i]);
	}
	if (!ran) {
		char w[64] = "";
		for (int i = 0; which && i < 63 && which[i] && which[i] != ' '; i++)
			w[i] = which[i];
		rt_printf("hostile error=unknown_case case=%s\n", w);
	}
	rt_printf("hostile cases=%d survived=%d\n", ran, survived);
	result = !ran || survived != ran;
}

/* --- main --- */
static void (*mode)(void);

static void body(void *unused)
{
	const char *why = "";
	(void)unused;
	if (vnet_init(&net, wanted, &why)) {
		rt_printf("net error=init reason=\"%s\" device_status=0x%x\n", why,
			  virtio_status(&net.pci));
		return;
	}
	if (arg_ip("ip", &my_ip) == 1) {		/* 10.0.0.X, X from the MAC */
		u8 x = net.mac[5];
		my_ip = 0x0a000000u | (x == 0 ? 1u : x == 255 ? 254u : x);
	}
	csum_tx = rt_arg("csum", 0) && (net.pci.features & BIT(VIRTIO_NET_F_CSUM));
	u64 f = net.pci.features;
	put_mac("net mac", net.mac);
	put_ip(" ip", my_ip);
	rt_printf(" offered=0x%lx features=0x%lx mrg=%d csum=%d guest_csum=%d tso4=%d guest_tso4=%d "
		  "event_idx=%d indirect=%d link=%d mtu=%u rxq=%u txq=%u tx_layout=%d irq=%s "
		  "tsc_khz=%lu tsc_src=%s\n", net.pci.offered, f, net.mrg,
		  !!(f & BIT(VIRTIO_NET_F_CSUM)), !!(f & BIT(VIRTIO_NET_F_GUEST_CSUM)),
		  !!(f & BIT(VIRTIO_NET_F_HOST_TSO4)), !!(f & BIT(VIRTIO_NET_F_GUEST_TSO4)),
		  !!(f & BIT(VIRTIO_F_EVENT_IDX)), !!(f & BIT(VIRTIO_F_INDIRECT_DESC)),
		  vnet_link_up(&net), net.mtu, net.rx.size, net.tx.size, net.tx_layout,
		  net.rx_msix == VIRTIO_NO_VECTOR ? "poll" : "msix", hz / 1000, rt_tsc_source);
	wait_link();
	/* Announce ourselves (a gratuitous ARP), as an OS does when its link
	 * comes up: a switch learns where we are before anyone asks. */
	static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, none[6];
	if (mode != mode_hostile)
		send_arp(1, bcast, none, my_ip);
	mode();
}

/*
 * The command line (key=value words; numbers decimal or 0x hex):
 *   mode=answer|ping|blast|count|bcast|hostile   (required)
 *   ip=A.B.C.D     our address (default 10.0.0.X, X = the MAC's last byte)
 *   peer=A.B.C.D   the other guest (ping, hostile; blast: ARP for it, send to it)
 *   nic=N          the N-th virtio-net card (0)
 *   irq=msix|poll  RX completions by MSI-X (default; hostile: poll)
 *   features:      mrg=1 event_idx=1 indirect=0 csum=0 (CSUM+GUEST_CSUM, and
 *                  offload our checksums) tso=0 (CSUM+HOST_TSO4; blast turns it
 *                  on for size > 1514) gtso=0 (GUEST_CSUM+GUEST_TSO4, with mrg)
 *   qsize=N        queue size (device maximum, at most 256)
 *   txdesc=1|2     a TX frame in one descriptor (header+frame) or two; with
 *                  indirect=1, two through an indirect table
 *   link_wait=S    wait up to S seconds (10) for the link to come up
 *   arp_secs=S     ARP for the peer up to S seconds (10)
 * Lines printed:
 *   net mac=M ip=A offered=0x.. features=0x.. mrg= csum= guest_csum= tso4=
 *       guest_tso4= event_idx= indirect= link=0|1 mtu= rxq= txq= tx_layout=
 *       irq=msix|poll tsc_khz= tsc_src=
 *   net link=0 waiting=1 / net link=1 waited_ns=T / net link=0 timeout=1
 *   net arp=ok peer=A peer_mac=M arp_ns=T / net arp=timeout peer=A
 * mode=answer [count=N] [secs=S (30, or 3600 with count)] [bping=1: answer
 *   broadcast pings]: "answer echoes=N arp_replies=A rx_frames=F ns=T irqs=I";
 *   exit 1 only when count= was not reached.
 * mode=ping peer=A [count=N (10)] [size=payload bytes (56)] [timeout_ms=1000]
 *   [interval_ms=0]: one echo at a time; "ping sent=N received=M
 *   rtt_median_ns=X rtt_p99_ns=Y rtt_min_ns= rtt_max_ns= irqs="; exit 0 iff
 *   all replied.
 * mode=blast [size=S (64; Ethernet frame bytes, 60..65549)] [count=N (100000)]
 *   [dst=MAC|bcast] [peer=A] [batch=B (32): notify checks] [mss=1448] [linger_ms=1000: stay
 *   up after the last frame, answering ARP/ping] [txwait=P (75): a full ring
 *   waits for the TX interrupt after P% of it is sent, as Linux does; 0: spins]: UDP to
 *   port 7777 (seq number in the first 4 payload bytes); size > 14 + MTU is
 *   one TCP segment for HOST_TSO4, else "blast skipped=1 reason=no_host_tso4".
 *   "blast frames=N bytes=B ns=T size=S gso=0|1 fps=F kicks=K waits=W"; exit 0.
 * mode=count [count=N] [secs=S (30) in all] [idle_ms=2000 after the first
 *   frame] [verify=1: check IPv4/UDP/TCP checksums]: UDP/TCP to port 7777
 *   for our MAC or broadcast; "count frames=N bytes=B ns=T lost=L fps=F
 *   [bad_csum=N unchecked=N]" (ns: first to last frame; lost: gaps in the
 *   UDP seq numbers; unchecked: partial, vouched-for or merged frames);
 *   exit 0 iff frames >= count (1) and no bad checksum.
 * mode=bcast [expect=N (1)] [id=I (MAC's last byte)] [secs=20]
 *   [interval_ms=100]: broadcast "LGBC" frames to UDP 7778 until we and all we
 *   heard have heard expect others; "bcast heard=N sent=K id=I expect=E";
 *   exit 0 iff heard >= expect.
 * mode=hostile peer=A case=NAME|all|list [from=NAME: with all, start at
 *   NAME (to go on after a case that killed the VMM)]: per case "hostile case=NAME
 *   used=0|1 len=N device_status=0x.." (plus case lines), then "hostile
 *   case=NAME status_after=0x.. needs_reset=0|1 recovered_by=none|arp|reset
 *   survived=0|1"; at the end "hostile cases=N survived=M"; exit 0 iff all
 *   survived.  case=list: "hostile cases=N" and "hostile case_name=NAME".
 * The peer for ping and hostile runs mode=answer (any guest answering ARP
 * and ICMP echo will do).  Exit status 2: a bad command line.
 */
int main(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} modes[] = {
		{ "answer", mode_answer }, { "ping", mode_ping }, { "blast", mode_blast },
		{ "count", mode_count }, { "bcast", mode_bcast }, { "hostile", mode_hostile },
	};
	int hostile = rt_arg_is("mode", "hostile");
	u32 size = (u32)rt_arg("size", 64);

	if (hostile && rt_arg_is("case", "list")) {
		rt_printf("hostile cases=%d\n", NCASES);
		for (int i = 0; i < NCASES; i++)
			rt_printf("hostile case_name=%s\n", cases[i].name);
		return 0;
	}
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (rt_arg_is("mode", modes[i].name))
			mode = modes[i].fn;
	if (!mode || arg_ip("ip", &my_ip) < 0 || arg_ip("peer", &peer_ip) < 0) {
		rt_puts("net error=usage mode=answer|ping|blast|count|bcast|hostile "
			"[ip=A.B.C.D] [peer=A.B.C.D] ...\n");
		return 2;
	}
	hz = rt_tsc_hz();
	int msix = hostile ? rt_arg_is("irq", "msix") : !rt_arg_is("irq", "poll");
	if (vnet_find(&net, (int)rt_arg("nic", 0), msix ? MSIX_VEC : 0)) {
		rt_puts("net error=no_device\n");
		return 1;
	}
	wanted = BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) | BIT(VIRTIO_NET_F_MTU);
	if (rt_arg("mrg", 1))
		wanted |= BIT(VIRTIO_NET_F_MRG_RXBUF);
	if (rt_arg("event_idx", 1))
		wanted |= BIT(VIRTIO_F_EVENT_IDX);
	if (rt_arg("indirect", hostile))
		wanted |= BIT(VIRTIO_F_INDIRECT_DESC);
	if (rt_arg("csum", 0))
		wanted |= BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM);
	if (rt_arg("tso", hostile || (mode == mode_blast && size > 1514)))
		wanted |= BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4);
	if (rt_arg("gtso", 0))
		wanted |= BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4);
	answer_bcast = (int)rt_arg("bping", 0);
	net.qsize = (u16)rt_arg("qsize", 0);
	net.tx_layout = rt_arg("txdesc", 1) != 2 ? 1 : rt_arg("indirect", 0) ? 3 : 2;
	if (mode == mode_blast && size + VNET_HDR > VNET_BUF && size <= VNET_FRAME_MAX)
		net.tx_bufsize = (VNET_HDR + size + 63) & ~63u;
	if (hostile) {
		const struct hvm_memmap_entry *m;
		for (int i = 0, n = rt_memmap(&m); i < n; i++)
			if (m[i].type == 1 && m[i].addr + m[i].size > ram_end)
				ram_end = m[i].addr + m[i].size;
		net.reserve = RESERVE;
		net.tx_layout = 1;
	}
	rt_run_user(body, NULL, msix);
	return result;
}
