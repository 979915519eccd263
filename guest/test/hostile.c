/* hostile: one guest, many lies told to a virtio-blk device.  case=NAME
 * picks one (case=list prints them all); the guest does the hostile thing,
 * reports what came back ("hostile case=NAME used=0|1 len=N req_status=S
 * device_status=0xNN" or case-specific key=value lines), then checks that the
 * VMM is alive and still serving: it resets and re-initialises the device,
 * reads sector 0 and checks the test pattern, and prints
 * "hostile case=NAME survived=1" (exit 0).  A case that needs a feature the
 * device lacks prints skipped=1 and still does the survival check.
 * write_ro_disk is meant for a read-only disk (it rewrites sector 1 with the
 * pattern it already holds, so a writable disk is left unchanged).
 * PCI config cases run at ring 0 (port I/O), the rest at ring 3 (MMIO). */
#include "rt.h"

#define BAD_ADDR 0x10000000000ULL	/* 1 TiB: not RAM, not a BAR window */
#define BUF_MEM 0x2000000UL		/* 32 MiB: bulk buffers */
#define WAIT 3000000000ULL		/* TSC cycles to wait for a used entry */
#define WANT (BIT(VIRTIO_F_INDIRECT_DESC) | BIT(VIRTIO_BLK_F_RO) | BIT(VIRTIO_BLK_F_FLUSH))
#define R 0
#define W VIRTQ_DESC_F_WRITE
#define N VIRTQ_DESC_F_NEXT
#define I VIRTQ_DESC_F_INDIRECT

static struct virtio_pci blk;
static struct virtq *vq = &blk.vq;
static const char *name;
static u64 capacity, ram_end;
static int result = 1;

static struct virtio_blk_req hdr;
static volatile u8 st;
static u8 data[4096] __attribute__((aligned(4096)));
static struct virtq_desc itab[2][VQ_MAX + 16] __attribute__((aligned(16)));
static volatile u32 scratch[4];

static u16 cr16(u32 off) { return mmio_read16(blk.common + off); }
static u32 cr32(u32 off) { return mmio_read32(blk.common + off); }
static void cw16(u32 off, u16 v) { mmio_write16(blk.common + off, v); }
static void cw32(u32 off, u32 v) { mmio_write32(blk.common + off, v); }
static void cw64(u32 off, u64 v) { cw32(off, (u32)v); cw32(off + 4, (u32)(v >> 32)); }

static void good_init(void)
{
	const char *why = "";
	if (virtio_init(&blk, WANT, 0, &why)) {
		rt_printf("hostile case=%s error=init reason=\"%s\"\n", name, why);
		rt_exit(1);
	}
}

static void set_desc(volatile struct virtq_desc *d, u64 addr, u32 len, u16 flags, u16 next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* desc 0..2: header (type, sector), data, status - a plain read by default. */
static void chain(u32 type, u64 sector, u64 daddr, u32 dlen, u16 dflags)
{
	hdr = (struct virtio_blk_req){ .type = type, .sector = sector };
	st = 0xff;
	set_desc(&vq->desc[0], (u64)&hdr, sizeof(hdr), N, 1);
	set_desc(&vq->desc[1], daddr, dlen, dflags | N, 2);
	set_desc(&vq->desc[2], (u64)&st, 1, W, 0);
}

static void read_chain(void)
{
	chain(VIRTIO_BLK_T_IN, 0, (u64)data, 512, W);
}

/* The same three as an indirect table at t. */
static void table(struct virtq_desc *t)
{
	read_chain();
	for (int i = 0; i < 3; i++)
		t[i] = (struct virtq_desc){ vq->desc[i].addr, vq->desc[i].len,
					    vq->desc[i].flags, vq->desc[i].next };
}

static void notify(void)
{
	mmio_write16(vq->notify, 0);
}

/* Notify, and report what the device did with the request. */
static void observe(void)
{
	notify();
	u64 t0 = rdtsc();
	while (vq->used->idx == vq->last_used && rdtsc() - t0 < WAIT)
		cpu_relax();
	u16 idx = vq->used->idx;
	int used = idx != vq->last_used;
	rt_printf("hostile case=%s used=%d len=%u req_status=0x%x device_status=0x%x\n", name,
		  used, used ? vq->used->ring[(u16)(idx - 1) % vq->size].len : 0, st,
		  virtio_status(&blk));
}

/* Make head available and observe. */
static void go(u16 head)
{
	virtq_publish(vq, head);
	observe();
}

/* --- descriptors --- */
static void c_desc_addr_outside_ram(void) { chain(0, 0, BAD_ADDR, 512, W); go(0); }
static void c_desc_addr_wrap(void) { chain(0, 0, 0xfffffffffffffe00ULL, 0x1000, W); go(0); }
static void c_desc_len_huge(void) { chain(0, 0, (u64)data, 0xffffffff, W); go(0); }
static void c_desc_len_zero(void) { chain(0, 0, (u64)data, 0, W); go(0); }
static void c_desc_next_oob(void) { read_chain(); vq->desc[0].next = (u16)(vq->size + 7); go(0); }
static void c_desc_loop(void) { read_chain(); vq->desc[1].next = 0; go(0); }

static void c_chain_too_long(void)	/* size + 8 entries, in an indirect table */
{
	int n = vq->size + 8;
	read_chain();
	itab[0][0] = (struct virtq_desc){ (u64)&hdr, sizeof(hdr), N, 1 };
	for (int i = 1; i < n - 1; i++)
		itab[0][i] = (struct virtq_desc){ (u64)data, 512, W | N, (u16)(i + 1) };
	itab[0][n - 1] = (struct virtq_desc){ (u64)&st, 1, W, 0 };
	set_desc(&vq->desc[0], (u64)itab[0], (u32)(n * 16), I, 0);
	go(0);
}

static void indirect_at(u64 addr, u32 len, u16 flags)
{
	table(itab[0]);
	set_desc(&vq->desc[0], addr, len, flags, 1);
	set_desc(&vq->desc[1], (u64)&st, 1, W, 0);
	go(0);
}
static void c_indirect_len_odd(void) { indirect_at((u64)itab[0], 40, I); }
static void c_indirect_len_zero(void) { indirect_at((u64)itab[0], 0, I); }
static void c_indirect_outside_ram(void) { indirect_at(BAD_ADDR, 48, I); }
static void c_indirect_and_next(void) { indirect_at((u64)itab[0], 48, I | N); }
static void c_indirect_nested(void)
{
	table(itab[1]);
	itab[0][0] = (struct virtq_desc){ (u64)itab[1], 48, I, 0 };
	set_desc(&vq->desc[0], (u64)itab[0], 16, I, 0);
	go(0);
}

/* --- the avail ring --- */
static void c_avail_idx_jump(void)
{
	read_chain();
	vq->avail->ring[0] = 0;
	vq->avail->idx = (u16)(vq->avail_idx + vq->size + 10);
	observe();
}
static void c_avail_head_oob(void) { read_chain(); go((u16)(vq->size + 3)); }
static void c_used_scribble(void) { vq->used->idx = 1234; vq->last_used = 1234; read_chain(); go(0); }

/* --- request contents --- */
static void c_hdr_short(void) { read_chain(); vq->desc[0].len = 8; go(0); }
static void c_status_readonly(void) { read_chain(); vq->desc[2].flags = 0; go(0); }
static void c_data_readonly(void) { chain(VIRTIO_BLK_T_IN, 0, (u64)data, 512, R); go(0); }
static void c_write_data_writable(void)	/* sector 1's own pattern: the disk stays as it was */
{
	vblk_fill(data, 1, 1, 0);
	chain(VIRTIO_BLK_T_OUT, 1, (u64)data, 512, W);
	go(0);
}
static void c_sector_beyond_capacity(void) { chain(0, capacity + 10, (u64)data, 512, W); go(0); }
static void c_sector_straddles_end(void) { chain(0, capacity - 1, (u64)data, 1024, W); go(0); }
static void c_sector_overflow(void) { chain(0, 1ULL << 63, (u64)data, 512, W); go(0); }
static void c_unknown_type(void) { chain(0x77, 0, (u64)data, 512, W); go(0); }
static void c_get_id_short(void) { chain(VIRTIO_BLK_T_GET_ID, 0, (u64)data, 4, W); go(0); }
static void c_write_ro_disk(void)
{
	vblk_fill(data, 1, 1, 0);		/* what sector 1 holds already */
	chain(VIRTIO_BLK_T_OUT, 1, (u64)data, 512, R);
	go(0);
}

static void c_reset_inflight(void)
{
	for (int i = 0; i < 160; i++)	/* the device's io_uring wraps first: no stale slot may fool it */
		vblk_request(&blk, VIRTIO_BLK_T_IN, 0, data, 512);
	for (int i = 0; i < 32; i++) {
		static struct virtio_blk_req h[32];
		static volatile u8 s[32];
		h[i] = (struct virtio_blk_req){ .type = VIRTIO_BLK_T_IN, .sector = (u64)i * 128 % capacity };
		struct virtq_buf b[3] = { { (u64)&h[i], 16, 0 },
					  { BUF_MEM + (u64)i * 65536, 65536, 1 },
					  { (u64)&s[i], 1, 1 } };
		if (h[i].sector + 128 > capacity)
			b[1].len = 512;
		virtq_add(vq, b, 3, 0);
	}
	notify();
	for (u64 t0 = rdtsc(); rdtsc() - t0 < rt_arg("delay", 100000);)
		cpu_relax();		/* let the device start them */
	u16 used = vq->used->idx;
	virtio_reset(&blk);		/* status 0: the buffers are ours again */
	volatile u64 *buf = (volatile u64 *)BUF_MEM;
	for (u32 i = 0; i < 32 * 65536 / 8; i++)
		buf[i] = 0;
	for (u64 t0 = rdtsc(); rdtsc() - t0 < WAIT / 10;)
		cpu_relax();		/* anything still in flight lands now */
	u32 dirty = 0;
	for (u32 i = 0; i < 32 * 65536 / 8; i++)
		dirty += buf[i] != 0;
	rt_printf("hostile case=%s in_flight=32 used_before_reset=%u status=0x%x buffers_after_reset=%s dirty_words=%u\n",
		  name, used, virtio_status(&blk), dirty ? "dirty" : "zero", dirty);
}

/* --- notifications --- */
static void c_notify_bad_queue(void)
{
	mmio_write16(vq->notify, 50);
	mmio_write16(vq->notify, 0xffff);
	if (50ULL * blk.notify_mult + 2 <= blk.notify_len)
		mmio_write16((volatile u8 *)blk.notify_base + 50 * blk.notify_mult, 50);
	read_chain();
	go(0);
}
static void c_notify_storm(void)
{
	for (int i = 0; i < 10000; i++)
		notify();
	read_chain();
	go(0);
}

/* --- queue setup --- */
/* After a fresh negotiate: queue 0 at these addresses with this size. */
static void raw_queue(u16 size, u64 desc, u64 avail, u64 used)
{
	const char *why = "";
	virtio_reset(&blk);
	if (virtio_negotiate(&blk, WANT, &why)) {
		rt_printf("hostile case=%s negotiate_failed=\"%s\"\n", name, why);
		return;
	}
	memset(vq->mem, 0, sizeof(vq->mem));
	cw16(VC_Q_SELECT, 0);
	cw16(VC_Q_SIZE, size);
	u16 got = cr16(VC_Q_SIZE);
	cw64(VC_Q_DESCLO, desc);
	cw64(VC_Q_AVAILLO, avail);
	cw64(VC_Q_USEDLO, used);
	cw16(VC_Q_MSIX, VIRTIO_NO_VECTOR);
	vq->notify = (volatile u16 *)(blk.notify_base + (u64)cr16(VC_Q_NOFF) * blk.notify_mult);
	cw16(VC_Q_ENABLE, 1);
	virtio_set_status(&blk, virtio_status(&blk) | VIRTIO_S_DRIVER_OK);
	vq->desc = (volatile struct virtq_desc *)desc;
	vq->avail = (volatile struct virtq_avail *)avail;
	vq->used = (volatile struct virtq_used *)used;
	vq->size = size ? size : 1;
	vq->avail_idx = vq->last_used = 0;
	rt_printf("hostile case=%s queue_size_written=%u read_back=%u enable=%u device_status=0x%x\n",
		  name, size, got, cr16(VC_Q_ENABLE), virtio_status(&blk));
}
static u64 ring(int i) { return (u64)vq->mem[i]; }
static void c_queue_size_zero(void) { raw_queue(0, ring(0), ring(1), ring(2)); read_chain(); go(0); }
static void c_queue_size_not_pow2(void) { raw_queue(100, ring(0), ring(1), ring(2)); read_chain(); go(0); }
static void c_queue_size_over_max(void)
{
	cw16(VC_Q_SELECT, 0);
	u16 max = cr16(VC_Q_SIZE);
	raw_queue(max < 0x8000 ? (u16)(max * 2) : (u16)(max + 1), ring(0), ring(1), ring(2));
	vq->size = 1;		/* only slot 0 of our avail ring */
	read_chain();
	go(0);
}
static void c_ring_unaligned(void) { raw_queue(64, ring(0) + 1, ring(1) + 1, ring(2) + 2); read_chain(); go(0); }
static void c_rings_outside_ram(void)
{
	raw_queue(256, BAD_ADDR, BAD_ADDR + 0x1000, BAD_ADDR + 0x2000);
	notify();
	rt_printf("hostile case=%s notified=1 device_status=0x%x\n", name, virtio_status(&blk));
}
static void c_ring_straddles_ram_end(void)
{
	/* 128 descriptors fit below the end of RAM; head 200 lies past it, and
	 * the used ring runs off the end too. */
	raw_queue(256, ram_end - 0x800, ring(1), ram_end - 0x400);
	vq->used = (volatile struct virtq_used *)ring(2);	/* don't read past RAM */
	read_chain();
	virtq_publish(vq, 200);
	go(0);
}
static void c_queue_select_oob(void)
{
	u16 nq = cr16(VC_NUMQ);
	for (u16 sel = nq; sel; sel = sel == nq ? 0x4000 : 0) {
		cw16(VC_Q_SELECT, sel);
		u16 size = cr16(VC_Q_SIZE);
		cw16(VC_Q_SIZE, 64);
		cw64(VC_Q_DESCLO, ring(0));
		cw64(VC_Q_AVAILLO, ring(1));
		cw64(VC_Q_USEDLO, ring(2));
		cw16(VC_Q_MSIX, 0);
		cw16(VC_Q_ENABLE, 1);
		rt_printf("hostile case=%s select=%u size_before=%u size_after=%u enable=%u noff=%u\n",
			  name, sel, size, cr16(VC_Q_SIZE), cr16(VC_Q_ENABLE), cr16(VC_Q_NOFF));
	}
	cw16(VC_Q_SELECT, 0);
	read_chain();
	go(0);
}
static void c_queue_addr_after_enable(void)
{
	cw16(VC_Q_SELECT, 0);
	cw64(VC_Q_DESCLO, BAD_ADDR);
	read_chain();
	go(0);
}

/* --- feature negotiation and status --- */
static void c_no_version_1(void)
{
	virtio_reset(&blk);
	virtio_set_status(&blk, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	cw32(VC_GFSELECT, 0);
	cw32(VC_GF, 0);
	cw32(VC_GFSELECT, 1);
	cw32(VC_GF, 0);
	virtio_set_status(&blk, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
	rt_printf("hostile case=%s features_ok_stuck=%d device_status=0x%x\n", name,
		  !!(virtio_status(&blk) & VIRTIO_S_FEATURES_OK), virtio_status(&blk));
}
static void c_features_after_ok(void)
{
	const char *why = "";
	virtio_reset(&blk);
	if (virtio_negotiate(&blk, WANT, &why))
		return;
	for (u32 sel = 0; sel < 2; sel++) {
		cw32(VC_GFSELECT, sel);
		cw32(VC_GF, 0xffffffff);
	}
	virtio_set_status(&blk, virtio_status(&blk) | VIRTIO_S_FEATURES_OK);
	if (virtio_setup_queue(&blk, 0, &why))
		rt_printf("hostile case=%s setup_queue_failed=\"%s\"\n", name, why);
	virtio_set_status(&blk, virtio_status(&blk) | VIRTIO_S_DRIVER_OK);
	read_chain();
	go(0);
}
static void c_driver_ok_before_queue(void)
{
	const char *why = "";
	virtio_reset(&blk);
	if (virtio_negotiate(&blk, WANT, &why))
		return;
	virtio_set_status(&blk, virtio_status(&blk) | VIRTIO_S_DRIVER_OK);
	if (virtio_setup_queue(&blk, 0, &why))
		rt_printf("hostile case=%s setup_queue_failed=\"%s\"\n", name, why);
	read_chain();
	go(0);
}
static void c_status_skip_features_ok(void)
{
	const char *why = "";
	virtio_reset(&blk);
	virtio_set_status(&blk, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	cw32(VC_GFSELECT, 1);
	cw32(VC_GF, 1);					/* VERSION_1 */
	virtio_set_status(&blk, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_DRIVER_OK);
	if (virtio_setup_queue(&blk, 0, &why))
		rt_printf("hostile case=%s setup_queue_failed=\"%s\"\n", name, why);
	read_chain();
	go(0);
}
static void c_status_garbage(void)
{
	virtio_set_status(&blk, 0xff);
	rt_printf("hostile case=%s device_status=0x%x\n", name, virtio_status(&blk));
	read_chain();
	go(0);
}
static void c_feature_select_huge(void)
{
	cw32(VC_DFSELECT, 0xffffffff);
	u32 f = cr32(VC_DF);
	cw32(VC_GFSELECT, 0x12345);
	cw32(VC_GF, 0xffffffff);
	rt_printf("hostile case=%s device_feature=0x%x\n", name, f);
	read_chain();
	go(0);
}

/* --- MMIO registers: common, ISR, device config, MSI-X --- */
static void c_common_cfg_odd(void)
{
	u64 f8 = *(volatile u64 *)(blk.common + VC_DF);	/* 8 bytes over two fields */
	u32 odd = mmio_read32(blk.common + 0x13);		/* unaligned */
	u32 past = blk.common_len >= 0x40 ? mmio_read32(blk.common + blk.common_len - 4) : 0;
	for (u32 off = 0x38; off + 4 <= blk.common_len && off < 0x100; off += 4)
		mmio_write32(blk.common + off, 0xffffffff);
	mmio_write16(blk.common + 0x11, 0xffff);		/* over num_queues */
	rt_printf("hostile case=%s read8=0x%lx unaligned=0x%x last=0x%x device_status=0x%x\n",
		  name, f8, odd, past, virtio_status(&blk));
}
static void c_isr_write(void)
{
	mmio_write8(blk.isr, 0xff);
	rt_printf("hostile case=%s isr=0x%x\n", name, mmio_read8(blk.isr));
	read_chain();
	go(0);
}
static void c_devcfg_past_end(void)
{
	static const u32 offs[] = { 0x3c, 0x40, 0x60, 0x80, 0x100, 0xffc };
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		u32 off = offs[i];
		if (off + 4 > blk.devcfg_len)
			continue;
		u32 before = mmio_read32(blk.devcfg + off);
		mmio_write32(blk.devcfg + off, 0xdeadbeef);
		rt_printf("hostile case=%s off=0x%x before=0x%x after=0x%x\n", name, off, before,
			  mmio_read32(blk.devcfg + off));
	}
	if (blk.devcfg_len >= 4) {	/* 4 bytes straddling the region's end */
		u32 v = mmio_read32(blk.devcfg + blk.devcfg_len - 2);
		rt_printf("hostile case=%s straddle=0x%x\n", name, v);
	}
}
static void c_devcfg_write_ro(void)
{
	mmio_write32(blk.devcfg, 0);			/* capacity */
	mmio_write32(blk.devcfg + 4, 0);
	mmio_write32(blk.devcfg + 12, 0xffffffff);	/* seg_max */
	mmio_write8(blk.devcfg + 32, 0x7f);		/* writeback */
	rt_printf("hostile case=%s capacity_after=%lu\n", name, virtio_cfg_read64(&blk, 0));
}
static void c_msix_table_beyond(void)
{
	if (!blk.msix_table) {
		rt_printf("hostile case=%s skipped=1\n", name);
		return;
	}
	volatile u32 *e = blk.msix_table + 4 * blk.msix_size;	/* entry [size] */
	if ((u64)e >= 0x100000000ULL && ((u64)e ^ (u64)blk.msix_table) >> 21)
		return;			/* not mapped: only its 2 MiB page is */
	u32 before = e[2];
	for (int i = 0; i < 4; i++)
		e[i] = 0xffffffff;
	rt_printf("hostile case=%s entry=%u before=0x%x after=0x%x\n", name, blk.msix_size,
		  before, e[2]);
}
/* 8-byte accesses to the table (PCI allows them): entry 1, kept masked. */
static void c_msix_qword(void)
{
	if (!blk.msix_table) {
		rt_printf("hostile case=%s skipped=1\n", name);
		return;
	}
	volatile u64 *e = (volatile u64 *)(blk.msix_table + 4);
	e[0] = 0xfee01000ULL;
	e[1] = 1ULL << 32 | 0x43;
	u64 addr = e[0], data_ctrl = e[1];
	rt_printf("hostile case=%s addr=0x%lx data_ctrl=0x%lx qword=%s\n", name, addr, data_ctrl,
		  addr == 0xfee01000ULL && data_ctrl == (1ULL << 32 | 0x43) ? "ok" : "refused");
}
static void c_msix_pba_write(void)
{
	if (!blk.msix_pba) {
		rt_printf("hostile case=%s skipped=1\n", name);
		return;
	}
	u64 before = blk.msix_pba[0];
	blk.msix_pba[0] = ~0ULL;
	rt_printf("hostile case=%s before=0x%lx after=0x%lx\n", name, before, blk.msix_pba[0]);
}
static void c_msix_bad_vector(void)
{
	cw16(VC_Q_SELECT, 0);
	cw16(VC_Q_MSIX, (u16)(blk.msix_size + 5));
	u16 q = cr16(VC_Q_MSIX);
	cw16(VC_MSIX, 0x7fff);
	rt_printf("hostile case=%s queue_vector=0x%x config_vector=0x%x\n", name, q, cr16(VC_MSIX));
	read_chain();
	go(0);
}
/* MSI-X is on (main did it at ring 0); point entry 0 at plain RAM. */
static void c_msix_bad_address(void)
{
	blk.msix_table[0] = (u32)(u64)scratch;
	blk.msix_table[1] = 0;
	blk.msix_table[2] = 0x42;
	blk.msix_table[3] = 0;
	cw16(VC_Q_SELECT, 0);
	cw16(VC_Q_MSIX, 0);
	vq->avail->flags = 0;
	read_chain();
	go(0);
	/* Was it taken as an interrupt (vector 0x42 pending in the IRR, since
	 * we run with IF=0) or as a DMA write to scratch? */
	rt_printf("hostile case=%s scratch=0x%x irr_0x42=%u\n", name, scratch[0],
		  lapic_read(0x220) >> 2 & 1);
}

/* --- PCI configuration space (ring 0) --- */

static void c_pci_cfg_past_end(void)
{
	static const u16 offs[] = { 0x100, 0x104, 0x800, 0xffc };
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		u32 before = pci_cfg_read(0, blk.dev, 0, offs[i], 4);
		pci_cfg_write(0, blk.dev, 0, offs[i], 4, 0xffffffff);
		rt_printf("hostile case=%s off=0x%x before=0x%x after=0x%x\n", name, offs[i],
			  before, pci_cfg_read(0, blk.dev, 0, offs[i], 4));
	}
	/* Odd widths and offsets at the data port, and a disabled address. */
	outl(0x80000000u | (u32)blk.dev << 11 | 0xfc, 0xcf8);
	u32 a = inl(0xcfd), b = inw(0xcff);
	outl(0x80000000u | (u32)blk.dev << 11 | 0xfc, 0xcf8);
	outl(0xffffffff, 0xcfe);
	outl((u32)blk.dev << 11, 0xcf8);		/* enable bit clear */
	u32 c = inl(0xcfc);
	outl(0x12345678, 0xcfc);
	rt_printf("hostile case=%s cfd=0x%x cff=0x%x disabled=0x%x\n", name, a, b, c);
}
static void c_pci_nonexistent(void)
{
	int present = 0;
	for (u8 dev = 0; dev < 32; dev++)
		for (u8 fn = 1; fn < 8; fn++)
			present += (pci_cfg_read(0, dev, fn, 0, 2) != 0xffff);
	u32 b1 = pci_cfg_read(1, 0, 0, 0, 4), b255 = pci_cfg_read(255, 31, 7, 0, 4);
	pci_cfg_write(0, 31, 7, 0x10, 4, 0xffffffff);
	pci_cfg_write(255, 31, 7, 0x04, 2, 0x7);
	pci_cfg_write(0, blk.dev, 3, 0x10, 4, 0xe0000000);
	pci_cfg_write(0, blk.dev, 3, 0x04, 2, 0x7);
	rt_printf("hostile case=%s functions_present=%d bus1=0x%x bus255=0x%x\n", name, present,
		  b1, b255);
}
static void c_pci_header_ro_writes(void)
{
	u32 id = pci_cfg_read(0, blk.dev, 0, 0, 4);
	u8 cap = pci_find_cap(blk.dev, 0x09);
	while (cap && pci_cfg_read(0, blk.dev, 0, cap + 3, 1) != 1)	/* the common cfg cap */
		cap = (u8)pci_cfg_read(0, blk.dev, 0, cap + 1, 1) & 0xfc;
	u32 capoff = cap ? pci_cfg_read(0, blk.dev, 0, cap + 8, 4) : 0;
	static const u16 ro[] = { 0x00, 0x08, 0x2c, 0x34 };	/* ids, class, subsys, cap */
	for (unsigned i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
		pci_cfg_write(0, blk.dev, 0, ro[i], 4, 0xffffffff);
	if (cap) {
		pci_cfg_write(0, blk.dev, 0, cap + 4, 1, 0x07);		/* cap's bar */
		pci_cfg_write(0, blk.dev, 0, cap + 8, 4, 0x12340000);	/* its offset */
	}
	for (int b = 0; b < 6; b++) {			/* unused BARs: garbage */
		if ((pci_cfg_read(0, blk.dev, 0, (u16)(0x10 + 4 * b), 4) & 7) == 4) {
			b++;				/* 64-bit: skip its high half */
			continue;
		}
		if (!blk.bar[b])
			pci_cfg_write(0, blk.dev, 0, (u16)(0x10 + 4 * b), 4, 0xfffffff0);
	}
	u32 rom = pci_cfg_read(0, blk.dev, 0, 0x30, 4);
	pci_cfg_write(0, blk.dev, 0, 0x30, 4, 0xfffffffe);	/* ROM BAR, decode off */
	pci_cfg_write(0, blk.dev, 0, 0x30, 4, rom);
	rt_printf("hostile case=%s id_changed=%d cap_offset_changed=%d\n", name,
		  pci_cfg_read(0, blk.dev, 0, 0, 4) != id,
		  cap && pci_cfg_read(0, blk.dev, 0, cap + 8, 4) != capoff);
}

#define RING0 1
#define MSIX 2
#define IND 4		/* needs VIRTIO_F_INDIRECT_DESC */
static const struct hcase {
	const char *name;
	void (*fn)(void);
	int flags;
} cases[] = {
	{ "desc_addr_outside_ram", c_desc_addr_outside_ram, 0 },
	{ "desc_addr_wrap", c_desc_addr_wrap, 0 },
	{ "desc_len_huge", c_desc_len_huge, 0 },
	{ "desc_len_zero", c_desc_len_zero, 0 },
	{ "desc_next_oob", c_desc_next_oob, 0 },
	{ "desc_loop", c_desc_loop, 0 },
	{ "chain_too_long", c_chain_too_long, IND },
	{ "indirect_nested", c_indirect_nested, IND },
	{ "indirect_len_odd", c_indirect_len_odd, IND },
	{ "indirect_len_zero", c_indirect_len_zero, IND },
	{ "indirect_outside_ram", c_indirect_outside_ram, IND },
	{ "indirect_and_next", c_indirect_and_next, IND },
	{ "avail_idx_jump", c_avail_idx_jump, 0 },
	{ "avail_head_oob", c_avail_head_oob, 0 },
	{ "used_scribble", c_used_scribble, 0 },
	{ "queue_size_zero", c_queue_size_zero, 0 },
	{ "queue_size_not_pow2", c_queue_size_not_pow2, 0 },
	{ "queue_size_over_max", c_queue_size_over_max, 0 },
	{ "ring_unaligned", c_ring_unaligned, 0 },
	{ "rings_outside_ram", c_rings_outside_ram, 0 },
	{ "ring_straddles_ram_end", c_ring_straddles_ram_end, 0 },
	{ "queue_select_oob", c_queue_select_oob, 0 },
	{ "queue_addr_after_enable", c_queue_addr_after_enable, 0 },
	{ "notify_bad_queue", c_notify_bad_queue, 0 },
	{ "notify_storm", c_notify_storm, 0 },
	{ "msix_table_beyond", c_msix_table_beyond, 0 },
	{ "msix_pba_write", c_msix_pba_write, 0 },
	{ "msix_qword", c_msix_qword, 0 },
	{ "msix_bad_vector", c_msix_bad_vector, 0 },
	{ "msix_bad_address", c_msix_bad_address, MSIX },
	{ "common_cfg_odd", c_common_cfg_odd, 0 },
	{ "isr_write", c_isr_write, 0 },
	{ "devcfg_past_end", c_devcfg_past_end, 0 },
	{ "devcfg_write_ro", c_devcfg_write_ro, 0 },
	{ "pci_cfg_past_end", c_pci_cfg_past_end, RING0 },
	{ "pci_nonexistent", c_pci_nonexistent, RING0 },
	{ "pci_header_ro_writes", c_pci_header_ro_writes, RING0 },
	{ "write_ro_disk", c_write_ro_disk, 0 },
	{ "hdr_short", c_hdr_short, 0 },
	{ "status_readonly", c_status_readonly, 0 },
	{ "data_readonly", c_data_readonly, 0 },
	{ "write_data_writable", c_write_data_writable, 0 },
	{ "sector_beyond_capacity", c_sector_beyond_capacity, 0 },
	{ "sector_straddles_end", c_sector_straddles_end, 0 },
	{ "sector_overflow", c_sector_overflow, 0 },
	{ "unknown_type", c_unknown_type, 0 },
	{ "get_id_short", c_get_id_short, 0 },
	{ "no_version_1", c_no_version_1, 0 },
	{ "features_after_ok", c_features_after_ok, 0 },
	{ "driver_ok_before_queue", c_driver_ok_before_queue, 0 },
	{ "status_skip_features_ok", c_status_skip_features_ok, 0 },
	{ "status_garbage", c_status_garbage, 0 },
	{ "feature_select_huge", c_feature_select_huge, 0 },
	{ "reset_inflight", c_reset_inflight, 0 },
};
#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))
static const struct hcase *the_case;

/* Is the VMM still there and serving?  Start over and read sector 0. */
static int survive(void)
{
	u8 before = virtio_status(&blk);
	good_init();
	memset(data, 0, 512);
	int s = vblk_request(&blk, VIRTIO_BLK_T_IN, 0, data, 512);
	long bad = s == VIRTIO_BLK_S_OK ? vblk_check(data, 0, 1, 0) : 0;
	if (s != VIRTIO_BLK_S_OK || bad >= 0) {
		rt_printf("hostile case=%s survived=0 read_status=%d bad_word=%ld\n", name, s, bad);
		return 1;
	}
	rt_printf("hostile case=%s status_before_reinit=0x%x survived=1\n", name, before);
	return 0;
}

static void body(void *unused)
{
	(void)unused;
	if (!(the_case->flags & RING0)) {
		good_init();
		capacity = virtio_cfg_read64(&blk, 0);
		if (((the_case->flags & IND) && !(blk.features & BIT(VIRTIO_F_INDIRECT_DESC))) ||
		    ((the_case->flags & MSIX) && !blk.msix_cap))
			rt_printf("hostile case=%s skipped=1 reason=feature_missing\n", name);
		else
			the_case->fn();
	}
	result = survive();
}

static u64 top_of_ram(void)
{
	const struct hvm_memmap_entry *m;
	u64 end = 0;
	for (int i = 0, n = rt_memmap(&m); i < n; i++)
		if (m[i].type == 1 && m[i].addr + m[i].size > end)
			end = m[i].addr + m[i].size;
	return end ? end : 0x10000000;		/* no map: assume 256 MiB */
}

int main(void)
{
	if (rt_arg_is("case", "list")) {
		rt_printf("hostile cases=%d\n", NCASES);
		for (int i = 0; i < NCASES; i++)
			rt_printf("hostile case_name=%s\n", cases[i].name);
		return 0;
	}
	for (int i = 0; i < NCASES; i++)
		if (rt_arg_is("case", cases[i].name))
			the_case = &cases[i];
	if (!the_case) {
		rt_puts("hostile: error=usage case=NAME|list\n");
		return 2;
	}
	name = the_case->name;
	if (virtio_pci_find(&blk, VIRTIO_ID_BLOCK, 0)) {
		rt_puts("hostile: error=no_device\n");
		return 1;
	}
	ram_end = top_of_ram();
	rt_map_mmio(ram_end - 0x200000, 0x200000);	/* in case RAM ends above 4 GiB */
	if (the_case->flags & MSIX) {
		if (virtio_msix_enable(&blk, 0x42))
			rt_printf("hostile case=%s msix=unavailable\n", name);
		blk.msix_vector = 0;		/* we poll; the case aims the MSI */
	}
	if (the_case->flags & RING0)
		the_case->fn();
	rt_run_user(body, NULL, 0);
	return result;
}
