/* intx: two devices on one INTx line.  INTA of slot s and of slot s+8 both
 * reach IOAPIC pin 16 + s % 8; run with eight disks (slots 1-8) so that
 * virtio-rng lands in slot 9, on the first disk's line.  With the pin
 * masked: the disk completes a read (asserts), the rng completes a request
 * (asserts), the rng's ISR is read (the rng deasserts).  The disk still
 * asserts, so unmasking the pin must deliver its vector.  Prints
 * "intx: line=N blk_line=N rng_line=N pending=1" and exits 0 when it was
 * delivered. */
#include "rt.h"

#define VEC 0x51

static struct virtio_pci blk, rng;
static u8 sector[512], random[16];
static struct virtio_blk_req hdr = { .type = VIRTIO_BLK_T_IN };
static u8 st;

static void ioapic_pin(u8 pin, int masked)
{
	volatile u32 *ioapic = phys(0xfec00000UL);
	ioapic[0] = 0x10 + 2 * (u32)pin + 1;
	ioapic[4] = lapic_id() << 24;
	ioapic[0] = 0x10 + 2 * (u32)pin;
	ioapic[4] = VEC | 1u << 15 | (masked ? 1u << 16 : 0);	/* level */
}

/* One request, polled to completion: the device has raised its line. */
static int request(struct virtio_pci *d, const struct virtq_buf *b, int n)
{
	u32 len;
	if (virtq_add(&d->vq, b, n, 0) < 0)
		return -1;
	virtio_kick(d);
	return virtio_wait(d, VIRTIO_TIMEOUT, &len) < 0 ? -1 : 0;
}

int main(void)
{
	const char *why = "";
	struct virtq_buf rb[3] = { { (u64)&hdr, sizeof(hdr), 0 }, { (u64)sector, 512, 1 }, { (u64)&st, 1, 1 } };
	struct virtq_buf gb = { (u64)random, sizeof(random), 1 };
	if (virtio_pci_find(&blk, VIRTIO_ID_BLOCK, 0) || virtio_pci_find(&rng, VIRTIO_ID_RNG, 0)) {
		rt_puts("intx: error=no_device\n");
		return 1;
	}
	u8 bline = (u8)pci_cfg_read(0, blk.dev, 0, 0x3c, 1), rline = (u8)pci_cfg_read(0, rng.dev, 0, 0x3c, 1);
	blk.intx_vector = rng.intx_vector = VEC;	/* interrupts wanted, but we poll */
	lapic_enable();
	ioapic_pin(bline, 1);
	if (virtio_init(&blk, 0, 0, &why) || virtio_init(&rng, 0, 0, &why)) {
		rt_printf("intx: error=init reason=\"%s\"\n", why);
		return 1;
	}
	if (request(&blk, rb, 3) || request(&rng, &gb, 1)) {
		rt_puts("intx: error=request\n");
		return 1;
	}
	u8 risr = mmio_read8(rng.isr);			/* read-to-clear: rng lets go */
	ioapic_pin(bline, 0);
	int pending = lapic_read(0x200 + 0x10 * (VEC / 32)) >> (VEC % 32) & 1;
	rt_printf("intx: line=%s blk_line=%u rng_line=%u rng_isr=%u pending=%d\n",
		  bline == rline ? "shared" : "own", bline, rline, risr, pending);
	return bline == rline && pending ? 0 : 1;
}
