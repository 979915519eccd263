/*T:890 User-mode networking: libslirp
 * With no privileges at all a guest can still reach the outside: libslirp
 * is a TCP/IP stack in a library that turns the guest's connections into
 * ordinary sockets of ours, and answers DHCP and DNS itself, at QEMU's
 * addresses (10.0.2.0/24: gateway .2, DNS .3, the guest .15).  hostfwd
 * opens a listening socket on the host that leads to a port of the guest;
 * restrict cuts the guest off from everything but those.  Its sockets come
 * and go, so it sits beside the epoll set as the loop's poller. */
#include "net.h"
#include "../core/loop.h"
#include "../util.h"
#include <arpa/inet.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct user_net {
	Slirp *slirp;
	struct loop_poller poller;
	void (*to_guest)(void *, const uint8_t *, size_t);
	void *opaque;
	struct pollfd *fds;
	int nfds, max;
	struct timer { SlirpTimerCb cb; void *arg; int64_t when_ms; } timer[2];
};

/* --- libslirp's callbacks ------------------------------------------------- */

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
	struct user_net *u = opaque;
	u->to_guest(u->opaque, buf, len);
	return (ssize_t)len;
}

static void guest_error(const char *msg, void *opaque) { (void)msg; (void)opaque; }
static int64_t clock_ns(void *opaque) { (void)opaque; return now_ns(); }
static void no_fd(int fd, void *opaque) { (void)fd; (void)opaque; }
static void notify(void *opaque) { (void)opaque; }

/* libslirp asks for a timer or two (IPv6 router adverts); a fixed pair. */
static void *timer_new(SlirpTimerCb cb, void *arg, void *opaque)
{
	struct user_net *u = opaque;
	for (int i = 0; i < 2; i++)
		if (!u->timer[i].cb) {
			u->timer[i] = (struct timer){ cb, arg, -1 };
			return &u->timer[i];
		}
	return NULL;
}
static void timer_free(void *t, void *opaque) { (void)opaque; if (t) *(struct timer *)t = (struct timer){ 0 }; }
static void timer_mod(void *t, int64_t ms, void *opaque) { (void)opaque; if (t) ((struct timer *)t)->when_ms = ms; }

static int add_poll(int fd, int events, void *opaque)
{
	struct user_net *u = opaque;
	if (u->nfds == u->max)
		return -1;
	short ev = (short)((events & SLIRP_POLL_IN ? POLLIN : 0) | (events & SLIRP_POLL_OUT ? POLLOUT : 0) |
			   (events & SLIRP_POLL_PRI ? POLLPRI : 0));
	u->fds[u->nfds] = (struct pollfd){ fd, ev, 0 };
	return u->nfds++;
}

static int get_revents(int idx, void *opaque)
{
	struct user_net *u = opaque;
	short r = idx >= 0 && idx < u->nfds ? u->fds[idx].revents : 0;
	return (r & POLLIN ? SLIRP_POLL_IN : 0) | (r & POLLOUT ? SLIRP_POLL_OUT : 0) |
	       (r & POLLPRI ? SLIRP_POLL_PRI : 0) | (r & POLLERR ? SLIRP_POLL_ERR : 0) |
	       (r & POLLHUP ? SLIRP_POLL_HUP : 0);
}

static int prepare(void *opaque, struct pollfd *fds, int max, int *timeout_ms)
{
	struct user_net *u = opaque;
	uint32_t t = UINT32_MAX;
	u->fds = fds;
	u->max = max;
	u->nfds = 0;
	slirp_pollfds_fill(u->slirp, &t, add_poll, u);
	int64_t now = now_ns() / 1000000;
	for (int i = 0; i < 2; i++)
		if (u->timer[i].cb && u->timer[i].when_ms >= 0) {
			int64_t left = u->timer[i].when_ms > now ? u->timer[i].when_ms - now : 0;
			t = (uint32_t)left < t ? (uint32_t)left : t;
		}
	*timeout_ms = t == UINT32_MAX ? -1 : (int)t;
	return u->nfds;
}

static void dispatch(void *opaque, struct pollfd *fds, int n)
{
	struct user_net *u = opaque;
	u->fds = fds;
	u->nfds = n;
	slirp_pollfds_poll(u->slirp, 0, get_revents, u);
	int64_t now = now_ns() / 1000000;
	for (int i = 0; i < 2; i++)
		if (u->timer[i].cb && u->timer[i].when_ms >= 0 && u->timer[i].when_ms <= now) {
			u->timer[i].when_ms = -1;
			u->timer[i].cb(u->timer[i].arg);
		}
}

static const SlirpCb callbacks = {
	.send_packet = send_packet, .guest_error = guest_error, .clock_get_ns = clock_ns,
	.timer_new = timer_new, .timer_free = timer_free, .timer_mod = timer_mod,
	.register_poll_fd = no_fd, .unregister_poll_fd = no_fd, .notify = notify,
};

struct user_net *user_new(struct loop *loop, const char *opts,
			  void (*to_guest)(void *, const uint8_t *, size_t), void *opaque)
{
	struct net_fwd fwd[NET_MAX_FWD];
	int restricted, nfwd;
	if (net_user_opts(opts, &restricted, fwd, &nfwd) < 0)
		return NULL;
	struct user_net *u = calloc(1, sizeof(*u));
	SlirpConfig cfg = { .version = 1, .restricted = restricted, .in_enabled = true,
			    .disable_host_loopback = true };
	inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
	inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
	inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
	inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
	u->to_guest = to_guest;
	u->opaque = opaque;
	u->slirp = slirp_new(&cfg, &callbacks, u);
	for (int i = 0; u->slirp && i < nfwd; i++) {
		char a[INET_ADDRSTRLEN];
		struct in_addr host = { fwd[i].host };
		if (slirp_add_hostfwd(u->slirp, fwd[i].udp, host, fwd[i].hport, cfg.vdhcp_start,
				      fwd[i].gport) == 0)
			continue;
		fail("--net user: hostfwd: cannot listen on %s:%d (%s port in use?)",
		     inet_ntop(AF_INET, &host, a, sizeof(a)), fwd[i].hport, fwd[i].udp ? "UDP" : "TCP");
		slirp_cleanup(u->slirp);
		free(u);
		return NULL;
	}
	if (!u->slirp) {
		free(u);
		fail("--net user: libslirp could not start");
		return NULL;
	}
	u->poller = (struct loop_poller){ prepare, dispatch, u };
	loop->poller = &u->poller;
	return u;
}

void user_input(struct user_net *u, const uint8_t *frame, size_t len)
{
	slirp_input(u->slirp, frame, (int)len);
}
