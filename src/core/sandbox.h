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
/* Before sandbox_prepare(): also allow system call nr (SCMP_SYS) to the
 * kinds in the mask kinds (1 << SANDBOX_*) when its argument arg (from 0)
 * is value (e.g. a file descriptor known only at run time).  -1 with fail(). */
int sandbox_allow(int nr, unsigned kinds, unsigned arg, uint64_t value);
/* The calling thread takes on its kind's filter, if there are filters. */
void sandbox_enter(enum sandbox_kind kind);
#endif
