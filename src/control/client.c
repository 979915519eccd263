/*T:899 The commands that talk to a running guest
 * lguest list, stat, pause, resume, stop, kill and console: each connects
 * to a guest's socket, reads its greeting, sends one request and prints
 * the answer, for people or (--json) for programs.  A name nobody answers
 * to, or a request the guest's state refuses, costs one line and status 1;
 * a usage mistake, status 2.  console lends the terminal to the guest as
 * `lguest run` does (console.c, the one place we reach up) until Ctrl-A d
 * or the guest's end. */
#include "control.h"
#include "../console.h"
#include "../core/vm.h"
#include "../util.h"
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: lguest list [--json]            the running guests: name, pid, state, vCPUs...\n"
	"       lguest stat NAME [--json]       exits per vCPU, memory, each device's requests...\n"
	"       lguest pause NAME | resume NAME hold every vCPU (its clock too), or let it go\n"
	"       lguest stop NAME [--timeout S]  Ctrl-Alt-Del, kill after S seconds (30): how it ended\n"
	"       lguest kill NAME                end it now (lguest exits with 137)\n"
	"       lguest console NAME             attach to a detached guest's console (what it\n"
	"                                       printed, then both ways); Ctrl-A d detaches\n"
	"      --json  for programs    -h, --help  this text      (docs/CONTROL.md: the protocol)\n"
	"Exit status: 0 done; 1 no such guest, or its state does not allow it; 2 a usage mistake.\n";
static const char *const commands[] = { "list", "stat", "pause", "resume", "stop", "kill", "console" };
enum { LIST, STAT, PAUSE, RESUME, STOP, KILL, CONSOLE };

static char rbuf[1 << 16];                 /* what the guest sent, not yet taken as lines */
static size_t rlen;

/* A usage mistake: fmt may name arg (%s). */
static int bad(const char *cmd, const char *fmt, const char *arg)
{
	fputs("lguest: ", stderr);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see lguest %s --help)\n", cmd);
	return 2;
}

/* The next line from fd, waiting at most ms for it. */
static int line_in(int fd, char *line, size_t size, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char *nl;
	while (!(nl = memchr(rbuf, '\n', rlen))) {
		ssize_t n = rlen < sizeof(rbuf) && poll(&p, 1, ms) > 0 ? read(fd, rbuf + rlen, sizeof(rbuf) - rlen) : -1;
		if (n <= 0)
			return -1;
		rlen += (size_t)n;
	}
	snprintf(line, size, "%.*s", (int)(nl - rbuf), rbuf);
	rlen -= (size_t)(nl + 1 - rbuf);
	memmove(rbuf, nl + 1, rlen);
	return 0;
}

static void write_all(int fd, const void *buf, size_t n)
{
	const char *b = buf;
	for (ssize_t w; n && (w = write(fd, b, n)) > 0; b += w, n -= (size_t)w) {
	}
}

/* key's value in one of the guest's replies (flat, no escapes): 1, or 0. */
static int field(const char *reply, const char *key, char *val, size_t size)
{
	char k[40];
	snprintf(k, sizeof(k), "\"%s\":", key);
	const char *p = strstr(reply, k);
	if (!p)
		return 0;
	bool quoted = p[strlen(k)] == '"';
	p += strlen(k) + quoted;
	snprintf(val, size, "%.*s", (int)strcspn(p, quoted ? "\"" : ",}"), p);
	return 1;
}

/* Connect to name in dir, and read its greeting: the socket, or -1. */
static int open_guest(int dir, const char *name, char *greeting, size_t size)
{
	int fd = control_connect(dir, name);
	rlen = 0;
	*greeting = 0;
	if (fd >= 0 && line_in(fd, greeting, size, 10000) < 0)
		close(fd);
	return fd >= 0 && *greeting ? fd : -1;
}

/* The guest's answer to req; one that is not ok ends us with its error. */
static void ask(int fd, const char *name, const char *req, char *reply, size_t size)
{
	char ok[8] = "", err[256] = "";
	write_all(fd, req, strlen(req));
	if (line_in(fd, reply, size, 10000) < 0)
		die(1, "%s did not answer", name);
	if (field(reply, "ok", ok, sizeof(ok)) && !strcmp(ok, "true"))
		return;
	field(reply, "error", err, sizeof(err));
	die(1, "%s: %s", name, *err ? err : reply);
}

static int list(bool json)
{
	static const char *const key[] = { "pid", "state", "cpus", "memory", "uptime", "devices" };
	char line[4096] = "", v[7][256];
	int dir = control_dir(), n = 0, fd;
	DIR *d = dir < 0 ? NULL : fdopendir(dir);
	if (!d)
		die(1, "%s", lg_error);
	if (!json)
		printf("%-16s %8s %-8s %4s %7s %9s  %s\n", "NAME", "PID", "STATE", "CPUS", "MEMORY", "UPTIME", "DEVICES");
	for (struct dirent *e; (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len < 6 || len > 100 || strcmp(e->d_name + len - 5, ".sock"))
			continue;
		snprintf(v[0], sizeof(v[0]), "%.*s", (int)len - 5, e->d_name);
		if ((fd = open_guest(dir, v[0], line, sizeof(line))) < 0)
			continue;                      /* gone meanwhile, or dead */
		close(fd);
		if (json)
			printf("%s%s", n++ ? ",\n " : "[", line);
		for (int k = 0; !json && k < 6; k++)
			if (!field(line, key[k], v[k + 1], sizeof(v[k + 1])))
				snprintf(v[k + 1], sizeof(v[k + 1]), "?");
		long up = atol(v[5]);
		if (!json)
			printf("%-16s %8s %-8s %4s %6lluM %3ld:%02ld:%02ld  %s\n", v[0], v[1], v[2], v[3],
			       strtoull(v[4], NULL, 10) >> 20, up / 3600, up / 60 % 60, up % 60, v[6]);
	}
	closedir(d);
	if (json)
		printf("%s]\n", n ? "" : "[");
	return 0;
}

/* lguest console: this terminal is the guest's as in lguest run (console.c),
 * but its bytes go through the socket, and Ctrl-A d detaches. */
static struct vm term;                     /* no guest: its loop, and an end */
static int sock;
static bool ended;

static unsigned to_guest(void *opaque, const uint8_t *buf, unsigned n)
{
	(void)opaque;
	write_all(sock, buf, n);
	return n;
}

static void from_guest(void *opaque, int fd, uint32_t events)
{
	uint8_t buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	(void)opaque, (void)events;
	if (n > 0) {
		write_all(STDOUT_FILENO, buf, (size_t)n);
		console_track(buf, (size_t)n);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		ended = true;
		loop_stop(&term.loop);
	}
}

static int console(int fd, const char *name)
{
	char reply[256];
	ask(fd, name, "{\"cmd\":\"console\"}\n", reply, sizeof(reply));
	sock = fd;
	if (loop_init(&term.loop) < 0 || console_init(&term, to_guest, NULL, NULL, true) < 0 ||
	    loop_add(&term.loop, fd, from_guest, NULL) < 0)
		die(1, "%s", lg_error);
	fprintf(stderr, "lguest: attached to %s; Ctrl-A d detaches\r\n", name);
	write_all(STDOUT_FILENO, rbuf, rlen);
	console_track((uint8_t *)rbuf, rlen);
	loop_run(&term.loop);
	console_restore();
	fprintf(stderr, ended ? "\r\nlguest: %s has ended\n" : "\r\nlguest: detached from %s\n", name);
	return term.exit_status > 128 ? term.exit_status : 0;
}

int control_main(int argc, char **argv)
{
	char reply[16384], how[16] = "", status[16] = "", *end = NULL;
	const char *name = NULL, *cmd = argv[0], *v;
	bool json = false;
	double timeout = 30;
	int k = 0, fd, dir;
	while (k < (int)ARRAY_SIZE(commands) && strcmp(cmd, commands[k]))
		k++;
	if (k == (int)ARRAY_SIZE(commands))
		return -1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--json") && k <= STAT) {
			json = true;
		} else if (k == STOP && (!strcmp(argv[i], "--timeout") || !strncmp(argv[i], "--timeout=", 10))) {
			if (!(v = argv[i][9] ? argv[i] + 10 : argv[++i]))
				return bad(cmd, "--timeout needs a number of seconds", "");
			if (!((timeout = strtod(v, &end)) > 0 && timeout < 1e9) || *end)
				return bad(cmd, "--timeout %s: give a number of seconds above 0", v);
		} else if (argv[i][0] == '-' || name || k == LIST) {
			return bad(cmd, argv[i][0] == '-' ? "unknown option %s" : "unexpected argument %s", argv[i]);
		} else {
			name = argv[i];
		}
	}
	if (k != LIST && !name)
		return bad(cmd, "which guest? give its NAME (lguest list shows them)", "");
	if (name && !control_name_ok(name))
		return bad(cmd, "%s is not a guest's name (letters, digits, -, _ and ., at most 64)", name);
	if (k == LIST)
		return list(json);
	if ((dir = control_dir()) < 0)
		die(1, "%s", lg_error);
	if ((fd = open_guest(dir, name, reply, sizeof(reply))) < 0)
		die(1, "no guest named %s is running (lguest list shows the running ones)", name);
	close(dir);
	if (k == CONSOLE)
		return console(fd, name);
	snprintf(reply, sizeof(reply), "{\"cmd\":\"%s\",\"timeout\":%g}\n", cmd, timeout);
	ask(fd, name, reply, reply, sizeof(reply));
	if (k == STAT && json)
		puts(reply);
	for (const char *p = strchr(reply, ','); k == STAT && !json && p && *++p && *p != '}';)
		if (*p == ',' || *p == ':')                 /* flat: for people, a member a line */
			fputs(*p == ',' ? "\n" : ": ", stdout);
		else if (*p != '"')
			putchar(*p);
	if (k == STAT && !json)
		putchar('\n');
	if ((k == STOP || k == KILL) && line_in(fd, reply, sizeof(reply), (int)(timeout * 1000) + 30000) < 0)
		die(1, "%s did not say how it ended", name);
	if (k != STOP || !field(reply, "ended", how, sizeof(how)) || !field(reply, "status", status, sizeof(status)))
		return 0;
	if (strcmp(how, "killed"))
		printf("%s shut down (status %s)\n", name, status);
	else
		printf("%s did not shut down within %g s: killed (status %s)\n", name, timeout, status);
	return 0;
}
