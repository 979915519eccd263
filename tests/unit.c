/* Unit tests for the pure parts of lguest: number parsing, the option
 * parser, the checked accessor, the bus, e820, initrd placement, the boot
 * header checks and zero page, the MP table.  Prints one line per failed
 * check and a closing "unit: N passed, N failed". */
#include "boot/boot.h"
#include "config.h"
#include "guest.h"
#include "core/bus.h"
#include "core/memory.h"
#include "core/vm.h"
#include "hw/rtc.h"
#include "virtio/virtqueue.h"
#include "net/frame.h"
#include "net/net.h"
#include "util.h"
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;
#define CHECK(cond) check((cond), #cond, __LINE__)
static void check(int ok, const char *what, int line)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL unit.c:%d: %s\n", line, what);
}

static uint64_t size_of(const char *s)
{
	uint64_t v = 12345;
	return parse_size(s, &v) < 0 ? (uint64_t)-1 : v;
}

static void test_parse_size(void)
{
	CHECK(size_of("256M") == 256ULL << 20);
	CHECK(size_of("1G") == 1ULL << 30);
	CHECK(size_of("1g") == 1ULL << 30);
	CHECK(size_of("64k") == 64ULL << 10);
	CHECK(size_of("4096") == 4096);
	CHECK(size_of("2MiB") == 2ULL << 20);
	CHECK(size_of("2MB") == 2ULL << 20);
	CHECK(size_of("1T") == 1ULL << 40);
	CHECK(size_of("0") == 0);
	CHECK(size_of("") == (uint64_t)-1);
	CHECK(size_of("M") == (uint64_t)-1);
	CHECK(size_of("12X") == (uint64_t)-1);
	CHECK(size_of("1G1") == (uint64_t)-1);
	CHECK(size_of("1Mx") == (uint64_t)-1);
	CHECK(size_of("-1") == (uint64_t)-1);
	CHECK(size_of("99999999999999999999") == (uint64_t)-1);
	CHECK(size_of("17179869184G") == (uint64_t)-1);       /* 2^34 G = 2^64 */
	CHECK(size_of("17179869183G") == 17179869183ULL << 30);
	uint64_t v;
	CHECK(parse_uint("64", 1, 64, &v) == 0 && v == 64);
	CHECK(parse_uint("65", 1, 64, &v) < 0);
	CHECK(parse_uint("0", 1, 64, &v) < 0);
	CHECK(parse_uint("1x", 1, 64, &v) < 0);
	CHECK(parse_uint("", 1, 64, &v) < 0);
}

static int parse(struct lg_config *c, const char *const *args)
{
	char *argv[32];
	int n = 0;
	static char store[16384];                            /* writable, as argv is */
	size_t used = 0;
	while (args[n] && used + strlen(args[n]) < sizeof(store)) {
		argv[n] = strcpy(store + used, args[n]);
		used += strlen(args[n]) + 1;
		n++;
	}
	argv[n] = NULL;
	return config_parse(c, n, argv);
}

static void test_config(void)
{
	struct lg_config c;
	CHECK(parse(&c, (const char *[]){ "run", "k", NULL }) == 0);
	CHECK(c.mem_bytes == 256ULL << 20 && c.cpus == 1 && !strcmp(c.kernel, "k"));
	CHECK(!strcmp(c.cmdline, "console=ttyS0"));
	CHECK(parse(&c, (const char *[]){ "run", "-m", "1G", "-c", "4", "--initrd", "i", "-a", "x=1", "k", NULL }) == 0);
	CHECK(c.mem_bytes == 1ULL << 30 && c.cpus == 4 && !strcmp(c.initrd, "i") && !strcmp(c.cmdline, "x=1"));
	CHECK(parse(&c, (const char *[]){ "run", "-a", "q", "k", "--", "echo", "hi", NULL }) == 0);
	CHECK(c.guest_argc == 2 && !strcmp(c.cmdline, "q -- echo hi"));
	CHECK(parse(&c, (const char *[]){ "run", "-h", NULL }) == 1);
	CHECK(parse(&c, (const char *[]){ "run", "-c", "0", "k", NULL }) < 0);
	CHECK(strstr(lg_error, "-c 0") != NULL);
	CHECK(parse(&c, (const char *[]){ "run", "-c", "65", "k", NULL }) < 0);
	CHECK(parse(&c, (const char *[]){ "run", "-m", "0", "k", NULL }) < 0);
	CHECK(parse(&c, (const char *[]){ "run", "-m", "lots", "k", NULL }) < 0);
	CHECK(parse(&c, (const char *[]){ "run", "--bogus", "k", NULL }) < 0);
	CHECK(strstr(lg_error, "--bogus") != NULL);
	CHECK(parse(&c, (const char *[]){ "run", "-m", NULL }) < 0);
	CHECK(strstr(lg_error, "needs a value") != NULL);
	CHECK(parse(&c, (const char *[]){ "run", NULL }) == 0 && !c.kernel);   /* the default guest */
	CHECK(parse(&c, (const char *[]){ "run", "-q", "--", "echo", "a b", NULL }) == 0 && !c.kernel && c.quiet);
	CHECK(c.guest_argc == 2 && !strcmp(c.guest_argv[1], "a b"));
	CHECK(parse(&c, (const char *[]){ "run", "--", NULL }) < 0 && strstr(lg_error, "needs a command"));
	char enc[256];
	CHECK(guest_cmd_base64((char *[]){ "echo", "a b", "it's" }, 3, enc, sizeof(enc)) == 0);
	CHECK(!strcmp(enc, "J2VjaG8nICdhIGInICdpdCdcJydzJw=="));       /* 'echo' 'a b' 'it'\''s' */
	CHECK(guest_cmd_base64((char *[]){ "x" }, 1, enc, 4) < 0);
	CHECK(parse(&c, (const char *[]){ "run", "k", "extra", NULL }) < 0);
	/* what a wrong option is called */
	CHECK(parse(&c, (const char *[]){ "run", "-qx", "k", NULL }) < 0 && strstr(lg_error, "unknown option -x "));
	CHECK(parse(&c, (const char *[]){ "run", "--c", "2", "k", NULL }) < 0 &&
	      strstr(lg_error, "--c is ambiguous: --cpus or --console"));
	CHECK(parse(&c, (const char *[]){ "run", "--help=x", NULL }) < 0 && strstr(lg_error, "--help takes no value"));
	CHECK(parse(&c, (const char *[]){ "run", "--quiet=1", "k", NULL }) < 0 && strstr(lg_error, "--quiet takes no value"));
	CHECK(parse(&c, (const char *[]){ "run", "--mem", "64M", "k", NULL }) == 0 && c.mem_bytes == 64 << 20);
	/* -m in whole pages */
	CHECK(parse(&c, (const char *[]){ "run", "-m", "1000001", "k", NULL }) < 0 && strstr(lg_error, "such as 980K"));
	CHECK(parse(&c, (const char *[]){ "run", "-m", "4098K", "k", NULL }) < 0);
	CHECK(parse(&c, (const char *[]){ "run", "-m", "4096K", "k", NULL }) == 0);
	/* --disk: ",," is a comma in the path */
	CHECK(parse(&c, (const char *[]){ "run", "--disk", "a,,b.img,ro,serial=S1", "--disk", "c", "k", NULL }) == 0);
	CHECK(c.ndisks == 2 && !strcmp(c.disks[0].path, "a,b.img") && c.disks[0].ro && !strcmp(c.disks[0].serial, "S1"));
	CHECK(!strcmp(c.disks[1].path, "c") && !c.disks[1].ro && !c.disks[1].serial);
	CHECK(parse(&c, (const char *[]){ "run", "--disk", "x,,", "k", NULL }) == 0 && !strcmp(c.disks[0].path, "x,"));
	CHECK(parse(&c, (const char *[]){ "run", "--disk", "", "k", NULL }) < 0 && strstr(lg_error, "--disk needs a path"));
	CHECK(parse(&c, (const char *[]){ "run", "--disk", ",ro", "k", NULL }) < 0 && strstr(lg_error, "--disk needs a path"));
	CHECK(parse(&c, (const char *[]){ "run", "--disk", "d,rw", "k", NULL }) < 0 && strstr(lg_error, "unknown option 'rw'"));
	CHECK(parse(&c, (const char *[]){ "run", "--disk", "d,serial=123456789012345678901", "k", NULL }) < 0);
	static char big[5000];
	memset(big, 'x', sizeof(big) - 1);
	CHECK(parse(&c, (const char *[]){ "run", "-a", big, "k", NULL }) < 0);
}

static void test_gpa_ptr(void)
{
	struct guest_ram r = { .host = (uint8_t *)0x10000000 };
	ram_layout(&r, 256ULL << 20);
	uint64_t end = 256ULL << 20;
	CHECK(gpa_ptr(&r, 0, 1) == r.host);
	CHECK(gpa_ptr(&r, end - 1, 1) == r.host + end - 1);
	CHECK(gpa_ptr(&r, 0, end) == r.host);
	CHECK(gpa_ptr(&r, 0, end + 1) == NULL);
	CHECK(gpa_ptr(&r, end, 1) == NULL);
	CHECK(gpa_ptr(&r, end - 1, 2) == NULL);
	CHECK(gpa_ptr(&r, UINT64_MAX, 2) == NULL);            /* wraps past 2^64 */
	CHECK(gpa_ptr(&r, UINT64_MAX - 1, 1) == NULL);
	CHECK(gpa_ptr(&r, 1, UINT64_MAX) == NULL);
	CHECK(gpa_ptr(&r, 0x1000, UINT64_MAX - 0xfff) == NULL);
	CHECK(gpa_ptr(&r, LG_HIGH_RAM_BASE, 1) == NULL);      /* no high RAM */

	ram_layout(&r, 4ULL << 30);                           /* 3 GiB low + 1 GiB high */
	CHECK(r.low_size == 3ULL << 30 && r.high_size == 1ULL << 30);
	CHECK(gpa_ptr(&r, (3ULL << 30) - 4, 4) == r.host + (3ULL << 30) - 4);
	CHECK(gpa_ptr(&r, (3ULL << 30) - 4, 8) == NULL);      /* into the hole */
	CHECK(gpa_ptr(&r, 0xFEE00000, 4) == NULL);             /* the LAPIC is not RAM */
	CHECK(gpa_ptr(&r, LG_HIGH_RAM_BASE, 8) == r.host + (3ULL << 30));
	CHECK(gpa_ptr(&r, LG_HIGH_RAM_BASE + (1ULL << 30) - 8, 8) == r.host + (4ULL << 30) - 8);
	CHECK(gpa_ptr(&r, LG_HIGH_RAM_BASE + (1ULL << 30) - 8, 9) == NULL);
	CHECK(gpa_ptr(&r, LG_HIGH_RAM_BASE - 1, 2) == NULL);  /* straddles the hole's end */
	CHECK(gpa_ptr(&r, UINT64_MAX - 7, 8) == NULL);
}

static uint8_t last_data;
static uint64_t last_offset;
static void dev(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	(void)opaque, (void)len;
	last_offset = offset;
	if (is_write)
		last_data = data[0];
	else
		data[0] = 0x42;
}

static void test_bus(void)
{
	static struct bus b;
	uint8_t d[4] = { 7 };
	CHECK(bus_register(&b, 0x3f8, 8, dev, NULL) == 0);
	CHECK(bus_register(&b, 0x3ff, 1, dev, NULL) < 0);     /* overlaps */
	CHECK(bus_register(&b, 0x3f0, 9, dev, NULL) < 0);
	CHECK(bus_register(&b, 0x3f0, 8, dev, NULL) == 0);    /* touching is fine */
	CHECK(bus_register(&b, UINT64_MAX, 2, dev, NULL) < 0); /* wraps */
	CHECK(bus_access(&b, 0x3fd, d, 1, true) && last_data == 7 && last_offset == 5);
	CHECK(bus_access(&b, 0x3f8, d, 1, false) && d[0] == 0x42);
	CHECK(!bus_access(&b, 0x400, d, 4, false) && d[0] == 0xff && d[3] == 0xff);
}

static void test_e820_initrd(void)
{
	struct guest_ram r = { 0 };
	struct e820_entry e[E820_MAX];
	ram_layout(&r, 256ULL << 20);
	int n = e820_build(&r, e, E820_MAX);
	uint64_t ram = 0;
	for (int i = 0; i < n; i++)
		ram += e[i].type == E820_RAM ? e[i].size : 0;
	CHECK(n == 4 && ram == (256ULL << 20) - (0x100000 - BOOT_EBDA));
	CHECK(e[0].addr == 0 && e[3].addr + e[3].size == 256ULL << 20);
	ram_layout(&r, 5ULL << 30);
	n = e820_build(&r, e, E820_MAX);
	CHECK(n == 5 && e[4].addr == LG_HIGH_RAM_BASE && e[4].size == 2ULL << 30);
	CHECK(e820_build(&r, e, 4) < 0);                      /* no room */
	ram_layout(&r, 1ULL << 20);
	CHECK(e820_build(&r, e, E820_MAX) < 0);               /* too small */

	uint64_t a;
	CHECK(initrd_place(0x2000000, 0x10000000, 0x1234, &a) == 0 && a == 0x10000000 - 0x2000);
	CHECK(a % 4096 == 0 && a + 0x1234 <= 0x10000000);
	CHECK(initrd_place(0x2000000, 0x3000000, 0x1000000, &a) == 0 && a == 0x2000000);
	CHECK(initrd_place(0x2000000, 0x3000000, 0x1000001, &a) < 0);
	CHECK(initrd_place(0x3000000, 0x2000000, 1, &a) < 0);
	CHECK(initrd_place(0x2000001, 0x2002000, 0x1001, &a) < 0); /* aligning drops below lo */
}

/* A fake bzImage header: just the fields the checks read. */
static void fake_bz(uint8_t *buf, uint16_t version, uint16_t xlf, uint32_t cmdline_size)
{
	memset(buf, 0, 4096);
	buf[0x1fe] = 0x55;
	buf[0x1ff] = 0xaa;
	memcpy(buf + 0x202, "HdrS", 4);
	memcpy(buf + 0x206, &version, 2);
	memcpy(buf + 0x236, &xlf, 2);
	memcpy(buf + 0x238, &cmdline_size, 4);
	buf[0x201] = 0x6a;                                     /* header ends at 0x26c */
}

static void test_boot_header(void)
{
	static uint8_t buf[4096], zp[4096];
	struct guest_ram r = { .host = calloc(1, 64 << 20) };
	ram_layout(&r, 64ULL << 20);
	fake_bz(buf, 0x020f, 1, 2047);
	CHECK(bz_check(buf, sizeof(buf)) == 0);
	CHECK(bz_check(buf, 0x200) < 0);                       /* too short */
	fake_bz(buf, 0x020b, 1, 2047);
	CHECK(bz_check(buf, sizeof(buf)) < 0 && strstr(lg_error, "2.11"));
	fake_bz(buf, 0x020f, 0, 2047);
	CHECK(bz_check(buf, sizeof(buf)) < 0);                 /* no 64-bit entry */
	fake_bz(buf, 0x020f, 1, 2047);
	memcpy(buf + 0x202, "HdrX", 4);
	CHECK(bz_check(buf, sizeof(buf)) < 0);

	fake_bz(buf, 0x020f, 1, 255);                          /* returns the command line room */
	CHECK(zero_page_build(zp, buf + 0x1f1, 0x26c - 0x1f1, &r) == 256);
	CHECK(zp[0x210] == 0xff);                              /* type_of_loader */
	uint32_t ptr;
	memcpy(&ptr, zp + 0x228, 4);
	CHECK(ptr == BOOT_CMDLINE);
	CHECK(zp[0x1e8] == 4);                                 /* e820 entries */
	fake_bz(buf, 0x0205, 1, 9999);                         /* before 2.06: 255 max */
	CHECK(zero_page_build(zp, buf + 0x1f1, 0x26c - 0x1f1, &r) == 256);
	fake_bz(buf, 0x020f, 1, 9999);                         /* no more than we have room for */
	CHECK(zero_page_build(zp, buf + 0x1f1, 0x26c - 0x1f1, &r) == BOOT_CMDLINE_MAX);
	CHECK(zero_page_build(zp, NULL, 0, &r) == 2048);       /* vmlinux: made up */
	CHECK(zp[0x1fe] == 0x55 && !memcmp(zp + 0x202, "HdrS", 4));
	/* what the kernel takes, and what to shorten */
	struct boot_args a = { .cmdline = "x", .linux_params = "noxsave", .shorten = "the command after --" };
	char line[300] = "noxsave ";
	memset(line + 8, 'x', 250);
	a.cmdline = line + 8;
	CHECK(cmdline_put(&r, &a, line, 256) < 0);
	CHECK(strstr(lg_error, "is 258 bytes (8 of them this host's kvm-pvm parameters); this kernel takes at most 255: shorten the command after --") != NULL);
	line[255] = 0;
	CHECK(cmdline_put(&r, &a, line, 256) == 0 && !memcmp(r.host + BOOT_CMDLINE, line, 256));
	free(r.host);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static void test_mptable(void)
{
	struct guest_ram r = { .host = calloc(1, 2 << 20) };
	ram_layout(&r, 2 << 20);
	CHECK(mptable_write(&r, 4) == 0);
	uint8_t *f = r.host + BOOT_MPTABLE;
	uint32_t ptr;
	memcpy(&ptr, f + 4, 4);
	CHECK(!memcmp(f, "_MP_", 4) && sum(f, 16) == 0);
	uint8_t *h = r.host + ptr;
	uint16_t len, count;
	memcpy(&len, h + 4, 2);
	memcpy(&count, h + 34, 2);
	CHECK(!memcmp(h, "PCMP", 4) && sum(h, len) == 0);
	CHECK(count == 4 + 2 + 1 + 16 + 31 + 2);
	int cpus = 0, bsp = 0;
	for (uint8_t *p = h + 44; p < h + len; p += *p == 0 ? 20 : 8)
		if (*p == 0) {
			cpus++;
			bsp += p[3] & 2 ? 1 : 0;
		}
	CHECK(cpus == 4 && bsp == 1);
	CHECK(mptable_write(&r, 64) == 0);
	free(r.host);
}

/* PkgLength at p: the length it encodes (counting itself). */
static size_t pkglength(const uint8_t *p)
{
	int extra = p[0] >> 6;
	size_t len = extra ? p[0] & 0xf : p[0] & 0x3f;
	for (int i = 1; i <= extra; i++)
		len |= (size_t)p[i] << (4 + 8 * (i - 1));
	return len;
}

static void test_dsdt(const uint8_t *t)
{
	uint32_t len;
	memcpy(&len, t + 4, 4);
	CHECK(len > 36 && len < BOOT_ACPI_SIZE && sum(t, len) == 0);
	/* COM1, RTC_, KBD_ and PCI0 are devices whose lengths are right: each
	 * ends where the next starts, PCI0, the last object, where the table does. */
	const uint8_t *com1 = memmem(t, len, "COM1", 4), *rtc = memmem(t, len, "RTC_", 4);
	const uint8_t *kbd = memmem(t, len, "KBD_", 4), *pci0 = memmem(t, len, "PCI0", 4);
	CHECK(com1 && rtc && kbd && pci0 && com1 < rtc && rtc < kbd && kbd < pci0);
	if (!com1 || !rtc || !kbd || !pci0)
		return;
	const uint8_t *c = com1 - 1, *r = rtc - 1, *k = kbd - 1, *p = pci0 - 2;   /* PkgLength: 1, 1, 1, 2 bytes */
	CHECK(c[-2] == 0x5b && c[-1] == 0x82 && r[-2] == 0x5b && r[-1] == 0x82 && p[-2] == 0x5b && p[-1] == 0x82);
	CHECK(k[-2] == 0x5b && k[-1] == 0x82 && memmem(t, len, "\x41\xd0\x03\x03", 4));    /* PNP0303 */
	CHECK(c + pkglength(c) == r - 2 && r + pkglength(r) == k - 2 && k + pkglength(k) == p - 2 &&
	      p + pkglength(p) == t + len);
	CHECK(memmem(t, len, "_PRT", 4) && memmem(t, len, "\x41\xd0\x0a\x03", 4));  /* PNP0A03 */
	/* Too little room: the length says so, nothing written past it. */
	uint8_t small[64];
	memset(small, 0xee, sizeof(small));
	CHECK(dsdt_body(small, 32) > 32 && small[32] == 0xee && small[63] == 0xee);
}

static void test_rtc(void)
{
	struct rtc r = { .index = 0 };
	time_t now = time(NULL);
	struct tm t;
	gmtime_r(&now, &t);
	uint8_t y = rtc_read(&r, 9), c = rtc_read(&r, 0x32);
	CHECK(!(rtc_read(&r, 10) & 0x80));                /* no update in progress */
	CHECK(rtc_read(&r, 11) == 0x02 && rtc_read(&r, 13) == 0x80);
	CHECK((y >> 4) * 10 + (y & 15) == t.tm_year % 100 && (c >> 4) * 10 + (c & 15) == (t.tm_year + 1900) / 100);
	uint8_t m = rtc_read(&r, 8), s = rtc_read(&r, 0);
	CHECK((m >> 4) * 10 + (m & 15) == t.tm_mon + 1 && (s & 15) < 10 && (s >> 4) < 6);
	r.cmos[0x40] = 0x5a;
	CHECK(rtc_read(&r, 0x40) == 0x5a && rtc_read(&r, 0xc0) == 0x5a);  /* index is 7 bits */
}

static void test_acpi(void)
{
	struct guest_ram r = { .host = calloc(1, 2 << 20) };
	ram_layout(&r, 2 << 20);
	CHECK(acpi_write(&r, 8) == 0);
	uint8_t *rsdp = r.host + BOOT_ACPI;
	CHECK(!memcmp(rsdp, "RSD PTR ", 8) && sum(rsdp, 20) == 0 && sum(rsdp, 36) == 0);
	uint64_t xsdt_a;
	memcpy(&xsdt_a, rsdp + 24, 8);
	uint8_t *xsdt = r.host + xsdt_a;
	uint32_t len;
	memcpy(&len, xsdt + 4, 4);
	CHECK(!memcmp(xsdt, "XSDT", 4) && sum(xsdt, len) == 0 && len == 36 + 16);
	int seen = 0;
	for (int i = 0; i < 2; i++) {
		uint64_t a;
		memcpy(&a, xsdt + 36 + 8 * i, 8);
		uint8_t *t = r.host + a;
		memcpy(&len, t + 4, 4);
		CHECK(a > BOOT_ACPI && a + len <= BOOT_ACPI + BOOT_ACPI_SIZE && sum(t, len) == 0);
		if (!memcmp(t, "FACP", 4)) {
			uint64_t dsdt;
			uint32_t flags;
			memcpy(&dsdt, t + 140, 8);
			memcpy(&flags, t + 112, 4);
			CHECK(len == 276 && (flags & (1u << 20)) && t[244] == 1 && t[248] == 0x00 && t[249] == 0x06);
			CHECK(!memcmp(r.host + dsdt, "DSDT", 4) && !memcmp(r.host + dsdt + 37, "_S5_", 4));
			test_dsdt(r.host + dsdt);
			seen |= 1;
		}
		if (!memcmp(t, "APIC", 4)) {
			int cpus = 0;
			for (uint8_t *e = t + 44; e < t + len; e += e[1])
				cpus += e[0] == 0;
			CHECK(cpus == 8);
			seen |= 2;
		}
	}
	CHECK(seen == 3);
	CHECK(acpi_write(&r, 64) == 0);                  /* the most vCPUs still fit */
	free(r.host);
}

/* A queue of 8 in a fake 1 MiB guest: desc at 0x1000, avail 0x2000, used 0x3000. */
struct ring { uint64_t addr; uint32_t len; uint16_t flags, next; };
static struct guest_ram vq_ram;
static struct virtqueue vq;
static struct ring *desc(void) { return (struct ring *)(vq_ram.host + 0x1000); }
static uint16_t *avail(void) { return (uint16_t *)(vq_ram.host + 0x2000); }
static uint16_t *used16(void) { return (uint16_t *)(vq_ram.host + 0x3000); }

static void vq_setup(void)
{
	memset(vq_ram.host, 0, 1 << 20);
	vq_reset(&vq);
	vq.size = 8;
	vq.desc_gpa = 0x1000, vq.avail_gpa = 0x2000, vq.used_gpa = 0x3000;
	vq.indirect = true;
	CHECK(vq_start(&vq, &vq_ram, 256) == 0);
}

static void offer(uint16_t head)
{
	uint16_t *a = avail();
	a[2 + a[1] % 8] = head;
	a[1]++;
}

static int pop(struct vq_chain *c, uint16_t head)
{
	offer(head);
	return vq_pop(&vq, c);
}

static void test_virtqueue(void)
{
	static struct vq_chain c;
	vq_ram.host = calloc(1, 1 << 20);
	ram_layout(&vq_ram, 1 << 20);
	vq_reset(&vq);                                               /* never started */
	CHECK(vq_pop(&vq, &c) == VQ_EMPTY && !vq_should_notify(&vq, 0));
	vq_setup();
	struct ring *d = desc();
	/* header (read), data (write), status (write) */
	d[0] = (struct ring){ 0x10000, 16, 1, 1 };
	d[1] = (struct ring){ 0x11000, 512, 3, 2 };
	d[2] = (struct ring){ 0x12000, 1, 2, 0 };
	CHECK(vq_pop(&vq, &c) == VQ_EMPTY);
	CHECK(pop(&c, 0) == VQ_CHAIN && c.nout == 1 && c.nin == 2 && c.bytes == 529);
	CHECK(c.iov[0].iov_base == vq_ram.host + 0x10000 && c.iov[2].iov_len == 1);
	vq_push(&vq, c.head, 513);
	CHECK(used16()[1] == 1 && *(uint32_t *)(vq_ram.host + 0x3004) == 0 && *(uint32_t *)(vq_ram.host + 0x3008) == 513);
	/* each rule, then a good chain still works */
	d[3] = (struct ring){ 0xff000, 0x2000, 0, 0 };                 /* past the end of RAM */
	CHECK(pop(&c, 3) == VQ_BAD_CHAIN && c.head == 3);
	d[3] = (struct ring){ UINT64_MAX - 8, 64, 0, 0 };            /* wraps past 2^64 */
	CHECK(pop(&c, 3) == VQ_BAD_CHAIN);
	d[3] = (struct ring){ 0x10000, 16, 1, 8 };                   /* next out of range */
	CHECK(pop(&c, 3) == VQ_BAD_CHAIN);
	d[3] = (struct ring){ 0x10000, 16, 1, 4 };                   /* 3 -> 4 -> 3 ... */
	d[4] = (struct ring){ 0x10000, 16, 1, 3 };
	CHECK(pop(&c, 3) == VQ_BAD_CHAIN);
	d[3] = (struct ring){ 0x10000, 16, 3, 4 };                   /* readable after writable */
	d[4] = (struct ring){ 0x10000, 16, 0, 0 };
	CHECK(pop(&c, 3) == VQ_BAD_CHAIN);
	struct ring *ind = (struct ring *)(vq_ram.host + 0x20000);
	ind[0] = (struct ring){ 0x10000, 16, 1, 1 };
	ind[1] = (struct ring){ 0x12000, 1, 2, 0 };
	d[5] = (struct ring){ 0x20000, 32, 4, 0 };                   /* indirect: fine */
	CHECK(pop(&c, 5) == VQ_CHAIN && c.nout == 1 && c.nin == 1);
	d[5] = (struct ring){ 0x20000, 24, 4, 0 };                   /* not a multiple of 16 */
	CHECK(pop(&c, 5) == VQ_BAD_CHAIN);
	d[5] = (struct ring){ 0x20000, 0, 4, 0 };                    /* empty table */
	CHECK(pop(&c, 5) == VQ_BAD_CHAIN);
	ind[1] = (struct ring){ 0x20000, 32, 4, 0 };                 /* indirect in indirect */
	d[5] = (struct ring){ 0x20000, 32, 4, 0 };
	CHECK(pop(&c, 5) == VQ_BAD_CHAIN);
	d[5] = (struct ring){ 0x20000, 32, 4 | 1, 6 };               /* indirect with NEXT */
	CHECK(pop(&c, 5) == VQ_BAD_CHAIN);
	vq.indirect = false;                                         /* not negotiated */
	ind[1] = (struct ring){ 0x12000, 1, 2, 0 };
	d[5] = (struct ring){ 0x20000, 32, 4, 0 };
	CHECK(pop(&c, 5) == VQ_BAD_CHAIN);
	vq.indirect = true;
	CHECK(pop(&c, 0) == VQ_CHAIN && c.bytes == 529);             /* still serving */
	CHECK(pop(&c, 9) == VQ_BROKEN);                              /* head out of range */
	vq_setup();
	avail()[1] = 9;                                              /* 9 ahead of a queue of 8 */
	CHECK(vq_pop(&vq, &c) == VQ_BROKEN);
	/* ring checks at enable time */
	vq.size = 6;
	CHECK(vq_start(&vq, &vq_ram, 256) < 0);                      /* not a power of 2 */
	vq.size = 0;
	CHECK(vq_start(&vq, &vq_ram, 256) < 0);
	vq.size = 512;
	CHECK(vq_start(&vq, &vq_ram, 256) < 0);
	vq.size = 8, vq.desc_gpa = 0x1008;
	CHECK(vq_start(&vq, &vq_ram, 256) < 0);                      /* unaligned */
	vq.desc_gpa = (1 << 20) - 64;
	CHECK(vq_start(&vq, &vq_ram, 256) < 0);                      /* past the end */
	/* interrupts: flags without EVENT_IDX, used_event with it */
	vq_setup();
	d[0] = (struct ring){ 0x10000, 16, 0, 0 };
	uint16_t old = vq.used_idx;
	pop(&c, 0);
	vq_push(&vq, 0, 0);
	CHECK(vq_should_notify(&vq, old));
	avail()[0] = 1;                                              /* NO_INTERRUPT */
	CHECK(!vq_should_notify(&vq, old));
	vq_setup();
	vq.event_idx = true;
	avail()[2 + 8] = 1;                                          /* used_event: after the 2nd */
	old = vq.used_idx;
	pop(&c, 0);
	vq_push(&vq, 0, 0);
	CHECK(!vq_should_notify(&vq, old));
	old = vq.used_idx;
	pop(&c, 0);
	vq_push(&vq, 0, 0);
	CHECK(vq_should_notify(&vq, old));
	/* avail_event: no kick wanted while chains wait; once the queue is found
	 * empty, a kick past what it has seen. */
	CHECK(*(uint16_t *)(vq_ram.host + 0x3004 + 8 * 8) == 0);
	CHECK(vq_pop(&vq, &c) == VQ_EMPTY && *(uint16_t *)(vq_ram.host + 0x3004 + 8 * 8) == 2);
	/* A turn's budget: small chains, VQ_TURN / VQ_CHAIN_COST of them ... */
	vq_setup();
	int n = 0;
	for (; n < 1000; n++) {
		offer(0);
		if (vq_pop(&vq, &c) != VQ_CHAIN)
			break;
	}
	CHECK(n == VQ_TURN / (VQ_CHAIN_COST + 16) + 1 && vq.more);
	vq_turn(&vq);
	CHECK(vq_pop(&vq, &c) == VQ_CHAIN && !vq.more);              /* the next turn goes on */
	/* ... or one chain of 6 GiB (its length counted in 64 bits) */
	ram_layout(&vq_ram, 16ULL << 30);                            /* buffers never touched */
	for (int i = 0; i < 3; i++)
		d[i] = (struct ring){ 0x100000, 0x80000000u, 2 | (i < 2), (uint16_t)(i + 1) };
	vq_turn(&vq);
	CHECK(pop(&c, 0) == VQ_CHAIN && c.bytes == 3 * 0x80000000ULL && vq.budget == 0);
	CHECK(pop(&c, 0) == VQ_EMPTY && vq.more);
	free(vq_ram.host);
}

/* EVENT_IDX from both sides at once: a driver thread publishes chains one
 * or two at a time and kicks only when avail_event asks (the spec's
 * vring_need_event, after a full fence); the device pops until empty, then
 * waits for a kick.  If the driver has decided about everything it
 * published, sent no kick, and chains still wait, a kick was lost. */
static struct { _Atomic unsigned kicks, decided; } race;
#define RACE_ROUNDS 20000

static void *race_driver(void *unused)
{
	uint16_t *a = avail(), *u = used16();
	(void)unused;
	for (uint16_t idx = 0; idx != (uint16_t)RACE_ROUNDS;) {
		while ((uint16_t)(idx - __atomic_load_n(&u[1], __ATOMIC_ACQUIRE)) >= 8)
			sched_yield();          /* the ring is full */
		a[2 + idx % 8] = 0;
		__atomic_store_n(&a[1], ++idx, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		uint16_t event = __atomic_load_n(&u[2 + 4 * 8], __ATOMIC_ACQUIRE);
		if ((uint16_t)(idx - event - 1) < 1)
			race.kicks++;
		race.decided = idx;
	}
	return NULL;
}

static unsigned race_once(void)
{
	static struct vq_chain c;
	pthread_t t;
	unsigned seen = 0, lost = 0;
	memset(vq_ram.host, 0, 1 << 20);
	vq_reset(&vq);
	vq.size = 8, vq.desc_gpa = 0x1000, vq.avail_gpa = 0x2000, vq.used_gpa = 0x3000;
	if (vq_start(&vq, &vq_ram, 256) < 0)
		return 1;
	vq.event_idx = true;
	race.kicks = race.decided = 0;
	desc()[0] = (struct ring){ 0x10000, 16, 0, 0 };
	pthread_create(&t, NULL, race_driver, NULL);
	for (uint16_t served = 0; served != (uint16_t)RACE_ROUNDS;) {
		if (race.kicks == seen && !vq.more) {     /* more: our own kick */
			unsigned decided = race.decided;     /* after its kick, if any */
			uint16_t idx = __atomic_load_n(&avail()[1], __ATOMIC_ACQUIRE);
			if (race.kicks != seen || (uint16_t)decided != idx || idx == vq.last_avail) {
				sched_yield();
				continue;
			}
			lost++;                 /* all decided, no kick, and chains wait */
		}
		seen = race.kicks;
		vq_turn(&vq);
		while (vq_pop(&vq, &c) == VQ_CHAIN) {
			vq_push(&vq, c.head, 0);
			served++;
		}
	}
	pthread_join(t, NULL);
	return lost;
}

/* The race needs both threads on a CPU at once: go on for a second. */
static void test_event_idx_race(void)
{
	struct timespec t0, t;
	unsigned lost = 0, runs = 0;
	vq_ram.host = calloc(1, 1 << 20);
	ram_layout(&vq_ram, 1 << 20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		lost += race_once();
		runs++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!lost && (t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec < 1000000000L);
	CHECK(lost == 0);
	if (lost)
		printf("unit: EVENT_IDX: %u kicks lost in %u rounds\n", lost, runs * RACE_ROUNDS);
	free(vq_ram.host);
}

/* --- frame_deliver: one copy, offloads finished on the way ---------------- */

static uint16_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* 8 receive buffers of 2048 bytes at 0x10000 + 0x1000 * i. */
static void rx_setup(void)
{
	vq_setup();
	vq.event_idx = false;
	for (int i = 0; i < 8; i++) {
		desc()[i] = (struct ring){ 0x10000 + 0x1000 * (uint64_t)i, 2048, 2 /* WRITE */, 0 };
		offer((uint16_t)i);
	}
}

static uint8_t *rx_buf(int used)      /* the buffer of the used-th used entry */
{
	uint32_t id = *(uint32_t *)(vq_ram.host + 0x3004 + 8 * used);
	return vq_ram.host + 0x10000 + 0x1000 * id;
}
static uint32_t rx_len(int used) { return *(uint32_t *)(vq_ram.host + 0x3008 + 8 * used); }

/* A TCP/IPv4 frame of payload bytes behind a virtio-net header. */
static size_t tcp_frame(uint8_t *f, size_t payload, uint8_t hflags, uint8_t gso, uint16_t mss)
{
	memset(f, 0, 12 + 54 + payload);
	f[0] = hflags, f[1] = gso;
	memcpy(f + 4, &mss, 2);
	uint16_t start = 34, off = 16;
	memcpy(f + 6, &start, 2), memcpy(f + 8, &off, 2);
	uint8_t *e = f + 12, *ip = e + 14, *tcp = ip + 20;
	memcpy(e, "\x52\x54\x00\x00\x00\x02\x52\x54\x00\x00\x00\x01\x08\x00", 14);
	ip[0] = 0x45, ip[8] = 64, ip[9] = 6;
	ip[2] = (uint8_t)((40 + payload) >> 8), ip[3] = (uint8_t)(40 + payload);
	memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	tcp[4] = 0x10, tcp[12] = 0x50, tcp[13] = 0x18 | 0x01;      /* seq 0x10000000, ACK PSH FIN */
	for (size_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)(i * 7);
	return 12 + 54 + payload;
}

/* IP header and TCP checksums of a plain frame (at buf + 12) hold. */
static int tcp_ok(const uint8_t *buf, size_t len)
{
	const uint8_t *ip = buf + 12 + 14, *tcp = ip + 20;
	size_t tl = len - 12 - 34;
	uint32_t pseudo = sum16(ip + 12, 8, 0) + 6 + (uint32_t)tl;
	return sum16(ip, 20, 0) == 0xffff && sum16(tcp, tl, pseudo) == 0xffff;
}

static void test_frame(void)
{
	static uint8_t f[12 + 54 + 4000];
	struct net_rx rx = { .vq = &vq };
	vq_ram.host = calloc(1, 1 << 20);
	ram_layout(&vq_ram, 1 << 20);
	/* TSO to a receiver without it: three segments, each whole. */
	rx_setup();
	size_t n = tcp_frame(f, 4000, 1, NET_GSO_TCPV4, 1400);
	CHECK(frame_deliver(&rx, &(struct iovec){ f, n }, 1) == 0);
	CHECK(used16()[1] == 3 && rx.frames == 3);
	for (int i = 0; i < 3; i++) {
		uint8_t *b = rx_buf(i), *ip = b + 26, *tcp = ip + 20;
		size_t seg = i < 2 ? 1400 : 1200;
		CHECK(rx_len(i) == 12 + 54 + seg && b[1] == 0 && b[10] == 1);
		CHECK(((ip[2] << 8) | ip[3]) == 40 + (int)seg && tcp_ok(b, rx_len(i)));
		CHECK(tcp[4] == 0x10 && ((tcp[6] << 8) | tcp[7]) == 1400 * i);
		CHECK((tcp[13] & 0x09) == (i == 2 ? 0x09 : 0));          /* PSH, FIN: the last only */
		CHECK(!memcmp(tcp + 20, f + 12 + 54 + 1400 * i, seg));
	}
	/* The same to a receiver that negotiated TSO: as it is, in one go. */
	rx_setup();
	rx.features = NET_F_GUEST_CSUM | NET_F_GUEST_TSO4 | NET_F_MRG_RXBUF;
	CHECK(frame_deliver(&rx, &(struct iovec){ f, n }, 1) == 0 && used16()[1] == 2);
	CHECK(rx_buf(0)[1] == NET_GSO_TCPV4 && rx_buf(0)[10] == 2 && rx_len(0) + rx_len(1) == n);
	CHECK(!memcmp(rx_buf(1), f + 2048, n - 2048));
	/* NEEDS_CSUM finished for a receiver without GUEST_CSUM. */
	rx_setup();
	rx.features = 0;
	n = tcp_frame(f, 1000, 1, NET_GSO_NONE, 0);
	uint8_t *ip = f + 26;
	uint16_t ph = sum16(ip + 12, 8, 6 + 1020);                   /* as Linux leaves it */
	f[12 + 34 + 16] = (uint8_t)(ph >> 8), f[12 + 34 + 17] = (uint8_t)ph;
	ip[10] = 0, ip[11] = 0;
	uint16_t ipc = (uint16_t)~sum16(ip, 20, 0);
	ip[10] = (uint8_t)(ipc >> 8), ip[11] = (uint8_t)ipc;
	CHECK(frame_deliver(&rx, &(struct iovec){ f, n }, 1) == 0 && rx_buf(0)[0] == 0 && tcp_ok(rx_buf(0), n));
	/* Bad frames fail alone; no room puts the buffers back. */
	f[6] = 0xff, f[7] = 0xff;                                    /* csum_start past the end */
	CHECK(frame_deliver(&rx, &(struct iovec){ f, n }, 1) == -2);
	CHECK(frame_deliver(&rx, &(struct iovec){ f, 20 }, 1) == -2);
	n = tcp_frame(f, 4000, 0, NET_GSO_NONE, 0);                  /* 4 KiB, 2 KiB buffers, no MRG */
	uint16_t before = vq.last_avail;
	CHECK(frame_deliver(&rx, &(struct iovec){ f, n }, 1) == -1 && vq.last_avail == before && rx.drops == 1);
	rx.features = NET_F_MRG_RXBUF;
	CHECK(frame_deliver(&rx, &(struct iovec){ f, n }, 1) == 0 && rx_buf(1)[10] == 2);
	free(vq_ram.host);
}

static void test_net_spec(void)
{
	struct net_spec sp;
	struct net_fwd f[NET_MAX_FWD];
	int r, n;
	CHECK(net_parse("lan=office", &sp) == 0 && sp.kind == NET_LAN && !strcmp(sp.arg, "office") && !sp.mac_given);
	CHECK(net_parse("lan=a,mac=52:54:00:aa:bb:0c", &sp) == 0 && sp.mac_given && sp.mac[4] == 0xbb && sp.mac[5] == 0x0c);
	CHECK(net_parse("tap", &sp) == 0 && sp.kind == NET_TAP && !*sp.arg);
	CHECK(net_parse("tap=tap7,mac=02:00:00:00:00:01", &sp) == 0 && !strcmp(sp.arg, "tap7"));
	CHECK(net_parse("vhost-user=/tmp/x.sock", &sp) == 0 && sp.kind == NET_VHOST);
	CHECK(net_parse("user", &sp) == 0 && sp.kind == NET_USER);
	CHECK(net_parse("user,hostfwd=tcp::2222-:22,restrict,mac=52:54:00:00:00:09", &sp) == 0 &&
	      !strcmp(sp.arg, "hostfwd=tcp::2222-:22,restrict") && sp.mac_given);
	CHECK(net_user_opts(sp.arg, &r, f, &n) == 0 && r == 1 && n == 1 && f[0].hport == 2222 && f[0].gport == 22 && !f[0].udp);
	CHECK(net_user_opts("hostfwd=udp:127.0.0.1:53-10.0.2.15:5353", &r, f, &n) == 0 && f[0].udp &&
	      f[0].host == 0x0100007f && f[0].gport == 5353);
	const char *bad[] = { "lan", "lan=", "lan=a/b", "lan=x,mac=52:54:00:00:00", "lan=x,mac=01:00:00:00:00:01",
		"lan=x,mac=00:00:00:00:00:00", "lan=x,mac=52:54:00:00:00:0g", "lan=x,speed=10", "bridge=br0",
		"user=x", "user,hostfwd=tcp::0-:22", "user,hostfwd=tcp::2222", "user,hostfwd=sctp::1-:2",
		"user,hostfwd=tcp:1.2.3:1-:2", "user,hostfwd=tcp::1-10.0.2.9:2", "vhost-user", "tap,ro",
		"lan=12345678901234567890123456789012345678901234567890123456789012345", "" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (net_parse(bad[i], &sp) == 0)
			CHECK(!"a bad --net was taken"), printf("     --net %s\n", bad[i]);
	CHECK(net_parse("lan=1234567890123456789012345678901234567890123456789012345678901234", &sp) == 0);
}

/* What lguest exits with: the first end wins (a reset after the debug-exit
 * byte or a signal keeps theirs); a reset or Ctrl-A x after a kernel panic
 * seen on the console is 123, whatever came first. */
static void test_end_status(void)
{
	static struct vm vm;
	const char *panic = "[    1.000000] Kernel panic - not syncing: test\n";
	int out = dup(1), err = dup(2), null = open("/dev/null", O_WRONLY);
	dup2(null, 1), dup2(null, 2);                  /* the guest's output, the panic line */
	CHECK(loop_init(&vm.loop) == 0 && guest_watch(&vm, false) == 0);
	vm_end(&vm, 5);                                /* the debug-exit byte, */
	vm_end(&vm, LG_EXIT_RESET);                    /* then a reset */
	CHECK(vm.exit_status == 5 && guest_end_status(vm.exit_status) == 5);
	CHECK(guest_end_status(LG_EXIT_RESET) == LG_EXIT_OK);
	CHECK(guest_end_status(128 + 15) == 143);
	guest_output((const uint8_t *)panic, strlen(panic));
	CHECK(guest_end_status(LG_EXIT_RESET) == LG_EXIT_PANIC);
	CHECK(guest_end_status(LG_EXIT_PANIC) == LG_EXIT_PANIC);
	CHECK(guest_end_status(128 + 15) == 143 && guest_end_status(5) == 5);
	dup2(out, 1), dup2(err, 2);
	close(out), close(err), close(null);
}

int main(void)
{
	test_parse_size();
	test_config();
	test_gpa_ptr();
	test_bus();
	test_e820_initrd();
	test_boot_header();
	test_mptable();
	test_acpi();
	test_rtc();
	test_virtqueue();
	test_frame();
	test_net_spec();
	test_end_status();
	test_event_idx_race();
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
