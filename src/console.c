/*T:620 The terminal
 * lguest is used from a shell, so the terminal must feel like the guest's:
 * raw mode (every key goes to the guest at once, Ctrl-C included) and output
 * written straight through.  Ctrl-A is the escape: Ctrl-A x quits, Ctrl-A
 * Ctrl-A sends a Ctrl-A.  Whatever ends lguest (the guest, Ctrl-A x,
 * SIGTERM, even a crash of lguest itself) puts the terminal back first. */
#include "console.h"
#include "core/vm.h"
#include "util.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define CTRL_A 0x01

static struct {
	struct vm *vm;
	console_sink sink;
	void *opaque;
	console_space space;
	int escape;                 /* the last byte was Ctrl-A */
	int saved;                  /* saved_tio holds the user's settings */
	struct termios saved_tio;
} con;

void console_restore(void)
{
	if (con.saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &con.saved_tio);
}

static void on_fatal(int sig)
{
	console_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_term(int sig)
{
	vm_end(con.vm, 128 + sig);          /* async-signal-safe: CAS + write */
}

static void install_signals(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	static const int term[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = on_fatal };
	for (size_t i = 0; i < ARRAY_SIZE(fatal); i++)
		sigaction(fatal[i], &sa, NULL);
	sa.sa_handler = on_term;
	for (size_t i = 0; i < ARRAY_SIZE(term); i++)
		sigaction(term[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);           /* a closed stdout loses output, not the guest */
}

/* Escape processing, in place; returns the bytes meant for the guest. */
static unsigned unescape(uint8_t *buf, unsigned n)
{
	unsigned out = 0;
	for (unsigned i = 0; i < n; i++) {
		uint8_t c = buf[i];
		if (!con.escape && c == CTRL_A) {
			con.escape = 1;
			continue;
		}
		if (con.escape && (c == 'x' || c == 'X')) {
			vm_end(con.vm, LG_EXIT_OK);
			return out;
		}
		con.escape = 0;
		buf[out++] = c;             /* Ctrl-A Ctrl-A: one Ctrl-A */
	}
	return out;
}

/* Only the loop thread adds input, so the room we see can only grow before
 * we hand the bytes over: nothing read is ever dropped. */
static void on_stdin(void *opaque, int fd, uint32_t events)
{
	uint8_t buf[256];
	(void)opaque, (void)events;
	unsigned room = con.space(con.opaque);
	if (!room) {                        /* the guest is behind: wait for it */
		loop_pause_fd(&con.vm->loop, fd, 1);
		return;
	}
	ssize_t n = read(fd, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {                       /* end of input: the guest goes on */
		loop_remove(&con.vm->loop, fd);
		return;
	}
	unsigned len = unescape(buf, (unsigned)n);
	if (len)
		con.sink(con.opaque, buf, len);
}

void console_room(void *unused)
{
	(void)unused;
	loop_pause_fd(&con.vm->loop, STDIN_FILENO, 0);
}

int console_init(struct vm *vm, console_sink sink, console_space space, void *opaque)
{
	con.vm = vm;
	con.sink = sink;
	con.space = space;
	con.opaque = opaque;
	install_signals();
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &con.saved_tio) == 0) {
		struct termios raw = con.saved_tio;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST | ONLCR;   /* a kernel's bare "\n" still returns */
		con.saved = 1;
		atexit(console_restore);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	/* A regular file or /dev/null cannot be polled: no input, then. */
	if (loop_add(&vm->loop, STDIN_FILENO, on_stdin, NULL) < 0 && errno != EPERM)
		return -1;
	return 0;
}
