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
	void (*shutdown)(void);                                    /* stop: ask the guest to shut down */
	size_t (*devices)(char *out, size_t size, bool counters);  /* virtio_stat() */
	unsigned (*input)(const uint8_t *buf, unsigned n);         /* console: typed bytes */
};

/* A guest name: letters, digits, -, _ and ., at most 64, not starting with -. */
bool control_name_ok(const char *name);
/* The sockets' directory ($XDG_RUNTIME_DIR/lguest, else /run/lguest for
 * root, /tmp/lguest-UID for others), made if need be, private (0700):
 * an open descriptor of it, locked (flock) until closed, or -1 with fail(). */
int control_dir(void);
/* Connect to name's socket in dir: a descriptor, or -1; a socket nobody
 * listens on is a dead guest's (SIGKILL): removed. */
int control_connect(int dir, const char *name);

/* lguest run: claim name's socket, refused while a guest of that name runs;
 * it goes however lguest ends, but SIGKILL.  -1 with fail(). */
int control_open(const char *name, bool detached);
/* Serve it on vm's event loop (set-up, before the sandbox).  -1 with fail(). */
int control_start(struct vm *vm, const struct control_hooks *h);
/* Every byte the guest prints (any thread): a detached guest keeps the last
 * 64 KiB for `lguest console`. */
void control_output(const uint8_t *buf, size_t n);
/* The guest ended with status: tell who waits for it, remove the socket. */
void control_end(int status);
/* Remove the socket now (async-signal-safe). */
void control_unlink(void);

/* lguest list|stat|pause|resume|stop|kill|console ...: the exit status,
 * or -1 when argv[0] is none of these. */
int control_main(int argc, char **argv);
#endif
