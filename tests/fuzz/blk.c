/* fuzz_blk: virtio-blk requests, from the chain in guest RAM to the
 * io_uring submission, on a 1 MiB disk (a memfd).  A driver sets the
 * device up as Linux does (features and queue size from the input); the
 * input then fills guest RAM from 0x1000 (descriptor table at 0x1000,
 * avail ring at 0x2000, used ring at 0x3000, headers and data anywhere in
 * the 256 KiB), sets avail.idx and kicks up to four times.  The device is
 * reset at the start of every input, which waits out whatever was in
 * flight.  Input: queue size (2), features (1), avail.idx (2), RAM. */
#include "fuzz.h"
#include "hw/pci.h"
#include "virtio/devices.h"
#include "virtio/virtio.h"
#include <stdlib.h>

#define RAM (256u << 10)
#define DISK (1u << 20)

static struct pci_bus bus;

static void w(struct vm *vm, uint64_t off, uint64_t v, unsigned len)
{
	uint8_t data[8];
	memcpy(data, &v, 8);
	bus_access(&vm->mmio, bus.slot[1]->bar_addr + off, data, len, true);
}

static struct vm *setup(void)
{
	static uint8_t zero[DISK];
	static int fd = -1;
	char path[32];
	struct vm *vm = fuzz_vm(RAM);
	if (bus.vm)
		return vm;
	if (pci_init(&bus, vm) < 0 || blk_add(&bus, vm, fuzz_file(&fd, path, zero, sizeof(zero))) < 0)
		abort();
	bus.slot[1]->cfg[PCI_COMMAND] |= PCI_CMD_MEM;
	return vm;
}

/* Reset, then the spec's start-up (3.1.1), queue 0 at fixed addresses. */
static void driver_init(struct vm *vm, uint16_t qsize, uint8_t features)
{
	w(vm, 0x14, 0, 1);
	w(vm, 0x14, 1, 1), w(vm, 0x14, 3, 1);
	w(vm, 0x08, 0, 4), w(vm, 0x0c, (uint64_t)(features & 3) << 28 | 1 << 9 | 1 << 13 | 1 << 14, 4);
	w(vm, 0x08, 1, 4), w(vm, 0x0c, 1, 4);                     /* VERSION_1 */
	w(vm, 0x14, 0xb, 1);                                      /* FEATURES_OK */
	w(vm, 0x16, 0, 2), w(vm, 0x18, qsize, 2);
	w(vm, 0x20, 0x1000, 8), w(vm, 0x28, 0x2000, 8), w(vm, 0x30, 0x3000, 8);
	w(vm, 0x1c, 1, 2);
	w(vm, 0x14, 0xf, 1);                                      /* DRIVER_OK */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm *vm = setup();
	struct input in = { data, size };
	uint16_t qsize = (uint16_t)take(&in, 2);
	uint8_t features = (uint8_t)take(&in, 1);
	uint16_t avail_idx = (uint16_t)take(&in, 2);
	memset(vm->ram.host, 0, RAM);
	driver_init(vm, qsize, features);
	fuzz_loop_drain(&vm->loop);
	memcpy(vm->ram.host + 0x1000, in.p, in.n < RAM - 0x1000 ? in.n : RAM - 0x1000);
	memcpy(vm->ram.host + 0x2002, &avail_idx, 2);
	for (int k = 0; k < 4; k++) {
		w(vm, 0x3000, 0, 2);                              /* notify queue 0 */
		fuzz_loop_once(&vm->loop);
	}
	return 0;
}
