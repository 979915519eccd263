#ifndef LG_VM_H
#define LG_VM_H
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include "bus.h"
#include "loop.h"
#include "memory.h"

#define LG_MAX_CPUS 64

struct vm;
struct vcpu {
	struct vm *vm;
	int id, fd;
	struct kvm_run *run;
	pthread_t thread;
};

struct vm {
	int kvm, fd;                 /* /dev/kvm and the VM */
	struct guest_ram ram;
	int ncpus;
	struct vcpu vcpu[LG_MAX_CPUS];
	struct bus pio, mmio;        /* port I/O and MMIO owners (bus.c) */
	struct loop loop;            /* the main thread's event loop (loop.c) */
	atomic_int ending;           /* set once: the first vm_end() wins */
	int exit_status;
};

/* Open /dev/kvm, make the VM, its RAM and its vCPUs.  -1 with fail(). */
int vm_create(struct vm *vm, uint64_t mem_bytes, int ncpus);
/* The most vCPUs this host and lguest allow. */
int vm_max_cpus(int kvm_fd);
/* One thread per vCPU, each in vcpu_run(). */
int vm_start(struct vm *vm);
/* Any thread, even a signal handler: end the guest with status (the first
 * caller wins, and hears true; LG_EXIT_RESET for a reset). */
bool vm_end(struct vm *vm, int status);
/* Main thread, after the loop stopped: take every vCPU out of KVM_RUN. */
void vm_stop_vcpus(struct vm *vm);
/* Print registers and the bytes at RIP of a vCPU that cannot go on. */
void vcpu_dump(struct vcpu *v, const char *why);
#endif
