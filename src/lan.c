/*T:897 The LAN: one copy and an interrupt
 * lguest's signature, in 2007 and here: guests on one host talk with no
 * network stack in between.  `lguest lan NAME` is a switch, a process of
 * its own, and a vhost-user back-end with one port per connection: lguest
 * guests, QEMU guests, anything that speaks vhost-user-net.  Each front-end
 * hands us its guest RAM and, per queue, the eventfd KVM signals when the
 * guest kicks and the one that interrupts it.  A kick on A's transmit queue
 * wakes us: we pop A's chain with the same checked walker the devices use,
 * learn A's MAC, find the port that has the destination (or flood to all),
 * copy the frame once from A's buffer into B's receive buffers, give both
 * chains back and signal B's eventfd; KVM interrupts B.  Ports take turns,
 * a budget of frames each, so one guest flooding the LAN cannot starve the
 * others; a port that breaks a rule, or its front-end a message, is
 * dropped, and only it. */
#include "net/frame.h"
#include "net/net.h"
#include "net/vhost_user.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 64
#define BUDGET 64                     /* frames a port sends in one turn */
#define FLOOD_RATE 2000               /* storm control: flooded frames a port may send per second */
#define FLOOD_BURST 256
#define RXQ 0
#define TXQ 1
#define VIRTIO_F_VERSION_1 (1ULL << 32)
#define VIRTIO_F_EVENT_IDX (1ULL << 29)
#define VIRTIO_F_INDIRECT_DESC (1ULL << 28)
#define FEATURES (VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC | NET_F_MRG_RXBUF | \
		  NET_F_OFFLOADS | VU_F_PROTOCOL_FEATURES)
#define PROTOCOL ((1ULL << VU_PROTOCOL_F_REPLY_ACK) | (1ULL << 2 /* RARP: our MAC check */))
enum { EV_LISTEN, EV_CTRL, EV_KICK };

struct port {
	int sock;                         /* -1: a free slot */
	pid_t pid;
	struct vu_rx rx;
	struct vu_mem mem;
	uint64_t features, protocol;
	struct ring {
		struct virtqueue vq;
		uint64_t desc, avail, used;   /* guest-physical, from SET_VRING_ADDR */
		uint16_t base;
		int kick, call, err;
		bool enabled, started;
	} ring[2];
	struct net_rx to;                 /* this port as a receiver */
	uint8_t mac[6];
	bool has_mac, tx_ready, touched;
	uint16_t rx_old;                  /* used index before this turn */
	uint64_t tx_frames, tx_drops, storm_drops;
	double flood_tokens;              /* storm control's bucket */
	uint64_t flood_ns;                /* when it was last filled */
};

static struct port ports[MAX_PORTS];
static int nports, epfd;
static bool served;                           /* a front-end has spoken: --auto may end */
static volatile sig_atomic_t quit;
static struct vq_chain chain;
static struct port *touched[MAX_PORTS];
static int ntouched;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("lguest lan: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void watch(int fd, int type, int port, int q)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)type << 32 | (uint32_t)(port << 8 | q) };
	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Out of the epoll set first: the front-end keeps its copy of a kick
 * eventfd, and epoll would go on reporting it, for no port, forever. */
static void close_fd(int *fd)
{
	if (*fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, *fd, NULL);
		close(*fd);
	}
	*fd = -1;
}

static void drop(struct port *p, const char *why)
{
	say("port %d (pid %d) %s: sent %llu frames, dropped %llu bad, %llu in a storm; %llu received, "
	    "%llu dropped for want of buffers", (int)(p - ports), (int)p->pid, why,
	    (unsigned long long)p->tx_frames, (unsigned long long)p->tx_drops, (unsigned long long)p->storm_drops,
	    (unsigned long long)p->to.frames, (unsigned long long)p->to.drops);
	for (int q = 0; q < 2; q++) {
		close_fd(&p->ring[q].kick);
		close_fd(&p->ring[q].call);
		close_fd(&p->ring[q].err);
	}
	close_fd(&p->sock);
	for (int i = 0; i < p->rx.nfds; i++)
		close(p->rx.fds[i]);
	vu_unmap(&p->mem);
	nports--;
}

/* --- the data path ------------------------------------------------------------ */

static void signal_used(struct ring *r, uint16_t old)
{
	uint64_t one = 1;
	if (r->call >= 0 && vq_should_notify(&r->vq, old) && write(r->call, &one, 8) < 0) {
		/* a saturated counter: an interrupt is pending anyway */
	}
}

static struct port *port_of(const uint8_t *mac)
{
	for (int i = 0; i < MAX_PORTS; i++)
		if (ports[i].sock >= 0 && ports[i].has_mac && !memcmp(ports[i].mac, mac, 6))
			return &ports[i];
	return NULL;
}

static void deliver(struct port *to, const struct iovec *iov, int n)
{
	if (!to->ring[RXQ].started)
		return;
	if (!to->touched) {
		to->touched = true;
		to->rx_old = to->ring[RXQ].vq.used_idx;
		touched[ntouched++] = to;
	}
	frame_deliver(&to->to, iov, n);
}

/* One frame from p: learn where its sender is, then one copy to each
 * port it is for. */
static void forward(struct port *p, const struct iovec *iov, int n)
{
	uint8_t mac[12];
	size_t len = iov_size(iov, n);
	if (len < NET_HDR_LEN + 14 || len > NET_HDR_LEN + NET_MAX_FRAME) {
		p->tx_drops++;
		return;
	}
	iov_copy(&(struct iovec){ mac, 12 }, 1, 0, iov, n, NET_HDR_LEN, 12);
	struct port *owner = port_of(mac + 6);
	if (!(mac[6] & 1) && !owner) {             /* learn a unicast source */
		memcpy(p->mac, mac + 6, 6);
		p->has_mac = true;
	} else if (owner != p) {
		p->tx_drops++;                     /* another port's MAC, or a group one */
		return;
	}
	struct port *to = mac[0] & 1 ? NULL : port_of(mac);
	if (to) {
		p->tx_frames++;
		if (to != p)
			deliver(to, iov, n);
		return;
	}
	if (p->flood_tokens < 1) {                 /* a broadcast storm stops here */
		p->storm_drops++;
		return;
	}
	p->flood_tokens--;
	p->tx_frames++;
	for (int i = 0; i < MAX_PORTS; i++)        /* broadcast, multicast, unknown */
		if (ports[i].sock >= 0 && &ports[i] != p)
			deliver(&ports[i], iov, n);
}

/* Storm control: a port floods (broadcast, multicast, unknown unicast)
 * FLOOD_RATE frames a second at most, in bursts of FLOOD_BURST, so a
 * flooding guest cannot bury the others' receive queues. */
static void refill(struct port *p)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
	p->flood_tokens += (double)(now - p->flood_ns) * FLOOD_RATE / 1e9;
	if (p->flood_tokens > FLOOD_BURST || !p->flood_ns)
		p->flood_tokens = FLOOD_BURST;
	p->flood_ns = now;
}

/* p's turn: up to BUDGET frames off its transmit queue. */
static void serve(struct port *p)
{
	struct ring *r = &p->ring[TXQ];
	uint16_t old = r->vq.used_idx;
	refill(p);
	vq_turn(&r->vq);
	for (int i = 0; i < BUDGET; i++) {
		int rc = vq_pop(&r->vq, &chain);
		if (rc == VQ_EMPTY) {
			p->tx_ready = r->vq.more;       /* the turn's bytes ran out, or the queue */
			break;
		}
		if (rc == VQ_BROKEN) {            /* stop the ring; the front-end resets it */
			uint64_t one = 1;
			r->started = false;
			if (r->err < 0 || write(r->err, &one, 8) < 0)
				drop(p, "broke its transmit ring: dropped");
			return;
		}
		if (rc == VQ_CHAIN && !chain.nin)
			forward(p, chain.iov, (int)chain.nout);
		else
			p->tx_drops++;
		vq_push(&r->vq, chain.head, 0);
	}
	signal_used(r, old);
}

static void round_robin(void)
{
	for (int i = 0; i < MAX_PORTS; i++) {
		if (ports[i].sock < 0 || !ports[i].tx_ready || !ports[i].ring[TXQ].started)
			continue;
		serve(&ports[i]);
		for (int k = 0; k < ntouched; k++) {
			touched[k]->touched = false;
			if (touched[k]->sock >= 0)
				signal_used(&touched[k]->ring[RXQ], touched[k]->rx_old);
		}
		ntouched = 0;
	}
}

/* --- the vhost-user messages ---------------------------------------------------- */

static bool is_eventfd(int fd)
{
	char link[64], path[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	return n > 0 && (link[n] = 0, !strcmp(link, "anon_inode:[eventfd]"));
}

static void try_start(struct port *p, int q)
{
	struct ring *r = &p->ring[q];
	bool on = r->enabled || !(p->features & VU_F_PROTOCOL_FEATURES);
	if (r->started || !on || r->kick < 0 || !p->mem.ram.nregions)
		return;
	r->vq.desc_gpa = r->desc, r->vq.avail_gpa = r->avail, r->vq.used_gpa = r->used;
	r->vq.event_idx = p->features & VIRTIO_F_EVENT_IDX;
	r->vq.indirect = p->features & VIRTIO_F_INDIRECT_DESC;
	if (vq_start(&r->vq, &p->mem.ram, 1024) < 0)
		return;
	r->vq.last_avail = r->base;
	r->vq.used_idx = vq_ram_used_idx(&r->vq);
	if (q == RXQ)
		vq_no_kicks(&r->vq);                /* a frame with no room is dropped, not held */
	r->started = true;
	p->to = (struct net_rx){ .vq = &p->ring[RXQ].vq, .features = p->features };
	p->tx_ready = true;                         /* frames may be waiting */
}

static int take_fd(struct port *p, int *slot, bool want)
{
	close_fd(slot);
	if (!want)
		return 0;
	if (p->rx.nfds != 1 || !is_eventfd(p->rx.fds[0]))
		return -1;
	*slot = p->rx.fds[0];
	p->rx.nfds = 0;
	return 0;
}

static int reply(struct port *p, uint64_t v, uint32_t size)
{
	struct vu_msg m = { .request = p->rx.msg.request, .flags = VU_FLAG_REPLY, .size = size, .u64 = v };
	return vu_send(p->sock, &m, NULL, 0);
}

static int claim(struct port *p, uint64_t v)
{
	struct port *o = port_of((uint8_t *)&v);
	if (o && o != p)
		return 1;
	memcpy(p->mac, &v, 6);
	p->has_mac = true;
	return 0;
}

/* Serve one message; -1 drops the port.  *ack is what REPLY_ACK returns. */
static int handle(struct port *p, int *ack)
{
	struct vu_msg *m = &p->rx.msg;
	uint32_t q = m->state.index, size = m->size;
	struct ring *r = &p->ring[q & 1];
	bool no_fd = m->u64 & VU_VRING_NOFD;
	switch (m->request) {
	case VU_GET_FEATURES: return size ? -1 : reply(p, FEATURES, 8);
	case VU_GET_PROTOCOL_FEATURES: return size ? -1 : reply(p, PROTOCOL, 8);
	case VU_SET_OWNER: case VU_RESET_OWNER: return size ? -1 : 0;
	case VU_SET_MEM_TABLE:
		for (int i = 0; i < 2; i++)
			p->ring[i].started = false;
		return vu_map(&p->mem, m, p->rx.fds, p->rx.nfds);
	case VU_GET_VRING_BASE:
		if (size != 8 || q > 1)
			return -1;
		r->started = false;
		return reply(p, (uint64_t)q | (uint64_t)r->vq.last_avail << 32, 8);
	}
	if (size != (m->request == VU_SET_VRING_ADDR ? 40u : 8u))
		return -1;
	switch (m->request) {
	case VU_SET_FEATURES: p->features = m->u64 & FEATURES; return 0;
	case VU_SET_PROTOCOL_FEATURES: p->protocol = m->u64 & PROTOCOL; return 0;
	case VU_SEND_RARP: *ack = claim(p, m->u64); return 0;
	case VU_NET_SET_MTU: return 0;
	}
	if ((q & ~(uint32_t)VU_VRING_NOFD) > 1 || (r->started && m->request != VU_SET_VRING_CALL &&
						   m->request != VU_SET_VRING_ERR && m->request != VU_SET_VRING_ENABLE))
		return -1;
	q &= 1;                                             /* without the NOFD flag: an index */
	switch (m->request) {
	case VU_SET_VRING_NUM: r->vq.size = (uint16_t)m->state.num; return m->state.num > 1024 ? -1 : 0;
	case VU_SET_VRING_BASE: r->base = (uint16_t)m->state.num; return 0;
	case VU_SET_VRING_ADDR:
		return vu_gpa_of(&p->mem, m->addr.desc, 16ULL * r->vq.size, &r->desc) < 0 ||
		       vu_gpa_of(&p->mem, m->addr.avail, 6 + 2ULL * r->vq.size, &r->avail) < 0 ||
		       vu_gpa_of(&p->mem, m->addr.used, 6 + 8ULL * r->vq.size, &r->used) < 0 ? -1 : 0;
	case VU_SET_VRING_CALL: return take_fd(p, &r->call, !no_fd);
	case VU_SET_VRING_ERR: return take_fd(p, &r->err, !no_fd);
	case VU_SET_VRING_KICK:
		if (no_fd || take_fd(p, &r->kick, true) < 0)
			return -1;                         /* polling is not offered */
		watch(r->kick, EV_KICK, (int)(p - ports), (int)q);
		try_start(p, (int)q);
		return 0;
	case VU_SET_VRING_ENABLE:
		r->enabled = m->state.num;
		try_start(p, (int)q);
		return 0;
	}
	return -1;                                          /* a request we do not serve */
}

static void on_ctrl(struct port *p)
{
	int rc;
	while ((rc = vu_rx_feed(p->sock, &p->rx)) == 1) {
		int ack = 0;
		served = true;
		if (handle(p, &ack) < 0) {
			drop(p, "sent a bad vhost-user message: dropped");
			return;
		}
		if ((p->protocol & (1ULL << VU_PROTOCOL_F_REPLY_ACK)) && (p->rx.msg.flags & VU_FLAG_NEED_REPLY))
			reply(p, (uint64_t)ack, 8);
		for (int i = 0; i < p->rx.nfds; i++)
			close(p->rx.fds[i]);
		vu_rx_reset(&p->rx);
	}
	if (rc < 0)
		drop(p, p->rx.have ? "sent a bad vhost-user message: dropped" : "left");
}

static void add_port(int s)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int i = 0;
	while (i < MAX_PORTS && ports[i].sock >= 0)
		i++;
	if (i == MAX_PORTS || getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != getuid()) {
		close(s);                                   /* full, or not our user */
		return;
	}
	struct port *p = &ports[i];
	memset(p, 0, sizeof(*p));
	p->sock = s;
	p->pid = cred.pid;
	for (int q = 0; q < 2; q++)
		p->ring[q].kick = p->ring[q].call = p->ring[q].err = -1;
	nports++;
	watch(s, EV_CTRL, i, 0);
	say("port %d (pid %d) joined", i, (int)cred.pid);
}

static void on_listen(int ls)
{
	int s;
	while ((s = accept4(ls, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
		add_port(s);
}

static void on_kick(struct port *p, int q)
{
	uint64_t n;
	if (read(p->ring[q].kick, &n, 8) > 0 && q == TXQ)
		p->tx_ready = true;
}

/* --- the switch's life ------------------------------------------------------------ */

static void on_signal(int sig) { (void)sig; quit = 1; }

static int listen_on(const char *name, const char *path)
{
	char lock[120];
	snprintf(lock, sizeof(lock), "%.*s.lock", (int)strlen(path) - 5, path);
	int lf = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lf < 0 || flock(lf, LOCK_EX | LOCK_NB) < 0)
		return fail("a switch for LAN %s is already running (%s)", name, path);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);                                       /* a dead switch's */
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 64) < 0)
		return fail("LAN %s: cannot listen on %s: %s", name, path, strerror(errno));
	return s;
}

static void dispatch(struct epoll_event *e, int ls)
{
	int type = (int)(e->data.u64 >> 32), i = (int)((e->data.u64 >> 8) & 0xff), q = (int)(e->data.u64 & 1);
	if (type == EV_LISTEN)
		on_listen(ls);
	else if (ports[i].sock >= 0 && type == EV_CTRL)
		on_ctrl(&ports[i]);
	else if (ports[i].sock >= 0)
		on_kick(&ports[i], q);
}

/* The switch without its listening socket, for tests/fuzz/vhost_user.c:
 * start anew with a port for each of the n sockets, serve once what is
 * ready (the number of events: 0 when idle), end with every port dropped. */
void lan_fuzz_start(const int *socks, int n)
{
	for (int i = 0; i < MAX_PORTS; i++)
		ports[i].sock = -1;
	nports = 0;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < n; i++)
		add_port(socks[i]);
}

int lan_fuzz_step(void)
{
	struct epoll_event ev[64];
	int n = epoll_wait(epfd, ev, 64, 0);
	for (int i = 0; i < n; i++)
		dispatch(&ev[i], -1);
	round_robin();
	return n;
}

void lan_fuzz_end(void)
{
	for (int i = 0; i < MAX_PORTS; i++)
		if (ports[i].sock >= 0)
			drop(&ports[i], "ends");
	close(epfd);
}

/* lguest lan NAME [--auto]: --auto (a guest started us) ends with the last
 * port, or after 30 s without a front-end (one that only looked to see if
 * we listen does not count). */
int lan_main(int argc, char **argv)
{
	char path[108];
	bool autoexit = argc == 3 && !strcmp(argv[2], "--auto");
	if (argc < 2 || argc > 3 || (argc == 3 && !autoexit) || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc == 2 ? stdout : stderr, "usage: lguest lan NAME\n"
			"Run the switch of LAN NAME in the foreground (Ctrl-C ends it); guests join it\n"
			"with lguest run --net lan=NAME, QEMU guests through its vhost-user socket.\n");
		return argc == 2 ? 0 : LG_EXIT_FAIL;
	}
	int ls;
	if (lan_check_name(argv[1]) < 0 || lan_path(argv[1], path, sizeof(path), 1) < 0 ||
	    (ls = listen_on(argv[1], path)) < 0)
		die(LG_EXIT_FAIL, "%s", lg_error);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < MAX_PORTS; i++)
		ports[i].sock = -1;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	watch(ls, EV_LISTEN, 0, 0);
	say("LAN %s on %s", argv[1], path);
	int idle_ms = 0;
	while (!quit && !(autoexit && (served ? nports == 0 : idle_ms >= 30000))) {
		struct epoll_event ev[64];
		bool busy = false;
		for (int i = 0; i < MAX_PORTS; i++)
			busy |= ports[i].sock >= 0 && ports[i].tx_ready;
		int n = epoll_wait(epfd, ev, 64, busy ? 0 : 1000);
		idle_ms += n == 0 && !busy ? 1000 : 0;
		for (int i = 0; i < n; i++)
			dispatch(&ev[i], ls);
		round_robin();
	}
	unlink(path);
	say("LAN %s ends", argv[1]);
	return 0;
}
