/*T:961 A virtio 1.x PCI driver, modern only
 * virtio_pci_find() walks a device's vendor capabilities (cap_vndr 0x09) to
 * learn where in its BARs the four structures live: common configuration
 * (feature bits, status, queue registers), notifications (queue_notify_off
 * times notify_off_multiplier), the ISR byte and the device-specific config.
 * From then on everything is MMIO, so it runs at ring 3 where kvm-pvm is
 * fast.  virtio_init() is the spec's sequence (3.1.1): reset, ACKNOWLEDGE,
 * DRIVER, features (VERSION_1 plus what the guest wants), FEATURES_OK (read
 * back: the device may refuse), queue 0, DRIVER_OK.  Queue 0 is a split ring
 * (2.7): we put descriptor chains in desc[], their heads in avail->ring[],
 * and the device returns them in used->ring[]; with VIRTIO_F_EVENT_IDX both
 * sides say, by index, when they next want to be told.  Completions are
 * polled, or waited for by MSI-X interrupt (table entry 0).
 */
#include "rt.h"

volatile u64 virtio_irqs;
int virtio_halt;
u64 virtio_halts;

static void on_msix(struct rt_frame *f)
{
	(void)f;
	virtio_irqs++;
	lapic_eoi();
}

static void take_cap(struct virtio_pci *d, u8 cap)
{
	u8 type = (u8)pci_cfg_read(0, d->dev, 0, cap + 3, 1);
	u8 bar = (u8)pci_cfg_read(0, d->dev, 0, cap + 4, 1);
	u32 off = pci_cfg_read(0, d->dev, 0, cap + 8, 4);
	u32 len = pci_cfg_read(0, d->dev, 0, cap + 12, 4);

	if (bar > 5 || type < 1 || type > 4)
		return;			/* reserved BAR, or PCI cfg access cap */
	if (!d->bar[bar])
		d->bar[bar] = pci_bar(d->dev, bar);
	if (!d->bar[bar])
		return;
	u64 addr = d->bar[bar] + off;
	rt_map_mmio(addr, len);
	/* The first structure of each type is the one to use (4.1.4). */
	if (type == 1 && !d->common) {
		d->common = (volatile u8 *)addr;
		d->common_len = len;
	} else if (type == 2 && !d->notify_base) {
		d->notify_base = addr;
		d->notify_len = len;
		d->notify_mult = pci_cfg_read(0, d->dev, 0, cap + 16, 4);
	} else if (type == 3 && !d->isr) {
		d->isr = (volatile u8 *)addr;
	} else if (type == 4 && !d->devcfg) {
		d->devcfg = (volatile u8 *)addr;
		d->devcfg_len = len;
	}
}

static void take_msix(struct virtio_pci *d)
{
	u8 cap = pci_find_cap(d->dev, 0x11);
	if (!cap)
		return;
	u32 tbl = pci_cfg_read(0, d->dev, 0, cap + 4, 4);
	u32 pba = pci_cfg_read(0, d->dev, 0, cap + 8, 4);
	u16 size = (u16)((pci_cfg_read(0, d->dev, 0, cap + 2, 2) & 0x7ff) + 1);
	if (!d->bar[tbl & 7])
		d->bar[tbl & 7] = pci_bar(d->dev, tbl & 7);
	if (!d->bar[pba & 7])
		d->bar[pba & 7] = pci_bar(d->dev, pba & 7);
	if (!d->bar[tbl & 7] || !d->bar[pba & 7] || (tbl & 7) > 5 || (pba & 7) > 5)
		return;
	d->msix_cap = cap;
	d->msix_size = size;
	d->msix_table = (volatile u32 *)(d->bar[tbl & 7] + (tbl & ~7u));
	d->msix_pba = (volatile u64 *)(d->bar[pba & 7] + (pba & ~7u));
	rt_map_mmio((u64)d->msix_table, 16UL * size);
	rt_map_mmio((u64)d->msix_pba, 8UL * ((size + 63) / 64));
}

static int probe(struct virtio_pci *d, u8 dev, u16 id)
{
	memset(d, 0, offsetof(struct virtio_pci, vq));
	d->dev = dev;
	d->device_id = id;
	if ((pci_cfg_read(0, dev, 0, 0x0e, 1) & 0x7f) != 0)
		return -1;			/* not a type 0 header */
	u8 cap = pci_find_cap(dev, 0x09);
	for (int n = 0; cap && n < 48; n++) {
		if (pci_cfg_read(0, dev, 0, cap, 1) == 0x09)
			take_cap(d, cap);
		cap = (u8)pci_cfg_read(0, dev, 0, cap + 1, 1) & 0xfc;
	}
	take_msix(d);
	/* Memory space and bus master on (DMA is how virtio works). */
	u32 cmd = pci_cfg_read(0, dev, 0, 0x04, 2);
	pci_cfg_write(0, dev, 0, 0x04, 2, cmd | 6);
	return d->common && d->notify_base && d->isr ? 0 : -1;
}

int virtio_pci_find(struct virtio_pci *d, u16 type, int n)
{
	for (u8 dev = 0; dev < 32; dev++) {
		u32 id = pci_cfg_read(0, dev, 0, 0, 4);
		if ((id & 0xffff) != VIRTIO_PCI_VENDOR || id >> 16 != 0x1040u + type)
			continue;
		if (n-- == 0)
			return probe(d, dev, (u16)(id >> 16));
	}
	return -1;
}

static volatile u8 *intx_isr;
static void on_intx(struct rt_frame *f)
{
	(void)f;
	if (*intx_isr & 1)              /* reading ISR clears it, lowers the line */
		virtio_irqs++;
	lapic_eoi();
}

int virtio_intx_enable(struct virtio_pci *d, u8 vector)
{
	u8 pin = (u8)pci_cfg_read(0, d->dev, 0, 0x3c, 1);
	if (!pin || pin >= 24)
		return -1;
	intx_isr = d->isr;
	rt_set_handler(vector, on_intx);
	lapic_enable();
	rt_ioapic_route(pin, vector, 1);
	d->intx_vector = vector;
	return 0;
}

int virtio_msix_enable(struct virtio_pci *d, u8 vector)
{
	if (!d->msix_cap)
		return -1;
	rt_set_handler(vector, on_msix);
	lapic_enable();
	d->msix_table[0] = 0xfee00000u | lapic_id() << 12;	/* address */
	d->msix_table[1] = 0;
	d->msix_table[2] = vector;				/* data */
	d->msix_table[3] = 0;					/* unmasked */
	u16 ctl = (u16)pci_cfg_read(0, d->dev, 0, d->msix_cap + 2, 2);
	ctl = (u16)((ctl | 0x8000) & ~0x4000);		/* enable, no function mask */
	pci_cfg_write(0, d->dev, 0, d->msix_cap + 2, 2, ctl);
	d->msix_vector = vector;
	return 0;
}

/* --- common configuration --- */
static u16 c16(struct virtio_pci *d, u32 off) { return mmio_read16(d->common + off); }
static u32 c32(struct virtio_pci *d, u32 off) { return mmio_read32(d->common + off); }
static void w16(struct virtio_pci *d, u32 off, u16 v) { mmio_write16(d->common + off, v); }
static void w32(struct virtio_pci *d, u32 off, u32 v) { mmio_write32(d->common + off, v); }
static void w64(struct virtio_pci *d, u32 off, u64 v)
{
	/* Two 32-bit halves: the spec lets drivers do so (4.1.3.1). */
	w32(d, off, (u32)v);
	w32(d, off + 4, (u32)(v >> 32));
}

u8 virtio_status(struct virtio_pci *d)
{
	return mmio_read8(d->common + VC_STATUS);
}

void virtio_set_status(struct virtio_pci *d, u8 s)
{
	mmio_write8(d->common + VC_STATUS, s);
}

void virtio_reset(struct virtio_pci *d)
{
	virtio_set_status(d, 0);
	for (int i = 0; i < 1000000 && virtio_status(d); i++)
		cpu_relax();		/* the reset is done when status reads 0 */
}

int virtio_negotiate(struct virtio_pci *d, u64 wanted, const char **why)
{
	virtio_set_status(d, VIRTIO_S_ACKNOWLEDGE);
	virtio_set_status(d, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	w32(d, VC_DFSELECT, 0);
	d->offered = c32(d, VC_DF);
	w32(d, VC_DFSELECT, 1);
	d->offered |= (u64)c32(d, VC_DF) << 32;
	if (!(d->offered & BIT(VIRTIO_F_VERSION_1))) {
		*why = "device does not offer VIRTIO_F_VERSION_1";
		return -1;
	}
	d->features = d->offered & (wanted | BIT(VIRTIO_F_VERSION_1));
	w32(d, VC_GFSELECT, 0);
	w32(d, VC_GF, (u32)d->features);
	w32(d, VC_GFSELECT, 1);
	w32(d, VC_GF, (u32)(d->features >> 32));
	virtio_set_status(d, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
	if (!(virtio_status(d) & VIRTIO_S_FEATURES_OK)) {
		*why = "device refused FEATURES_OK";
		return -1;
	}
	return 0;
}

int virtio_setup_vq(struct virtio_pci *d, struct virtq *vq, u16 index, u16 qsize, u16 msix,
		    const char **why)
{
	w16(d, VC_Q_SELECT, index);
	u16 size = c16(d, VC_Q_SIZE);		/* the device's maximum */
	if (!size) {
		*why = "queue not available";
		return -1;
	}
	if (size > VQ_MAX)
		size = VQ_MAX;
	if (qsize && size > qsize)
		size = qsize;
	while (size & (size - 1))		/* split rings: a power of 2 */
		size &= (u16)(size - 1);
	w16(d, VC_Q_SIZE, size);

	memset(vq->mem, 0, sizeof(vq->mem));
	vq->desc = (volatile struct virtq_desc *)vq->mem[0];
	vq->avail = (volatile struct virtq_avail *)vq->mem[1];
	vq->used = (volatile struct virtq_used *)vq->mem[2];
	vq->size = size;
	for (u16 i = 0; i < size; i++)
		vq->desc[i].next = (u16)(i + 1);
	vq->free_head = 0;
	vq->num_free = size;
	vq->last_used = vq->avail_idx = vq->kicked_idx = 0;
	if (msix == VIRTIO_NO_VECTOR && !d->intx_vector)
		vq->avail->flags = 1;		/* VIRTQ_AVAIL_F_NO_INTERRUPT */
	w64(d, VC_Q_DESCLO, (u64)vq->mem[0]);
	w64(d, VC_Q_AVAILLO, (u64)vq->mem[1]);
	w64(d, VC_Q_USEDLO, (u64)vq->mem[2]);

	w16(d, VC_Q_MSIX, msix);
	if (msix != VIRTIO_NO_VECTOR && c16(d, VC_Q_MSIX) != msix) {
		*why = "device refused queue_msix_vector";
		return -1;
	}
	u64 noff = (u64)c16(d, VC_Q_NOFF) * d->notify_mult;
	if (noff + 2 > d->notify_len) {
		*why = "queue_notify_off outside the notify structure";
		return -1;
	}
	vq->notify = (volatile u16 *)(d->notify_base + noff);
	w16(d, VC_Q_ENABLE, 1);
	return 0;
}

int virtio_setup_queue(struct virtio_pci *d, u16 qsize, const char **why)
{
	w16(d, VC_MSIX, VIRTIO_NO_VECTOR);
	return virtio_setup_vq(d, &d->vq, 0, qsize, d->msix_vector ? 0 : VIRTIO_NO_VECTOR, why);
}

int virtio_init(struct virtio_pci *d, u64 wanted, u16 qsize, const char **why)
{
	virtio_reset(d);
	if (virtio_negotiate(d, wanted, why) || virtio_setup_queue(d, qsize, why)) {
		virtio_set_status(d, virtio_status(d) | VIRTIO_S_FAILED);
		return -1;
	}
	virtio_set_status(d, virtio_status(d) | VIRTIO_S_DRIVER_OK);
	if (virtio_status(d) & (VIRTIO_S_NEEDS_RESET | VIRTIO_S_FAILED)) {
		*why = "device needs a reset right after DRIVER_OK";
		return -1;
	}
	return 0;
}

/* --- device-specific configuration, read consistently (2.5.1) --- */
u32 virtio_cfg_read(struct virtio_pci *d, u32 off, int size)
{
	u32 v;
	u8 gen;
	if (off + (u32)size > d->devcfg_len)
		return 0;
	do {
		gen = mmio_read8(d->common + VC_CFGGEN);
		v = size == 1 ? mmio_read8(d->devcfg + off) :
		    size == 2 ? mmio_read16(d->devcfg + off) : mmio_read32(d->devcfg + off);
	} while (gen != mmio_read8(d->common + VC_CFGGEN));
	return v;
}

u64 virtio_cfg_read64(struct virtio_pci *d, u32 off)
{
	u64 v;
	u8 gen;
	if (off + 8 > d->devcfg_len)
		return 0;
	do {
		gen = mmio_read8(d->common + VC_CFGGEN);
		v = mmio_read32(d->devcfg + off) |
		    (u64)mmio_read32(d->devcfg + off + 4) << 32;
	} while (gen != mmio_read8(d->common + VC_CFGGEN));
	return v;
}

/* --- the split ring --- */
void virtq_publish(struct virtq *vq, u16 head)
{
	vq->avail->ring[vq->avail_idx % vq->size] = head;
	__asm__ volatile("" ::: "memory");	/* x86 keeps stores in order */
	vq->avail->idx = ++vq->avail_idx;
}

int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, int n, int indirect)
{
	u16 head = vq->free_head;

	if (n < 1 || vq->num_free < (indirect ? 1 : n) || (indirect && n > VQ_MAX_INDIRECT))
		return -1;
	if (indirect) {
		struct virtq_desc *t = vq->indirect[head];
		for (int i = 0; i < n; i++)
			t[i] = (struct virtq_desc){
				.addr = bufs[i].addr, .len = bufs[i].len, .next = (u16)(i + 1),
				.flags = (u16)((bufs[i].write ? VIRTQ_DESC_F_WRITE : 0) |
					       (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			};
		vq->desc[head].addr = (u64)t;
		vq->desc[head].len = (u32)(n * sizeof(*t));
		vq->desc[head].flags = VIRTQ_DESC_F_INDIRECT;
		vq->free_head = vq->desc[head].next;
		vq->chain_len[head] = 1;
		vq->num_free--;
	} else {
		u16 i = head;
		for (int k = 0; k < n; k++) {
			vq->desc[i].addr = bufs[k].addr;
			vq->desc[i].len = bufs[k].len;
			vq->desc[i].flags = (u16)((bufs[k].write ? VIRTQ_DESC_F_WRITE : 0) |
						  (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
			i = vq->desc[i].next;	/* the free list's next = the chain's */
		}
		vq->free_head = i;
		vq->chain_len[head] = (u16)n;
		vq->num_free = (u16)(vq->num_free - n);
	}
	virtq_publish(vq, head);
	return head;
}

void virtio_kick(struct virtio_pci *d)
{
	struct virtq *vq = &d->vq;
	u16 old = vq->kicked_idx, new = vq->avail_idx;

	mb();			/* avail->idx visible before we read suppression */
	vq->kicked_idx = new;
	if (d->features & BIT(VIRTIO_F_EVENT_IDX)) {
		u16 avail_event = mmio_read16(vq->mem[2] + 4 + 8 * vq->size);
		if ((u16)(new - avail_event - 1) >= (u16)(new - old))
			return;
	} else if (vq->used->flags & 1) {	/* VIRTQ_USED_F_NO_NOTIFY */
		return;
	}
	mmio_write16(vq->notify, 0);		/* the queue's index */
}

int virtq_get(struct virtio_pci *d, u32 *len)
{
	struct virtq *vq = &d->vq;

	while (vq->last_used != vq->used->idx) {
		__asm__ volatile("" ::: "memory");	/* idx before the entry */
		volatile struct virtq_used_elem *e = &vq->used->ring[vq->last_used % vq->size];
		u32 id = e->id;
		vq->last_used++;
		if (d->features & BIT(VIRTIO_F_EVENT_IDX))
			vq->avail->ring[vq->size] = vq->last_used;	/* used_event */
		if (id >= vq->size || !vq->chain_len[id])
			continue;		/* not ours: a confused device */
		if (len)
			*len = e->len;
		u16 tail = (u16)id;
		for (int k = 1; k < vq->chain_len[id]; k++)
			tail = vq->desc[tail].next;
		vq->desc[tail].next = vq->free_head;
		vq->free_head = (u16)id;
		vq->num_free = (u16)(vq->num_free + vq->chain_len[id]);
		vq->chain_len[id] = 0;
		return (int)id;
	}
	return -1;
}

int virtio_wait(struct virtio_pci *d, u64 timeout, u32 *len)
{
	u64 t0 = rdtsc(), next_check = t0 + 200000000;

	for (;;) {
		u64 seen = virtio_irqs;
		int head = virtq_get(d, len);
		if (head >= 0)
			return head;
		u64 now = rdtsc();
		if ((d->msix_vector || d->intx_vector) && virtio_halt) {
			mb();		/* used_event out before idx is read again */
			virtio_halts++;
			rt_user_wait(&d->vq.used->idx, d->vq.last_used, 1);
			now = rdtsc();
		} else if (d->msix_vector || d->intx_vector) {	/* spin until the next interrupt */
			while (virtio_irqs == seen && now - t0 < timeout && now < next_check) {
				cpu_relax();
				now = rdtsc();
			}
		} else {
			cpu_relax();
		}
		if (now - t0 >= timeout)
			return -1;
		if (now >= next_check) {	/* now and then: NEEDS_RESET? */
			if (virtio_status(d) & VIRTIO_S_NEEDS_RESET)
				return -2;
			next_check = now + 200000000;
		}
	}
}
