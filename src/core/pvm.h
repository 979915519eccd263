#ifndef LG_PVM_H
#define LG_PVM_H
#include <stdbool.h>
struct vcpu;

/* Is this host's KVM kvm-pvm (guest ring 0 emulated in software)? */
bool pvm_host(void);
/* Kernel parameters that keep Linux off what such a host cannot emulate. */
const char *pvm_linux_params(void);
/* An emulation failure: complete the instruction for the guest if it is
 * one we know.  true: the vCPU can go on. */
bool pvm_complete(struct vcpu *v);
/* How many instructions pvm_complete() finished, for the record. */
unsigned long pvm_completed(void);
#endif
