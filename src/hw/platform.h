#ifndef LG_PLATFORM_H
#define LG_PLATFORM_H
struct vm;
#define DEBUG_EXIT_PORT 0xf4
/* Debug-exit port, i8042 reset line, POST port 0x80. */
int platform_init(struct vm *vm);
#endif
