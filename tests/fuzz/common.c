/* The fuzz targets' fake VM and the KVM calls they never make. */
#include "fuzz.h"
#include "core/irq.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

void irq_line(struct vm *vm, unsigned gsi, int level)
{
	(void)vm, (void)gsi, (void)level;
}

int irq_msi_alloc(struct vm *vm, int *efd)
{
	static int fd = -1;            /* one eventfd stands for every vector */
	(void)vm;
	if (fd < 0)
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	*efd = fd;
	return IRQ_IOAPIC_PINS;
}

int irq_msi_route(struct vm *vm, int gsi, uint64_t addr, uint32_t data)
{
	(void)vm, (void)gsi, (void)addr, (void)data;
	return 0;
}

int irq_ioeventfd(struct vm *vm, uint64_t addr, unsigned len, int efd, int assign)
{
	(void)vm, (void)addr, (void)len, (void)efd, (void)assign;
	return 0;
}

struct vm *fuzz_vm(uint64_t ram_size)
{
	static struct vm vm;
	if (vm.ram.host)
		return &vm;
	vm.kvm = vm.fd = vm.ram.fd = -1;
	for (int i = 0; i < LG_MAX_CPUS; i++)
		vm.vcpu[i] = (struct vcpu){ .vm = &vm, .id = i, .fd = -1 };
	vm.ncpus = 1;
	vm.ram.host = malloc(ram_size);         /* first: ram_layout() points into it */
	ram_layout(&vm.ram, ram_size);
	if (!vm.ram.host || loop_init(&vm.loop) < 0)
		abort();
	memset(vm.ram.host, 0, ram_size);
	return &vm;
}

void fuzz_loop_once(struct loop *l)
{
	struct epoll_event ev[16];
	int n = epoll_wait(l->epfd, ev, 16, 0);
	for (int i = 0; i < n; i++) {
		struct loop_watch *w = ev[i].data.ptr;
		if (w && w->fn)
			w->fn(w->opaque, w->fd, ev[i].events);
	}
}

void fuzz_loop_drain(struct loop *l)
{
	uint64_t n;
	for (int i = 0; i < l->n; i++)
		if (l->watch[i].fd >= 0 && read(l->watch[i].fd, &n, sizeof(n)) < 0) {
			/* nothing pending */
		}
}

const char *fuzz_file(int *fd, char path[32], const uint8_t *data, size_t len)
{
	if (*fd < 0)
		*fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (*fd < 0 || ftruncate(*fd, 0) < 0 || pwrite(*fd, data, len, 0) != (ssize_t)len)
		abort();
	snprintf(path, 32, "/proc/self/fd/%d", *fd);
	return path;
}

int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}
