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
#include "core/sandbox.h"
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
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#define LG_VERSION "0.1"

static const char usage[] =
	"usage: lguest run [options] [KERNEL] [-- CMD ARGS...]     (lguest " LG_VERSION "; lguest --version)\n"
	"Boot KERNEL (a bzImage, an ELF vmlinux or a PVH ELF, 32- or 64-bit) in a KVM guest;\n"
	"with no KERNEL, the default Linux guest: a shell, or CMD ARGS and its exit status.\n"
	"  -m, --memory SIZE   guest RAM in whole 4 KiB pages, suffix K, M, G or T (powers\n"
	"                      of 1024; KB and KiB too, but not kb or mb) (default 256M)\n"
	"  -c, --cpus N        vCPUs, 1 to 64 (default 1)\n"
	"  -i, --initrd FILE   initial ramdisk\n"
	"  -a, --append LINE   kernel command line (default \"" LG_DEFAULT_APPEND "\"; for the default\n"
	"                      guest it replaces console=ttyS0: give console= yourself)\n"
	"      --disk PATH[,ro][,serial=ID]  a raw image as virtio-blk, up to 8 (vda...);\n"
	"                      a comma in PATH is written ,,\n"
	"      --console serial|virtio       the terminal on COM1 (default) or hvc0\n"
	"      --net lan=NAME|tap[=IF]|user|vhost-user=PATH[,mac=MAC]  a virtio-net NIC\n"
	"                      (repeatable; user takes ,hostfwd=tcp:[ADDR]:PORT-:PORT and ,restrict)\n"
	"  -q, --quiet         no notes from lguest; the default guest: no kernel messages\n"
	"      --seccomp=off   no system call filters (debugging)\n"
	"  -h, --help          this text\n"
	"The terminal is the guest's console: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A,\n"
	"Ctrl-A h lists these.\n"
	"Exit status: the guest's debug-exit byte (port 0xf4; the default guest: CMD's), or\n"
	"    0  the guest powered off or reset itself, or Ctrl-A x\n"
	"  121  this host's KVM (kvm-pvm) cannot run a Linux guest's user space\n"
	"  122  the guest's vCPU crashed (registers on stderr)\n"
	"  123  the guest kernel panicked (Ctrl-A x or a reset after a panic too)\n"
	"  125  lguest could not run the guest: a usage mistake, a missing or unusable\n"
	"       file, no /dev/kvm, a failure of the host (one line on stderr)\n"
	"128+N  signal N ended lguest (SIGTERM 143, SIGINT 130, SIGHUP 129, SIGQUIT 131;\n"
	"       159: a system call lguest's seccomp filter forbids, named on stderr)\n"
	"Environment: LGUEST_GUEST_DIR, where the default guest is (vmlinux and\n"
	"initramfs.cpio); LGUEST_REPORT=1, memory and device counts on stderr at exit.\n";

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
		if (blk_add(&pci, &vm, c->disks[i].path, c->disks[i].ro, c->disks[i].serial) < 0)
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
		die(LG_EXIT_FAIL, "-m %llu MiB is more than this host's %llu MiB of memory",
		    (unsigned long long)(bytes >> 20),
		    (unsigned long long)((uint64_t)si.totalram * si.mem_unit >> 20));
	if (bytes < BOOT_MIN_RAM)
		die(LG_EXIT_FAIL, "-m: a guest needs at least %llu MiB", BOOT_MIN_RAM >> 20);
}

/* Files first: a typo should not cost the user a VM made and torn down. */
static void check_readable(const char *what, const char *path)
{
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (path && fd < 0)
		die(LG_EXIT_FAIL, "%s %s: %s", what, path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* Each image once, writable unless ,ro (said before anything is made). */
static void check_disks(const struct lg_config *c)
{
	struct stat st[LG_MAX_DISKS];
	for (int i = 0; i < c->ndisks; i++) {
		const struct lg_disk *d = &c->disks[i];
		int fd = open(d->path, (d->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (fd < 0 && !d->ro && errno != EISDIR && access(d->path, R_OK) == 0)
			die(LG_EXIT_FAIL, "disk %s: %s for writing (add ,ro to use it read-only)", d->path, strerror(errno));
		if (fd < 0 || fstat(fd, &st[i]) < 0)
			die(LG_EXIT_FAIL, "disk %s: %s", d->path, strerror(errno));
		close(fd);
		for (int j = 0; j < i; j++)
			if (st[j].st_dev == st[i].st_dev && st[j].st_ino == st[i].st_ino)
				die(LG_EXIT_FAIL, "disk %s is given twice (also as --disk %s): give each image once",
				    d->path, c->disks[j].path);
	}
}

static unsigned com1_input(void *s, const uint8_t *buf, unsigned len)
{
	return serial_input(s, buf, len);
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
	close_range(3, ~0U, 0);         /* what we inherited is not the guest's */
	int rc = config_parse(&c, argc, argv);
	if (rc == 1) {
		fputs(usage, stdout);
		return 0;
	}
	if (rc < 0 || (!c.kernel && guest_default(&c) < 0))
		die(LG_EXIT_FAIL, "%s", lg_error);
	check_host_memory(c.mem_bytes);
	check_readable("kernel", c.kernel);
	check_readable("initrd", c.initrd);
	check_disks(&c);
	struct boot_args a = { .kernel = c.kernel, .initrd = c.initrd, .cmdline = c.cmdline, .notes = !c.quiet,
			       .linux_params = pvm_host() ? pvm_linux_params() : NULL,
			       .shorten = !c.dashdash ? "-a" : c.append_given ? "-a or the command after --" : "the command after --" };
	if (vm_create(&vm, c.mem_bytes, c.cpus) < 0 || guest_watch(&vm, !c.quiet) < 0 || cpu_init(&vm) < 0 ||
	    platform_init(&vm) < 0 || rtc_init(&rtc, &vm) < 0 ||
	    serial_init(&com1, &vm, 0x3f8, 4, guest_output) < 0 ||
	    add_devices(&c) < 0 ||
	    mptable_write(&vm.ram, c.cpus) < 0 || acpi_write(&vm.ram, c.cpus) < 0 ||
	    boot_kernel(&vm, &a) < 0)
		die(LG_EXIT_FAIL, "%s", lg_error);
	com1.on_room = console_room;
	int console = c.virtio_console ? console_init(&vm, vcon_input, NULL)
				       : console_init(&vm, com1_input, &com1);
	if (console < 0 || sandbox_prepare(&vm, !c.seccomp_off, console_restore) < 0 || vm_start(&vm) < 0)
		die(LG_EXIT_FAIL, "%s", lg_error);
	sandbox_enter(SANDBOX_LOOP);
	loop_run(&vm.loop);
	vm_stop_vcpus(&vm);
	console_restore();
	int status = guest_end_status(vm.exit_status);
	if (console_quit())
		fprintf(stderr, "\nlguest: ended by Ctrl-A x, exit status %d\n", status);
	if (getenv("LGUEST_REPORT"))
		report_memory();
	return status;
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
	if (argc >= 2 && !strcmp(argv[1], "--version")) {
		puts("lguest " LG_VERSION);
		return 0;
	}
	die(LG_EXIT_FAIL, argc < 2 ? "no command given (try: lguest run --help)"
				    : "unknown command '%s' (try: lguest run --help)", argv[1]);
}
