/* fuzz_virtqueue: the split-ring walker on rings and descriptor tables the
 * input writes into a fake guest RAM of 32 KiB low and 32 KiB at 4 GiB.
 * Input: queue size (2 bytes), features (1), desc/avail/used addresses (3 x
 * 2 bytes, low or high RAM by their top bit), then up to 64 KiB of RAM.
 * Four turns of popping what the avail ring offers; every chain's buffers
 * are read and written (ASan checks each is inside RAM) and pushed back. */
#include "fuzz.h"
#include "virtio/virtqueue.h"
#include <stdlib.h>

#define HALF (32u << 10)

static uint64_t gpa(uint16_t v)
{
	return (v & 0x8000 ? LG_HIGH_RAM_BASE : 0) + (v & 0x7fff);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_ram ram;
	static struct virtqueue vq;
	static struct vq_chain c;
	struct input in = { data, size };
	if (!ram.host) {
		ram.host = malloc(2 * HALF);
		ram.size = 2 * HALF, ram.low_size = ram.high_size = HALF;
	}
	vq_reset(&vq);
	vq.size = (uint16_t)take(&in, 2);
	unsigned features = (unsigned)take(&in, 1);
	vq.event_idx = features & 1, vq.indirect = features & 2;
	vq.desc_gpa = gpa((uint16_t)take(&in, 2));
	vq.avail_gpa = gpa((uint16_t)take(&in, 2));
	vq.used_gpa = gpa((uint16_t)take(&in, 2));
	memset(ram.host, 0, 2 * HALF);
	memcpy(ram.host, in.p, in.n < 2 * HALF ? in.n : 2 * HALF);
	if (vq_start(&vq, &ram, VQ_MAX_SIZE) < 0)
		return 0;
	for (int turn = 0; turn < 4; turn++) {
		uint16_t old = vq.used_idx;
		int rc;
		vq_turn(&vq);
		while ((rc = vq_pop(&vq, &c)) != VQ_EMPTY && rc != VQ_BROKEN) {
			uint8_t sum = 0;
			for (unsigned i = 0; rc == VQ_CHAIN && i < c.nout + c.nin; i++) {
				uint8_t *b = c.iov[i].iov_base;
				for (size_t k = 0; k < c.iov[i].iov_len; k += 97)
					sum += b[k];
				if (c.iov[i].iov_len)
					b[c.iov[i].iov_len - 1] = sum;   /* the last byte: writable RAM */
			}
			vq_push(&vq, c.head, (uint32_t)c.bytes);
		}
		vq_should_notify(&vq, old);
		if (rc == VQ_BROKEN)
			break;
	}
	return 0;
}
