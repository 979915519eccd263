/* ring3_syscall: can the host run a guest user-space system call?  Enables
 * EFER.SCE, points LSTAR at a tiny entry stub, drops to ring 3 and executes
 * syscall once.  The handler proves it runs privileged (reads CR0), prints
 * "syscall ok" and exits 0; a fault is reported by the runtime (status 3).
 * mode=int80 instead tries the other classic way in, "int $0x80" through a
 * DPL-3 interrupt gate. */
#include "rt.h"

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084

void syscall_entry(void);
__attribute__((noreturn)) void syscall_c(u64 user_rip, u64 user_rflags);

/* At entry RSP is still the user stack: switch to our own before any C. */
__asm__(".text\n"
	"syscall_entry:\n"
	"	mov $syscall_stack_top, %rsp\n"
	"	mov %rcx, %rdi\n"	/* user RIP */
	"	mov %r11, %rsi\n"	/* user RFLAGS */
	"	call syscall_c\n"
	"	.bss\n"
	"	.p2align 4\n"
	"	.skip 8192\n"
	"syscall_stack_top:\n"
	"	.text\n");

void syscall_c(u64 user_rip, u64 user_rflags)
{
	/* Under kvm-pvm "ring 0" may run on hardware ring 3 with the host's user
	 * CS (we saw cs=0x33 here), so CS does not tell the privilege level.
	 * A privileged instruction does: at real CPL 3 it #GPs (status 3). */
	u64 cr0;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	rt_printf("syscall ok cs=0x%x cr0=0x%lx user_rip=0x%lx user_rflags=0x%lx\n",
		  read_cs(), cr0, user_rip, user_rflags);
	rt_exit(0);
}

static void on_int80(struct rt_frame *f)
{
	rt_printf("int80 ok from cs=0x%lx rip=0x%lx\n", f->cs, f->rip);
	rt_exit(0);
}

static void do_syscall(void *unused)
{
	(void)unused;
	if (rt_arg_is("mode", "int80"))
		__asm__ volatile("int $0x80" ::: "memory");
	else
		__asm__ volatile("syscall" ::: "rcx", "r11", "memory");
}

int main(void)
{
	wrmsr(MSR_STAR, (u64)0x10 << 48 | (u64)SEL_KCODE << 32);
	wrmsr(MSR_LSTAR, (u64)syscall_entry);
	wrmsr(MSR_SFMASK, 0x700 | 0x200);	/* clear TF, DF, IF */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1);	/* SCE */
	rt_set_handler(RT_VEC_SOFT, on_int80);
	rt_run_user(do_syscall, NULL, 0);
	rt_puts("returned to ring 3 without reaching the handler\n");
	return 1;
}
