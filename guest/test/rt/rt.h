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
/* Ends the guest with status (debug-exit port); with hold=1 on the command
 * line it prints "hold: status=N" and stays (lguest stat looks at it). */
__attribute__((noreturn)) void rt_exit(int status);

/* --- start info, command line, memory map (rt.c) --- */
extern struct hvm_start_info *rt_start_info;
const char *rt_cmdline(void);			/* never NULL */
u64 rt_arg(const char *key, u64 dflt);		/* key=N (decimal or 0x hex) */
int rt_arg_is(const char *key, const char *val);	/* key=val present? */
const char *rt_arg_str(const char *key);	/* key's value (up to ' ' or NUL), or NULL */
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
/* At ring 3 with interrupts on: sleep (HLT, at ring 0) until the next
 * interrupt, unless (u16)(*p - from) >= want already.  A ring-3 loop cannot
 * halt; this is how one waits without spinning on the host's CPU. */
void rt_user_wait(volatile u16 *p, u16 from, u16 want);
void rt_wait_tick(u8 vector);	/* a 10 ms tick bounds every rt_user_wait() */

/* --- time (clock.c): the TSC's frequency; the first call at ring 0 --- */
u64 rt_tsc_hz(void);
extern const char *rt_tsc_source;	/* where rt_tsc_hz() found it */
u64 rt_tsc_ns(u64 cycles);
u64 rt_ms_tsc(u64 ms);			/* TSC cycles in ms milliseconds */

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
void rt_ioapic_route(int pin, u8 vector, int level);
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
static inline void outw(u16 v, u16 port)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline u16 inw(u16 port)
{
	u16 v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outl(u32 v, u16 port)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline u32 inl(u16 port)
{
	u32 v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
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

/* --- PCI (pci.c): configuration mechanism #1, ring 0 only --- */
/* Config space of bus/dev/fn at offset off (0..4095: offsets past 255 use
 * the AMD extended-register bits 27:24 of 0xCF8), size 1, 2 or 4 bytes. */
u32 pci_cfg_read(u8 bus, u8 dev, u8 fn, u16 off, int size);
void pci_cfg_write(u8 bus, u8 dev, u8 fn, u16 off, int size, u32 val);
u8 pci_find_cap(u8 dev, u8 id);		/* bus 0 fn 0; 0 = none */
/* The address of BAR bar of bus 0 device dev (64-bit aware); one that reads
 * 0 is sized and assigned from a window at 0xE0000000 (RT_BAR_WINDOW). */
u64 pci_bar(u8 dev, int bar);
#define RT_BAR_WINDOW 0xe0000000UL
extern u64 rt_bar_window64;	/* if set: where 64-bit BARs go instead */
/* Identity-map [addr, addr+len) uncached, user-accessible (2 MiB pages);
 * the boot page tables only cover the low 4 GiB.  Ring 0 only. */
void rt_map_mmio(u64 addr, u64 len);

/* --- virtio 1.x over PCI (virtio.c) --- */
#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
/* device_status bits */
#define VIRTIO_S_ACKNOWLEDGE 1
#define VIRTIO_S_DRIVER 2
#define VIRTIO_S_DRIVER_OK 4
#define VIRTIO_S_FEATURES_OK 8
#define VIRTIO_S_NEEDS_RESET 0x40
#define VIRTIO_S_FAILED 0x80
/* feature bits */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14
#define BIT(n) (1ULL << (n))
/* struct virtio_pci_common_cfg, by offset */
#define VC_DFSELECT 0x00	/* le32 device_feature_select */
#define VC_DF 0x04		/* le32 device_feature */
#define VC_GFSELECT 0x08	/* le32 driver_feature_select */
#define VC_GF 0x0c		/* le32 driver_feature */
#define VC_MSIX 0x10		/* le16 config_msix_vector */
#define VC_NUMQ 0x12		/* le16 num_queues */
#define VC_STATUS 0x14		/* u8 device_status */
#define VC_CFGGEN 0x15		/* u8 config_generation */
#define VC_Q_SELECT 0x16	/* le16 */
#define VC_Q_SIZE 0x18		/* le16 */
#define VC_Q_MSIX 0x1a		/* le16 */
#define VC_Q_ENABLE 0x1c	/* le16 */
#define VC_Q_NOFF 0x1e		/* le16 queue_notify_off */
#define VC_Q_DESCLO 0x20	/* le64 as two le32 */
#define VC_Q_DESCHI 0x24
#define VC_Q_AVAILLO 0x28
#define VC_Q_AVAILHI 0x2c
#define VC_Q_USEDLO 0x30
#define VC_Q_USEDHI 0x34
#define VIRTIO_NO_VECTOR 0xffff

/* The split virtqueue (virtio 1.2 section 2.7), little-endian = native. */
struct virtq_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
struct virtq_avail {
	u16 flags;		/* 1 = VIRTQ_AVAIL_F_NO_INTERRUPT */
	u16 idx;
	u16 ring[];		/* then le16 used_event */
};
struct virtq_used_elem {
	u32 id;
	u32 len;
};
struct virtq_used {
	u16 flags;		/* 1 = VIRTQ_USED_F_NO_NOTIFY */
	u16 idx;
	struct virtq_used_elem ring[];	/* then le16 avail_event */
};

#define VQ_MAX 256		/* our largest queue */
#define VQ_MAX_INDIRECT 32	/* entries in one indirect table */
struct virtq {
	u8 mem[3][4096];	/* desc, avail, used: one page each */
	struct virtq_desc indirect[VQ_MAX][VQ_MAX_INDIRECT];	/* by head */
	volatile struct virtq_desc *desc;
	volatile struct virtq_avail *avail;
	volatile struct virtq_used *used;
	u16 size, free_head, num_free, last_used, avail_idx, kicked_idx;
	u16 chain_len[VQ_MAX];	/* descriptors held by each head */
	volatile u16 *notify;
} __attribute__((aligned(4096)));

/* One buffer of a request: device-readable (write = 0) or -writable. */
struct virtq_buf {
	u64 addr;
	u32 len;
	int write;
};

struct virtio_pci {
	u8 dev;			/* bus 0 device number */
	u16 device_id;
	u64 bar[6];		/* assigned addresses, 0 = unused */
	volatile u8 *common, *isr, *devcfg;
	u32 common_len, devcfg_len, notify_len, notify_mult;
	u64 notify_base;
	u8 msix_cap;		/* config offset of the MSI-X capability, or 0 */
	u16 msix_size;		/* table entries */
	volatile u32 *msix_table;
	volatile u64 *msix_pba;
	u8 msix_vector;		/* CPU vector for queue 0, 0 = poll */
	u8 intx_vector;		/* or: INTx through the IOAPIC to this vector */
	u64 offered, features;	/* device features; negotiated ones */
	struct virtq vq;	/* queue 0 */
};

/* Ring 0: find the n-th (from 0) virtio device of this type on bus 0, read
 * its capabilities, set up its BARs; 0 or -1. */
int virtio_pci_find(struct virtio_pci *d, u16 type, int n);
/* Ring 0: route MSI-X table entry 0 to vector on this CPU and enable MSI-X;
 * virtio_init() then points queue 0 at entry 0.  0 or -1. */
int virtio_msix_enable(struct virtio_pci *d, u8 vector);
/* Ring 0: INTx instead: the pin in config space's interrupt line, routed
 * level-triggered through the IOAPIC; the handler reads (clears) ISR. */
int virtio_intx_enable(struct virtio_pci *d, u8 vector);
extern volatile u64 virtio_irqs;	/* interrupts taken */
extern u64 virtio_halts;		/* ... and how often it did */
extern int virtio_halt;		/* virtio_wait at ring 3: HLT, not spin, for the interrupt */

/* The rest works at ring 0 or 3 (MMIO only).  Each returns 0 or a short
 * reason in *why. */
void virtio_reset(struct virtio_pci *d);
int virtio_negotiate(struct virtio_pci *d, u64 wanted, const char **why);
int virtio_setup_queue(struct virtio_pci *d, u16 qsize, const char **why);
/* Queue index at vq (its size at most qsize, 0 = the device's maximum),
 * interrupts to MSI-X table entry msix or VIRTIO_NO_VECTOR. */
int virtio_setup_vq(struct virtio_pci *d, struct virtq *vq, u16 index, u16 qsize, u16 msix,
		    const char **why);
int virtio_init(struct virtio_pci *d, u64 wanted, u16 qsize, const char **why);
u8 virtio_status(struct virtio_pci *d);
void virtio_set_status(struct virtio_pci *d, u8 s);
u32 virtio_cfg_read(struct virtio_pci *d, u32 off, int size);	/* device config */
u64 virtio_cfg_read64(struct virtio_pci *d, u32 off);
/* Chain bufs[0..n) (readable ones first) into the queue, through an indirect
 * table when indirect != 0 (and negotiated); returns the head or -1 when
 * the ring is full. */
int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, int n, int indirect);
void virtq_publish(struct virtq *vq, u16 head);	/* raw: avail ring + idx */
void virtio_kick(struct virtio_pci *d);		/* notify unless suppressed */
int virtq_get(struct virtio_pci *d, u32 *len);	/* a used head or -1 */
/* Wait (poll, or for the interrupt when MSI-X is on) for a used entry:
 * the head, -1 after timeout TSC cycles, -2 if the device wants a reset. */
int virtio_wait(struct virtio_pci *d, u64 timeout, u32 *len);
#define VIRTIO_TIMEOUT 60000000000ULL	/* TSC cycles: tens of seconds */

/* --- MMIO accessors --- */
static inline u8 mmio_read8(volatile void *p) { return *(volatile u8 *)p; }
static inline u16 mmio_read16(volatile void *p) { return *(volatile u16 *)p; }
static inline u32 mmio_read32(volatile void *p) { return *(volatile u32 *)p; }
static inline void mmio_write8(volatile void *p, u8 v) { *(volatile u8 *)p = v; }
static inline void mmio_write16(volatile void *p, u16 v) { *(volatile u16 *)p = v; }
static inline void mmio_write32(volatile void *p, u32 v) { *(volatile u32 *)p = v; }
/* A full barrier that an instruction emulator understands (no mfence). */
static inline void mb(void)
{
	__asm__ volatile("lock orl $0, (%%rsp)" ::: "memory", "cc");
}

/* --- virtio-blk requests (vblk.c) --- */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
struct virtio_blk_req {
	u32 type;
	u32 reserved;
	u64 sector;
};
struct virtio_blk_discard_write_zeroes {
	u64 sector;
	u32 num_sectors;
	u32 flags;		/* bit 0: unmap */
};
/* One request, waited for: header, data (len may be 0), status.  Returns
 * the status byte, or -1 on timeout, -2 when the device needs a reset. */
int vblk_request(struct virtio_pci *d, u32 type, u64 sector, void *data, u32 len);
/* The test pattern: sector s holds 64 LE u64 words, word w = (s<<16)|w|or. */
void vblk_fill(void *buf, u64 sector, u32 nsect, u64 or);
/* -1 when buf holds the pattern, else the index of the first bad word. */
long vblk_check(const void *buf, u64 sector, u32 nsect, u64 or);

/* --- virtio-net (vnet.c) --- */
#define VIRTIO_NET_F_CSUM 0		/* device checksums what we send */
#define VIRTIO_NET_F_GUEST_CSUM 1	/* we accept partly checksummed frames */
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
/* What precedes every frame in both directions (5.1.6; 12 bytes in 1.x). */
struct virtio_net_hdr {
	u8 flags;		/* VNET_HDR_F_* */
	u8 gso_type;		/* VNET_GSO_* */
	u16 hdr_len, gso_size, csum_start, csum_offset;
	u16 num_buffers;	/* RX with MRG_RXBUF: buffers this frame spans */
};
#define VNET_HDR_F_NEEDS_CSUM 1
#define VNET_HDR_F_DATA_VALID 2
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_HDR 12
#define VNET_RXQ 0
#define VNET_TXQ 1
#define VNET_BUF 2048		/* a TX slot: header + a 1514-byte frame */
#define VNET_RX_BUF 4096	/* an RX buffer: a page, as Linux's mergeable ones */
#define VNET_FRAME_MAX 65549	/* 14 + the largest IPv4 packet */
#define VNET_MEM 0x2000000UL	/* 32 MiB: RX at +0, TX at +1 MiB (17 MiB at most) */
#define VNET_TX_MEM (VNET_MEM + 0x100000)

struct vnet {
	struct virtio_pci pci;	/* (pci.vq is not used) */
	struct virtq rx, tx;
	/* set before vnet_init(): */
	u16 qsize;		/* 0 = the device's maximum (up to VQ_MAX) */
	u16 rx_msix;		/* RX queue's MSI-X entry or VIRTIO_NO_VECTOR */
	int tx_layout;		/* 1 = header+frame in one descriptor, 2 = apart,
				 * 3 = apart through an indirect table */
	u32 tx_bufsize;		/* bytes per TX slot (header included) */
	u16 reserve;		/* descriptors [0, reserve) of both queues left
				 * alone, for hostile chains */
	int rx_hold;		/* vnet_init() posts no RX buffers */
	/* learned: */
	u8 mac[6];
	u16 mtu;
	int mrg, rx_irq;
	u16 tx_slots, tx_nfree, tx_free[VQ_MAX], rx_held[VQ_MAX], rx_nheld;
	u8 tx_busy[VQ_MAX];
	u32 rx_contig;		/* bytes of the last frame at the pointer given */
	u64 rx_frames, tx_frames, kicks, rx_bad, tx_waits;
};
/* Ring 0: find virtio-net device n, and with vector != 0 route MSI-X
 * entry 0 to it (then rx_msix = 0).  0 or -1. */
int vnet_find(struct vnet *n, int index, u8 vector);
/* Reset and bring the device up with wanted features (plus VERSION_1):
 * both queues, RX buffers posted, DRIVER_OK.  0, or -1 and *why. */
int vnet_init(struct vnet *n, u64 wanted, const char **why);
void vnet_rx_post(struct vnet *n);	/* post RX buffers [reserve, size) */
int vnet_link_up(struct vnet *n);	/* STATUS bit 0; 1 when not negotiated */
/* The next received frame: its virtio_net_hdr, the frame right after; *len
 * = frame bytes (without the header), rx_contig of them contiguous (less
 * only for a merged frame).  Valid until the next call; NULL if none. */
struct virtio_net_hdr *vnet_rx(struct vnet *n, u32 *len);
void vnet_rx_irq(struct vnet *n, int on);	/* interrupt for the next frame? */
/* A free TX slot's buffer (header, then room for the frame), or NULL when
 * all are in flight; vnet_tx() queues it with a frame of len bytes,
 * vnet_tx_flush() publishes the queued ones and notifies if the device asks. */
struct virtio_net_hdr *vnet_tx_slot(struct vnet *n, int slot);	/* slot's buffer */
struct virtio_net_hdr *vnet_tx_buf(struct vnet *n, int *slot);
void vnet_tx(struct vnet *n, int slot, u32 len);
void vnet_tx_flush(struct vnet *n);
int vnet_tx_reclaim(struct vnet *n);	/* slots back from the used ring */
int vnet_tx_idle(struct vnet *n);	/* nothing in flight? */
/* Ring 3, every slot in flight: sleep until the device has used pct percent
 * of them (its TX interrupt; Linux's virtio_net waits for 75, by
 * virtqueue_enable_cb_delayed); spin without MSI-X. */
void vnet_tx_wait(struct vnet *n, u32 pct);
void vnet_kick(struct vnet *n, struct virtq *vq, u16 index);

#endif
