#ifndef LG_PLATFORM_H
#define LG_PLATFORM_H
struct vm;
#define DEBUG_EXIT_PORT 0xf4
#define ACPI_SLEEP_PORT 0x600      /* the FADT's sleep control register */
/* Debug-exit port, the i8042 and its keyboard, POST port 0x80. */
int platform_init(struct vm *vm);
/* Type Ctrl-Alt-Del on the keyboard (any thread). */
void platform_ctrl_alt_del(void);
#endif
