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
 * Ctrl-A x ends the guest (detach: so does Ctrl-A d, for lguest console);
 * Ctrl-A Ctrl-A sends one Ctrl-A.  at_fatal: more to do when a fatal
 * signal ends lguest. */
int console_init(struct vm *vm, console_sink sink, void *opaque, void (*at_fatal)(void), bool detach);
/* The sink has room again (any thread). */
void console_room(void *unused);
/* Note the terminal modes the guest's output sets (caller serializes). */
void console_track(const uint8_t *buf, size_t n);
/* Put the terminal back as we found it (idempotent, async-signal-safe). */
void console_restore(void);
/* Bytes from an attached `lguest console` (loop thread): to the guest as if
 * typed, escapes and all; how many fitted. */
unsigned console_put(const uint8_t *buf, unsigned n);
/* Did Ctrl-A x end the guest? */
bool console_quit(void);
#endif
