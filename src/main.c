/*T:030 lguest run
 * main() is the whole launch in order: check the options, make the VM (its
 * RAM, vCPUs and in-kernel interrupt controllers), give it CPUID and an MP
 * table, plug in the platform devices and the serial port, load the kernel,
 * hand the terminal to the guest, start one thread per vCPU, and wait on the
 * event loop until someone ends the guest.  Then put everything back. */
#include "boot/boot.h"
#include "config.h"
#include "console.h"
#include "guest.h"
#include "lan.h"
#include "core/pvm.h"
#include "core/vm.h"
#include "hw/pci.h"
#include "hw/platform.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "util.h"
#include "virtio/devices.h"
#include "virtio/virtio.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static const char usage[] =
	"usage: lguest run [options] [KERNEL] [-- CMD ARGS...]\n"
	"Boot KERNEL (a bzImage, an ELF vmlinux or a PVH ELF) in a KVM guest; with no\n"
	"KERNEL, the default Linux guest: a shell, or CMD ARGS and its exit status.\n"
	"  -m, --memory SIZE   guest RAM, with K/M/G suffix (default 256M)\n"
	"  -c, --cpus N        vCPUs (default 1)\n"
	"  -i, --initrd FILE   initial ramdisk\n"
	"  -a, --append LINE   kernel command line (default \"" LG_DEFAULT_APPEND "\")\n"
	"      --disk PATH[,ro][,serial=ID]  a raw disk image as virtio-blk (repeatable)\n"
	"      --console serial|virtio       the terminal on COM1 (default) or hvc0\n"
	"      --net lan=NAME|tap[=IF]|user|vhost-user=PATH[,mac=MAC]  a virtio-net NIC\n"
	"                      (repeatable; user takes ,hostfwd=tcp:[ADDR]:PORT-:PORT and ,restrict)\n"
	"  -q, --quiet         default guest: hide the kernel's messages\n"
	"  -h, --help          this text\n"
	"The console is COM1 on this terminal: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.\n"
	"Exit status: the guest's debug-exit byte (port 0xf4; the default guest: CMD's\n"
	"status), 0 after a reboot or power-off, 2 for a usage error, 70 when the\n"
	"guest's vCPU crashed, 71 when its kernel panicked, 72 when this host cannot\n"
	"run a Linux guest's user space.\n";

static struct vm vm;
static struct serial com1;
static struct rtc rtc;
static struct pci_bus pci;

/* The PCI bus and the virtio devices on it. */
static int add_devices(const struct lg_config *c)
{
	if (pci_init(&pci, &vm) < 0)
		return -1;
	if (c->virtio_console && vcon_add(&pci, &vm, guest_output, console_room) < 0)
		return -1;
	for (int i = 0; i < c->ndisks; i++)
		if (blk_add(&pci, &vm, c->disks[i]) < 0)
			return -1;
	for (int i = 0; i < c->nnets; i++)
		if (net_add(&pci, &vm, c->nets[i], i) < 0)
			return -1;
	return rng_add(&pci, &vm);
}

static void check_host_memory(uint64_t bytes)
{
	struct sysinfo si;
	if (sysinfo(&si) == 0 && bytes / si.mem_unit > si.totalram)
		die(LG_EXIT_USAGE, "-m %llu MiB is more than this host's %llu MiB of memory",
		    (unsigned long long)(bytes >> 20),
		    (unsigned long long)((uint64_t)si.totalram * si.mem_unit >> 20));
	if (bytes < BOOT_MIN_RAM)
		die(LG_EXIT_USAGE, "-m: a guest needs at least %llu MiB", BOOT_MIN_RAM >> 20);
}

/* Files first: a typo should not cost the user a VM made and torn down. */
static void check_readable(const char *what, const char *path)
{
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (path && fd < 0)
		die(LG_EXIT_USAGE, "%s %s: %s", what, path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static unsigned com1_input(void *s, const uint8_t *buf, unsigned len)
{
	return serial_input(s, buf, len);
}

static unsigned com1_space(void *s)
{
	return serial_space(s);
}

/* LGUEST_REPORT=1: our peak RSS, less the guest RAM (shared memfd pages)
 * the guest touched (bench/start), and what each virtio device did (the
 * tests' proof that a guest kernel's driver bound to it). */
static void report_memory(void)
{
	char line[256];
	long hwm = 0, shmem = 0;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "VmHWM: %ld", &hwm);
		sscanf(line, "RssShmem: %ld", &shmem);
	}
	fclose(f);
	fprintf(stderr, "lguest-report: peak_rss_kib=%ld guest_ram_kib=%ld own_kib=%ld pvm_completed=%lu\n",
		hwm, shmem, hwm - shmem, pvm_completed());
	virtio_report();
	net_report();
}

static int run(int argc, char **argv)
{
	struct lg_config c;
	int rc = config_parse(&c, argc, argv);
	if (rc == 1) {
		fputs(usage, stdout);
		return 0;
	}
	if (rc < 0 || (!c.kernel && guest_default(&c) < 0))
		die(LG_EXIT_USAGE, "%s", lg_error);
	check_host_memory(c.mem_bytes);
	check_readable("kernel", c.kernel);
	check_readable("initrd", c.initrd);
	for (int i = 0; i < c.ndisks; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%.*s", (int)strcspn(c.disks[i], ","), c.disks[i]);
		check_readable("disk", path);
	}
	struct boot_args a = { .kernel = c.kernel, .initrd = c.initrd, .cmdline = c.cmdline,
			       .linux_params = pvm_host() ? pvm_linux_params() : NULL };
	if (vm_create(&vm, c.mem_bytes, c.cpus) < 0 || cpu_init(&vm) < 0 ||
	    platform_init(&vm) < 0 || rtc_init(&rtc, &vm) < 0 ||
	    serial_init(&com1, &vm, 0x3f8, 4, guest_output) < 0 ||
	    add_devices(&c) < 0 ||
	    mptable_write(&vm.ram, c.cpus) < 0 || acpi_write(&vm.ram, c.cpus) < 0 ||
	    boot_kernel(&vm, &a) < 0)
		die(LG_EXIT_USAGE, "%s", lg_error);
	com1.on_room = console_room;
	int console = c.virtio_console ? console_init(&vm, vcon_input, vcon_space, NULL)
				       : console_init(&vm, com1_input, com1_space, &com1);
	if (console < 0 || vm_start(&vm) < 0)
		die(LG_EXIT_ERROR, "%s", lg_error);
	loop_run(&vm.loop);
	vm_stop_vcpus(&vm);
	console_restore();
	if (getenv("LGUEST_REPORT"))
		report_memory();
	return vm.rebooted ? guest_reboot_status() : vm.exit_status;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "lan"))
		return lan_main(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
		fputs(usage, stdout);
		return 0;
	}
	die(LG_EXIT_USAGE, argc < 2 ? "no command given (try: lguest run --help)"
				    : "unknown command '%s' (try: lguest run --help)", argv[1]);
}
