/*T:200 The virtual machine and its vCPUs
 * lguest's kernel module had a Switcher that flipped the CPU between host
 * and guest.  KVM does that for us now: /dev/kvm gives a VM, the VM gives
 * vCPUs, and ioctl(KVM_RUN) on a vCPU is lguest's old read() of
 * /dev/lguest: it runs the guest until the guest needs something only we
 * can give.  Each vCPU gets a thread of its own that loops in vcpu_run(). */
#include "vm.h"
#include "irq.h"
#include "pvm.h"
#include "sandbox.h"
#include "../util.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static int open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return fail("/dev/kvm does not exist: this host has no KVM (load kvm_intel or kvm_amd, or enable virtualization in the firmware)");
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		return fail("no permission to open /dev/kvm (add yourself to the 'kvm' group, or run as root)");
	if (fd < 0)
		return fail("cannot open /dev/kvm: %s", strerror(errno));
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		close(fd);
		return fail("/dev/kvm speaks an unknown KVM API version");
	}
	return fd;
}

int vm_max_cpus(int kvm_fd)
{
	int n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (n <= 0)
		n = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (n <= 0)
		n = 4;
	return n < LG_MAX_CPUS ? n : LG_MAX_CPUS;
}

/* RAM is one or two KVM memory slots over the same memfd mapping. */
static int add_slot(struct vm *vm, int slot, uint64_t gpa, uint64_t size, uint8_t *host)
{
	struct kvm_userspace_memory_region m = {
		.slot = (uint32_t)slot, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uint64_t)(uintptr_t)host,
	};
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &m) < 0)
		return fail("KVM refused guest memory slot %d: %s", slot, strerror(errno));
	return 0;
}

static int create_vcpu(struct vm *vm, int id, int run_size)
{
	struct vcpu *v = &vm->vcpu[id];
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		return fail("cannot create vCPU %d: %s", id, strerror(errno));
	v->run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		return fail("cannot map vCPU %d: %s", id, strerror(errno));
	return 0;
}

int vm_create(struct vm *vm, uint64_t mem_bytes, int ncpus)
{
	vm->kvm = open_kvm();
	if (vm->kvm < 0)
		return -1;
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		return fail("KVM_CREATE_VM failed: %s", strerror(errno));
	/* Intel VMX needs three pages for real-mode emulation; just below the
	 * BIOS area at the top of 4 GiB, where no RAM is.  Other hosts refuse
	 * harmlessly. */
	ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	if (ram_create(&vm->ram, mem_bytes) < 0)
		return -1;
	if (add_slot(vm, 0, 0, vm->ram.low_size, vm->ram.host) < 0)
		return -1;
	if (vm->ram.high_size &&
	    add_slot(vm, 1, LG_HIGH_RAM_BASE, vm->ram.high_size, vm->ram.host + vm->ram.low_size) < 0)
		return -1;
	if (irq_init(vm) < 0)
		return -1;
	int run_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		return fail("KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
	vm->ncpus = ncpus;
	pthread_mutex_init(&vm->hold_lock, NULL);
	pthread_cond_init(&vm->hold_cond, NULL);
	for (int i = 0; i < ncpus; i++)
		if (create_vcpu(vm, i, run_size) < 0)
			return -1;
	return loop_init(&vm->loop);
}

bool vm_end(struct vm *vm, int status)
{
	int expected = 0;
	if (!atomic_compare_exchange_strong(&vm->ending, &expected, 1))
		return false;
	vm->exit_status = status;
	loop_stop(&vm->loop);
	return true;
}

/*T:220 An exit: the guest needs us
 * KVM_RUN returned, and kvm_run says why.  Port and MMIO accesses go to the
 * bus and straight back into the guest; the timers and interrupt
 * controllers never come here, they live in the kernel (irq.c).  A triple
 * fault (said on stderr) or a reset request ends lguest with 0, like a
 * reboot; anything KVM could not handle ends it with LG_EXIT_CRASH and a
 * register dump. */
static void handle_io(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	uint8_t *data = (uint8_t *)r + r->io.data_offset;
	bool is_write = r->io.direction == KVM_EXIT_IO_OUT;
	for (uint32_t i = 0; i < r->io.count; i++, data += r->io.size)
		bus_access(&v->vm->pio, r->io.port, data, r->io.size, is_write);
}

static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	unsigned kind = r->exit_reason == KVM_EXIT_IO ? VCPU_EXIT_IO : r->exit_reason == KVM_EXIT_MMIO ? VCPU_EXIT_MMIO
		      : VCPU_EXIT_OTHER;
	atomic_fetch_add_explicit(&v->exits[kind], 1, memory_order_relaxed);
	switch (r->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		bus_access(&v->vm->mmio, r->mmio.phys_addr, r->mmio.data,
			   r->mmio.len > 8 ? 8 : r->mmio.len, r->mmio.is_write);
		return true;
	case KVM_EXIT_SHUTDOWN: {          /* triple fault: a PC resets */
		struct kvm_regs g = { 0 };
		ioctl(v->fd, KVM_GET_REGS, &g);
		fprintf(stderr, "lguest: vCPU %d triple-faulted at rip %#llx: the guest reset\n",
			v->id, (unsigned long long)g.rip);
		vm_end(v->vm, LG_EXIT_RESET);
		return false;
	}
	case KVM_EXIT_SYSTEM_EVENT:
		if (r->system_event.type == KVM_SYSTEM_EVENT_CRASH)
			break;
		vm_end(v->vm, r->system_event.type == KVM_SYSTEM_EVENT_RESET ? LG_EXIT_RESET : LG_EXIT_OK);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		if (pvm_complete(v))
			return true;
		vcpu_dump(v, "KVM internal error");
		vm_end(v->vm, LG_EXIT_CRASH);
		return false;
	}
	vcpu_dump(v, "unhandled exit");
	vm_end(v->vm, LG_EXIT_CRASH);
	return false;
}

/*T:228 Pause: every vCPU held
 * `lguest pause` (control/server.c) sets paused and kicks each vCPU out of
 * KVM_RUN with a signal (immediate_exit catches one that was about to
 * enter); each one waits here until resume.  Only a held vCPU clears
 * immediate_exit, and only under the lock while no pause is asked for, so a
 * kick is never lost.  kvm-clock is read when all are held and written back
 * on resume: the guest's clock does not count the pause. */
static void hold(struct vcpu *v)
{
	struct vm *vm = v->vm;
	pthread_mutex_lock(&vm->hold_lock);
	vm->held++;
	pthread_cond_broadcast(&vm->hold_cond);
	while (vm->paused && !atomic_load(&vm->ending))
		pthread_cond_wait(&vm->hold_cond, &vm->hold_lock);
	vm->held--;
	if (!vm->paused)
		v->run->immediate_exit = 0;
	pthread_mutex_unlock(&vm->hold_lock);
}

int vm_pause(struct vm *vm, bool pause)
{
	struct timespec until;
	int rc = 0;
	pthread_mutex_lock(&vm->hold_lock);
	for (int i = 0; !pause && i < vm->ncpus; i++)      /* "you were stopped": no soft lockup */
		ioctl(vm->vcpu[i].fd, KVM_KVMCLOCK_CTRL, 0);
	if (!pause)
		ioctl(vm->fd, KVM_SET_CLOCK, &vm->clock);
	vm->paused = pause;
	for (int i = 0; pause && i < vm->ncpus; i++) {
		vm->vcpu[i].run->immediate_exit = 1;
		pthread_kill(vm->vcpu[i].thread, SIGUSR1);
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec++;
	while (pause && vm->held < vm->ncpus && rc == 0)
		rc = pthread_cond_timedwait(&vm->hold_cond, &vm->hold_lock, &until);
	if (pause && ioctl(vm->fd, KVM_GET_CLOCK, &vm->clock) == 0)
		vm->clock.flags = 0;            /* set it back as it was, not as time went on */
	pthread_cond_broadcast(&vm->hold_cond);
	pthread_mutex_unlock(&vm->hold_lock);
	return rc ? -1 : 0;
}

static void *vcpu_run(void *arg)
{
	struct vcpu *v = arg;
	sandbox_enter(SANDBOX_VCPU);
	while (!atomic_load(&v->vm->ending)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				atomic_fetch_add_explicit(&v->exits[VCPU_EXIT_INTR], 1, memory_order_relaxed);
				hold(v);
				continue;
			}
			fprintf(stderr, "lguest: vCPU %d: KVM_RUN failed: %s\n", v->id, strerror(errno));
			vm_end(v->vm, LG_EXIT_FAIL);
			break;
		}
		if (!handle_exit(v))
			break;
	}
	return NULL;
}

static void on_kick(int sig)
{
	(void)sig;     /* only here to make KVM_RUN return EINTR */
}

int vm_start(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = on_kick };
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < vm->ncpus; i++) {
		int e = pthread_create(&vm->vcpu[i].thread, NULL, vcpu_run, &vm->vcpu[i]);
		if (e)
			return fail("cannot start vCPU thread %d: %s", i, strerror(e));
	}
	return 0;
}

/* immediate_exit makes a KVM_RUN that has not started yet return at once;
 * the signal interrupts one that has. */
void vm_stop_vcpus(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++) {
		vm->vcpu[i].run->immediate_exit = 1;
		pthread_kill(vm->vcpu[i].thread, SIGUSR1);
	}
	pthread_mutex_lock(&vm->hold_lock);          /* held ones: let them see the end */
	pthread_cond_broadcast(&vm->hold_cond);
	pthread_mutex_unlock(&vm->hold_lock);
	for (int i = 0; i < vm->ncpus; i++)
		pthread_join(vm->vcpu[i].thread, NULL);
}
