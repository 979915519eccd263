/*T:850 virtio-net: the guest's network card
 * Two queues: the driver posts empty buffers on receive (0) and frames on
 * transmit (1), each frame behind a 12-byte header that can ask for
 * checksum and TSO offloads.  Where the frames go is the back-end's
 * business: a host TAP device or libslirp, both served here on the event
 * loop; or a vhost-user back-end (the LAN switch, or any other), to which
 * the queues themselves are handed: it gets our guest RAM, each queue's
 * kick eventfd and the irqfd of its MSI-X vector, and from then on frames
 * go from the guest to the back-end and back with lguest out of the way.
 * When that back-end goes away the link goes down, and we call again every
 * second until it is back. */
#include "devices.h"
#include "virtio.h"
#include "../core/sandbox.h"
#include "../core/vm.h"
#include "../net/frame.h"
#include "../net/net.h"
#include "../net/vhost_user.h"
#include "../util.h"
#include <errno.h>
#include <linux/if_tun.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

enum { RXQ, TXQ };
#define LINK_UP 1
#define BASE_FEATURES (NET_F_MAC | NET_F_STATUS | NET_F_MTU | NET_F_MRG_RXBUF)
#define RX_BUDGET 64                   /* frames from TAP in one turn of the loop */

struct net {
	struct virtio_dev vdev;
	struct net_spec spec;
	struct net_rx rx;
	uint8_t cfg[12];               /* mac, status, max_virtqueue_pairs, mtu */
	int fd;                        /* TAP, or the vhost-user socket (-1: gone) */
	int timer;                     /* vhost-user: call again while it is gone */
	int relay[2];                  /* vhost-user: call eventfds for INTx */
	int err;                       /* vhost-user: the back-end found a ring broken */
	char path[108];                /* vhost-user: the back-end's socket */
	uint64_t be_features;
	struct user_net *user;
	uint64_t tx_frames, tx_bytes, tx_drops;
	struct vq_chain c;
	uint8_t buf[NET_HDR_LEN + NET_MAX_FRAME];
};

static struct net *nics[LG_MAX_NICS];
static int nnics;

/* --- the device ------------------------------------------------------------- */

static void config(struct virtio_dev *d, unsigned off, uint8_t *data, unsigned len, bool is_write)
{
	struct net *n = d->opaque;
	if (!is_write)
		memcpy(data, n->cfg + off, len);
}

static void set_link(struct net *n, bool up)
{
	n->cfg[6] = up ? LINK_UP : 0;
	virtio_config_changed(&n->vdev);
}

/* A frame from the guest: to TAP (header and all) or to libslirp. */
static void transmit(struct net *n, const struct iovec *iov, int niov, size_t len)
{
	if (n->spec.kind == NET_TAP) {
		if (writev(n->fd, iov, niov) < 0)
			n->tx_drops++;
		return;
	}
	iov_copy(&(struct iovec){ n->buf, sizeof(n->buf) }, 1, 0, iov, niov, 0, len);
	user_input(n->user, n->buf + NET_HDR_LEN, len - NET_HDR_LEN);
}

static void tx_kick(struct net *n)
{
	struct virtqueue *vq = &n->vdev.vq[TXQ];
	uint16_t old = vq->used_idx;
	int rc;
	while ((rc = vq_pop(vq, &n->c)) != VQ_EMPTY) {
		if (rc == VQ_BROKEN) {
			virtio_broken(&n->vdev);
			break;
		}
		size_t len = iov_size(n->c.iov, (int)n->c.nout);
		if (rc == VQ_CHAIN && !n->c.nin && len >= NET_HDR_LEN + 14 && len <= NET_HDR_LEN + NET_MAX_FRAME) {
			transmit(n, n->c.iov, (int)n->c.nout, len);
			n->tx_frames++;
			n->tx_bytes += len - NET_HDR_LEN;
		} else {
			n->tx_drops++;          /* a bad frame fails alone */
		}
		vq_push(vq, n->c.head, 0);
	}
	virtio_used(&n->vdev, TXQ, old);
}

/* Frames from TAP into the guest, while it has buffers for them. */
static void tap_rx(struct net *n)
{
	struct virtqueue *vq = &n->vdev.vq[RXQ];
	uint16_t old = vq->used_idx;
	for (int i = 0; i < RX_BUDGET && virtio_ready(&n->vdev) && vq->enabled; i++) {
		if (!vq_has_avail(vq)) {
			loop_pause_fd(&n->vdev.vm->loop, n->fd, 1);   /* until the driver adds some */
			break;
		}
		ssize_t len = read(n->fd, n->buf, sizeof(n->buf));
		if (len <= 0)
			break;
		frame_deliver(&n->rx, &(struct iovec){ n->buf, (size_t)len }, 1);
	}
	virtio_used(&n->vdev, RXQ, old);
}

static void on_tap(void *opaque, int fd, uint32_t events)
{
	struct net *n = opaque;
	(void)fd, (void)events;
	pthread_mutex_lock(&n->vdev.lock);
	tap_rx(n);
	pthread_mutex_unlock(&n->vdev.lock);
}

/* libslirp hands us a frame (loop thread). */
static void from_user(void *opaque, const uint8_t *frame, size_t len)
{
	struct net *n = opaque;
	struct virtio_net_hdr h = { 0 };
	struct iovec iov[2] = { { &h, NET_HDR_LEN }, { (void *)frame, len } };
	pthread_mutex_lock(&n->vdev.lock);
	struct virtqueue *vq = &n->vdev.vq[RXQ];
	uint16_t old = vq->used_idx;
	if (virtio_ready(&n->vdev) && vq->enabled) {
		frame_deliver(&n->rx, iov, 2);
		virtio_used(&n->vdev, RXQ, old);
	} else {
		n->rx.drops++;
	}
	pthread_mutex_unlock(&n->vdev.lock);
}

static void kick(struct virtio_dev *d, unsigned q)
{
	struct net *n = d->opaque;
	if (q == TXQ)
		tx_kick(n);
	else if (n->spec.kind == NET_TAP) {
		loop_pause_fd(&d->vm->loop, n->fd, 0);
		tap_rx(n);
	}
}

static void ready(struct virtio_dev *d)
{
	struct net *n = d->opaque;
	n->rx.vq = &d->vq[RXQ];
	n->rx.features = d->features;
	if (n->spec.kind == NET_TAP)
		tap_offload(n->fd, d->features);
}

/* --- handing the queues to a vhost-user back-end ------------------------------ */

static void vhost_gone(struct net *n);

static int send_state(struct net *n, uint32_t req, uint32_t q, uint32_t num)
{
	struct vu_msg m = { .request = req, .size = 8, .state = { q, num } };
	return vu_send(n->fd, &m, NULL, 0);
}

static int send_fd(struct net *n, uint32_t req, uint32_t q, int fd)
{
	struct vu_msg m = { .request = req, .size = 8, .u64 = q };
	return vu_send(n->fd, &m, &fd, 1);
}

static int send_mem_table(struct net *n)
{
	const struct guest_ram *r = &n->vdev.vm->ram;
	struct vu_msg m = { .request = VU_SET_MEM_TABLE, .size = 8 + 32 * (uint32_t)r->nregions };
	int fds[RAM_MAX_REGIONS];
	m.mem.nregions = (uint32_t)r->nregions;
	for (int i = 0; i < r->nregions; i++) {
		m.mem.region[i] = (struct vu_region){ r->region[i].gpa, r->region[i].size,
			(uint64_t)(uintptr_t)r->region[i].host, (uint64_t)(r->region[i].host - r->host) };
		fds[i] = r->fd;
	}
	return vu_send(n->fd, &m, fds, r->nregions);
}

static int send_vring(struct net *n, uint32_t q)
{
	struct virtqueue *vq = &n->vdev.vq[q];
	int call = virtio_irqfd(&n->vdev, q);
	struct vu_msg a = { .request = VU_SET_VRING_ADDR, .size = 40, .addr = { q, 0,
		(uintptr_t)vq->desc, (uintptr_t)vq->used, (uintptr_t)vq->avail, 0 } };
	if (send_state(n, VU_SET_VRING_NUM, q, vq->size) < 0 ||
	    send_state(n, VU_SET_VRING_BASE, q, vq_ram_used_idx(vq)) < 0 || vu_send(n->fd, &a, NULL, 0) < 0 ||
	    send_fd(n, VU_SET_VRING_CALL, q, call >= 0 ? call : n->relay[q]) < 0 ||
	    send_fd(n, VU_SET_VRING_ERR, q, n->err) < 0 ||
	    send_fd(n, VU_SET_VRING_KICK, q, n->vdev.kick_efd[q]) < 0)
		return -1;
	return n->spec.kind == NET_LAN ? send_state(n, VU_SET_VRING_ENABLE, q, 1) : 0;
}

/* DRIVER_OK (or the back-end is back): give it the queues. */
static void vhost_start(struct virtio_dev *d)
{
	struct net *n = d->opaque;
	uint64_t f = (d->features & n->be_features) | (n->spec.kind == NET_LAN ? VU_F_PROTOCOL_FEATURES : 0);
	ready(d);
	if (n->fd < 0 || !d->vq[RXQ].enabled || !d->vq[TXQ].enabled)
		return;
	if (vu_call(n->fd, VU_SET_OWNER, 0, 0, NULL) < 0 || vu_call(n->fd, VU_SET_FEATURES, 0, f, NULL) < 0 ||
	    send_mem_table(n) < 0 || send_vring(n, RXQ) < 0 || send_vring(n, TXQ) < 0)
		vhost_gone(n);
}

/* The driver reset the device: take the queues back. */
static void vhost_stop(struct virtio_dev *d)
{
	struct net *n = d->opaque;
	uint64_t base;
	for (uint32_t q = 0; n->fd >= 0 && q < 2; q++)
		if (vu_call(n->fd, VU_GET_VRING_BASE, 0, q, &base) < 0)
			vhost_gone(n);
}

/* Our MAC on the LAN: the switch refuses one another port has (-2). */
static int claim_mac(struct net *n, int s)
{
	uint64_t pf, r, mac = 0;
	memcpy(&mac, n->cfg, 6);
	if (vu_call(s, VU_GET_PROTOCOL_FEATURES, 0, 0, &pf) < 0 ||
	    vu_call(s, VU_SET_PROTOCOL_FEATURES, 0, 1ULL << VU_PROTOCOL_F_REPLY_ACK, NULL) < 0 ||
	    vu_call(s, VU_SEND_RARP, VU_FLAG_NEED_REPLY, mac, &r) < 0)
		return -1;
	return r ? -2 : 0;
}

/* Connect and agree on features (and, on a LAN, our MAC); the socket or -1
 * (-2: the MAC is taken) with fail(). */
static int vhost_connect(struct net *n)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	const char *what = n->spec.kind == NET_LAN ? "lan" : "vhost-user";
	uint64_t f;
	memcpy(a.sun_path, n->path, sizeof(a.sun_path));
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;
		if (s >= 0)
			close(s);
		return fail("--net %s=%s: cannot connect to %s: %s", what, n->spec.arg, a.sun_path, strerror(e));
	}
	if (vu_call(s, VU_GET_FEATURES, 0, 0, &f) < 0 || !(f & VIRTIO_F_VERSION_1)) {
		close(s);
		return fail("--net %s=%s: %s is not a vhost-user-net back-end", what, n->spec.arg, a.sun_path);
	}
	int rc = n->spec.kind == NET_LAN && (f & VU_F_PROTOCOL_FEATURES) ? claim_mac(n, s) : 0;
	if (rc < 0) {
		close(s);
		return rc == -2 ? -2 : fail("--net %s=%s: the switch does not answer", what, n->spec.arg);
	}
	n->be_features = f;
	return s;
}

/* The back-end's socket is readable: it closed (nothing else is expected
 * there, and replies are read by whoever asked, under the lock). */
static void on_vhost_sock(void *opaque, int fd, uint32_t events)
{
	struct net *n = opaque;
	char c[64];
	(void)events;
	pthread_mutex_lock(&n->vdev.lock);
	ssize_t r = fd == n->fd ? recv(fd, c, sizeof(c), MSG_DONTWAIT) : 1;
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
		vhost_gone(n);
	pthread_mutex_unlock(&n->vdev.lock);
}

static void vhost_gone(struct net *n)
{
	if (n->fd < 0)
		return;
	loop_remove(&n->vdev.vm->loop, n->fd);
	close(n->fd);
	n->fd = -1;
	set_link(n, false);
	struct itimerspec every_second = { { 1, 0 }, { 1, 0 } };
	timerfd_settime(n->timer, 0, &every_second, NULL);
}

static void on_timer(void *opaque, int fd, uint32_t events)
{
	struct net *n = opaque;
	uint64_t ticks;
	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0)
		return;
	pthread_mutex_lock(&n->vdev.lock);
	int s = n->fd < 0 ? vhost_connect(n) : -1;
	if (s >= 0 && loop_add(&n->vdev.vm->loop, s, on_vhost_sock, n) == 0) {
		n->fd = s;
		timerfd_settime(n->timer, 0, &(struct itimerspec){ 0 }, NULL);
		set_link(n, true);
		if (virtio_ready(&n->vdev))
			vhost_start(&n->vdev);
	} else if (s >= 0) {
		close(s);
	}
	pthread_mutex_unlock(&n->vdev.lock);
}

/* The back-end signals: a queue's interrupt (INTx), or a ring it found
 * broken (the device needs a reset, as our own would). */
static void on_relay(void *opaque, int fd, uint32_t events)
{
	struct net *n = opaque;
	uint64_t v;
	(void)events;
	if (read(fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&n->vdev.lock);
	if (fd == n->err)
		virtio_broken(&n->vdev);
	else
		virtio_notify(&n->vdev, fd == n->relay[RXQ] ? RXQ : TXQ);
	pthread_mutex_unlock(&n->vdev.lock);
}

/* The first connection; on a LAN, start its switch if there is none yet,
 * and with a MAC of our choosing, move on from one that is taken. */
static int vhost_setup(struct net *n, struct vm *vm, int index)
{
	if (n->spec.kind == NET_LAN ? lan_path(n->spec.arg, n->path, sizeof(n->path), 0) < 0 :
	    snprintf(n->path, sizeof(n->path), "%s", n->spec.arg) >= (int)sizeof(n->path))
		return fail("--net %s: the socket's path is too long", n->spec.arg);
	int s = vhost_connect(n);
	if (s == -1 && n->spec.kind == NET_LAN && lan_spawn(n->spec.arg) == 0)
		s = vhost_connect(n);
	for (int i = 1; s == -2 && !n->spec.mac_given && i < 16; i++) {
		n->cfg[5] = (uint8_t)(n->cfg[5] + 1 + index);
		s = vhost_connect(n);
	}
	if (s == -2)
		return fail("--net lan=%s: MAC %02x:%02x:%02x:%02x:%02x:%02x is already on that LAN (give another mac=)",
			    n->spec.arg, n->cfg[0], n->cfg[1], n->cfg[2], n->cfg[3], n->cfg[4], n->cfg[5]);
	if (s < 0)
		return -1;
	n->fd = s;
	n->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	int *efd[3] = { &n->relay[RXQ], &n->relay[TXQ], &n->err };
	for (int i = 0; i < 3; i++) {
		if (i < 2)
			loop_remove(&vm->loop, n->vdev.kick_efd[i]);    /* the back-end's to read now */
		*efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (*efd[i] < 0 || loop_add(&vm->loop, *efd[i], on_relay, n) < 0)
			return fail("--net: %s", strerror(errno));
	}
	if (n->timer < 0 || loop_add(&vm->loop, s, on_vhost_sock, n) < 0 ||
	    loop_add(&vm->loop, n->timer, on_timer, n) < 0)
		return fail("--net: %s", strerror(errno));
	n->vdev.offer &= n->be_features | BASE_FEATURES;
	n->cfg[6] = LINK_UP;
	return 0;
}

/* lguest stat: the frames each way, as TAP or libslirp saw them; a
 * vhost-user back-end (the LAN's switch) moves its frames without us, so
 * those cards have only their link. */
static unsigned counters(struct virtio_dev *d, struct virtio_counter *c, unsigned max)
{
	struct net *n = d->opaque;
	struct virtio_counter all[] = {
		{ "link", !!(n->cfg[6] & LINK_UP) }, { "rx_frames", n->rx.frames }, { "rx_bytes", n->rx.bytes },
		{ "rx_drops", n->rx.drops }, { "tx_frames", n->tx_frames }, { "tx_bytes", n->tx_bytes },
		{ "tx_drops", n->tx_drops },
	};
	unsigned k = d->ops->kick ? ARRAY_SIZE(all) : 1;
	k = k < max ? k : max;
	memcpy(c, all, k * sizeof(*c));
	return k;
}

static const struct virtio_ops ops = {
	.type = 1, .nqueues = 2, .cfg_size = 12, .cfg = config, .kick = kick, .ready = ready, .stat = counters,
	.features = BASE_FEATURES | NET_F_OFFLOADS,
};
static const struct virtio_ops vhost_ops = {
	.type = 1, .nqueues = 2, .cfg_size = 12, .cfg = config, .ready = vhost_start, .reset = vhost_stop,
	.stat = counters,
	.features = BASE_FEATURES | NET_F_OFFLOADS,
};

/* What each back-end adds to the sandbox's rules (core/sandbox.c): the
 * vhost-user messages (a status write on a vCPU thread starts or stops the
 * back-end; the loop calls again when it is gone), TAP's offloads, and
 * libslirp, whose sockets are the guest's connections. */
static void sandbox_rules(enum net_kind kind)
{
	static const int vhost_both[] = { SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(poll),
					  SCMP_SYS(close), SCMP_SYS(timerfd_settime) };
	static const int vhost_loop[] = { SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(recvfrom) };
	static const int tap[] = { SCMP_SYS(writev) };
	static const int user[] = { SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen),
		SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(setsockopt), SCMP_SYS(getsockopt),
		SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(sendto), SCMP_SYS(recvfrom),
		SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(shutdown), SCMP_SYS(close), SCMP_SYS(poll),
		SCMP_SYS(fcntl), SCMP_SYS(openat), SCMP_SYS(newfstatat), SCMP_SYS(fstat),
		SCMP_SYS(lseek) };
	const unsigned V = 1u << SANDBOX_VCPU, L = 1u << SANDBOX_LOOP;
	if (kind == NET_LAN || kind == NET_VHOST) {
		sandbox_allow(V | L, vhost_both, ARRAY_SIZE(vhost_both));
		sandbox_allow(L, vhost_loop, ARRAY_SIZE(vhost_loop));
	} else if (kind == NET_TAP) {
		sandbox_allow(L, tap, ARRAY_SIZE(tap));
		sandbox_allow_ioctl(V, TUNSETOFFLOAD);
	} else {
		sandbox_allow(L, user, ARRAY_SIZE(user));
	}
}

int net_add(struct pci_bus *bus, struct vm *vm, const char *spec, int index, const char *guest)
{
	struct net *n = calloc(1, sizeof(*n));
	uint32_t id = 2166136261u;                  /* FNV-1a of the guest's name and the card's index: */
	for (const char *p = guest; *p; p++)        /* the same MAC each time a guest of that name runs */
		id = (id ^ (uint8_t)*p) * 16777619u;
	id = (id ^ (uint32_t)index) * 16777619u;
	if (!n || net_parse(spec, &n->spec) < 0)
		return -1;
	memcpy(n->cfg, (uint8_t[]){ 0x52, 0x54, 0x00, (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8) }, 6);
	if (n->spec.mac_given)
		memcpy(n->cfg, n->spec.mac, 6);
	n->cfg[6] = LINK_UP;
	n->cfg[10] = 1500 & 0xff, n->cfg[11] = 1500 >> 8;          /* mtu */
	n->fd = -1;
	bool vhost = n->spec.kind == NET_LAN || n->spec.kind == NET_VHOST;
	sandbox_rules(n->spec.kind);
	if (virtio_pci_add(&n->vdev, bus, vm, vhost ? &vhost_ops : &ops, n) < 0)
		return -1;
	nics[nnics++] = n;
	if (vhost)
		return vhost_setup(n, vm, index);
	if (n->spec.kind == NET_USER) {
		if (vm->loop.poller)
			return fail("--net user: one per guest");
		n->vdev.offer &= ~NET_F_OFFLOADS;      /* libslirp wants whole frames */
		n->user = user_new(&vm->loop, n->spec.arg, from_user, n);
		return n->user ? 0 : -1;
	}
	n->fd = tap_open(*n->spec.arg ? n->spec.arg : NULL);
	return n->fd < 0 || loop_add(&vm->loop, n->fd, on_tap, n) < 0 ? -1 : 0;
}

void net_report(void)
{
	for (int i = 0; i < nnics; i++) {
		struct net *n = nics[i];
		fprintf(stderr, "lguest-report: net%d rx_frames=%llu rx_bytes=%llu rx_drops=%llu "
			"tx_frames=%llu tx_bytes=%llu tx_drops=%llu link=%d\n", i,
			(unsigned long long)n->rx.frames, (unsigned long long)n->rx.bytes,
			(unsigned long long)n->rx.drops, (unsigned long long)n->tx_frames,
			(unsigned long long)n->tx_bytes, (unsigned long long)n->tx_drops, n->cfg[6] & LINK_UP);
	}
}
