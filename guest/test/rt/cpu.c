/*T:930 CPU tables, traps and ring 3
 * The GDT (entry.S) has ring-0 and ring-3 segments laid out for
 * syscall/sysret, plus a TSS whose RSP0 is the stack the CPU switches to when
 * an interrupt arrives at ring 3.  All 256 IDT vectors go to one C function,
 * rt_trap(): a registered handler runs, anything else is reported (vector,
 * RIP, error code) and ends the guest with status 3.  rt_run_user() runs a C
 * function at CPL 3 with IOPL 3 - where a software hypervisor runs guest code
 * natively - and gets back to ring 0 through a deliberate #UD.  A second #UD,
 * in rt_user_wait(), is how ring 3 waits for an interrupt without spinning:
 * rt_trap() halts on its behalf.  kvm-pvm runs ring 3 with the host's IOPL 0,
 * so in/out there raise #GP: rt_trap() then performs the port access itself
 * at ring 0 and skips the instruction.
 */
#include "rt.h"

struct tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __attribute__((packed));

struct idt_gate {
	u16 off_lo, sel;
	u8 ist, type_attr;
	u16 off_mid;
	u32 off_hi, zero;
};

extern u64 rt_gdt_tss[2];
extern const char rt_isr_stubs[], rt_user_exit[], rt_user_halt[];
__attribute__((noreturn)) void rt_user_return(void);

static struct tss tss;
static struct idt_gate idt[256];
static rt_handler handlers[256];
static u64 intr_stack[2048] __attribute__((aligned(16)));	/* TSS.RSP0 */

static void set_gate(int vec, int dpl)
{
	u64 a = (u64)(rt_isr_stubs + 16 * vec);
	idt[vec] = (struct idt_gate){
		.off_lo = (u16)a, .sel = SEL_KCODE, .ist = 0,
		.type_attr = (u8)(0x8e | (dpl << 5)),	/* present, 64-bit interrupt gate */
		.off_mid = (u16)(a >> 16), .off_hi = (u32)(a >> 32),
	};
}

/* Remap the legacy 8259 PICs to vectors 0x20-0x2f and mask them all, so a
 * BIOS-programmed PIT tick can never arrive on an exception vector. */
static void pic_off(void)
{
	outb(0x11, 0x20); outb(0x11, 0xa0);	/* ICW1: init, ICW4 follows */
	outb(0x20, 0x21); outb(0x28, 0xa1);	/* ICW2: vector bases */
	outb(0x04, 0x21); outb(0x02, 0xa1);	/* ICW3: cascade on IRQ2 */
	outb(0x01, 0x21); outb(0x01, 0xa1);	/* ICW4: 8086 mode */
	outb(0xff, 0x21); outb(0xff, 0xa1);	/* mask everything */
}

static struct {
	u16 limit;
	u64 base;
} __attribute__((packed)) idt_ptr = { sizeof(idt) - 1, 0 };

static void load_idt(void)
{
	idt_ptr.base = (u64)idt;
	__asm__ volatile("lidt %0" : : "m"(idt_ptr));
}

void rt_cpu_init(void)
{
	u64 base = (u64)&tss;

	tss.rsp[0] = (u64)(intr_stack + 2048);
	tss.iomap_base = sizeof(tss);		/* no I/O bitmap: IOPL decides */
	rt_gdt_tss[0] = (sizeof(tss) - 1) | ((base & 0xffffff) << 16) |
			(0x89ULL << 40) | ((base >> 24 & 0xff) << 56);
	rt_gdt_tss[1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));

	for (int v = 0; v < 256; v++)
		set_gate(v, v == RT_VEC_SOFT ? 3 : 0);
	load_idt();
	pic_off();
}

void rt_set_handler(int vector, rt_handler h)
{
	handlers[vector] = h;
}

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?9",
	"#TS", "#NP", "#SS", "#GP", "#PF", "?15", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP",
};

u64 rt_io_emulated;

/* A ring-3 in/out that raised #GP (the host ignored our IOPL 3): do the
 * access here at ring 0 and step over it.  Byte-sized forms only, which is
 * all the guests use. */
static int emulate_io(struct rt_frame *f)
{
	const u8 *ip = (const u8 *)f->rip;
	u16 port = ip[0] == 0xe6 || ip[0] == 0xe4 ? ip[1] : (u16)f->rdx;

	switch (ip[0]) {
	case 0xee:	/* out %al, (%dx) */
	case 0xe6:	/* out %al, $imm8 */
		outb((u8)f->rax, port);
		break;
	case 0xec:	/* in (%dx), %al */
	case 0xe4:	/* in $imm8, %al */
		f->rax = (f->rax & ~0xffUL) | inb(port);
		break;
	default:
		return 0;
	}
	f->rip += ip[0] == 0xe6 || ip[0] == 0xe4 ? 2 : 1;
	rt_io_emulated++;
	return 1;
}

void rt_trap(struct rt_frame *f);
void rt_trap(struct rt_frame *f)
{
	if (handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	if (f->vector == 6 && (f->cs & 3) == 3 && f->rip == (u64)rt_user_exit)
		rt_user_return();	/* resume rt_run_user()'s caller */
	if (f->vector == 6 && (f->cs & 3) == 3 && f->rip == (u64)rt_user_halt) {
		f->rip += 2;		/* rt_user_wait: HLT until an interrupt */
		if ((u16)(*(volatile u16 *)f->rdi - (u16)f->rsi) < (u16)f->rdx)
			__asm__ volatile("sti; hlt; cli");
		return;
	}
	if (f->vector == 13 && (f->cs & 3) == 3 && f->error == 0 && emulate_io(f))
		return;
	if (f->vector == 0xff)			/* LAPIC spurious: no EOI */
		return;
	if (f->vector < 32) {
		const char *n = exc_names[f->vector];
		rt_printf("unexpected exception vector=%lu (%s) rip=0x%lx err=0x%lx cs=0x%lx",
			  f->vector, n ? n : "?", f->rip, f->error, f->cs);
		if (f->vector == 14) {
			u64 cr2;
			__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
			rt_printf(" cr2=0x%lx", cr2);
		}
		rt_puts("\n");
	} else {
		rt_printf("unexpected interrupt vector=%lu rip=0x%lx cs=0x%lx\n",
			  f->vector, f->rip, f->cs);
	}
	rt_exit(3);
}

/* --- LAPIC, through its MMIO page (identity-mapped, user-accessible) --- */
u32 lapic_read(u32 reg)
{
	return *(volatile u32 *)(LAPIC_BASE + reg);
}

void lapic_write(u32 reg, u32 val)
{
	*(volatile u32 *)(LAPIC_BASE + reg) = val;
}

u32 lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

void lapic_enable(void)
{
	lapic_write(LAPIC_SVR, 0x100 | 0xff);	/* software enable, spurious 0xff */
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

/* IOAPIC redirection entry for pin: vector, to this CPU, fixed delivery,
 * active high, level- or edge-triggered, unmasked. */
void rt_ioapic_route(int pin, u8 vector, int level)
{
	volatile u32 *ioapic = phys(0xfec00000UL);
	ioapic[0] = 0x10 + 2 * (u32)pin + 1;
	ioapic[4] = lapic_id() << 24;
	ioapic[0] = 0x10 + 2 * (u32)pin;
	ioapic[4] = vector | (level ? 1u << 15 : 0);
}

void lapic_timer_periodic(u8 vector, u32 count)
{
	lapic_write(LAPIC_TIMER_DIV, 0x3);		/* divide by 16 */
	lapic_write(LAPIC_LVT_TIMER, (1 << 17) | vector);	/* periodic */
	lapic_write(LAPIC_TIMER_INIT, count);
}

/* A 10 ms tick that does nothing but end a HLT: no rt_user_wait() lasts
 * forever, even if the interrupt it waits for never comes. */
static void tick_eoi(struct rt_frame *f)
{
	(void)f;
	lapic_eoi();
}

void rt_wait_tick(u8 vector)
{
	rt_set_handler(vector, tick_eoi);
	lapic_timer_periodic(vector, 625000);
}

void lapic_timer_stop(void)
{
	lapic_write(LAPIC_LVT_TIMER, 1 << 16);		/* masked */
	lapic_write(LAPIC_TIMER_INIT, 0);
}

static void lapic_icr(u32 apic_id, u32 lo)
{
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, lo);
	while (lapic_read(LAPIC_ICR_LO) & (1 << 12))	/* delivery pending */
		;
}

void lapic_send_init(u32 apic_id)
{
	lapic_icr(apic_id, 0x4500);	/* INIT, level assert */
}

void lapic_send_sipi(u32 apic_id, u8 page)
{
	lapic_icr(apic_id, 0x4600 | page);	/* start-up */
}

/* --- APs --- */
void (*rt_ap_fn)(int index);
volatile u32 rt_ap_next;
u8 rt_ap_stacks[RT_MAX_CPUS * 4096] __attribute__((aligned(4096)));
extern const char rt_trampoline_start[], rt_trampoline_end[];

void rt_install_trampoline(void)
{
	memcpy(phys(RT_TRAMPOLINE), rt_trampoline_start,
	       rt_trampoline_end - rt_trampoline_start);
}

/* Each AP arrives here from entry.S, in long mode on its own stack. */
__attribute__((noreturn)) void rt_ap_main(int index);
void rt_ap_main(int index)
{
	load_idt();
	if (rt_ap_fn)
		rt_ap_fn(index);
	for (;;)
		__asm__ volatile("cli; hlt");
}
