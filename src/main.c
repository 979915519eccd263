/*T:030 lguest run
 * main() is the whole launch in order: check the options, make the VM (its
 * RAM, vCPUs and in-kernel interrupt controllers), give it CPUID and an MP
 * table, plug in the platform devices and the serial port, load the kernel,
 * hand the terminal to the guest, start one thread per vCPU, and wait on the
 * event loop until someone ends the guest.  Then put everything back. */
#include "boot/boot.h"
#include "config.h"
#include "console.h"
#include "control/control.h"
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
	"      --name NAME     the guest's name for the commands below (letters, digits,\n"
	"                      -, _ and ., up to 64; default lg-PID)\n"
	"  -d, --detach        run in the background; 0 once the guest runs, 2 if it could not\n"
	"  -q, --quiet         no notes from lguest; the default guest: no kernel messages\n"
	"      --seccomp=off   no system call filters (debugging)\n"
	"  -h, --help          this text\n"
	"The terminal is the guest's console: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A,\n"
	"Ctrl-A h lists these.\n"
	"A running guest (lguest COMMAND --help): lguest list [--json], stat NAME [--json],\n"
	"pause NAME, resume NAME, stop NAME [--timeout SECONDS], kill NAME, console NAME.\n"
	"Exit status: the guest's debug-exit byte (port 0xf4; the default guest: CMD's), or\n"
	"    0  the guest powered off or reset itself, or Ctrl-A x\n"
	"  121  this host's KVM (kvm-pvm) cannot run a Linux guest's user space\n"
	"  122  the guest's vCPU crashed (registers on stderr)\n"
	"  123  the guest kernel panicked (Ctrl-A x or a reset after a panic too)\n"
	"  125  lguest could not run the guest: a usage mistake, a missing or unusable\n"
	"       file, no /dev/kvm, a failure of the host (one line on stderr)\n"
	"  137  lguest kill NAME, or lguest stop NAME past its --timeout\n"
	"128+N  signal N ended lguest (SIGTERM 143, SIGINT 130, SIGHUP 129, SIGQUIT 131;\n"
	"       159: a system call lguest's seccomp filter forbids, named on stderr)\n"
	"Environment: LGUEST_GUEST_DIR, where the default guest is (vmlinux and\n"
	"initramfs.cpio); LGUEST_REPORT=1, memory and device counts on stderr at exit.\n";

static struct vm vm;
static struct serial com1;
static struct rtc rtc;
static struct pci_bus pci;

/* What the guest prints: the terminal (and the output watch), and a
 * detached guest's ring for lguest console. */
static void output(const uint8_t *buf, size_t n)
{
	guest_output(buf, n);
	control_output(buf, n);
}

/* The PCI bus and the virtio devices on it. */
static int add_devices(const struct lg_config *c)
{
	if (pci_init(&pci, &vm) < 0)
		return -1;
	if (c->virtio_console && vcon_add(&pci, &vm, output, console_room) < 0)
		return -1;
	for (int i = 0; i < c->ndisks; i++)
		if (blk_add(&pci, &vm, c->disks[i].path, c->disks[i].ro, c->disks[i].serial) < 0)
			return -1;
	for (int i = 0; i < c->nnets; i++)
		if (net_add(&pci, &vm, c->nets[i], i, c->name) < 0)
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

/* A thread's seccomp filter or a crash ends lguest: nothing left behind. */
static void on_kill(void)
{
	console_restore();
	control_unlink();
}

/* -d: a child in a session of its own runs the guest, its stderr a pipe to
 * us until the guest runs; then it writes byte 1 and a line with its name.
 * We pass on what it said, and exit 0 once it runs, or 2. */
static int detach(void)
{
	int p[2], null = open("/dev/null", O_RDWR | O_CLOEXEC);
	char buf[2048];
	size_t n = 0;
	if (null < 0 || pipe(p) < 0)
		die(2, "cannot detach: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die(2, "cannot detach: %s", strerror(errno));
	if (pid == 0) {
		setsid();
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		return null;
	}
	close(p[1]);
	for (ssize_t r; n < sizeof(buf) - 1 && (r = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0;)
		n += (size_t)r;
	buf[n] = 0;
	char *ran = strchr(buf, 1);
	if (ran)
		memmove(ran, ran + 1, strlen(ran));
	fputs(n ? buf : "lguest: the guest ended before it ran\n", stderr);
	exit(ran ? 0 : 2);
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
	char name[32];
	close_range(3, ~0U, 0);         /* what we inherited is not the guest's */
	int rc = config_parse(&c, argc, argv), null = -1;
	if (rc == 1) {
		fputs(usage, stdout);
		return 0;
	}
	if (rc < 0 || (!c.kernel && guest_default(&c) < 0))
		die(c.detach ? 2 : LG_EXIT_FAIL, "%s", lg_error);
	if (c.detach)
		null = detach();
	snprintf(name, sizeof(name), "lg-%d", getpid());
	c.name = c.name ? c.name : name;
	check_host_memory(c.mem_bytes);
	check_readable("kernel", c.kernel);
	check_readable("initrd", c.initrd);
	check_disks(&c);
	if (control_open(c.name, c.detach) < 0)
		die(LG_EXIT_FAIL, "%s", lg_error);
	struct boot_args a = { .kernel = c.kernel, .initrd = c.initrd, .cmdline = c.cmdline, .notes = !c.quiet,
			       .linux_params = pvm_host() ? pvm_linux_params() : NULL,
			       .shorten = !c.dashdash ? "-a" : c.append_given ? "-a or the command after --" : "the command after --" };
	if (vm_create(&vm, c.mem_bytes, c.cpus) < 0 || guest_watch(&vm, !c.quiet) < 0 || cpu_init(&vm) < 0 ||
	    platform_init(&vm) < 0 || rtc_init(&rtc, &vm) < 0 ||
	    serial_init(&com1, &vm, 0x3f8, 4, output) < 0 ||
	    add_devices(&c) < 0 ||
	    mptable_write(&vm.ram, c.cpus) < 0 || acpi_write(&vm.ram, c.cpus) < 0 ||
	    boot_kernel(&vm, &a) < 0)
		die(LG_EXIT_FAIL, "%s", lg_error);
	com1.on_room = console_room;
	static const struct control_hooks hooks = { platform_ctrl_alt_del, virtio_stat, console_put };
	int console = c.virtio_console ? console_init(&vm, vcon_input, NULL, control_unlink, false)
				       : console_init(&vm, com1_input, &com1, control_unlink, false);
	if (console < 0 || control_start(&vm, &hooks) < 0 || sandbox_prepare(&vm, !c.seccomp_off, on_kill) < 0 ||
	    vm_start(&vm) < 0)
		die(LG_EXIT_FAIL, "%s", lg_error);
	if (c.detach) {                 /* it runs: tell the parent, then say no more */
		fprintf(stderr, "\001lguest: %s runs in the background, process %d\n", c.name, getpid());
		dup2(null, STDERR_FILENO);
	}
	sandbox_enter(SANDBOX_LOOP);
	loop_run(&vm.loop);
	vm_stop_vcpus(&vm);
	console_restore();
	int status = guest_end_status(vm.exit_status);
	control_end(status);
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
	int rc = argc >= 2 ? control_main(argc - 1, argv + 1) : -1;
	if (rc >= 0)
		return rc;
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
