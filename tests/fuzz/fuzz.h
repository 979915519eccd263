/* What the libFuzzer targets (tests/fuzz/) share: a fake VM whose guest
 * RAM is one malloc'd block (so AddressSanitizer sees any byte past it),
 * KVM's calls stubbed out (common.c), the event loop run without blocking,
 * and a reader that turns the fuzzer's bytes into numbers. */
#ifndef LG_FUZZ_H
#define LG_FUZZ_H
#include "core/vm.h"
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A VM with ram_size bytes of RAM at guest address 0, its event loop and
 * buses: no KVM, no vCPU (fd -1).  Made once; later calls return it. */
struct vm *fuzz_vm(uint64_t ram_size);
/* Call what is ready on the loop now (kicks, completions); never waits. */
void fuzz_loop_once(struct loop *l);
/* Empty every eventfd the loop watches: no kick left from the last input. */
void fuzz_loop_drain(struct loop *l);
/* A file for a loader or a disk: the memfd *fd (made on first use) now
 * holding data; its path goes in path. */
const char *fuzz_file(int *fd, char path[32], const uint8_t *data, size_t len);
/* How many descriptors this process has open (a leak check around an input). */
int count_fds(void);

/* The input, consumed front to back; zeros once it runs out. */
struct input {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t take(struct input *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
		v |= (uint64_t)*in->p << (8 * i);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#endif
