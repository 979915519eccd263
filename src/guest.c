/*T:040 The default guest
 * `lguest run` with no KERNEL boots the kit `make` builds from Debian's own
 * packages: a small kernel and an initramfs with busybox and our /init.  A
 * command after `--` travels on the kernel command line as lg.cmd=<base64
 * of the shell-quoted words>, so no quoting survives by accident; /init runs
 * it with /bin/sh -c and reports its status through the debug-exit port.
 * We also read what the kernel prints, a line at a time: a panic ends
 * lguest with LG_EXIT_PANIC once its report is out (or at the reboot that
 * panic=-1 asks for), never with a clean 0; and on a host that cannot run
 * guest user space (kvm-pvm) we say so in one line instead of leaving the
 * user with a panic to decode. */
#include "guest.h"
#include "config.h"
#include "console.h"
#include "core/pvm.h"
#include "core/vm.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

static char kernel_path[4096], initrd_path[4096];

/* The kit sits next to the binary (build/guest/) or, installed, in
 * ../share/lguest/; LGUEST_GUEST_DIR overrides both. */
static int find_kit(void)
{
	char exe[4096], dirs[3][4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	const char *env = getenv("LGUEST_GUEST_DIR");
	snprintf(dirs[0], sizeof(dirs[0]), "%.4000s", env ? env : "");
	snprintf(dirs[1], sizeof(dirs[1]), "%.4000s/guest", exe);
	snprintf(dirs[2], sizeof(dirs[2]), "%.4000s/../share/lguest", exe);
	for (int i = env ? 0 : 1; i < (env ? 1 : 3); i++) {
		snprintf(kernel_path, sizeof(kernel_path), "%.4000s/vmlinux", dirs[i]);
		snprintf(initrd_path, sizeof(initrd_path), "%.4000s/initramfs.cpio", dirs[i]);
		if (access(kernel_path, R_OK) == 0 && access(initrd_path, R_OK) == 0)
			return 0;
	}
	return fail("no KERNEL given and no default guest found next to lguest (run make, or name a KERNEL)");
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int base64(const char *in, size_t len, char *out, size_t size)
{
	size_t o = 0;
	if ((len + 2) / 3 * 4 + 1 > size)
		return -1;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)(uint8_t)in[i] << 16;
		v |= i + 1 < len ? (uint32_t)(uint8_t)in[i + 1] << 8 : 0;
		v |= i + 2 < len ? (uint8_t)in[i + 2] : 0;
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? b64[v & 63] : '=';
	}
	out[o] = 0;
	return 0;
}

int guest_cmd_base64(char **argv, int argc, char *out, size_t size)
{
	char cmd[3072];
	size_t n = 0;
	for (int i = 0; i < argc; i++) {            /* 'word', with ' as '\'' */
		if (n + 3 >= sizeof(cmd))
			return -1;
		if (i)
			cmd[n++] = ' ';
		cmd[n++] = '\'';
		for (const char *p = argv[i]; *p; p++) {
			if (n + 5 >= sizeof(cmd))
				return -1;
			if (*p == '\'') {
				memcpy(cmd + n, "'\\''", 4);
				n += 4;
			} else {
				cmd[n++] = *p;
			}
		}
		cmd[n++] = '\'';
	}
	return base64(cmd, n, out, size);
}

int guest_default(struct lg_config *c)
{
	char enc[2048];
	if (find_kit() < 0)
		return -1;
	c->kernel = kernel_path;
	c->initrd = c->initrd ? c->initrd : initrd_path;
	if (c->guest_argc && guest_cmd_base64(c->guest_argv, c->guest_argc, enc, sizeof(enc)) < 0)
		return fail("the command after -- is too long for the kernel command line");
	/* pci=noearly: a distribution kernel's early PCI quirks otherwise probe
	 * all 256 buses through port I/O, some 33,000 exits, for chipsets a
	 * VM does not have. */
	size_t n = (size_t)snprintf(c->cmdline, sizeof(c->cmdline), "%s panic=-1 pci=noearly%s%s%s",
		 c->append_given ? c->append : (c->virtio_console ? "console=hvc0" : "console=ttyS0"),
		 c->quiet ? " quiet lg.quiet" : "", c->guest_argc ? " lg.cmd=" : "", c->guest_argc ? enc : "");
	return n < sizeof(c->cmdline) ? 0 : fail("the kernel command line is longer than %zu bytes (shorten -a)",
						  sizeof(c->cmdline) - 1);
}

/* --- what the guest prints ------------------------------------------------ */

static struct {
	pthread_mutex_t lock;    /* a vCPU (COM1) and the loop (hvc0) both print */
	struct vm *vm;
	int out;                 /* stdout, or our own non-blocking opening of it */
	int timer;               /* the slow-host note, then a panic's grace */
	atomic_bool spoke;       /* the guest printed something */
	char line[512];
	size_t len;
	atomic_int panicked;
	double init_at;          /* printk time of "Run /init" (or of the panic), s */
	char panic[160];
} watch = { .lock = PTHREAD_MUTEX_INITIALIZER, .out = STDOUT_FILENO, .timer = -1 };

static void arm(long ms)
{
	struct itimerspec t = { .it_value = { ms / 1000, ms % 1000 * 1000000 } };
	timerfd_settime(watch.timer, 0, &t, NULL);
}

static void on_line(const char *l)
{
	const char *p;
	double t;
	if ((p = strstr(l, "Run ")) && strstr(p, " as init process") && sscanf(l, "[ %lf]", &t) == 1)
		watch.init_at = t;
	if (watch.panicked && strstr(l, "---[ end Kernel panic"))
		vm_end(watch.vm, LG_EXIT_PANIC);        /* it will say no more */
	if (!watch.panicked && (p = strstr(l, "Kernel panic - not syncing"))) {
		watch.panicked = 1;
		snprintf(watch.panic, sizeof(watch.panic), "%s", p);
		if (!watch.init_at && sscanf(l, "[ %lf]", &t) == 1)
			watch.init_at = t;      /* quiet: no "Run /init" line was shown */
		arm(2000);                      /* the rest of its report, then end */
	}
}

static void on_timer(void *opaque, int fd, uint32_t events)
{
	uint64_t n;
	(void)opaque, (void)events;
	if (read(fd, &n, sizeof(n)) < 0)
		return;                         /* not the lock: a vCPU may hold it, waiting on stdout */
	if (watch.panicked)
		vm_end(watch.vm, LG_EXIT_PANIC);
	else if (!watch.spoke)
		fprintf(stderr, "lguest: note: no output from the guest yet; this host's KVM (kvm-pvm) emulates "
			"a guest kernel's code, so a kernel can take minutes to say anything (Ctrl-A x quits)\n");
}

int guest_watch(struct vm *vm, bool notes)
{
	struct stat st;
	watch.vm = vm;
	/* A stalled reader (| sleep 60) must not hold a vCPU or the loop past
	 * the guest's end: write through a non-blocking file of our own. */
	if (fstat(STDOUT_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
		int fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		watch.out = fd >= 0 ? fd : STDOUT_FILENO;
	}
	watch.timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (watch.timer < 0 || loop_add(&vm->loop, watch.timer, on_timer, NULL) < 0)
		return fail("cannot make a timer: %s", strerror(errno));
	if (notes && pvm_host())
		arm(5000);
	return 0;
}

/* Wait for a full stdout, but only while the guest lives. */
static void write_out(const uint8_t *buf, size_t n)
{
	while (n) {
		ssize_t w = write(watch.out, buf, n);
		if (w > 0) {
			buf += w, n -= (size_t)w;
			continue;
		}
		if (w == 0 || (errno != EAGAIN && errno != EINTR) || (watch.vm && atomic_load(&watch.vm->ending)))
			return;                 /* no reader, or no guest: drop it */
		struct pollfd p = { .fd = watch.out, .events = POLLOUT };
		poll(&p, 1, 100);
	}
}

void guest_output(const uint8_t *buf, size_t n)
{
	pthread_mutex_lock(&watch.lock);
	watch.spoke = true;
	write_out(buf, n);
	console_track(buf, n);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || watch.len >= sizeof(watch.line) - 1) {
			watch.line[watch.len] = 0;
			on_line(watch.line);
			watch.len = 0;
		} else if (buf[i] != '\r') {
			watch.line[watch.len++] = (char)buf[i];
		}
	}
	pthread_mutex_unlock(&watch.lock);
}

int guest_end_status(int status)
{
	if (status != LG_EXIT_RESET && status != LG_EXIT_PANIC)
		return status;
	if (!watch.panicked)
		return LG_EXIT_OK;
	/* init ran and died: on kvm-pvm, at its first system call */
	if (pvm_host() && strstr(watch.panic, "Attempted to kill init")) {
		fprintf(stderr, "lguest: this host's KVM (kvm-pvm) cannot run a Linux guest's user space; "
			"the kernel booted in %.1f s; use hardware virtualization (VMX/SVM)\n", watch.init_at);
		return LG_EXIT_NO_USERSPACE;
	}
	fprintf(stderr, "lguest: the guest kernel panicked: %s\n", watch.panic);
	return LG_EXIT_PANIC;
}
