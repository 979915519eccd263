/*T:898 The control socket
 * A running lguest answers on a Unix socket, NAME.sock in a directory only
 * its user may enter ($XDG_RUNTIME_DIR/lguest), and only to that user
 * (SO_PEERCRED): one JSON object a line each way (docs/CONTROL.md), a
 * greeting first.  It is served on the event loop, never on a vCPU thread,
 * through an epoll set of its own: each client has a bounded line buffer,
 * a reply its socket cannot take at once drops it, and when every slot is
 * taken a client idle for a second makes room.  pause holds the vCPUs
 * (vm.c); stop types Ctrl-Alt-Del (platform.c), then kills after a timeout;
 * a detached guest's console output waits in a 64 KiB ring for `lguest
 * console`, whose connection then carries the console both ways, raw. */
#include "control.h"
#include "../core/sandbox.h"
#include "../core/vm.h"
#include "../util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#define CLIENTS 16
#define LINE 4096
#define RING (64u << 10)
enum { LISTEN = CLIENTS, OUTPUT, TIMER };

static struct client {
	int fd, pid;
	bool console, waits, blocked;   /* attached; waits for the end; EPOLLOUT asked for */
	unsigned len;
	uint64_t sent, last;            /* console: ring position; last request (us) */
	char line[LINE];
} cl[CLIENTS];

static struct {
	struct vm *vm;
	const struct control_hooks *h;
	char dir[200], name[CONTROL_NAME_MAX + 1], sock[CONTROL_NAME_MAX + 6];
	int dirfd, listen, ep, efd, timer, status, uid;
	const char *state;              /* running, paused, stopping */
	bool detached, bound, killed;
	uint64_t start, head;           /* head: bytes ever put in the ring */
	pthread_mutex_t lock;           /* the ring: any thread prints */
	atomic_bool attached;
	uint8_t ring[RING];
	char out[16384];                /* the reply put() writes */
	size_t olen;
} ctl = { .state = "running", .lock = PTHREAD_MUTEX_INITIALIZER };

/* --- names and the sockets' directory ------------------------------------ */

bool control_name_ok(const char *name)
{
	size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");
	return n && n <= CONTROL_NAME_MAX && !name[n] && name[0] != '-';
}

int control_dir(void)
{
	struct stat st;
	runtime_dir(ctl.dir, sizeof(ctl.dir));
	mkdir(ctl.dir, 0700);
	int fd = open(ctl.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail("%s, for the control sockets: %s", ctl.dir, strerror(errno));
	if (fstat(fd, &st) == 0 && st.st_uid == geteuid() && !(st.st_mode & 077) && flock(fd, LOCK_EX) == 0)
		return fd;                      /* locked: no other lguest binds or cleans meanwhile */
	close(fd);
	return fail("%s, for the control sockets, must be a directory of yours alone (mode 0700)", ctl.dir);
}

int control_connect(int dir, const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	bool fits = snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s.sock", ctl.dir, name) < (int)sizeof(a.sun_path);
	if (fits && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return fd;
	if (fits && errno == ECONNREFUSED)      /* nobody listens: a guest that died (SIGKILL) */
		unlinkat(dir, strrchr(a.sun_path, '/') + 1, 0);
	close(fd);
	return -1;
}

int control_open(const char *name, bool detached)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;
	ctl.detached = detached;
	snprintf(ctl.name, sizeof(ctl.name), "%s", name);
	snprintf(ctl.sock, sizeof(ctl.sock), "%s.sock", name);
	if ((ctl.dirfd = control_dir()) < 0)
		return -1;
	if ((fd = control_connect(ctl.dirfd, name)) >= 0)
		return fail("a guest named %s is running already (lguest list): give another --name", name);
	if (snprintf(a.sun_path, sizeof(a.sun_path), "%s/%s", ctl.dir, ctl.sock) >= (int)sizeof(a.sun_path))
		return fail("%s/%s is too long for a socket: give a shorter --name or XDG_RUNTIME_DIR", ctl.dir, ctl.sock);
	atexit(control_unlink);
	ctl.listen = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ctl.bound = bind(ctl.listen, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (!ctl.bound || listen(ctl.listen, 64) < 0)
		return fail("cannot make the control socket %s: %s", a.sun_path, strerror(errno));
	flock(ctl.dirfd, LOCK_UN);
	return 0;
}

void control_unlink(void)
{
	if (ctl.bound)
		unlinkat(ctl.dirfd, ctl.sock, 0);
	ctl.bound = false;
}

/* --- clients ------------------------------------------------------------------ */

static uint64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

static int watch(int fd, int id, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)id };
	return epoll_ctl(ctl.ep, op, fd, &ev);
}

static void drop(struct client *c)
{
	if (c->console)
		atomic_store(&ctl.attached, false);
	close(c->fd);
	c->fd = -1;
}

static void put(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (ctl.olen < sizeof(ctl.out))
		ctl.olen += (size_t)vsnprintf(ctl.out + ctl.olen, sizeof(ctl.out) - ctl.olen, fmt, ap);
	va_end(ap);
}

/* What put() wrote, as one line: a client that cannot take it now is dropped. */
static void send_reply(struct client *c)
{
	if (ctl.olen < sizeof(ctl.out))
		ctl.out[ctl.olen++] = '\n';
	if (ctl.olen > sizeof(ctl.out) || write(c->fd, ctl.out, ctl.olen) != (ssize_t)ctl.olen)
		drop(c);
	ctl.olen = 0;
}

/* The greeting, and the start of stat: what lguest list shows. */
static void info(void)
{
	char dev[512];
	ctl.h->devices(dev, sizeof(dev), false);
	put("\"name\":\"%s\",\"pid\":%d,\"state\":\"%s\",\"cpus\":%d,\"memory\":%llu,\"uptime\":%.3f,\"devices\":\"%s\"",
	    ctl.name, getpid(), ctl.state, ctl.vm->ncpus, (unsigned long long)ctl.vm->ram.size,
	    (double)(now_us() - ctl.start) / 1e6, dev);
}

static void stat_reply(void)
{
	static const char *const kind[VCPU_EXIT_KINDS] = { "io", "mmio", "intr", "other" };
	char s[2048] = "", *p;
	unsigned long long rss = 0, shmem = 0;      /* guest RAM is shared memory: RssShmem */
	if (pread(ctl.status, s, sizeof(s) - 1, 0) > 0 && (p = strstr(s, "VmRSS:")) && sscanf(p, "VmRSS: %llu", &rss) &&
	    (p = strstr(s, "RssShmem:")))
		sscanf(p, "RssShmem: %llu", &shmem);
	put("{\"ok\":true,");
	info();
	put(",\"ram_touched\":%llu,\"lguest_rss\":%llu", shmem << 10, (rss - shmem) << 10);
	for (int i = 0; i < ctl.vm->ncpus; i++)
		for (int k = 0; k < VCPU_EXIT_KINDS; k++)
			put(",\"vcpu%d_%s\":%llu", i, kind[k], (unsigned long long)atomic_load(&ctl.vm->vcpu[i].exits[k]));
	if (ctl.olen < sizeof(ctl.out))
		ctl.olen += ctl.h->devices(ctl.out + ctl.olen, sizeof(ctl.out) - ctl.olen, true);
	put("}");
}

/* A detached guest's console output, from where c is in the ring; what its
 * socket cannot take yet waits for EPOLLOUT. */
static void pump(struct client *c)
{
	uint8_t b[4096];
	size_t n;
	ssize_t w;
	do {
		pthread_mutex_lock(&ctl.lock);
		c->sent = ctl.head - c->sent > RING ? ctl.head - RING : c->sent;   /* behind: lost */
		n = ctl.head - c->sent < sizeof(b) ? ctl.head - c->sent : sizeof(b);
		n = n < RING - c->sent % RING ? n : RING - c->sent % RING;
		memcpy(b, ctl.ring + c->sent % RING, n);
		pthread_mutex_unlock(&ctl.lock);
		if ((w = n ? write(c->fd, b, n) : 0) < 0 && errno != EAGAIN)
			return drop(c);
		c->sent += w > 0 ? (uint64_t)w : 0;
	} while (n && w == (ssize_t)n);
	bool blocked = n && w != (ssize_t)n;
	if (blocked != c->blocked && watch(c->fd, (int)(c - cl), EPOLLIN | (blocked ? EPOLLOUT : 0), EPOLL_CTL_MOD) == 0)
		c->blocked = blocked;
}

/* Why the guest's state refuses cmd, or NULL. */
static const char *refused(const char *cmd, struct client *c)
{
	bool running = !strcmp(ctl.state, "running"), paused = !strcmp(ctl.state, "paused");
	for (int i = 0; !strcmp(cmd, "console") && i < CLIENTS; i++)
		if (cl[i].fd >= 0 && cl[i].console)
			return "its console is attached already, to another terminal";
	if (!strcmp(cmd, "console") && !ctl.detached)
		return "it runs in the foreground: its console is the terminal of the lguest that runs it";
	if ((!strcmp(cmd, "pause") || !strcmp(cmd, "stop")) && !running)
		return paused ? "it is paused (resume or kill it)" : "it is stopping already";
	if (!strcmp(cmd, "resume") && !paused)
		return "it is not paused";
	return c->waits ? "this connection waits for the guest's end" : NULL;
}

/* {"cmd":"NAME"} or {"cmd":"stop","timeout":SECONDS}, spaces allowed
 * between the tokens; a reply line whatever it is. */
static void request(struct client *c, const char *line)
{
	char cmd[16] = "";
	double timeout = 30;
	int a = 0, b = 0, e = 0;
	uint64_t t0 = now_us();
	sscanf(line, " { \"cmd\" : \"%15[a-z]\" %n", cmd, &a);
	sscanf(line + a, ", \"timeout\" : %lf %n", &timeout, &b);
	sscanf(line + a + b, "} %n", &e);
	const char *why = !a || !e || line[a + b + e] || !(timeout > 0 && timeout < 1e9) ? "not a request (docs/CONTROL.md)"
			  : refused(cmd, c);
	if (why) {
		put("{\"ok\":false,\"error\":\"%s\"}", why);
	} else if (!strcmp(cmd, "stat")) {
		stat_reply();
	} else if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume")) {
		ctl.state = cmd[0] == 'p' ? "paused" : "running";
		vm_pause(ctl.vm, cmd[0] == 'p');
		put("{\"ok\":true,\"state\":\"%s\",\"held_ms\":%.3f}", ctl.state, (double)(now_us() - t0) / 1000);
	} else if (!strcmp(cmd, "stop") || !strcmp(cmd, "kill")) {
		/* only now: a timeout out of time_t's range was refused above */
		struct itimerspec it = { .it_value = { (time_t)timeout, (long)((timeout - (double)(time_t)timeout) * 1e9) } };
		c->waits = true;
		ctl.state = "stopping";
		if (cmd[0] == 'k')
			ctl.killed |= vm_end(ctl.vm, CONTROL_KILLED);
		else
			ctl.h->shutdown();
		timerfd_settime(ctl.timer, 0, &it, NULL);
		put("{\"ok\":true,\"state\":\"stopping\"}");
	} else if (!strcmp(cmd, "console")) {
		c->console = true;
		atomic_store(&ctl.attached, true);
		pthread_mutex_lock(&ctl.lock);
		c->sent = ctl.head > RING ? ctl.head - RING : 0;      /* replay what is still there */
		pthread_mutex_unlock(&ctl.lock);
		put("{\"ok\":true}");
	} else {
		put("{\"ok\":false,\"error\":\"unknown cmd: give stat, pause, resume, stop, kill or console\"}");
	}
	send_reply(c);
	if (c->fd >= 0 && c->console)
		pump(c);
}

static void readable(struct client *c)
{
	char *nl;
	ssize_t n = read(c->fd, c->line + c->len, LINE - c->len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return drop(c);
	c->len += n > 0 ? (unsigned)n : 0;
	while (!c->console && (nl = memchr(c->line, '\n', c->len)) && c->fd >= 0) {
		*nl = 0;
		c->last = now_us();
		request(c, c->line);
		c->len -= (unsigned)(nl + 1 - c->line);
		memmove(c->line, nl + 1, c->len);
	}
	if (c->fd >= 0 && c->console && c->len)
		ctl.h->input((uint8_t *)c->line, c->len);     /* typed bytes: the guest's */
	if (c->fd >= 0 && c->console)
		c->len = 0;
	if (c->fd < 0 || c->len < LINE)
		return;
	put("{\"ok\":false,\"error\":\"a request longer than %d bytes\"}", LINE - 1);
	send_reply(c);
	if (c->fd >= 0)
		drop(c);
}

/* A free slot, or the longest idle client's if it has been idle a second. */
static struct client *slot(void)
{
	struct client *old = NULL;
	for (int i = 0; i < CLIENTS; i++) {
		if (cl[i].fd < 0)
			return &cl[i];
		if (!cl[i].console && !cl[i].waits && (!old || cl[i].last < old->last))
			old = &cl[i];
	}
	if (!old || old->last + 1000000 > now_us())
		return NULL;
	drop(old);
	return old;
}

static void accept_client(void)
{
	static const char busy[] = "{\"ok\":false,\"error\":\"too many clients\"}\n";
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int fd = accept4(ctl.listen, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	bool ours = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && (int)cr.uid == ctl.uid;
	struct client *c = ours ? slot() : NULL;
	if (ours && !c)
		(void)!write(fd, busy, sizeof(busy) - 1);
	if (!c || watch(fd, (int)(c - cl), EPOLLIN, EPOLL_CTL_ADD) < 0) {
		close(fd);
		return;
	}
	*c = (struct client){ .fd = fd, .pid = cr.pid, .last = now_us() };
	put("{\"lguest\":%d,\"version\":\"%s\",", CONTROL_PROTOCOL, LG_VERSION);
	info();
	put("}");
	send_reply(c);
}

static void on_event(void *opaque, int fd, uint32_t events)
{
	struct epoll_event ev[16];
	uint64_t v;
	(void)opaque, (void)events;
	for (int i = 0, n = epoll_wait(fd, ev, 16, 0); i < n; i++) {
		uint32_t id = ev[i].data.u32;
		if (id == LISTEN)
			accept_client();
		if (id == OUTPUT && read(ctl.efd, &v, sizeof(v)) == sizeof(v))
			for (int k = 0; k < CLIENTS; k++)
				if (cl[k].fd >= 0 && cl[k].console)
					pump(&cl[k]);
		if (id == TIMER && read(ctl.timer, &v, sizeof(v)) == sizeof(v))
			ctl.killed |= vm_end(ctl.vm, CONTROL_KILLED);         /* stop's time is up */
		if (id < CLIENTS && cl[id].fd >= 0 && (ev[i].events & EPOLLOUT))
			pump(&cl[id]);
		if (id < CLIENTS && cl[id].fd >= 0 && (ev[i].events & ~EPOLLOUT))
			readable(&cl[id]);
	}
}

int control_start(struct vm *vm, const struct control_hooks *h)
{
	ctl.vm = vm;
	ctl.h = h;
	ctl.start = now_us();
	ctl.uid = (int)geteuid();
	for (int i = 0; i < CLIENTS; i++)
		cl[i].fd = -1;
	ctl.ep = epoll_create1(EPOLL_CLOEXEC);
	ctl.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ctl.timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ctl.status = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (ctl.ep < 0 || ctl.efd < 0 || ctl.timer < 0 || watch(ctl.listen, LISTEN, EPOLLIN, EPOLL_CTL_ADD) < 0 ||
	    watch(ctl.efd, OUTPUT, EPOLLIN, EPOLL_CTL_ADD) < 0 || watch(ctl.timer, TIMER, EPOLLIN, EPOLL_CTL_ADD) < 0)
		return fail("control socket: %s", strerror(errno));
	/* the socket goes even when a seccomp filter or a crash ends lguest */
	if (sandbox_allow_arg(SYS_unlinkat, 1u << SANDBOX_VCPU | 1u << SANDBOX_LOOP, 0, (uint64_t)ctl.dirfd) < 0)
		return -1;
	return loop_add(&vm->loop, ctl.ep, on_event, NULL);
}

void control_output(const uint8_t *buf, size_t n)
{
	uint64_t one = 1;
	if (!ctl.detached)
		return;
	pthread_mutex_lock(&ctl.lock);
	for (size_t i = 0; i < n; i++)
		ctl.ring[(ctl.head + i) % RING] = buf[i];
	ctl.head += n;
	pthread_mutex_unlock(&ctl.lock);
	if (atomic_load(&ctl.attached))
		(void)!write(ctl.efd, &one, sizeof(one));
}

void control_end(int status)
{
	control_unlink();               /* first: the name is free before the socket stops answering */
	for (int i = 0; i < CLIENTS; i++) {
		if (cl[i].fd >= 0 && cl[i].console)
			pump(&cl[i]);
		if (cl[i].fd >= 0 && cl[i].waits)
			put("{\"ok\":true,\"ended\":\"%s\",\"status\":%d}", ctl.killed ? "killed" : "exited", status);
		if (cl[i].fd >= 0 && cl[i].waits)
			send_reply(&cl[i]);
		if (cl[i].fd >= 0)
			drop(&cl[i]);
	}
	close(ctl.listen);
}

/* For tests/fuzz/control.c: every client gone, the guest running again,
 * stop's timer off, the console ring empty. */
void control_fuzz_reset(void)
{
	for (int i = 0; i < CLIENTS; i++)
		if (cl[i].fd >= 0)
			drop(&cl[i]);
	timerfd_settime(ctl.timer, 0, &(struct itimerspec){ { 0, 0 }, { 0, 0 } }, NULL);
	ctl.state = "running";
	ctl.killed = false;
	ctl.head = 0;
}
