#ifndef LG_LOOP_H
#define LG_LOOP_H
#include <stdint.h>

/* Called on the loop thread when fd is readable (or hung up). */
typedef void (*loop_fn)(void *opaque, int fd, uint32_t events);

/* A poll(2)-style source beside the epoll set (libslirp's sockets come and
 * go): prepare() fills fds and may shorten *timeout_ms, dispatch() reads
 * their revents after the wait. */
struct pollfd;
struct loop_poller {
	int (*prepare)(void *opaque, struct pollfd *fds, int max, int *timeout_ms);
	void (*dispatch)(void *opaque, struct pollfd *fds, int n);
	void *opaque;
};

#define LOOP_MAX_WATCHES 32
struct loop {
	int epfd;
	int stop_fd;              /* eventfd: loop_stop() from any thread */
	struct loop_watch { int fd; loop_fn fn; void *opaque; } watch[LOOP_MAX_WATCHES];
	int n;
	const struct loop_poller *poller;
};

int loop_init(struct loop *l);
int loop_add(struct loop *l, int fd, loop_fn fn, void *opaque);
/* Stop or resume watching fd (loop thread). */
void loop_pause_fd(struct loop *l, int fd, int paused);
void loop_remove(struct loop *l, int fd);
/* Run until loop_stop(). */
void loop_run(struct loop *l);
void loop_stop(struct loop *l);
#endif
