/*T:610 How a guest ends
 * A guest leaves in one of three ways.  It writes a byte to the debug-exit
 * port 0xf4 and lguest exits with that byte as its status (our test guests
 * report pass or fail this way; QEMU's isa-debug-exit sits at the same
 * port).  It resets the machine through the keyboard controller's reset line
 * (0xfe to port 0x64), as Linux's `reboot` does, or by a triple fault
 * (vm.c), or it powers off through ACPI's sleep control register (port
 * 0x600, see acpi.c): all end lguest with 0.  Port 0x80, the POST-code port Linux
 * writes for tiny delays, is swallowed here rather than by the bus's
 * unclaimed path, so the I/O benchmark measures a real device exit.
 * And we can ask it to end: `lguest stop` types Ctrl-Alt-Del on the
 * keyboard, as Firecracker does.  The keyboard controller (an i8042: ports
 * 0x60 data, 0x64 status and commands, IRQ 1) answers enough for Linux's
 * i8042 and atkbd drivers: its configuration byte, its self-tests, every byte
 * sent to the keyboard acknowledged (0xfa), the keyboard's ID; no mouse
 * port.  The kernel hears Ctrl-Alt-Del itself: it reboots, or, when init
 * asked for it (systemd, busybox, our /init), signals init, which shuts down. */
#include "platform.h"
#include "../core/irq.h"
#include "../core/vm.h"
#include "../util.h"
#include <pthread.h>

#define CTR_KBDINT 0x01
#define CTR_KBDDIS 0x10

static struct {
	pthread_mutex_t lock;
	struct vm *vm;
	uint8_t ctr, cmd, out[16];  /* cmd: a command that waits for its data byte */
	unsigned head, count;
} kbd = { .lock = PTHREAD_MUTEX_INITIALIZER, .ctr = 0x65 };   /* translated, no mouse, interrupt */

/* A byte waits in the output buffer: an edge on IRQ 1. */
static void kbd_irq(void)
{
	if (kbd.count && (kbd.ctr & (CTR_KBDINT | CTR_KBDDIS)) == CTR_KBDINT) {
		irq_line(kbd.vm, 1, 1);
		irq_line(kbd.vm, 1, 0);
	}
}

static void kbd_push(const uint8_t *b, unsigned n)
{
	bool was_empty = !kbd.count;
	for (unsigned i = 0; i < n && kbd.count < sizeof(kbd.out); i++)
		kbd.out[(kbd.head + kbd.count++) % sizeof(kbd.out)] = b[i];
	if (was_empty)
		kbd_irq();
}

static void debug_exit(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	(void)offset, (void)len;
	if (is_write)
		vm_end(opaque, data[0]);
	else
		data[0] = 0xff;
}

/* Commands to 0x64; data to 0x60 is the parameter of one (0x60: the
 * configuration byte; 0xd2, 0xd3: echo it, so a mouse test fails at once),
 * or for the keyboard: acknowledged, with its ID after 0xf2, its self-test
 * after 0xff. */
static void i8042(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	static const uint8_t ack = 0xfa, id[] = { 0xfa, 0xab, 0x83 }, bat[] = { 0xfa, 0xaa }, test[] = { 0x55, 0 };
	(void)opaque, (void)len;
	pthread_mutex_lock(&kbd.lock);
	uint8_t v = data[0], cmd = kbd.cmd;
	if (is_write && offset == 4) {
		kbd.cmd = v == 0x60 || v == 0xd2 || v == 0xd3 ? v : 0;
		if (v == 0x20 || v == 0xaa || v == 0xab)          /* read the configuration, self-tests */
			kbd_push(v == 0x20 ? &kbd.ctr : &test[v - 0xaa], 1);
		if (v == 0xad || v == 0xae)
			kbd.ctr = v == 0xad ? kbd.ctr | CTR_KBDDIS : (kbd.ctr & ~CTR_KBDDIS);
		if (v == 0xfe)
			vm_end(kbd.vm, LG_EXIT_RESET);      /* pulse the CPU reset line */
	} else if (is_write && offset == 0) {
		kbd.cmd = 0;
		if (cmd == 0x60)
			kbd.ctr = v;
		else if (cmd)
			kbd_push(&v, 1);
		else
			kbd_push(v == 0xf2 ? id : v == 0xff ? bat : &ack, v == 0xf2 ? 3 : v == 0xff ? 2 : 1);
		if (cmd == 0x60)
			kbd_irq();                  /* interrupts on, a byte waiting */
	} else if (!is_write) {
		data[0] = offset == 4 ? 0x14 | (kbd.count > 0) : 0;     /* system flag, not inhibited, OBF */
		if (offset == 0 && kbd.count) {
			data[0] = kbd.out[kbd.head];
			kbd.head = (kbd.head + 1) % sizeof(kbd.out);
			kbd.count--;
			kbd_irq();
		}
	}
	pthread_mutex_unlock(&kbd.lock);
}

void platform_ctrl_alt_del(void)
{
	static const uint8_t keys[] = { 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d };   /* make, break */
	pthread_mutex_lock(&kbd.lock);
	kbd_push(keys, sizeof(keys));
	pthread_mutex_unlock(&kbd.lock);
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
	kbd.vm = vm;
	if (bus_register(&vm->pio, DEBUG_EXIT_PORT, 1, debug_exit, vm) < 0 ||
	    bus_register(&vm->pio, 0x60, 5, i8042, vm) < 0 ||
	    bus_register(&vm->pio, 0x80, 1, post_code, vm) < 0 ||
	    bus_register(&vm->pio, ACPI_SLEEP_PORT, 2, acpi_sleep, vm) < 0)
		return -1;
	return 0;
}
