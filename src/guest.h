#ifndef LG_GUEST_H
#define LG_GUEST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
struct lg_config;
struct vm;

/* No KERNEL given: point c at the default guest kit and build its command
 * line (the user's -- CMD as lg.cmd=base64).  -1 with fail(). */
int guest_default(struct lg_config *c);
/* Quote args for /bin/sh -c, base64 it; pure, for the unit tests. */
int guest_cmd_base64(char **argv, int argc, char *out, size_t size);

/* Before the guest runs: where its output goes, a timer on vm's loop
 * (notes: say so when a kvm-pvm host keeps the guest silent).  -1 with fail(). */
int guest_watch(struct vm *vm, bool notes);
/* Every byte the guest prints goes through here to stdout (any thread): a
 * line watch notices a kernel panic and where user space was to start. */
void guest_output(const uint8_t *buf, size_t n);
/* What lguest exits with, from the vm's status: a reset (or Ctrl-A x) after a
 * panic seen on the console is LG_EXIT_PANIC (or NO_USERSPACE), said on stderr. */
int guest_end_status(int status);
#endif
