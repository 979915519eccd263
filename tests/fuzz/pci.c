/* fuzz_pci: PCI configuration cycles (ports 0xCF8/0xCFC) and virtio-pci
 * BAR accesses (common config, ISR, device config, notify, MSI-X table and
 * PBA), in any order, width and value, to virtio-rng and virtio-console;
 * the input may also write guest RAM (rings) and run the event loop
 * (kicks).  Each input starts from the devices as lguest plugs them in,
 * their memory decoding on.  An input is a list of operations:
 * (op & 0x7f) % 7 = 0: write 0xCF8 (4 bytes)   1: 0xCFC + n, 1/2/4 bytes
 *   2: a device's BAR + offset    3: anywhere in the 32-bit window
 *   4: 8 bytes into guest RAM     5: run the loop   6: nothing
 * and op & 0x80 makes it a write; then the width (1 << n % 4 bytes), the
 * place, the value. */
#include "fuzz.h"
#include "hw/pci.h"
#include "virtio/devices.h"
#include "virtio/virtio.h"
#include <stdlib.h>

#define RAM (256u << 10)
#define NDEV 2

static void out(const uint8_t *buf, size_t n)
{
	(void)buf, (void)n;
}

static struct pci_bus bus, bus0;
static struct virtio_dev dev0[NDEV];

static struct vm *setup(void)
{
	struct vm *vm = fuzz_vm(RAM);
	if (bus.vm)
		return vm;
	if (pci_init(&bus, vm) < 0 || rng_add(&bus, vm) < 0 || vcon_add(&bus, vm, out, NULL) < 0)
		abort();
	for (int i = 0; i < NDEV; i++) {
		bus.slot[1 + i]->cfg[PCI_COMMAND] |= PCI_CMD_MEM;
		dev0[i] = *(struct virtio_dev *)bus.slot[1 + i];
	}
	bus0 = bus;
	return vm;
}

static void io(struct bus *b, uint64_t addr, struct input *in, unsigned len, bool write)
{
	uint8_t data[8];
	uint64_t v = take(in, len);
	memcpy(data, &v, 8);
	if (!write)
		memset(data, 0xa5, sizeof(data));
	bus_access(b, addr, data, len, write);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm *vm = setup();
	struct input in = { data, size };
	bus = bus0;
	for (int i = 0; i < NDEV; i++)
		*(struct virtio_dev *)bus.slot[1 + i] = dev0[i];
	memset(vm->ram.host, 0, RAM);
	fuzz_loop_drain(&vm->loop);
	for (int n = 0; in.n && n < 512; n++) {
		unsigned op = (unsigned)take(&in, 1), len = 1u << (take(&in, 1) % 4);
		bool write = op & 0x80;
		uint64_t off;
		switch ((op & 0x7f) % 7) {
		case 0:
			io(&vm->pio, 0xcf8, &in, 4, true);
			break;
		case 1:
			off = take(&in, 1) % 4;
			io(&vm->pio, 0xcfc + off, &in, len > 4 ? 4 : len, write);
			break;
		case 2:
			off = take(&in, 2) % 0x4100;
			io(&vm->mmio, bus.slot[1 + take(&in, 1) % NDEV]->bar_addr + off, &in, len, write);
			break;
		case 3:
			io(&vm->mmio, PCI_MMIO_BASE + take(&in, 4), &in, len, write);
			break;
		case 4:
			off = take(&in, 3) % (RAM - 8);
			for (int i = 0; i < 8; i++)
				vm->ram.host[off + i] = (uint8_t)take(&in, 1);
			break;
		case 5:
			fuzz_loop_once(&vm->loop);
			break;
		}
	}
	fuzz_loop_once(&vm->loop);
	return 0;
}
