#ifndef LG_SANDBOX_H
#define LG_SANDBOX_H
#include <stdbool.h>
#include <stdint.h>
struct vm;

/* The kinds of thread lguest runs once the guest does. */
enum sandbox_kind { SANDBOX_VCPU, SANDBOX_LOOP, SANDBOX_KINDS };

/* Main thread, set-up done, before the vCPUs start: keep no capability and
 * no /dev/kvm, and (filters) make the seccomp filters; on_kill runs before a
 * forbidden call ends lguest (the terminal goes back).  -1 with fail(). */
int sandbox_prepare(struct vm *vm, bool filters, void (*on_kill)(void));
/* A device that needs more than the rules (a NIC's sockets) says so before
 * sandbox_prepare: calls allowed, with any arguments, to the thread kinds
 * in the mask (1 << SANDBOX_VCPU, 1 << SANDBOX_LOOP).  -1 with fail(). */
int sandbox_allow(unsigned kinds, const int *calls, int n);
/* The same for one ioctl request. */
int sandbox_allow_ioctl(unsigned kinds, unsigned long request);
/* The same for call nr when its argument arg (from 0) is value (e.g. a
 * file descriptor known only at run time). */
int sandbox_allow_arg(int nr, unsigned kinds, unsigned arg, uint64_t value);
/* The calling thread takes on its kind's filter, if there are filters. */
void sandbox_enter(enum sandbox_kind kind);
#endif
