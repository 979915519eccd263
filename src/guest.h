#ifndef LG_GUEST_H
#define LG_GUEST_H
#include <stddef.h>
#include <stdint.h>
struct lg_config;

/* Exit statuses for what the watch sees the guest kernel say. */
enum {
	LG_EXIT_PANIC = 71,          /* the guest kernel panicked */
	LG_EXIT_NO_USERSPACE = 72,   /* this host cannot run the guest's user space */
};

/* No KERNEL given: point c at the default guest kit and build its command
 * line (the user's -- CMD as lg.cmd=base64).  -1 with fail(). */
int guest_default(struct lg_config *c);
/* Quote args for /bin/sh -c, base64 it; pure, for the unit tests. */
int guest_cmd_base64(char **argv, int argc, char *out, size_t size);

/* Every byte the guest prints goes through here to stdout: a line watch
 * notices a kernel panic and where user space was to start. */
void guest_output(const uint8_t *buf, size_t n);
/* The status to exit with after the guest reset itself: a panic seen on
 * the console turns a reboot into LG_EXIT_PANIC (or NO_USERSPACE). */
int guest_reboot_status(void);
#endif
