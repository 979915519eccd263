/*T:962 virtio-blk requests and the disk test pattern
 * A block request is a descriptor chain of three parts (virtio 1.2, 5.2.6):
 * a 16-byte header the device reads (type, reserved, sector), the data
 * (read by the device for a write, written by it for a read or GET_ID) and
 * one status byte the device writes last: OK, IOERR or UNSUPP.
 * vblk_request() sends one and waits for it; the blk and hostile guests
 * build their own chains when they want more in flight or want to lie.
 * The test images hold a pattern that says where each word came from:
 * word w of sector s is (s << 16) | w, so a misplaced sector shows.
 */
#include "rt.h"

static struct virtio_blk_req hdr;
static volatile u8 status;

int vblk_request(struct virtio_pci *d, u32 type, u64 sector, void *data, u32 len)
{
	struct virtq_buf b[3];
	int n = 0, head, h;

	hdr = (struct virtio_blk_req){ .type = type, .sector = sector };
	status = 0xff;
	b[n++] = (struct virtq_buf){ (u64)&hdr, sizeof(hdr), 0 };
	if (len)
		b[n++] = (struct virtq_buf){ (u64)data, len,
			type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID };
	b[n++] = (struct virtq_buf){ (u64)&status, 1, 1 };
	head = virtq_add(&d->vq, b, n, 0);
	if (head < 0)
		return -1;
	virtio_kick(d);
	do
		h = virtio_wait(d, VIRTIO_TIMEOUT, NULL);
	while (h >= 0 && h != head);
	return h < 0 ? h : status;
}

void vblk_fill(void *buf, u64 sector, u32 nsect, u64 or)
{
	u64 *w = buf;
	for (u64 s = 0; s < nsect; s++)
		for (u64 i = 0; i < 64; i++)
			*w++ = (sector + s) << 16 | i | or;
}

long vblk_check(const void *buf, u64 sector, u32 nsect, u64 or)
{
	const u64 *w = buf;
	for (u64 s = 0; s < nsect; s++)
		for (u64 i = 0; i < 64; i++, w++)
			if (*w != ((sector + s) << 16 | i | or))
				return (long)(w - (const u64 *)buf);
	return -1;
}
