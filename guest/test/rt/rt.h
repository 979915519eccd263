/*T:900 The test guests
 * guest/test/ holds tiny freestanding programs that lguest boots to check one
 * behaviour each (console, memory map, timer, SMP, port I/O speed, reset,
 * syscall).  They share a small runtime in guest/test/rt/: this header is its
 * whole interface.  Each guest is a PVH ELF image, so QEMU's "-kernel" boots
 * the very same file, which lets us compare lguest against QEMU.
 */
#ifndef RT_H
#define RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

/* The PVH start-of-day structure (Xen public/arch-x86/hvm/start_info.h). */
#define HVM_START_MAGIC 0x336ec578
struct hvm_start_info {
	u32 magic;
	u32 version;
	u32 flags;
	u32 nr_modules;
	u64 modlist_paddr;
	u64 cmdline_paddr;
	u64 rsdp_paddr;
	u64 memmap_paddr;	/* version >= 1 */
	u32 memmap_entries;	/* version >= 1 */
	u32 reserved;
};
struct hvm_memmap_entry {
	u64 addr;
	u64 size;
	u32 type;		/* 1 = RAM */
	u32 reserved;
};

/* GDT selectors (see entry.S). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b		/* 0x18 | RPL 3 */
#define SEL_UCODE 0x23		/* 0x20 | RPL 3 */
#define SEL_TSS 0x28
#define SEL_KCODE32 0x38

/* Every guest defines this; its return value is the exit status. */
int main(void);

/* --- console and exit (rt.c) --- */
void rt_putc(char c);
void rt_puts(const char *s);
void rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_vprintf(const char *fmt, va_list ap);
__attribute__((noreturn)) void rt_exit(int status);

/* --- start info, command line, memory map (rt.c) --- */
extern struct hvm_start_info *rt_start_info;
const char *rt_cmdline(void);			/* never NULL */
u64 rt_arg(const char *key, u64 dflt);		/* key=N (decimal or 0x hex) */
int rt_arg_is(const char *key, const char *val);	/* key=val present? */
int rt_memmap(const struct hvm_memmap_entry **map);	/* returns count */

void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* --- CPU: GDT/TSS/IDT, traps, ring 3 (cpu.c) --- */
struct rt_frame {		/* what isr.S pushes, lowest address first */
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};
typedef void (*rt_handler)(struct rt_frame *f);
void rt_set_handler(int vector, rt_handler h);
#define RT_VEC_SOFT 0x80	/* the one gate ring 3 may "int" to (DPL 3) */

/* Run fn(arg) at CPL 3 with IOPL 3 and interrupts on or off; returns (at
 * ring 0) when fn returns.  in/out at ring 3 work natively where the host
 * honours IOPL, else via #GP and emulation in rt_trap (slow, counted in
 * rt_io_emulated). */
void rt_run_user(void (*fn)(void *), void *arg, int interrupts);
extern u64 rt_io_emulated;

/* --- LAPIC (cpu.c) --- */
#define LAPIC_BASE 0xfee00000UL
#define LAPIC_ID 0x020
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 val);
u32 lapic_id(void);
void lapic_enable(void);
void lapic_eoi(void);
void lapic_timer_periodic(u8 vector, u32 count);	/* divide by 16 */
void lapic_timer_stop(void);
void lapic_send_init(u32 apic_id);
void lapic_send_sipi(u32 apic_id, u8 page);

/* --- CPU topology (topo.c) and AP start-up (cpu.c, entry.S) --- */
#define RT_MAX_CPUS 64
/* Fills ids[] with the APIC IDs of all enabled CPUs (BSP included), returns
 * the count, and sets *source to "mptable" or "madt" (or "none"). */
int rt_cpu_apic_ids(u8 *ids, int max, const char **source);
/* An ACPI table by signature ("FACP", "APIC"...), checksum verified. */
const u8 *rt_acpi_table(const char *sig);
#define RT_TRAMPOLINE 0x8000	/* AP real-mode start page (SIPI vector 8) */
void rt_install_trampoline(void);
extern void (*rt_ap_fn)(int index);	/* run by each AP on its own stack */
extern volatile u32 rt_ap_next;		/* APs take indices 0, 1, ... */

/* --- small inline helpers --- */
static inline void outb(u8 v, u16 port)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}
static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}
/* A pointer to physical (= virtual, identity-mapped) address a.  The empty
 * asm hides the constant from GCC, which would otherwise warn about
 * "array bounds" when we read fixed firmware addresses. */
static inline void *phys(u64 a)
{
	__asm__("" : "+r"(a));
	return (void *)a;
}
static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}
static inline u16 read_cs(void)
{
	u16 cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

#endif
