/* fuzz_serial: the 8250/16550A's register file from the guest's side (any
 * register, read or write, any value, DLAB, loopback, FIFO control) mixed
 * with bytes typed at the terminal.  An input is a list of operations:
 * byte b, then b & 7 is the register, b & 0x80 a write (its value next),
 * b & 0x40 with b & 0x08: n typed bytes (n next) instead. */
#include "fuzz.h"
#include "hw/serial.h"

static unsigned room_calls;

static void out(const uint8_t *buf, size_t n)
{
	(void)buf, (void)n;
}

static void on_room(void *opaque)
{
	(void)opaque;
	room_calls++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct serial com1;
	struct vm *vm = fuzz_vm(4096);
	struct input in = { data, size };
	vm->pio.n = 0;                          /* a fresh port each input */
	if (serial_init(&com1, vm, 0x3f8, 4, out) < 0)
		return 0;
	com1.on_room = on_room;
	while (in.n) {
		unsigned b = (unsigned)take(&in, 1);
		uint8_t v = 0;
		if ((b & 0x48) == 0x48) {
			uint8_t typed[64];
			unsigned n = (unsigned)take(&in, 1) % sizeof(typed);
			for (unsigned i = 0; i < n; i++)
				typed[i] = (uint8_t)take(&in, 1);
			serial_input(&com1, typed, n);
			serial_space(&com1);
			continue;
		}
		if (b & 0x80)
			v = (uint8_t)take(&in, 1);
		bus_access(&vm->pio, 0x3f8 + (b & 7), &v, 1, b & 0x80);
	}
	return 0;
}
