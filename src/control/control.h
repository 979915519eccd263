#ifndef LG_CONTROL_H
#define LG_CONTROL_H
/* The per-guest control socket (server.c) and the commands that use it
 * (client.c); docs/CONTROL.md is the protocol. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
struct vm;

#define CONTROL_PROTOCOL 1
#define CONTROL_NAME_MAX 64
#define CONTROL_KILLED 137            /* lguest's status after kill, or stop past its timeout */

/* What the server asks of the rest of lguest. */
struct control_hooks {
	void (*shutdown)(void);                                    /* stop: ask the guest to */
	size_t (*devices)(char *out, size_t size, bool counters);  /* virtio_stat() */
	unsigned (*input)(const uint8_t *buf, unsigned n);         /* console: typed bytes */
};

/* Letters, digits, -, _ and ., at most 64, not starting with -. */
bool control_name_ok(const char *name);
/* The sockets' directory, made if need be and private (0700): a descriptor
 * of it, locked (flock) until closed, or -1 with fail(). */
int control_dir(void);
/* Connect to name's socket in dir, or -1; one nobody listens on is a dead
 * guest's (SIGKILL): removed. */
int control_connect(int dir, const char *name);

/* lguest run: claim name's socket (-1 with fail() if a guest of that name
 * runs); serve it on vm's loop (before the sandbox); a detached guest's
 * output (any thread) for lguest console; the end (who waits hears status);
 * the socket removed (async-signal-safe). */
int control_open(const char *name, bool detached);
int control_start(struct vm *vm, const struct control_hooks *h);
void control_output(const uint8_t *buf, size_t n);
void control_end(int status);
void control_unlink(void);
/* tests/fuzz/control.c: back to no client, running, no timer, no output. */
void control_fuzz_reset(void);

/* lguest list|stat|pause|resume|stop|kill|console: the exit status, or -1
 * when argv[0] is none of these. */
int control_main(int argc, char **argv);
#endif
