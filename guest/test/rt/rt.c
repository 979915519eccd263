/*T:920 Runtime basics: console, exit, command line, memory map
 * The console is the COM1 8250 UART, driven by polling (wait for LSR bit 5
 * "transmit holding register empty", then write THR), so no interrupts are
 * needed.  A guest ends by writing its status byte to port 0xf4, which lguest
 * turns into its own exit status (QEMU's isa-debug-exit gives (status<<1)|1).
 * rt_start() is the first C code: it sets up the CPU tables and calls main().
 * Everything here also works at ring 3 because guests run with IOPL 3.
 */
#include "rt.h"

#define COM1 0x3f8
#define EXIT_PORT 0xf4

struct hvm_start_info *rt_start_info;

void rt_cpu_init(void);		/* cpu.c */

void *memcpy(void *d, const void *s, size_t n)
{
	u8 *dp = d;
	const u8 *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memset(void *d, int c, size_t n)
{
	u8 *dp = d;
	while (n--)
		*dp++ = (u8)c;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

void rt_putc(char c)
{
	if (c == '\n')
		rt_putc('\r');
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb((u8)c, COM1);
}

void rt_puts(const char *s)
{
	while (*s)
		rt_putc(*s++);
}

static void put_num(u64 v, unsigned base, int neg)
{
	char buf[24];
	int i = 0;
	do {
		buf[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		rt_putc('-');
	while (i)
		rt_putc(buf[--i]);
}

/* A minimal printf: %s %c %d %u %x %p %%, with an optional 'l'/'ll'. */
void rt_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			rt_putc(*fmt);
			continue;
		}
		int lng = 0;
		while (*++fmt == 'l')
			lng = 1;
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			rt_puts(s ? s : "(null)");
			break;
		}
		case 'c':
			rt_putc((char)va_arg(ap, int));
			break;
		case 'd': {
			long v = lng ? va_arg(ap, long) : va_arg(ap, int);
			put_num(v < 0 ? -(u64)v : (u64)v, 10, v < 0);
			break;
		}
		case 'u':
			put_num(lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, 0);
			break;
		case 'x':
			put_num(lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, 0);
			break;
		case 'p':
			rt_puts("0x");
			put_num((u64)va_arg(ap, void *), 16, 0);
			break;
		case '%':
			rt_putc('%');
			break;
		case 0:
			return;
		default:
			rt_putc('%');
			rt_putc(*fmt);
		}
	}
}

void rt_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
}

void rt_exit(int status)
{
	if (rt_arg("hold", 0))		/* stay, for lguest stat to look at */
		rt_printf("hold: status=%d\n", status);
	else
		outb((u8)status, EXIT_PORT);
	/* Not stopped (e.g. QEMU without isa-debug-exit): spin.  hlt would
	 * #GP at ring 3, so we only use it at ring 0. */
	for (;;)
		if ((read_cs() & 3) == 0)
			__asm__ volatile("cli; hlt");
}

/* --- command line: space-separated key=value words --- */
const char *rt_cmdline(void)
{
	if (rt_start_info && rt_start_info->cmdline_paddr)
		return (const char *)rt_start_info->cmdline_paddr;
	return "";
}

/* Returns a pointer to the value of key, or NULL. */
static const char *arg_find(const char *key)
{
	const char *p = rt_cmdline();
	size_t klen = 0;
	while (key[klen])
		klen++;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!memcmp(p, key, klen) && p[klen] == '=')
			return p + klen + 1;
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

const char *rt_arg_str(const char *key)
{
	return arg_find(key);
}

u64 rt_arg(const char *key, u64 dflt)
{
	const char *p = arg_find(key);
	u64 v = 0;
	unsigned base = 10;
	if (!p || !*p || *p == ' ')
		return dflt;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		v = v * base + d;
	}
	return v;
}

int rt_arg_is(const char *key, const char *val)
{
	const char *p = arg_find(key);
	if (!p)
		return 0;
	while (*val && *p == *val)
		p++, val++;
	return !*val && (*p == 0 || *p == ' ');
}

int rt_memmap(const struct hvm_memmap_entry **map)
{
	if (!rt_start_info || rt_start_info->version < 1 || !rt_start_info->memmap_paddr)
		return 0;
	*map = (const struct hvm_memmap_entry *)rt_start_info->memmap_paddr;
	return (int)rt_start_info->memmap_entries;
}

/* Called from entry.S on the boot stack, in long mode, interrupts off. */
__attribute__((noreturn)) void rt_start(u64 start_info);
void rt_start(u64 start_info)
{
	rt_start_info = (struct hvm_start_info *)start_info;
	rt_cpu_init();
	if (!rt_start_info || rt_start_info->magic != HVM_START_MAGIC) {
		rt_printf("bad hvm_start_info at %p\n", (void *)rt_start_info);
		rt_start_info = NULL;
	}
	rt_exit(main());
}
