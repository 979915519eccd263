/* rng: the virtio-rng driver.  Finds the first virtio-rng device, reads two
 * 64-byte blocks (one device-writable buffer each) and prints them in hex:
 * "rng: block0=HEX" / "rng: block1=HEX" / "rng: bytes=128 ok=1".  Exit 0
 * when neither block is all zero and they differ.  irq=msix waits for the
 * MSI-X interrupt instead of polling. */
#include "rt.h"

static struct virtio_pci rng;
static u8 block[2][64];
static int result = 1;

static void hex(const char *name, const u8 *p, u32 n)
{
	static char line[2 * 64 + 1];
	for (u32 i = 0; i < n; i++) {
		line[2 * i] = "0123456789abcdef"[p[i] >> 4];
		line[2 * i + 1] = "0123456789abcdef"[p[i] & 15];
	}
	line[2 * n] = 0;
	rt_printf("rng: %s=%s\n", name, line);
}

/* Ask for one block; the device may return fewer bytes, so go on until full. */
static int fill(u8 *buf)
{
	for (u32 got = 0, len; got < 64; got += len) {
		struct virtq_buf b = { (u64)buf + got, 64 - got, 1 };
		int head = virtq_add(&rng.vq, &b, 1, 0);
		virtio_kick(&rng);
		if (head < 0 || virtio_wait(&rng, VIRTIO_TIMEOUT, &len) != head || len > 64 - got) {
			rt_puts("rng: error=no_data\n");
			return -1;
		}
	}
	return 0;
}

static void body(void *unused)
{
	const char *why = "";
	(void)unused;
	if (virtio_init(&rng, rt_arg("event_idx", 1) ? BIT(VIRTIO_F_EVENT_IDX) : 0,
			(u16)rt_arg("qsize", VQ_MAX), &why)) {
		rt_printf("rng: error=init reason=\"%s\"\n", why);
		return;
	}
	rt_printf("rng: features=0x%lx queue_size=%u\n", rng.features, rng.vq.size);
	if (fill(block[0]) || fill(block[1]))
		return;
	hex("block0", block[0], 64);
	hex("block1", block[1], 64);
	int zero0 = 1, zero1 = 1;
	for (int i = 0; i < 64; i++) {
		zero0 &= !block[0][i];
		zero1 &= !block[1][i];
	}
	int ok = !zero0 && !zero1 && memcmp(block[0], block[1], 64);
	rt_printf("rng: bytes=128 ok=%d\n", ok);
	result = !ok;
}

int main(void)
{
	int msix = rt_arg_is("irq", "msix");

	if (virtio_pci_find(&rng, VIRTIO_ID_RNG, 0)) {
		rt_puts("rng: error=no_device\n");
		return 1;
	}
	if (msix && virtio_msix_enable(&rng, 0x41)) {
		rt_puts("rng: error=no_msix\n");
		return 1;
	}
	rt_run_user(body, NULL, msix);
	rt_printf("rng: irqs=%lu\n", virtio_irqs);
	return result || (msix && !virtio_irqs);
}
