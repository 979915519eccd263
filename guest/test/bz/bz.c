/*T:950 A bzImage test guest
 * To prove the bzImage path without waiting minutes for Linux, this guest
 * is wrapped in a real boot-protocol header (mkbzimage.py) and started
 * exactly as Linux would be.  It reads back what the loader put in the zero
 * page (command line, e820 map, initrd) and prints it for the test to
 * check, then exits through the debug-exit port with status=N. */
#include <stdint.h>

static inline void outb(uint8_t v, uint16_t port)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc_(char c)
{
	while (!(inb(0x3fd) & 0x20))
		;
	outb((uint8_t)c, 0x3f8);
}
static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}
static void putu(uint64_t v)
{
	char b[21];
	int i = 20;
	b[i] = 0;
	do
		b[--i] = (char)('0' + v % 10);
	while (v /= 10);
	puts_(b + i);
}
static void kv(const char *k, uint64_t v)
{
	puts_(k);
	putc_('=');
	putu(v);
	putc_('\n');
}

/* status=N from the command line, else 0. */
static int status_arg(const char *s)
{
	for (const char *w = s; *w; w++) {
		if ((w != s && w[-1] != ' ') || w[0] != 's' || w[1] != 't' || w[2] != 'a' ||
		    w[3] != 't' || w[4] != 'u' || w[5] != 's' || w[6] != '=')
			continue;
		int v = 0;
		for (const char *p = w + 7; *p >= '0' && *p <= '9'; p++)
			v = v * 10 + (*p - '0');
		return v;
	}
	return 0;
}

void bz_main(const uint8_t *zp)
{
	uint32_t cmd = *(const uint32_t *)(zp + 0x228);
	uint32_t rd = *(const uint32_t *)(zp + 0x218), rd_size = *(const uint32_t *)(zp + 0x21c);
	uint8_t n = zp[0x1e8];
	uint64_t ram = 0, sum = 0;
	puts_("bzimage: cmdline=");
	puts_((const char *)(uintptr_t)cmd);
	putc_('\n');
	for (int i = 0; i < n; i++) {
		const uint8_t *e = zp + 0x2d0 + 20 * i;
		if (*(const uint32_t *)(e + 16) == 1)
			ram += *(const uint64_t *)(e + 8);
	}
	kv("bzimage: e820_entries", n);
	kv("bzimage: ram_bytes", ram);
	kv("bzimage: loader", zp[0x210]);
	for (uint32_t i = 0; i < rd_size; i++)
		sum += ((const uint8_t *)(uintptr_t)rd)[i];
	kv("bzimage: initrd_size", rd_size);
	kv("bzimage: initrd_sum", sum);
	kv("bzimage: initrd_aligned", rd % 4096 == 0);
	kv("bzimage: initrd_end", (uint64_t)rd + rd_size);
	outb((uint8_t)status_arg((const char *)(uintptr_t)cmd), 0xf4);
}
