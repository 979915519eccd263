/*T:010 Where the journey starts
 * lguest is a launcher: it asks KVM for a virtual machine, fills its memory
 * with a kernel, and answers the few questions the guest asks of the outside
 * world (a byte to print, a sector to read).  Every .c file starts with a
 * stop like this one (headers carry their interfaces, commented where each
 * is declared); `make tour` strings them together, in order, into
 * docs/TOUR.md.  This header holds what every file uses: lguest's exit
 * statuses, how a failure is reported (one line, said once) and how a
 * number is read. */
#ifndef LG_UTIL_H
#define LG_UTIL_H
#include <stdint.h>
#include <stddef.h>

#define LG_VERSION "0.1"

/* Exit statuses of lguest itself.  A guest may pick any status 0..255 through
 * the debug-exit port; as `docker run` does, lguest's own stay out of the way
 * of the statuses commands commonly use. */
enum {
	LG_EXIT_OK = 0,              /* guest powered off, or reset */
	LG_EXIT_NO_USERSPACE = 121,  /* this host cannot run a Linux guest's user space */
	LG_EXIT_CRASH = 122,         /* the vCPU could not go on (internal error, unhandled exit) */
	LG_EXIT_PANIC = 123,         /* the guest kernel panicked */
	LG_EXIT_FAIL = 125,          /* lguest could not run the guest: usage, files, host */
	LG_EXIT_RESET = 256,         /* to vm_end(): a reset or Ctrl-A x, 0 unless it panicked */
};

/* fail() formats the reason into lg_error and returns -1, so a loader can
 * `return fail("...")` and main prints the one line. */
extern char lg_error[512];
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* die(): print "lguest: <msg>" and exit with status. */
_Noreturn void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "256M", "1G", "4096", "64k": bytes; -1 when unparsable or overflowing. */
int parse_size(const char *s, uint64_t *bytes);
/* A decimal number in [min, max]; -1 otherwise. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Read exactly len bytes at off; -1 on a short read. */
int pread_full(int fd, void *buf, size_t len, uint64_t off);
/* Who holds a lock on fd's file: "process 123 (lguest)", or "another program". */
const char *lock_holder(int fd);
/* Where a user's lguest sockets live: $XDG_RUNTIME_DIR/lguest, else
 * /run/lguest for root, /tmp/lguest-UID for others. */
void runtime_dir(char *dir, size_t size);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
