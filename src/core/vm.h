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
/* Exits that reach us, by reason (the rest KVM handles itself); intr: a
 * signal took the vCPU out of KVM_RUN (pause, the end). */
enum { VCPU_EXIT_IO, VCPU_EXIT_MMIO, VCPU_EXIT_INTR, VCPU_EXIT_OTHER, VCPU_EXIT_KINDS };
struct vcpu {
	struct vm *vm;
	int id, fd;
	struct kvm_run *run;
	pthread_t thread;
	_Atomic uint64_t exits[VCPU_EXIT_KINDS];
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
	pthread_mutex_t hold_lock;   /* pause: vCPUs held out of KVM_RUN */
	pthread_cond_t hold_cond;
	int paused, held;
	struct kvm_clock_data clock; /* kvm-clock when paused */
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
/* Loop thread: hold every vCPU out of KVM_RUN (pause) or let them go again;
 * kvm-clock does not count the pause.  -1: not every vCPU came within 1 s. */
int vm_pause(struct vm *vm, bool pause);
/* Main thread, after the loop stopped: take every vCPU out of KVM_RUN. */
void vm_stop_vcpus(struct vm *vm);
/* Print registers and the bytes at RIP of a vCPU that cannot go on. */
void vcpu_dump(struct vcpu *v, const char *why);
#endif
