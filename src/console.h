#ifndef LG_CONSOLE_H
#define LG_CONSOLE_H
#include <stdint.h>
struct vm;
/* Where typed bytes go: returns how many it took. */
typedef unsigned (*console_sink)(void *opaque, const uint8_t *buf, unsigned len);
/* How many bytes the sink can take now. */
typedef unsigned (*console_space)(void *opaque);

/* Read stdin on the VM's loop into sink; raw mode if stdin is a terminal.
 * Ctrl-A x ends the guest; Ctrl-A Ctrl-A sends one Ctrl-A. */
int console_init(struct vm *vm, console_sink sink, console_space space, void *opaque);
/* The sink has room again (any thread). */
void console_room(void *unused);
/* Put the terminal back as we found it (idempotent, async-signal-safe). */
void console_restore(void);
#endif
