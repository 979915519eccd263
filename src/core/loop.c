/*T:400 The event loop
 * vCPU threads only run the guest.  Everything that waits on the outside
 * world (the terminal today; disk requests, network frames and the control
 * socket later) waits here, on one epoll set served by the main thread.  A
 * device adds its file descriptors with a callback and nothing else needs to
 * know it exists. */
#include "loop.h"
#include "../util.h"
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

int loop_init(struct loop *l)
{
	l->n = 0;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->epfd < 0 || l->stop_fd < 0)
		return fail("event loop: %s", strerror(errno));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stop_fd, &ev) < 0)
		return fail("event loop: %s", strerror(errno));
	return 0;
}

int loop_add(struct loop *l, int fd, loop_fn fn, void *opaque)
{
	if (l->n == LOOP_MAX_WATCHES)
		return fail("event loop: more than %d watches", LOOP_MAX_WATCHES);
	struct loop_watch *w = &l->watch[l->n++];
	*w = (struct loop_watch){ fd, fn, opaque };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		l->n--;
		fail("event loop: cannot watch fd %d: %s", fd, strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}

static struct loop_watch *find(struct loop *l, int fd)
{
	for (int i = 0; i < l->n; i++)
		if (l->watch[i].fd == fd)
			return &l->watch[i];
	return NULL;
}

/* Out of the set while paused: epoll reports a hang-up even to a watch
 * that asks for no events, and a paused fd at EOF would spin the loop. */
void loop_pause_fd(struct loop *l, int fd, int paused)
{
	struct loop_watch *w = find(l, fd);
	if (!w)
		return;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };
	epoll_ctl(l->epfd, paused ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, fd, &ev);
}

void loop_remove(struct loop *l, int fd)
{
	struct loop_watch *w = find(l, fd);
	if (!w)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	w->fn = NULL;      /* the slot stays: epoll may still hold a stale event */
	w->fd = -1;
}

/* With a poller, poll() waits on its fds and on the epoll set itself. */
static int wait_poller(struct loop *l, struct epoll_event *ev)
{
	struct pollfd fds[64];
	int timeout = -1;
	fds[0] = (struct pollfd){ l->epfd, POLLIN, 0 };
	int n = l->poller->prepare(l->poller->opaque, fds + 1, 63, &timeout);
	if (poll(fds, (nfds_t)n + 1, timeout) < 0 && errno != EINTR)
		return -1;
	l->poller->dispatch(l->poller->opaque, fds + 1, n);
	return epoll_wait(l->epfd, ev, 16, 0);
}

void loop_run(struct loop *l)
{
	struct epoll_event ev[16];
	for (;;) {
		int n = l->poller ? wait_poller(l, ev) : epoll_wait(l->epfd, ev, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		for (int i = 0; i < n; i++) {
			struct loop_watch *w = ev[i].data.ptr;
			if (!w)
				return;        /* loop_stop() */
			if (w->fn)
				w->fn(w->opaque, w->fd, ev[i].events);
		}
	}
}

void loop_stop(struct loop *l)
{
	uint64_t one = 1;
	if (write(l->stop_fd, &one, sizeof(one)) < 0) {
		/* the counter is already non-zero: the loop is stopping anyway */
	}
}
