/* blk: the virtio-blk driver against a disk holding the test pattern (word
 * w of sector s = (s << 16) | w, see guest/test/mkdisk.py).
 * Prints "blk: capacity=SECTORS offered=.. features=.. ..." and
 * "blk: serial=ID", then reads sectors=N (64) and checks them:
 * "blk: checked_sectors=N pattern=ok".
 *   qd=N requests in flight (1); bs=BYTES per request (4096); qsize=N queue
 *   size; indirect=1 indirect descriptors; event_idx=0 don't ask for
 *   EVENT_IDX; irq=msix wait for MSI-X interrupts, not by polling;
 *   irq=intx the same through INTx (IOAPIC pin from the interrupt line);
 *   halt=1 with irq=: wait for it in HLT, as Linux does, not spinning
 *   (a 10 ms tick bounds each wait);
 *   reassign=1 zero the BARs first, so that we place them ourselves
 *   (64-bit ones at bar_window64=ADDR when given, e.g. above 4 GiB).
 *   write=1: write sectors [write_from, +write_count) (0, 16) with
 *     (s << 16) | w | 0xA5A5000000000000, FLUSH, print "blk: flushed=1"
 *     when the flush is used, then read back: "blk: write_verified=1".
 *   ro=1: a write must fail with IOERR: "blk: write_rejected=1".
 *   discard=1 / zeroes=1: DISCARD sectors [zero_from, +zero_count) (32, 8)
 *     / WRITE_ZEROES the zero_count sectors after those, then read them
 *     back: "blk: discard=1 sectors=N readback=zeroes|data" (zeroes are
 *     required only after WRITE_ZEROES).
 *   bench=seq_read|seq_write|rand_read: bs= (1 MiB seq, 4 KiB rand), qd=,
 *     total= bytes (64 MiB): "bench mode=.. bs=.. qd=.. bytes=.. tsc_cycles=..".
 * Hot loops (submit, poll, pattern) run at ring 3.  Exit 0 when all passed. */
#include "rt.h"

#define MSIX_VEC 0x40
#define TICK_VEC 0x45		/* halt=1's tick */
#define BUF_MEM 0x2000000UL		/* request buffers: 32 MiB and up */
#define WRITE_OR 0xA5A5000000000000ULL
#define MAX_QD 64

static struct virtio_pci blk;
static u64 capacity;
static u32 seg_bytes, seg_max;		/* from SIZE_MAX / SEG_MAX, 0 = none */
static int use_indirect, result;
static u32 qd, bs;

struct slot {
	struct virtio_blk_req hdr;
	volatile u8 status;
	u64 sector;
	u32 nsect;
};
static struct slot slots[MAX_QD];
static u8 slot_of[VQ_MAX];

/* One pass of I/O: nreq requests of up to per sectors, qd in flight. */
struct job {
	u32 type, per;
	u64 first, nsect, nreq;		/* sectors [first, first+nsect) */
	int random, fill, check;	/* rand offsets; pattern in / out */
	u64 or;
};

static u8 *slot_buf(int s)
{
	return phys(BUF_MEM + (u64)s * bs);
}

static int submit(struct slot *s, u32 type, u8 *buf, u32 len)
{
	struct virtq_buf b[VQ_MAX_INDIRECT];
	u32 seg = seg_bytes ? seg_bytes : len;
	int n = 0;

	s->hdr = (struct virtio_blk_req){ .type = type, .sector = s->sector };
	s->status = 0xff;
	b[n++] = (struct virtq_buf){ (u64)&s->hdr, sizeof(s->hdr), 0 };
	for (u32 off = 0; off < len; off += seg)
		b[n++] = (struct virtq_buf){ (u64)buf + off, len - off < seg ? len - off : seg,
					     type == VIRTIO_BLK_T_IN };
	b[n++] = (struct virtq_buf){ (u64)&s->status, 1, 1 };
	return virtq_add(&blk.vq, b, n, use_indirect);
}

static u64 rnd = 88172645463325252ULL;
static u64 xorshift(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return rnd;
}

static int run_io(const struct job *j)
{
	u64 issued = 0, done = 0;
	int free_slot[MAX_QD], nfree = (int)qd;

	for (int k = 0; k < nfree; k++)
		free_slot[k] = k;
	while (done < j->nreq) {
		while (issued < j->nreq && nfree) {
			int s = free_slot[nfree - 1];
			struct slot *sl = &slots[s];
			u64 off = j->random ? xorshift() % (j->nsect / j->per) * j->per
					    : issued * j->per % j->nsect;
			sl->sector = j->first + off;
			sl->nsect = j->nsect - off < j->per ? (u32)(j->nsect - off) : j->per;
			if (j->fill)
				vblk_fill(slot_buf(s), sl->sector, sl->nsect, j->or);
			int h = submit(sl, j->type, slot_buf(s), sl->nsect * 512);
			if (h < 0)
				break;			/* ring full: wait first */
			slot_of[h] = (u8)s;
			nfree--;
			issued++;
		}
		virtio_kick(&blk);
		int h = virtio_wait(&blk, VIRTIO_TIMEOUT, NULL);
		if (h == -2)
			return -2;
		if (h < 0) {
			rt_printf("blk: error=timeout type=%u done=%lu\n", j->type, done);
			return -1;
		}
		int s = slot_of[h];
		struct slot *sl = &slots[s];
		if (sl->status != VIRTIO_BLK_S_OK) {
			rt_printf("blk: error=status type=%u sector=%lu status=%u\n",
				  j->type, sl->sector, sl->status);
			return -1;
		}
		long bad = j->check ? vblk_check(slot_buf(s), sl->sector, sl->nsect, j->or) : -1;
		if (bad >= 0) {
			const u64 *w = (const u64 *)slot_buf(s);
			rt_printf("blk: error=pattern sector=%lu word=%ld got=0x%lx\n",
				  sl->sector + (u64)bad / 64, bad % 64, w[bad]);
			return -1;
		}
		free_slot[nfree++] = s;
		done++;
	}
	return 0;
}

static int init_dev(void)
{
	const char *why = "";
	u64 want = BIT(VIRTIO_BLK_F_RO) | BIT(VIRTIO_BLK_F_FLUSH) | BIT(VIRTIO_BLK_F_BLK_SIZE) |
		   BIT(VIRTIO_BLK_F_SIZE_MAX) | BIT(VIRTIO_BLK_F_SEG_MAX) |
		   BIT(VIRTIO_BLK_F_DISCARD) | BIT(VIRTIO_BLK_F_WRITE_ZEROES);

	if (rt_arg("event_idx", 1))
		want |= BIT(VIRTIO_F_EVENT_IDX);
	if (rt_arg("indirect", 0))
		want |= BIT(VIRTIO_F_INDIRECT_DESC);
	if (virtio_init(&blk, want, (u16)rt_arg("qsize", VQ_MAX), &why)) {
		rt_printf("blk: error=init reason=\"%s\" status=0x%x\n", why, virtio_status(&blk));
		return -1;
	}
	return 0;
}

/* A job, re-initialising the device (and starting over) if it asks. */
static int do_job(const struct job *j)
{
	for (int tries = 0; tries < 3; tries++) {
		int r = run_io(j);
		if (r != -2)
			return r;
		rt_printf("blk: needs_reset=1 status=0x%x\n", virtio_status(&blk));
		if (init_dev())
			return -1;
	}
	return -1;
}

static int bench(void)
{
	int rand = rt_arg_is("bench", "rand_read");
	const char *mode = rand ? "rand_read" : rt_arg_is("bench", "seq_write") ? "seq_write" :
			   rt_arg_is("bench", "seq_read") ? "seq_read" : NULL;
	u64 total = rt_arg("total", 64 << 20);

	if (!mode) {
		rt_puts("blk: error=usage bench=seq_read|seq_write|rand_read\n");
		return 1;
	}
	struct job j = { .type = rt_arg_is("bench", "seq_write") ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
			 .per = bs / 512, .random = rand };
	j.nsect = capacity - capacity % j.per;
	j.nreq = total / bs;
	if (!j.nsect || !j.nreq) {
		rt_puts("blk: error=bench_too_small\n");
		return 1;
	}
	u64 t0 = rdtsc();
	if (do_job(&j))
		return 1;
	u64 t1 = rdtsc();
	rt_printf("bench mode=%s bs=%u qd=%u bytes=%lu tsc_cycles=%lu\n",
		  mode, bs, qd, j.nreq * bs, t1 - t0);
	return 0;
}

static void print_serial(void)
{
	static char id[21];
	int st = vblk_request(&blk, VIRTIO_BLK_T_GET_ID, 0, id, 20);
	if (st != VIRTIO_BLK_S_OK) {
		rt_printf("blk: serial_status=%d\n", st);
		return;
	}
	for (int i = 0; i < 20 && id[i]; i++)
		if (id[i] < 0x20 || id[i] > 0x7e)
			id[i] = '?';
	rt_printf("blk: serial=%s\n", id);
}

static int zero_range(const char *name, u32 type, int feature, int must_zero)
{
	static struct virtio_blk_discard_write_zeroes seg;
	u64 n = rt_arg("zero_count", 8), from = rt_arg("zero_from", 32) + (must_zero ? n : 0);

	if (!(blk.features & BIT(feature))) {
		rt_printf("blk: %s=not_negotiated\n", name);
		return 0;
	}
	seg = (struct virtio_blk_discard_write_zeroes){ .sector = from, .num_sectors = (u32)n };
	int st = vblk_request(&blk, type, 0, &seg, sizeof(seg));
	if (st != VIRTIO_BLK_S_OK) {
		rt_printf("blk: error=%s status=%d\n", name, st);
		return 1;
	}
	/* Read the range back, one sector at a time. */
	int zero = 1;
	u64 *w = phys(BUF_MEM);
	for (u64 s = from; s < from + n; s++) {
		if (vblk_request(&blk, VIRTIO_BLK_T_IN, s, w, 512) != VIRTIO_BLK_S_OK)
			return 1;
		for (int i = 0; i < 64; i++)
			zero &= w[i] == 0;
	}
	rt_printf("blk: %s=1 sectors=%lu readback=%s\n", name, n, zero ? "zeroes" : "data");
	return must_zero && !zero;
}

static int run(void)
{
	if (init_dev())
		return 1;
	capacity = virtio_cfg_read64(&blk, 0);
	if (blk.features & BIT(VIRTIO_BLK_F_SIZE_MAX))
		seg_bytes = virtio_cfg_read(&blk, 8, 4) & ~511u;
	if (blk.features & BIT(VIRTIO_BLK_F_SEG_MAX))
		seg_max = virtio_cfg_read(&blk, 12, 4);
	use_indirect = rt_arg("indirect", 0) && (blk.features & BIT(VIRTIO_F_INDIRECT_DESC));
	rt_printf("blk: capacity=%lu offered=0x%lx features=0x%lx queue_size=%u size_max=%u seg_max=%u\n",
		  capacity, blk.offered, blk.features, blk.vq.size, seg_bytes, seg_max);
	rt_printf("blk: ro=%d flush=%d discard=%d write_zeroes=%d event_idx=%d indirect=%d irq=%s\n",
		  !!(blk.features & BIT(VIRTIO_BLK_F_RO)), !!(blk.features & BIT(VIRTIO_BLK_F_FLUSH)),
		  !!(blk.features & BIT(VIRTIO_BLK_F_DISCARD)),
		  !!(blk.features & BIT(VIRTIO_BLK_F_WRITE_ZEROES)),
		  !!(blk.features & BIT(VIRTIO_F_EVENT_IDX)), use_indirect,
		  blk.msix_vector ? "msix" : blk.intx_vector ? "intx" : "poll");
	u32 segs = seg_bytes ? (bs + seg_bytes - 1) / seg_bytes : 1;
	if (segs + 2 > VQ_MAX_INDIRECT || (seg_max && segs > seg_max) ||
	    (!use_indirect && segs + 2 > blk.vq.size)) {
		rt_printf("blk: error=bs_too_large segments=%u\n", segs);
		return 1;
	}
	print_serial();
	if (rt_arg("bench", 1) != 1)
		return bench();

	u64 n = rt_arg("sectors", 64);
	struct job rd = { .type = VIRTIO_BLK_T_IN, .per = bs / 512, .check = 1,
			  .nsect = n < capacity ? n : capacity };
	rd.nreq = (rd.nsect + rd.per - 1) / rd.per;
	if (rd.nsect && do_job(&rd))
		return 1;
	rt_printf("blk: checked_sectors=%lu pattern=ok qd=%u bs=%u\n", rd.nsect, qd, bs);

	if (rt_arg("ro", 0)) {
		slots[0].sector = rt_arg("write_from", 0);
		slots[0].nsect = 1;
		vblk_fill(slot_buf(0), slots[0].sector, 1, WRITE_OR);
		int h = submit(&slots[0], VIRTIO_BLK_T_OUT, slot_buf(0), 512);
		virtio_kick(&blk);
		while (h >= 0 && virtio_wait(&blk, VIRTIO_TIMEOUT, NULL) != h)
			;
		rt_printf("blk: write_status=%u\n", slots[0].status);
		if (slots[0].status != VIRTIO_BLK_S_IOERR)
			return 1;
		rt_puts("blk: write_rejected=1\n");
	}
	if (rt_arg("write", 0)) {
		struct job wr = { .type = VIRTIO_BLK_T_OUT, .per = bs / 512,
				  .first = rt_arg("write_from", 0), .nsect = rt_arg("write_count", 16),
				  .fill = 1, .or = WRITE_OR };
		wr.nreq = (wr.nsect + wr.per - 1) / wr.per;
		if (do_job(&wr))
			return 1;
		rt_printf("blk: written_sectors=%lu from=%lu\n", wr.nsect, wr.first);
		if (blk.features & BIT(VIRTIO_BLK_F_FLUSH)) {
			int st = vblk_request(&blk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
			if (st != VIRTIO_BLK_S_OK) {
				rt_printf("blk: error=flush status=%d\n", st);
				return 1;
			}
			rt_puts("blk: flushed=1\n");
		} else {
			rt_puts("blk: flushed=1 writethrough=1\n");	/* no FLUSH: write-through */
		}
		wr.fill = 0;
		wr.check = 1;
		wr.type = VIRTIO_BLK_T_IN;
		if (do_job(&wr))
			return 1;
		rt_puts("blk: write_verified=1\n");
	}
	if (rt_arg("discard", 0) && zero_range("discard", VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_F_DISCARD, 0))
		return 1;
	if (rt_arg("zeroes", 0) &&
	    zero_range("write_zeroes", VIRTIO_BLK_T_WRITE_ZEROES, VIRTIO_BLK_F_WRITE_ZEROES, 1))
		return 1;
	return 0;
}

static void body(void *unused)
{
	(void)unused;
	result = run();
}

/* Which RAM does the memory map give us at [a, a+len)? */
static int ram_covers(u64 a, u64 len)
{
	const struct hvm_memmap_entry *m;
	int n = rt_memmap(&m);
	if (!n)
		return 1;			/* no map: trust the defaults */
	for (int i = 0; i < n; i++)
		if (m[i].type == 1 && m[i].addr <= a && a + len <= m[i].addr + m[i].size)
			return 1;
	return 0;
}

int main(void)
{
	int bench_mode = rt_arg("bench", 1) != 1;
	int msix = rt_arg_is("irq", "msix"), intx = rt_arg_is("irq", "intx");

	qd = (u32)rt_arg("qd", 1);
	qd = qd < 1 ? 1 : qd > MAX_QD ? MAX_QD : qd;
	bs = (u32)rt_arg("bs", bench_mode && !rt_arg_is("bench", "rand_read") ? 1 << 20 : 4096);
	bs = bs < 512 ? 512 : bs & ~511u;
	if (!ram_covers(BUF_MEM, (u64)qd * bs)) {
		rt_printf("blk: error=no_ram_for_buffers need=%lu\n", BUF_MEM + (u64)qd * bs);
		return 1;
	}
	if (rt_arg("reassign", 0)) {		/* test our own BAR placement */
		rt_bar_window64 = rt_arg("bar_window64", 0);
		for (u8 dev = 0; dev < 32; dev++)
			if (pci_cfg_read(0, dev, 0, 0, 4) == (0x1042u << 16 | VIRTIO_PCI_VENDOR))
				for (int b = 0; b < 6; b++)
					pci_cfg_write(0, dev, 0, (u16)(0x10 + 4 * b), 4, 0);
	}
	if (virtio_pci_find(&blk, VIRTIO_ID_BLOCK, 0)) {
		rt_puts("blk: error=no_device\n");
		return 1;
	}
	rt_printf("blk: pci dev=%u", blk.dev);
	for (int b = 0; b < 6; b++)
		if (blk.bar[b])
			rt_printf(" bar%d=0x%lx", b, blk.bar[b]);
	rt_printf(" msix_table_size=%u notify_mult=%u\n", blk.msix_size, blk.notify_mult);
	if (msix && virtio_msix_enable(&blk, MSIX_VEC)) {
		rt_puts("blk: error=no_msix\n");
		return 1;
	}
	if (intx && virtio_intx_enable(&blk, MSIX_VEC)) {
		rt_puts("blk: error=no_intx\n");
		return 1;
	}
	if ((msix || intx) && rt_arg("halt", 0)) {
		virtio_halt = 1;
		rt_wait_tick(TICK_VEC);
	}
	rt_run_user(body, NULL, msix || intx);
	rt_printf("blk: irqs=%lu halts=%lu result=%s\n", virtio_irqs, virtio_halts, result ? "fail" : "ok");
	if ((msix || intx) && !virtio_irqs)
		return 1;
	return result;
}
