/*T:620 The terminal
 * lguest is used from a shell, so the terminal must feel like the guest's:
 * raw mode (every key goes to the guest at once, Ctrl-C included) and output
 * written straight through.  Ctrl-A is the escape: Ctrl-A x quits, Ctrl-A
 * Ctrl-A sends a Ctrl-A, Ctrl-A h lists them.  Typed bytes wait here until
 * the guest's device takes them; from a terminal we read on whatever the
 * guest does, so the escape always works (bytes past our buffer are lost,
 * as a UART overruns).  Whatever ends lguest (the guest, Ctrl-A x, SIGTERM,
 * even a crash of lguest itself) puts the terminal back first, modes the
 * guest set included; Ctrl-Z gives it back and fg takes it again, and
 * started in the background lguest leaves it alone. */
#include "console.h"
#include "core/vm.h"
#include "util.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define CTRL_A 0x01
#define HOLD 65536

static struct {
	struct vm *vm;
	console_sink sink;
	void *opaque;
	int in;                     /* what the loop watches: stdin, or an always-ready eventfd */
	int room;                   /* eventfd: the sink has room again */
	bool tty, paused, escape, quit, detach;
	volatile sig_atomic_t saved, raw;
	struct termios saved_tio, raw_tio;
	uint8_t held[HOLD];         /* typed, not yet taken by the guest */
	unsigned count;
	int esc, nparam;            /* console_track()'s place in an escape */
	unsigned param[4];
	uint32_t modes;             /* bit i: modes[i] left set */
	void (*at_fatal)(void);
} con = { .room = -1 };

/* Private modes a full-screen program sets, and may leave set: the cursor
 * hidden, the alternate screen, mouse reporting, bracketed paste. */
static const struct { unsigned mode; const char *reset; } modes[] = {
	{ 25, "\033[?25h" }, { 47, "\033[?47l" }, { 1047, "\033[?1047l" }, { 1049, "\033[?1049l" },
	{ 9, "\033[?9l" }, { 1000, "\033[?1000l" }, { 1002, "\033[?1002l" }, { 1003, "\033[?1003l" },
	{ 1005, "\033[?1005l" }, { 1006, "\033[?1006l" }, { 1015, "\033[?1015l" }, { 2004, "\033[?2004l" },
};

static void set_mode(unsigned m, bool h)
{
	for (unsigned i = 0; i < ARRAY_SIZE(modes); i++)
		if (modes[i].mode == m)
			con.modes = h == (m != 25) ? con.modes | 1u << i : con.modes & ~(1u << i);
}

/* Follow "ESC [ ? n;n h" (set) and "... l" (reset) through the output. */
void console_track(const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = buf[i];
		bool digit = c >= '0' && c <= '9', more = c == ';' && con.nparam < 3;
		if (con.esc == 3 && digit)
			con.param[con.nparam] = con.param[con.nparam] % 10000 * 10 + (unsigned)(c - '0');
		for (int k = 0; con.esc == 3 && (c == 'h' || c == 'l') && k <= con.nparam; k++)
			set_mode(con.param[k], c == 'h');
		if (con.esc == 3 && more)
			con.param[++con.nparam] = 0;
		if (con.esc == 2 && c == '?')
			con.nparam = 0, con.param[0] = 0;
		con.esc = c == 033 ? 1 : con.esc == 1 && c == '[' ? 2 : con.esc == 2 && c == '?' ? 3
			: con.esc == 3 && (digit || more) ? 3 : 0;
	}
}

static void reset_modes(void)              /* async-signal-safe */
{
	for (unsigned i = 0; i < ARRAY_SIZE(modes) && con.modes && isatty(STDOUT_FILENO); i++)
		if ((con.modes >> i & 1) && write(STDOUT_FILENO, modes[i].reset, strlen(modes[i].reset)) < 0)
			break;
	con.modes = 0;
}

static bool foreground(void)                /* or no job control at all */
{
	pid_t fg = tcgetpgrp(STDIN_FILENO);
	return fg < 0 || fg == getpgrp();
}

/* Raw mode, only if the terminal is ours to take (not from the background,
 * which would stop us with SIGTTOU).  Async-signal-safe. */
static void take_terminal(void)
{
	con.raw = con.saved && foreground() && tcsetattr(STDIN_FILENO, TCSANOW, &con.raw_tio) == 0;
}

static void give_terminal(void)
{
	if (con.raw && foreground())
		tcsetattr(STDIN_FILENO, TCSANOW, &con.saved_tio);
	con.raw = 0;
}

void console_restore(void)
{
	give_terminal();
	reset_modes();
}

bool console_quit(void)
{
	return con.quit;
}

static void on_fatal(int sig)
{
	console_restore();
	if (con.at_fatal)
		con.at_fatal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_term(int sig)
{
	vm_end(con.vm, 128 + sig);          /* async-signal-safe: CAS + write */
}

/* kill -TSTP (Ctrl-Z when the terminal is not raw): give the shell its
 * terminal and stop; fg (SIGCONT): raw again, and read on. */
static void on_job(int sig)
{
	if (sig == SIGCONT) {
		take_terminal();
		console_room(NULL);
		return;
	}
	give_terminal();
	raise(SIGSTOP);
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
	sa.sa_handler = on_job;
	sigaction(SIGTSTP, &sa, NULL);
	sigaction(SIGCONT, &sa, NULL);
	signal(SIGTTIN, SIG_IGN);           /* reading in the background: EIO, not a stop */
	signal(SIGPIPE, SIG_IGN);           /* a closed stdout loses output, not the guest */
}

static void stop_reading(void)
{
	loop_pause_fd(&con.vm->loop, con.in, 1);
	con.paused = true;
}

/* Hand held bytes to the guest's device, as many as it takes (loop thread);
 * when it is full, console_room() brings us back. */
static void feed(void)
{
	unsigned took = con.count ? con.sink(con.opaque, con.held, con.count) : 0;
	memmove(con.held, con.held + took, con.count - took);
	con.count -= took;
	if (con.paused && con.count < HOLD) {
		loop_pause_fd(&con.vm->loop, con.in, 0);
		con.paused = false;
	}
}

unsigned console_put(const uint8_t *buf, unsigned n)
{
	unsigned k = n < HOLD - con.count ? n : HOLD - con.count;
	memcpy(con.held + con.count, buf, k);
	con.count += k;
	feed();
	return k;
}

static void typed(uint8_t c)
{
	bool escaped = con.escape;
	con.escape = !escaped && c == CTRL_A;
	if (con.escape)
		return;
	if (escaped && (c == 'x' || c == 'X' || (con.detach && (c == 'd' || c == 'D')))) {
		con.quit = vm_end(con.vm, LG_EXIT_RESET) || con.quit;
		return;
	}
	if (escaped && c != CTRL_A) {       /* Ctrl-A h, or a key that means nothing */
		fprintf(stderr, "\r\nlguest: Ctrl-A %s, Ctrl-A Ctrl-A sends Ctrl-A, Ctrl-A h shows this\r\n",
			con.detach ? "d detaches" : "x quits");
		return;
	}
	if (con.count < HOLD)               /* else a terminal overran us: lost */
		con.held[con.count++] = c;
}

static void on_stdin(void *opaque, int fd, uint32_t events)
{
	uint8_t buf[256];
	(void)opaque, (void)fd, (void)events;
	/* From a pipe or a file, read only what we can hold: nothing is lost. */
	size_t want = con.tty || HOLD - con.count > sizeof(buf) ? sizeof(buf) : HOLD - con.count;
	if (!want) {
		stop_reading();
		return;
	}
	ssize_t n = read(STDIN_FILENO, buf, want);
	if (n < 0 && errno == EIO) {        /* in the background: wait for fg (on_job) */
		stop_reading();
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {                       /* end of input: the guest goes on */
		loop_remove(&con.vm->loop, con.in);
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		typed(buf[i]);
	feed();
}

static void on_room(void *opaque, int fd, uint32_t events)
{
	uint64_t n;
	(void)opaque, (void)events;
	if (read(fd, &n, sizeof(n)) == sizeof(n))
		feed();
}

void console_room(void *unused)
{
	uint64_t one = 1;
	(void)unused;
	(void)!write(con.room, &one, sizeof(one));   /* fails only if already signalled */
}

int console_init(struct vm *vm, console_sink sink, void *opaque, void (*at_fatal)(void), bool detach)
{
	struct stat st;
	con.vm = vm;
	con.at_fatal = at_fatal;
	con.detach = detach;
	con.sink = sink;
	con.opaque = opaque;
	con.in = STDIN_FILENO;
	install_signals();
	con.tty = isatty(STDIN_FILENO);
	if (con.tty && tcgetattr(STDIN_FILENO, &con.saved_tio) == 0) {
		con.raw_tio = con.saved_tio;
		cfmakeraw(&con.raw_tio);
		con.raw_tio.c_oflag |= OPOST | ONLCR;   /* a kernel's bare "\n" still returns */
		con.saved = 1;
		atexit(console_restore);
		take_terminal();
	}
	con.room = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (con.room < 0 || loop_add(&vm->loop, con.room, on_room, NULL) < 0)
		return fail("console: %s", strerror(errno));
	/* epoll cannot watch a regular file or /dev/null, which are always
	 * ready: an eventfd that always is stands in for them. */
	if (fstat(STDIN_FILENO, &st) < 0)
		return 0;                   /* no stdin at all: no input */
	if (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		if (!con.tty && (con.in = eventfd(1, EFD_CLOEXEC)) < 0)
			return fail("console: %s", strerror(errno));
	return loop_add(&vm->loop, con.in, on_stdin, NULL);
}
