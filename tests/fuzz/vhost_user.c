/* fuzz_vhost_user: the LAN switch (lan.c) as a vhost-user back-end to two
 * hostile front-ends, each at the other end of a socketpair that is one of
 * the switch's ports: the messages go through vu_rx_feed() and handle() as
 * on a real connection, and what they set up (memory table, rings, kicks)
 * reaches the data path.  Each front-end owns a 64 KiB sealed memfd, its
 * guest RAM, which the input may fill.  Every input starts a fresh switch
 * and ends it; no descriptor or mapping may outlive it, nor an event the
 * switch can never consume (it would spin).  An input is operations, each
 * an op byte o:
 *   o < 0x80: a message: request byte (bit 7: the port, the rest the
 *     request), flags byte, size (2), then up to size payload bytes.  o & 3
 *     picks the descriptors sent with it: none, the port's memfd, new
 *     eventfds, an unsealed 4 KiB memfd; 1 + (o >> 2 & 15) of them.  o & 0x40:
 *     the header goes first, the switch runs, then the payload.
 *   0x80 <= o < 0xc0: RAM: port o & 1, offset (2), length (2), the bytes.
 *   o >= 0xc0: a kick: write the eventfd number o & 31 the input made.
 * The switch serves what is ready after each operation. */
#include "fuzz.h"
#include "lan.h"
#include "net/vhost_user.h"
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORTS 2
#define RAM (64u << 10)
#define EFDS 32

static int sock[PORTS], ramfd[PORTS], efd[EFDS], nefd;
static uint8_t *ram[PORTS];

/* Is a memfd of ours still mapped anywhere (the switch's vu_map)? */
static bool mapped(void)
{
	static char buf[1 << 20];
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;
	while (fd >= 0 && len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	return strstr(buf, "memfd:vu-fuzz") != NULL;
}

static int memfd(size_t size, bool seal)
{
	int fd = memfd_create("vu-fuzz", MFD_CLOEXEC | (seal ? MFD_ALLOW_SEALING : 0));
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 ||
	    (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0))
		abort();
	return fd;
}

/* Serve until idle; read and forget the replies. */
static int run(void)
{
	char buf[4096];
	int n = 0;
	for (int i = 0; i < 4 && (n = lan_fuzz_step()) > 0; i++)
		;
	for (int p = 0; p < PORTS; p++)
		while (read(sock[p], buf, sizeof(buf)) > 0)
			;
	return n;
}

/* A message's header and payload, with nfds descriptors of kind. */
static void message(struct input *in, unsigned o)
{
	unsigned kind = o & 3, nfds = kind ? 1 + (o >> 2 & 15) : 0, b = (unsigned)take(in, 1);
	int p = (int)(b >> 7), fds[16], extra = -1;
	bool kept[16] = { false };
	static uint8_t msg[VU_HDR_SIZE + 65535];
	uint32_t hdr[3] = { b & 0x7f, (uint32_t)take(in, 1), (uint32_t)take(in, 2) };
	size_t len = hdr[2] < in->n ? hdr[2] : in->n;
	memcpy(msg, hdr, VU_HDR_SIZE);
	memcpy(msg + VU_HDR_SIZE, in->p, len);
	in->p += len, in->n -= len;
	if (kind == 3)
		extra = memfd(4096, false);
	for (unsigned i = 0; i < nfds; i++) {
		fds[i] = kind == 1 ? ramfd[p] : kind == 3 ? extra : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (kind == 2 && nefd < EFDS)
			efd[nefd++] = fds[i], kept[i] = true;
	}
	bool split = o & 0x40;
	struct iovec iov = { msg, split ? VU_HDR_SIZE : VU_HDR_SIZE + len };
	char ctl[CMSG_SPACE(sizeof(fds))] = { 0 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds) {
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		*c = (struct cmsghdr){ .cmsg_len = CMSG_LEN(sizeof(int) * nfds), .cmsg_level = SOL_SOCKET,
				       .cmsg_type = SCM_RIGHTS };
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	bool sent = sendmsg(sock[p], &mh, MSG_NOSIGNAL | MSG_DONTWAIT) > 0;
	for (unsigned i = 0; kind == 2 && i < nfds; i++)
		if (!kept[i])                   /* past EFDS: no kick will come */
			close(fds[i]);
	if (extra >= 0)
		close(extra);
	if (sent && split && len) {
		run();
		if (send(sock[p], msg + VU_HDR_SIZE, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* the switch dropped the port */
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	int ends[PORTS], before = count_fds();   /* libFuzzer's symbolizer opens pipes between inputs */
	signal(SIGPIPE, SIG_IGN);
	for (int p = 0; p < PORTS; p++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
			abort();
		sock[p] = sv[0], ends[p] = sv[1];
		ramfd[p] = memfd(RAM, true);
		ram[p] = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_SHARED, ramfd[p], 0);
		if (ram[p] == MAP_FAILED)
			abort();
	}
	nefd = 0;
	lan_fuzz_start(ends, PORTS);
	while (in.n) {
		unsigned o = (unsigned)take(&in, 1);
		if (o < 0x80) {
			message(&in, o);
		} else if (o < 0xc0) {
			unsigned off = (unsigned)take(&in, 2), len = (unsigned)take(&in, 2);
			len = len < RAM - off ? len : RAM - off;
			len = len < in.n ? len : (unsigned)in.n;
			memcpy(ram[o & 1] + off, in.p, len);
			in.p += len, in.n -= len;
		} else if (nefd) {
			uint64_t one = 1;
			if (write(efd[(o & 31) % (unsigned)nefd], &one, 8) < 0) {
				/* a full counter */
			}
		}
		run();
	}
	if (run() > 0)
		abort();                 /* still events after 4 rounds with nothing sent: it spins */
	lan_fuzz_end();
	for (int p = 0; p < PORTS; p++) {
		close(sock[p]);
		close(ramfd[p]);
		munmap(ram[p], RAM);
	}
	for (int i = 0; i < nefd; i++)
		close(efd[i]);
	if (count_fds() != before || mapped())
		abort();                 /* a descriptor or a mapping the switch kept */
	return 0;
}
