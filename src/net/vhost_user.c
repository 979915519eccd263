/*T:870 vhost-user: handing a queue to another process
 * A vhost-user back-end serves virtqueues it does not own, in guest memory
 * it maps from the file descriptors the front-end sends over a unix socket:
 * the memory table (guest-physical base, size, the front-end's own address
 * of it, an offset into the file), then per queue its size, ring addresses,
 * first index, and two eventfds: kick (the guest added buffers) and call
 * (interrupt the guest).  lguest's virtio-net speaks the front-end half and
 * the LAN switch the back-end half; both are here, with the checks a
 * back-end owes a front-end it does not trust. */
#include "vhost_user.h"
#include "../util.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int vu_send(int sock, struct vu_msg *msg, const int *fds, int nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)] = { 0 };
	struct iovec iov = { msg, VU_HDR_SIZE + msg->size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	msg->flags |= VU_VERSION;
	if (nfds) {
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	return n == (ssize_t)iov.iov_len ? 0 : -1;
}

void vu_rx_reset(struct vu_rx *rx)
{
	rx->have = 0;
	rx->nfds = 0;
}

static void take_fds(struct vu_rx *rx, struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int)), fd;
		for (int i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (rx->nfds < VU_MAX_FDS)
				rx->fds[rx->nfds++] = fd;
			else
				close(fd);
		}
	}
}

int vu_rx_feed(int sock, struct vu_rx *rx)
{
	for (;;) {
		size_t want = VU_HDR_SIZE + (rx->have >= VU_HDR_SIZE ? rx->msg.size : 0);
		if (want > sizeof(rx->msg))
			return -1;                       /* no request is this big */
		if (rx->have == want)
			return 1;
		char ctl[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
		struct iovec iov = { (uint8_t *)&rx->msg + rx->have, want - rx->have };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
		ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0)
			return -1;
		take_fds(rx, &mh);
		rx->have += (size_t)n;
	}
}

int vu_call(int sock, uint32_t req, uint32_t flags, uint64_t arg, uint64_t *reply)
{
	bool bare = req == VU_GET_FEATURES || req == VU_GET_PROTOCOL_FEATURES || req == VU_SET_OWNER ||
		    req == VU_RESET_OWNER || req == VU_GET_QUEUE_NUM;
	struct vu_msg m = { .request = req, .flags = flags, .size = bare ? 0 : 8, .u64 = arg };
	if (vu_send(sock, &m, NULL, 0) < 0)
		return -1;
	if (!reply)
		return 0;
	struct vu_rx rx = { 0 };
	for (int rc = 0; rc == 0;) {
		struct pollfd p = { sock, POLLIN, 0 };
		if (poll(&p, 1, 2000) <= 0)          /* a back-end that stalls is gone */
			return -1;
		rc = vu_rx_feed(sock, &rx);
		if (rc < 0)
			return -1;
	}
	for (int i = 0; i < rx.nfds; i++)
		close(rx.fds[i]);
	if (rx.msg.request != req || !(rx.msg.flags & VU_FLAG_REPLY) || rx.msg.size != 8)
		return -1;
	*reply = rx.msg.u64;
	return 0;
}

/* --- the back-end's view of the front-end's memory ---------------------- */

void vu_unmap(struct vu_mem *m)
{
	for (int i = 0; i < m->ram.nregions; i++)
		munmap(m->map[i].base, m->map[i].len);
	m->ram.nregions = 0;
}

/* A region we may map: its file cannot shrink under us (a sealed memfd, as
 * QEMU's memory-backend-memfd and lguest make), and holds all of it. */
static int region_ok(const struct vu_region *r, int fd)
{
	struct stat st;
	uint64_t end;
	if (!r->size || __builtin_add_overflow(r->offset, r->size, &end) ||
	    end > (1ULL << 46) || r->gpa + r->size < r->gpa || r->uaddr + r->size < r->uaddr)
		return -1;
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK) || fstat(fd, &st) < 0 || (uint64_t)st.st_size < end)
		return -1;
	return 0;
}

static int overlaps(const struct vu_region *a, const struct vu_region *b)
{
	return (a->gpa < b->gpa + b->size && b->gpa < a->gpa + a->size) ||
	       (a->uaddr < b->uaddr + b->size && b->uaddr < a->uaddr + a->size);
}

int vu_map(struct vu_mem *m, const struct vu_msg *msg, const int *fds, int nfds)
{
	uint32_t n = msg->mem.nregions;
	struct vu_region reg[RAM_MAX_REGIONS];
	vu_unmap(m);
	if (n == 0 || n > RAM_MAX_REGIONS || (int)n != nfds || msg->size != 8 + 32 * n)
		return -1;
	memcpy(reg, (const uint8_t *)msg + VU_HDR_SIZE + 8, sizeof(reg[0]) * n);
	for (uint32_t i = 0; i < n; i++) {
		const struct vu_region *r = &reg[i];
		for (uint32_t j = 0; j < i; j++)
			if (overlaps(r, &reg[j]))
				goto bad;
		if (region_ok(r, fds[i]) < 0)
			goto bad;
		size_t len = (size_t)(r->offset + r->size);
		void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fds[i], 0);
		if (base == MAP_FAILED)
			goto bad;
		m->map[i].uaddr = r->uaddr;
		m->map[i].base = base;
		m->map[i].len = len;
		m->ram.region[i] = (struct ram_region){ r->gpa, r->size, (uint8_t *)base + r->offset };
		m->ram.nregions = (int)i + 1;
	}
	return 0;
bad:
	vu_unmap(m);
	return -1;
}

int vu_gpa_of(const struct vu_mem *m, uint64_t ua, uint64_t len, uint64_t *gpa)
{
	for (int i = 0; i < m->ram.nregions; i++) {
		uint64_t off = ua - m->map[i].uaddr, size = m->ram.region[i].size;
		if (ua >= m->map[i].uaddr && off <= size && len <= size - off) {
			*gpa = m->ram.region[i].gpa + off;
			return 0;
		}
	}
	return -1;
}
