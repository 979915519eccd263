/* reset: asks for a machine reset and checks it happens.
 *   mode=i8042   outb(0xfe, 0x64): keyboard-controller reset (default)
 *   mode=triple  load an empty IDT, then fault: #PF at ring 0 (or ud2 at
 *                ring 3 with ring=3) -> #GP -> #DF -> triple fault -> reset
 *   mode=ud      ud2 at ring 3 (or ring 0 with ring=0) with the normal IDT:
 *                the runtime reports it and exits with status 3
 *   mode=sse     movd %eax,%xmm0 at ring 0: hardware runs it (or raises #UD,
 *                status 3) and we exit 4; kvm-pvm's emulator cannot, and
 *                the launcher reports a vCPU internal error
 * If the reset does not come within ~tsc_limit TSC cycles (default 5e9),
 * prints "reset did not happen" and exits 1. */
#include "rt.h"

static void ud(void *unused)
{
	(void)unused;
	__asm__ volatile("ud2");
}

static void wait_reset(void *unused)
{
	(void)unused;
	u64 t0 = rdtsc(), limit = rt_arg("tsc_limit", 5000000000UL);
	while (rdtsc() - t0 < limit)
		cpu_relax();
}

int main(void)
{
	int ring0 = rt_arg("ring", 3) == 0;

	if (rt_arg_is("mode", "triple")) {
		static const struct {
			u16 limit;
			u64 base;
		} __attribute__((packed)) empty = { 0, 0 };
		rt_puts("reset: triple fault\n");
		__asm__ volatile("lidt %0" : : "m"(empty));
		if (rt_arg("ring", 0) == 3)
			rt_run_user(ud, NULL, 0);
		else	/* not-present PML4 slot: #PF */
			(void)*(volatile u64 *)phys(0x10000000000UL);
	} else if (rt_arg_is("mode", "ud")) {
		rt_printf("reset: ud2 at ring %d\n", ring0 ? 0 : 3);
		if (ring0)
			ud(NULL);
		else
			rt_run_user(ud, NULL, 0);
	} else if (rt_arg_is("mode", "sse")) {
		rt_puts("sse: running movd %eax,%xmm0 at ring 0\n");
		__asm__ volatile(".byte 0x66, 0x0f, 0x6e, 0xc0"); /* movd %eax,%xmm0 */
		rt_puts("sse: ran\n");
		return 4;
	} else {
		rt_puts("reset: i8042\n");
		outb(0xfe, 0x64);
	}
	rt_run_user(wait_reset, NULL, 0);
	rt_puts("reset did not happen\n");
	return 1;
}
