/* fuzz_control: the control socket's server (control/server.c) from its
 * clients' side: real connections to its listening socket in a private
 * XDG_RUNTIME_DIR, served on the fake VM's loop, requests read line by line
 * as lguest run reads them.  vm_pause() and vm_end() are stubs (there is
 * no vCPU to hold; kill only marks the VM ending), and so are the hooks
 * (stop asks no guest, console input goes nowhere).  Every input starts with no client, a
 * running guest and an empty console ring, and must leave no descriptor.
 * An input is operations, each an op byte o; c = (o & 63) % 20 is a client
 * (connected on first use; more than the server's 16 are turned away):
 *   o < 0x40: c sends n bytes (n: the next byte), then the bytes;
 *   o < 0x80: the same with n in two bytes, modulo 8192;
 *   o < 0xc0: the guest prints n bytes (n: the next byte) (o & 63) + 1 times;
 *   else: c hangs up.
 * The server serves what is ready after each operation; replies are read
 * and forgotten (FUZZ_SHOW=1 in the environment prints them). */
#include "fuzz.h"
#include "control/control.h"
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CONNS 20

static char dir[64];
static struct sockaddr_un addr = { .sun_family = AF_UNIX };
static int conn[CONNS];

static void shutdown_guest(void)
{
}

static size_t devices(char *out, size_t size, bool counters)
{
	int n = snprintf(out, size, counters ? ",\"net0_rx\":1" : "net,blk");
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

static unsigned input(const uint8_t *buf, unsigned n)
{
	(void)buf;
	return n;
}

/* vm.c's own would take irq.c, whose KVM calls common.c stands in for. */
int vm_pause(struct vm *vm, bool pause)
{
	(void)vm, (void)pause;
	return 0;
}

bool vm_end(struct vm *vm, int status)
{
	(void)status;
	return !atomic_exchange(&vm->ending, 1);
}

static const struct control_hooks hooks = { shutdown_guest, devices, input };

static void cleanup(void)
{
	char sub[80];
	snprintf(sub, sizeof(sub), "%s/lguest", dir);
	rmdir(sub);
	rmdir(dir);
}

static struct vm *setup(void)
{
	struct vm *vm = fuzz_vm(4096);
	if (dir[0])
		return vm;
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/lguest-fuzz-XXXXXX");
	if (!mkdtemp(dir) || setenv("XDG_RUNTIME_DIR", dir, 1) < 0)
		abort();
	atexit(cleanup);                        /* after control_unlink(): atexit runs backwards */
	if (control_open("fuzz", true) < 0 || control_start(vm, &hooks) < 0)
		abort();
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/lguest/fuzz.sock", dir);
	for (int i = 0; i < CONNS; i++)
		conn[i] = -1;
	return vm;
}

/* Serve what is ready; read and forget the replies. */
static void run(struct vm *vm)
{
	char buf[4096];
	for (int i = 0; i < 3; i++)
		fuzz_loop_once(&vm->loop);
	for (int i = 0; i < CONNS; i++)
		for (ssize_t n; conn[i] >= 0 && (n = read(conn[i], buf, sizeof(buf))) > 0;)
			if (getenv("FUZZ_SHOW"))        /* to see what an input does */
				fprintf(stderr, "client %d: %.*s", i, (int)n, buf);
}

static int client(struct vm *vm, int c)
{
	if (conn[c] >= 0)
		return conn[c];
	conn[c] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (conn[c] < 0 || connect(conn[c], (struct sockaddr *)&addr, sizeof(addr)) < 0)
		abort();
	run(vm);                                /* accepted, greeted */
	return conn[c];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm *vm = setup();
	struct input in = { data, size };
	int before = count_fds();               /* libFuzzer's symbolizer opens pipes between inputs */
	while (in.n) {
		unsigned o = (unsigned)take(&in, 1), c = (o & 63) % CONNS;
		size_t n = o < 0x40 ? take(&in, 1) : o < 0xc0 ? take(&in, o < 0x80 ? 2 : 1) % 8192 : 0;
		n = n < in.n ? n : in.n;
		if (o < 0x80 && send(client(vm, (int)c), in.p, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* the server dropped it, or its buffer is full */
		}
		for (unsigned k = 0; o >= 0x80 && o < 0xc0 && k <= (o & 63); k++)
			control_output(in.p, n);
		if (o >= 0xc0 && conn[c] >= 0) {
			close(conn[c]);
			conn[c] = -1;
		}
		in.p += n, in.n -= n;
		run(vm);
	}
	for (int i = 0; i < CONNS; i++)
		if (conn[i] >= 0)
			close(conn[i]), conn[i] = -1;
	run(vm);
	control_fuzz_reset();
	atomic_store(&vm->ending, 0);           /* kill, or stop's timer, ended it */
	run(vm);
	if (count_fds() != before)
		abort();                            /* a client the server kept */
	return 0;
}
