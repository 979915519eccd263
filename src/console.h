#ifndef LG_CONSOLE_H
#define LG_CONSOLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
struct vm;
/* Where typed bytes go: returns how many it took (fewer: it is full, and
 * calls console_room() when it has room again). */
typedef unsigned (*console_sink)(void *opaque, const uint8_t *buf, unsigned len);

/* Read stdin on the VM's loop into sink; raw mode if stdin is our terminal.
 * Ctrl-A x ends the guest; Ctrl-A Ctrl-A sends one Ctrl-A. */
int console_init(struct vm *vm, console_sink sink, void *opaque);
/* The sink has room again (any thread). */
void console_room(void *unused);
/* Note the terminal modes the guest's output sets (caller serializes). */
void console_track(const uint8_t *buf, size_t n);
/* Put the terminal back as we found it (idempotent, async-signal-safe). */
void console_restore(void);
/* Did Ctrl-A x end the guest? */
bool console_quit(void);
#endif
