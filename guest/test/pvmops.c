/* pvmops: the instructions kvm-pvm's emulator lacks, at ring 0, where
 * Linux meets them: int3 (a #BP handler must see it once), stac/clac
 * (RFLAGS.AC must follow; skipped without SMAP in CPUID), fwait, and ldmxcsr
 * with a RIP-relative and a register-based operand (after setting
 * CR4.OSFXSR).  On hardware they just run; on kvm-pvm lguest completes
 * them (src/core/pvm.c).  Prints "pvmops int3=1 stac_ac=1 clac_ac=0
 * fwait=1 ldmxcsr=2" and exits 0 when all behaved. */
#include "rt.h"

static volatile int breakpoints;
static const u32 mxcsr_default = 0x1f80;

static void on_bp(struct rt_frame *f)
{
	(void)f;
	breakpoints++;
}

static u64 rflags(void)
{
	u64 f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

int main(void)
{
	u32 r[4], stack_mxcsr = 0x1f80;
	int stac_ac = -1, clac_ac = -1, ld = 0;
	rt_set_handler(3, on_bp);
	__asm__ volatile("int3");
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(7), "c"(0));
	if (r[1] & (1u << 20)) {                             /* SMAP */
		__asm__ volatile("stac" ::: "cc");
		stac_ac = (rflags() >> 18) & 1;
		__asm__ volatile("clac" ::: "cc");
		clac_ac = (rflags() >> 18) & 1;
	}
	__asm__ volatile("fwait");
	u64 cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | (1u << 9)));   /* OSFXSR */
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr_default));     /* RIP-relative */
	ld++;
	__asm__ volatile("ldmxcsr (%0)" : : "r"(&stack_mxcsr) : "memory");
	ld++;
	rt_printf("pvmops int3=%d stac_ac=%d clac_ac=%d fwait=1 ldmxcsr=%d\n", breakpoints, stac_ac, clac_ac, ld);
	return breakpoints == 1 && stac_ac != 0 && clac_ac != 1 ? 0 : 1;
}
