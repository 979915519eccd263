/* flood: a driver that keeps one virtio queue full for ever, with chains
 * the device finishes at once, republished as fast as they come back.
 * dev=rng: 256 writable descriptors, all over the same 64 MiB (16 GiB asked
 * per chain); dev=vcon: the same, readable, on virtio-console's transmit
 * queue; dev=blk: GET_ID requests.  Prints "flood: dev=NAME first_len=N"
 * (the used length of the first chain) and "flood: dev=NAME started", then
 * never stops: lguest must still end at once on SIGTERM
 * (tests/flood_term.py). */
#include "rt.h"

#define BUF 0x2000000UL		/* 32 MiB */
#define BUF_LEN 0x4000000U	/* 64 MiB */

static struct virtio_pci d;
static struct virtq *vq = &d.vq;
static const char *name = "rng";
static u16 queue;
static struct virtio_blk_req get_id = { .type = VIRTIO_BLK_T_GET_ID };
static u8 id[20], st;

/* Queue q (virtio_setup_queue only knows queue 0): our rings, size 256. */
static int setup_queue(u16 q)
{
	const char *why = "";
	virtio_reset(&d);
	if (virtio_negotiate(&d, 0, &why))
		return -1;
	memset(vq->mem, 0, sizeof(vq->mem));
	mmio_write16(d.common + VC_Q_SELECT, q);
	mmio_write16(d.common + VC_Q_SIZE, VQ_MAX);
	for (u32 i = 0; i < 3; i++) {
		mmio_write32(d.common + VC_Q_DESCLO + 8 * i, (u32)(u64)vq->mem[i]);
		mmio_write32(d.common + VC_Q_DESCLO + 8 * i + 4, 0);
	}
	vq->desc = (volatile struct virtq_desc *)vq->mem[0];
	vq->avail = (volatile struct virtq_avail *)vq->mem[1];
	vq->used = (volatile struct virtq_used *)vq->mem[2];
	vq->size = VQ_MAX;
	vq->avail->flags = 1;				/* no interrupts: we poll */
	vq->notify = (volatile u16 *)(d.notify_base +
				      (u64)mmio_read16(d.common + VC_Q_NOFF) * d.notify_mult);
	mmio_write16(d.common + VC_Q_ENABLE, 1);
	virtio_set_status(&d, virtio_status(&d) | VIRTIO_S_DRIVER_OK);
	return 0;
}

/* The one chain, at head 0. */
static void build_chain(void)
{
	if (d.device_id == 0x1040 + VIRTIO_ID_BLOCK) {
		vq->desc[0] = (struct virtq_desc){ (u64)&get_id, sizeof(get_id), VIRTQ_DESC_F_NEXT, 1 };
		vq->desc[1] = (struct virtq_desc){ (u64)id, sizeof(id), VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2 };
		vq->desc[2] = (struct virtq_desc){ (u64)&st, 1, VIRTQ_DESC_F_WRITE, 0 };
		return;
	}
	u16 w = d.device_id == 0x1040 + VIRTIO_ID_RNG ? VIRTQ_DESC_F_WRITE : 0;
	for (u16 i = 0; i < VQ_MAX; i++)
		vq->desc[i] = (struct virtq_desc){ BUF, BUF_LEN,
			(u16)(w | (i + 1 < VQ_MAX ? VIRTQ_DESC_F_NEXT : 0)), (u16)(i + 1) };
}

static void body(void *unused)
{
	(void)unused;
	if (setup_queue(queue)) {
		rt_printf("flood: dev=%s error=init\n", name);
		return;
	}
	build_chain();
	virtq_publish(vq, 0);
	mmio_write16(vq->notify, queue);
	while (vq->used->idx == 0)
		cpu_relax();
	rt_printf("flood: dev=%s first_len=%u\n", name, vq->used->ring[0].len);
	rt_printf("flood: dev=%s started\n", name);
	for (;;) {
		while ((u16)(vq->avail_idx - vq->used->idx) < vq->size)
			virtq_publish(vq, 0);
		mmio_write16(vq->notify, queue);
	}
}

int main(void)
{
	u16 type = VIRTIO_ID_RNG;
	if (rt_arg_is("dev", "vcon")) {
		name = "vcon", type = VIRTIO_ID_CONSOLE, queue = 1;
	} else if (rt_arg_is("dev", "blk")) {
		name = "blk", type = VIRTIO_ID_BLOCK;
	}
	if (virtio_pci_find(&d, type, 0)) {
		rt_printf("flood: dev=%s error=no_device\n", name);
		return 1;
	}
	rt_run_user(body, NULL, 0);
	return 1;
}
