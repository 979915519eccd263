/* pvmops: the instructions kvm-pvm's emulator lacks, at ring 0, where
 * Linux meets them: int3 (a #BP handler must see it once), stac/clac
 * (RFLAGS.AC must follow; skipped without SMAP in CPUID), fwait, and ldmxcsr
 * with a RIP-relative and a register-based operand (after setting
 * CR4.OSFXSR); the value ldmxcsr loads must be what ring 3 then reads, and
 * a reserved bit must raise #GP and load nothing.  On hardware they just
 * run; on kvm-pvm lguest completes them (src/core/pvm.c).  Prints
 * "pvmops int3=1 stac_ac=1 clac_ac=0 fwait=1 ldmxcsr=2 mxcsr=0x7f80
 * reserved_gp=1 kept=0x7f80" and exits 0 when all behaved. */
#include "rt.h"

static volatile int breakpoints, gps;
static const u32 mxcsr_default = 0x1f80;
static u32 user_mxcsr;

static void on_bp(struct rt_frame *f)
{
	(void)f;
	breakpoints++;
}

static void on_gp(struct rt_frame *f)
{
	gps++;
	f->rip += 3;                    /* past "ldmxcsr (%rax)": 0f ae 10 */
}

static void read_mxcsr(void *unused)    /* at ring 3: natively, even on kvm-pvm */
{
	(void)unused;
	__asm__ volatile("stmxcsr %0" : "=m"(user_mxcsr));
}

/* ldmxcsr at ring 0, then what the CPU holds, read at ring 3. */
static u32 load_mxcsr(u32 v)
{
	__asm__ volatile("ldmxcsr (%0)" : : "a"(&v) : "memory");
	rt_run_user(read_mxcsr, NULL, 0);
	return user_mxcsr;
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
	u32 rz = load_mxcsr(0x7f80);                    /* round toward zero */
	rt_set_handler(13, on_gp);
	u32 kept = load_mxcsr(0x17f80);                 /* bit 16 is reserved: #GP */
	rt_set_handler(13, NULL);
	load_mxcsr(mxcsr_default);
	rt_printf("pvmops int3=%d stac_ac=%d clac_ac=%d fwait=1 ldmxcsr=%d mxcsr=0x%x reserved_gp=%d kept=0x%x\n",
		  breakpoints, stac_ac, clac_ac, ld, rz, gps, kept);
	return breakpoints == 1 && stac_ac != 0 && clac_ac != 1 && rz == 0x7f80 && gps == 1 &&
	       kept == 0x7f80 ? 0 : 1;
}
