/*T:610 How a guest ends
 * A guest leaves in one of three ways.  It writes a byte to the debug-exit
 * port 0xf4 and lguest exits with that byte as its status (our test guests
 * report pass or fail this way; QEMU's isa-debug-exit sits at the same
 * port).  It resets the machine through the keyboard controller's reset line
 * (0xfe to port 0x64), as Linux's `reboot` does, or by a triple fault
 * (vm.c), or it powers off through ACPI's sleep control register (port
 * 0x600, see acpi.c): all end lguest with 0.  Port 0x80, the POST-code port Linux
 * writes for tiny delays, is swallowed here rather than by the bus's
 * unclaimed path, so the I/O benchmark measures a real device exit. */
#include "platform.h"
#include "../core/vm.h"
#include "../util.h"

static void debug_exit(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	(void)offset, (void)len;
	if (is_write)
		vm_end(opaque, data[0]);
	else
		data[0] = 0xff;
}

static void i8042(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	(void)len;
	if (is_write && offset == 4 && data[0] == 0xfe)
		vm_end(opaque, LG_EXIT_RESET); /* pulse the CPU reset line */
	else if (!is_write)
		data[0] = 0;                    /* no data, ready for commands */
}

/* The FADT's sleep control register: SLP_EN with sleep type 5 (\_S5) is
 * "soft off". */
static void acpi_sleep(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	(void)len;
	if (is_write && offset == 0 && (data[0] & 0x20) && ((data[0] >> 2) & 7) == 5)
		vm_end(opaque, LG_EXIT_OK);
	else if (!is_write)
		data[0] = 0;
}

static void post_code(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	(void)opaque, (void)offset;
	if (!is_write)
		for (unsigned i = 0; i < len; i++)
			data[i] = 0xff;
}

int platform_init(struct vm *vm)
{
	if (bus_register(&vm->pio, DEBUG_EXIT_PORT, 1, debug_exit, vm) < 0 ||
	    bus_register(&vm->pio, 0x60, 5, i8042, vm) < 0 ||
	    bus_register(&vm->pio, 0x80, 1, post_code, vm) < 0 ||
	    bus_register(&vm->pio, ACPI_SLEEP_PORT, 2, acpi_sleep, vm) < 0)
		return -1;
	return 0;
}
