/*T:250 Hosts that emulate the guest kernel (kvm-pvm)
 * Some hosts have no VMX or SVM to give; their KVM is kvm-pvm, which runs
 * guest user code natively and emulates guest kernel code instruction by
 * instruction, as lguest's own Switcher once ran guests deprivileged.  Its
 * emulator lacks a few instructions Linux uses.  Two remedies live here,
 * and nothing here runs on hardware virtualization: kernel parameters that
 * keep Linux off XSAVE, SMAP and friends, and completing in user space the
 * few instructions Linux still meets: int3 (inject #BP past it), clac/stac
 * (flip RFLAGS.AC), fwait (nothing to wait for) and ldmxcsr (load MXCSR
 * through the XSAVE state, or #GP).  Anything else stays a crash, as it
 * should. */
#include "pvm.h"
#include "vm.h"
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static atomic_ulong completed;

bool pvm_host(void)
{
	static int pvm = -1;          /* asked first by main, before any vCPU runs */
	if (pvm < 0)
		pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
	return pvm;
}

const char *pvm_linux_params(void)
{
	/* clearcpuid: cx16 movbe popcnt aes xsave osxsave avx f16c rdrand
	 * pclmulqdq bmi1 avx2 smep bmi2 invpcid rtm avx512f avx512dq rdseed
	 * adx smap clflushopt clwb sha_ni abm (Linux 6.1 bit numbers), since
	 * this host ignores the CPUID we set. */
	return "noxsave nosmap nosmep nopti nokaslr mitigations=off "
	       "clearcpuid=141,150,151,153,154,155,156,157,158,129,291,293,295,296,"
	       "298,299,304,305,306,307,308,311,312,317,197";
}

unsigned long pvm_completed(void)
{
	return atomic_load(&completed);
}

/* Copy len bytes at a guest linear address (page by page). */
static bool read_linear(struct vcpu *v, uint64_t la, uint8_t *out, unsigned len)
{
	while (len) {
		struct kvm_translation t = { .linear_address = la };
		unsigned chunk = 4096 - (unsigned)(la & 0xfff);
		if (chunk > len)
			chunk = len;
		if (ioctl(v->fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
			return false;
		const uint8_t *p = gpa_ptr(&v->vm->ram, t.physical_address, chunk);
		if (!p)
			return false;
		memcpy(out, p, chunk);
		out += chunk, la += chunk, len -= chunk;
	}
	return true;
}

static uint64_t reg(const struct kvm_regs *g, unsigned n)
{
	const uint64_t r[16] = { g->rax, g->rcx, g->rdx, g->rbx, g->rsp, g->rbp, g->rsi, g->rdi,
				 g->r8, g->r9, g->r10, g->r11, g->r12, g->r13, g->r14, g->r15 };
	return r[n & 15];
}

static int32_t s32(const uint8_t *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* The memory operand of a ModRM byte at c (64-bit mode, at guest address
 * modrm_rip, no immediate after it): its address and the length of
 * ModRM+SIB+displacement.  false for a register operand. */
static bool modrm_addr(const uint8_t *c, unsigned rex, const struct kvm_regs *g,
		       uint64_t modrm_rip, uint64_t *addr, unsigned *len)
{
	unsigned mod = c[0] >> 6, rm = c[0] & 7, n = 1;
	uint64_t a = 0;
	if (mod == 3)
		return false;
	if (rm == 4) {                                   /* SIB follows */
		unsigned sib = c[n++], base = sib & 7, index = ((sib >> 3) & 7) | ((rex & 2) << 2);
		if (index != 4)
			a += reg(g, index) << (sib >> 6);
		if (base == 5 && mod == 0) {
			a += (uint64_t)(int64_t)s32(c + n);
			n += 4;
		} else {
			a += reg(g, base | ((rex & 1) << 3));
		}
	} else if (rm == 5 && mod == 0) {                /* RIP-relative */
		a = (uint64_t)(int64_t)s32(c + n);
		n += 4;
		*len = n;
		*addr = modrm_rip + n + a;                /* from the instruction's end */
		return true;
	} else {
		a = reg(g, rm | ((rex & 1) << 3));
	}
	if (mod == 1)
		a += (uint64_t)(int64_t)(int8_t)c[n++];
	else if (mod == 2) {
		a += (uint64_t)(int64_t)s32(c + n);
		n += 4;
	}
	*len = n;
	*addr = a;
	return true;
}

/* #BP (3), or #GP(0) (13), raised at the instruction the guest sees next. */
static bool inject(struct vcpu *v, uint8_t nr)
{
	struct kvm_vcpu_events ev;
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return false;
	ev.exception.injected = 1;
	ev.exception.nr = nr;
	ev.exception.has_error_code = nr == 13;
	ev.exception.error_code = 0;
	return ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) == 0;
}

/* MXCSR lives in the XSAVE image (legacy area: MXCSR at 24, the bits this
 * CPU allows at 28); KVM_SET_FPU's copy is not loaded on this host.  A
 * reserved bit is #GP, with nothing loaded and RIP left on the instruction. */
static bool ldmxcsr(struct vcpu *v, const uint8_t *c, unsigned pre, unsigned rex,
		    struct kvm_regs *g, unsigned *len)
{
	struct kvm_xsave xs;
	uint64_t addr;
	unsigned mlen;
	uint32_t mxcsr, mask;
	if (!modrm_addr(c + pre + 2, rex, g, g->rip + pre + 2, &addr, &mlen))
		return false;
	if (!read_linear(v, addr, (uint8_t *)&mxcsr, 4) || ioctl(v->fd, KVM_GET_XSAVE, &xs) < 0)
		return false;
	memcpy(&mask, (uint8_t *)xs.region + 28, 4);
	if (mxcsr & ~(mask ? mask : 0xffbf))
		return inject(v, 13);               /* *len stays 0 */
	memcpy((uint8_t *)xs.region + 24, &mxcsr, 4);
	if (ioctl(v->fd, KVM_SET_XSAVE, &xs) < 0)
		return false;
	*len = pre + 2 + mlen;
	return true;
}

bool pvm_complete(struct vcpu *v)
{
	struct kvm_regs g;
	struct kvm_sregs s;
	uint8_t c[16];
	unsigned pre = 0, rex = 0, len = 0;
	if (v->run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION || !pvm_host())
		return false;
	if (ioctl(v->fd, KVM_GET_REGS, &g) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0 ||
	    !read_linear(v, s.cs.base + g.rip, c, sizeof(c)))
		return false;
	for (; pre < 4; pre++) {                     /* operand-size, rep and REX prefixes */
		if ((c[pre] & 0xf0) == 0x40)
			rex = c[pre];
		else if (c[pre] != 0x66 && c[pre] != 0xf2 && c[pre] != 0xf3)
			break;
	}
	if (c[0] == 0xcc) {                                     /* int3 */
		g.rip += 1;
		if (ioctl(v->fd, KVM_SET_REGS, &g) < 0 || !inject(v, 3))
			return false;
		atomic_fetch_add(&completed, 1);
		return true;
	}
	if (c[0] == 0x9b)                                       /* fwait */
		len = 1;
	else if (c[0] == 0x0f && c[1] == 0x01 && (c[2] == 0xca || c[2] == 0xcb)) {
		g.rflags = c[2] == 0xca ? g.rflags & ~(1ULL << 18) : g.rflags | (1ULL << 18);
		len = 3;                                        /* clac / stac */
	} else if (c[pre] == 0x0f && c[pre + 1] == 0xae && ((c[pre + 2] >> 3) & 7) == 2) {
		if (!ldmxcsr(v, c, pre, rex, &g, &len))
			return false;
	} else {
		return false;
	}
	g.rip += len;
	if (ioctl(v->fd, KVM_SET_REGS, &g) < 0)
		return false;
	atomic_fetch_add(&completed, 1);
	return true;
}
