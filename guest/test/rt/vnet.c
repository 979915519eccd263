/*T:963 virtio-net: frames in, frames out
 * A network card is two queues (5.1.2): receiveq1 (0), where we post empty
 * device-writable buffers for frames to arrive in, and transmitq1 (1), where
 * we post frames to send.  Every frame, both ways, starts with a 12-byte
 * struct virtio_net_hdr (checksum and segmentation offload requests, and on
 * receive with MRG_RXBUF how many buffers the frame spans).  Buffers here
 * never move: RX descriptor i always holds the 4 KiB buffer i and TX slot s
 * always its own buffer and descriptors, so sending is "write the frame, set
 * one length, publish the head" and receiving is "read it, publish the head
 * again".  That keeps the hot loops (which run at ring 3) down to a few
 * stores, and notifications (a VM exit each) to the ones the device asks for
 * through EVENT_IDX or VIRTQ_USED_F_NO_NOTIFY.  A sender whose slots are all
 * in flight sleeps until the device has used three quarters of them (its TX
 * interrupt), as Linux does, rather than spin on a CPU the device may need.
 */
#include "rt.h"

#define RX_MEM VNET_MEM

static u8 *rxbuf(u32 head)
{
	return phys(RX_MEM + (u64)head * VNET_RX_BUF);
}

static u8 *txbuf(struct vnet *n, u32 slot)
{
	return phys(VNET_TX_MEM + (u64)slot * n->tx_bufsize);
}

int vnet_find(struct vnet *n, int index, u8 vector)
{
	n->rx_msix = VIRTIO_NO_VECTOR;
	if (virtio_pci_find(&n->pci, VIRTIO_ID_NET, index))
		return -1;
	if (vector && !virtio_msix_enable(&n->pci, vector))
		n->rx_msix = 0;
	n->pci.msix_vector = 0;		/* queue 0 of pci.vq: unused */
	return 0;
}

static volatile u16 *avail_event(struct virtq *vq)
{
	return (volatile u16 *)((volatile u8 *)vq->used + 4 + 8 * vq->size);
}

/* Publish what vnet_tx()/vnet_rx() queued, then notify unless the device
 * said (by avail_event, or the NO_NOTIFY flag) that it needs no telling. */
void vnet_kick(struct vnet *n, struct virtq *vq, u16 index)
{
	u16 old = vq->kicked_idx, new = vq->avail_idx;

	if (old == new)
		return;
	__asm__ volatile("" ::: "memory");	/* ring entries before idx */
	vq->avail->idx = new;
	mb();			/* idx visible before we read the device's wish */
	vq->kicked_idx = new;
	if (n->pci.features & BIT(VIRTIO_F_EVENT_IDX)) {
		if ((u16)(new - *avail_event(vq) - 1) >= (u16)(new - old))
			return;
	} else if (vq->used->flags & 1) {	/* VIRTQ_USED_F_NO_NOTIFY */
		return;
	}
	mmio_write16(vq->notify, index);
	n->kicks++;
}

static void post(struct virtq *vq, u16 head)
{
	vq->avail->ring[vq->avail_idx++ % vq->size] = head;
}

void vnet_rx_post(struct vnet *n)
{
	struct virtq *vq = &n->rx;
	for (u16 i = n->reserve; i < vq->size; i++) {
		vq->desc[i].addr = (u64)rxbuf(i);
		vq->desc[i].len = VNET_RX_BUF;
		vq->desc[i].flags = VIRTQ_DESC_F_WRITE;
		post(vq, i);
	}
	vnet_kick(n, vq, VNET_RXQ);
}

/* TX slot s: its descriptors and (layout 3) indirect table, set up once. */
static u16 tx_head(struct vnet *n, u16 s)
{
	return n->tx_layout == 2 ? (u16)(2 * s) : (u16)(s + n->reserve);
}

static void tx_setup(struct vnet *n)
{
	struct virtq *vq = &n->tx;
	n->tx_slots = n->tx_layout == 2 ? vq->size / 2 : (u16)(vq->size - n->reserve);
	n->tx_nfree = 0;
	for (u16 s = n->tx_slots; s--;) {
		u16 h = tx_head(n, s);
		u64 b = (u64)txbuf(n, s);
		if (n->tx_layout == 2) {
			vq->desc[h] = (struct virtq_desc){ b, VNET_HDR, VIRTQ_DESC_F_NEXT, (u16)(h + 1) };
			vq->desc[h + 1] = (struct virtq_desc){ b + VNET_HDR, 0, 0, 0 };
		} else if (n->tx_layout == 3) {
			struct virtq_desc *t = vq->indirect[h];
			t[0] = (struct virtq_desc){ b, VNET_HDR, VIRTQ_DESC_F_NEXT, 1 };
			t[1] = (struct virtq_desc){ b + VNET_HDR, 0, 0, 0 };
			vq->desc[h] = (struct virtq_desc){ (u64)t, 32, VIRTQ_DESC_F_INDIRECT, 0 };
		} else {
			vq->desc[h] = (struct virtq_desc){ b, 0, 0, 0 };
		}
		n->tx_busy[s] = 0;
		n->tx_free[n->tx_nfree++] = s;
	}
}

static int negotiate(struct vnet *n, u64 wanted, const char **why)
{
	const u64 gso_in = BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(8) | BIT(10);	/* TSO4/6, UFO */
	struct virtio_pci *d = &n->pci;

	virtio_reset(d);
	if (virtio_negotiate(d, wanted, why))
		return -1;
	/* Big frames in need big or merged buffers; ours are 2 KiB. */
	if ((d->features & gso_in) && !(d->features & BIT(VIRTIO_NET_F_MRG_RXBUF))) {
		virtio_reset(d);
		return virtio_negotiate(d, wanted & ~gso_in, why);
	}
	return 0;
}

/* TX interrupts: off (the used entries are reclaimed as slots are needed),
 * or on once the device has used want more entries. */
static void tx_irq(struct vnet *n, u16 want)
{
	struct virtq *vq = &n->tx;
	vq->avail->flags = want ? 0 : 1;
	vq->avail->ring[vq->size] = (u16)(vq->last_used + (want ? want - 1 : 0x7fff));
}

int vnet_init(struct vnet *n, u64 wanted, const char **why)
{
	struct virtio_pci *d = &n->pci;

	if (!n->tx_bufsize)
		n->tx_bufsize = VNET_BUF;
	if (n->tx_layout < 1 || n->tx_layout > 3)
		n->tx_layout = 1;
	if (n->tx_layout == 3)
		wanted |= BIT(VIRTIO_F_INDIRECT_DESC);
	if (negotiate(n, wanted, why))
		goto fail;
	if (n->tx_layout == 3 && !(d->features & BIT(VIRTIO_F_INDIRECT_DESC)))
		n->tx_layout = 2;
	n->mrg = !!(d->features & BIT(VIRTIO_NET_F_MRG_RXBUF));
	static const u8 own[6] = { 0x52, 0x54, 0x00, 0x4c, 0x47, 0x01 };
	for (u32 i = 0; i < 6; i++)		/* without F_MAC: ours to pick */
		n->mac[i] = d->features & BIT(VIRTIO_NET_F_MAC) ? (u8)virtio_cfg_read(d, i, 1) : own[i];
	n->mtu = d->features & BIT(VIRTIO_NET_F_MTU) ? (u16)virtio_cfg_read(d, 10, 2) : 1500;
	mmio_write16(d->common + VC_MSIX, VIRTIO_NO_VECTOR);
	if (virtio_setup_vq(d, &n->rx, VNET_RXQ, n->qsize, n->rx_msix, why) ||
	    virtio_setup_vq(d, &n->tx, VNET_TXQ, n->qsize, n->rx_msix, why))
		goto fail;
	if (n->reserve >= n->tx.size / 2) {
		*why = "queue too small";
		goto fail;
	}
	tx_setup(n);
	tx_irq(n, 0);
	n->rx_nheld = 0;
	n->rx_irq = 1;
	vnet_rx_irq(n, n->rx_msix != VIRTIO_NO_VECTOR);
	virtio_set_status(d, virtio_status(d) | VIRTIO_S_DRIVER_OK);
	if (virtio_status(d) & (VIRTIO_S_NEEDS_RESET | VIRTIO_S_FAILED)) {
		*why = "device needs a reset right after DRIVER_OK";
		return -1;
	}
	if (!n->rx_hold)
		vnet_rx_post(n);
	return 0;
fail:
	virtio_set_status(d, virtio_status(d) | VIRTIO_S_FAILED);
	return -1;
}

int vnet_link_up(struct vnet *n)
{
	if (!(n->pci.features & BIT(VIRTIO_NET_F_STATUS)))
		return 1;
	return virtio_cfg_read(&n->pci, 6, 2) & 1;
}

/* --- receive --- */
void vnet_rx_irq(struct vnet *n, int on)
{
	struct virtq *vq = &n->rx;
	n->rx_irq = on;
	vq->avail->flags = on ? 0 : 1;
	/* With EVENT_IDX: an interrupt once used->idx passes used_event;
	 * half the index space ahead means "not for a long while". */
	vq->avail->ring[vq->size] = (u16)(vq->last_used + (on ? 0 : 0x7fff));
}

/* The next used RX head, or -1; a head that is not ours is skipped. */
static int rx_take(struct vnet *n, u32 *len)
{
	struct virtq *vq = &n->rx;
	while (vq->last_used != vq->used->idx) {
		__asm__ volatile("" ::: "memory");	/* idx before the entry */
		volatile struct virtq_used_elem *e = &vq->used->ring[vq->last_used++ % vq->size];
		u32 id = e->id;
		*len = e->len;
		vq->avail->ring[vq->size] = (u16)(vq->last_used + (n->rx_irq ? 0 : 0x7fff));
		if (id >= vq->size || id < n->reserve) {
			n->rx_bad++;
			continue;
		}
		n->rx_held[n->rx_nheld++] = (u16)id;
		return (int)id;
	}
	return -1;
}

struct virtio_net_hdr *vnet_rx(struct vnet *n, u32 *len)
{
	struct virtq *vq = &n->rx;
	u32 blen;

	if (n->rx_nheld) {			/* the last frame's buffers go back */
		for (u16 i = 0; i < n->rx_nheld; i++)
			post(vq, n->rx_held[i]);
		n->rx_nheld = 0;
		vnet_kick(n, vq, VNET_RXQ);
	}
	for (;;) {
		int head = rx_take(n, &blen);
		if (head < 0)
			return NULL;
		struct virtio_net_hdr *h = (struct virtio_net_hdr *)rxbuf((u32)head);
		if (blen < VNET_HDR || blen > VNET_RX_BUF) {
			n->rx_bad++;
			continue;
		}
		*len = n->rx_contig = blen - VNET_HDR;
		/* A merged frame: the other buffers follow in the used ring. */
		for (u16 k = 1; n->mrg && k < h->num_buffers && n->rx_nheld < vq->size; k++) {
			u64 t0 = rdtsc();
			while ((head = rx_take(n, &blen)) < 0 && rdtsc() - t0 < 100000000)
				cpu_relax();
			if (head < 0 || blen > VNET_RX_BUF) {
				n->rx_bad++;
				break;
			}
			*len += blen;
		}
		n->rx_frames++;
		return h;
	}
}

/* --- transmit --- */
void vnet_tx_wait(struct vnet *n, u32 pct)
{
	struct virtq *vq = &n->tx;
	u16 want = (u16)(((u32)(n->tx_slots - n->tx_nfree) * pct + 99) / 100);
	if (n->rx_msix == VIRTIO_NO_VECTOR || !want) {
		cpu_relax();
		return;
	}
	tx_irq(n, want);
	n->tx_waits++;
	mb();			/* used_event visible before we look again */
	rt_user_wait(&vq->used->idx, vq->last_used, want);
	tx_irq(n, 0);
}

int vnet_tx_reclaim(struct vnet *n)
{
	struct virtq *vq = &n->tx;
	int k = 0;
	while (vq->last_used != vq->used->idx) {
		__asm__ volatile("" ::: "memory");
		u32 id = vq->used->ring[vq->last_used++ % vq->size].id;
		u32 s = n->tx_layout == 2 ? id / 2 : id - n->reserve;
		if (id < n->reserve || s >= n->tx_slots || !n->tx_busy[s] ||
		    (n->tx_layout == 2 && (id & 1)))
			continue;		/* not a chain of ours */
		n->tx_busy[s] = 0;
		n->tx_free[n->tx_nfree++] = (u16)s;
		k++;
	}
	return k;
}

struct virtio_net_hdr *vnet_tx_slot(struct vnet *n, int slot)
{
	return (struct virtio_net_hdr *)txbuf(n, (u32)slot);
}

struct virtio_net_hdr *vnet_tx_buf(struct vnet *n, int *slot)
{
	if (!n->tx_nfree && !vnet_tx_reclaim(n))
		return NULL;
	u16 s = n->tx_free[--n->tx_nfree];
	*slot = s;
	return (struct virtio_net_hdr *)txbuf(n, s);
}

void vnet_tx(struct vnet *n, int slot, u32 len)
{
	struct virtq *vq = &n->tx;
	u16 h = tx_head(n, (u16)slot);
	if (n->tx_layout == 2)
		vq->desc[h + 1].len = len;
	else if (n->tx_layout == 3)
		vq->indirect[h][1].len = len;
	else
		vq->desc[h].len = VNET_HDR + len;
	n->tx_busy[slot] = 1;
	post(vq, h);
	n->tx_frames++;
}

void vnet_tx_flush(struct vnet *n)
{
	vnet_kick(n, &n->tx, VNET_TXQ);
}

int vnet_tx_idle(struct vnet *n)
{
	vnet_tx_reclaim(n);
	return n->tx_nfree == n->tx_slots;
}
