#ifndef LG_PLATFORM_H
#define LG_PLATFORM_H
struct vm;
#define DEBUG_EXIT_PORT 0xf4
#define ACPI_SLEEP_PORT 0x600      /* the FADT's sleep control register */
/* Debug-exit port, i8042 reset line, POST port 0x80. */
int platform_init(struct vm *vm);
#endif
