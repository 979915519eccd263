#ifndef LG_PCI_H
#define LG_PCI_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
struct vm;

#define PCI_MAX_SLOTS 32
#define PCI_MMIO_BASE 0xC0000000ULL    /* BARs live in the 32-bit hole */
#define PCI_MMIO_END  0xFEC00000ULL    /* up to the IOAPIC */
#define PCI_MMIO64_BASE (1ULL << 40)   /* a guest may move 64-bit BARs up here */
#define PCI_MMIO64_END  (1ULL << 46)
#define PCI_INTX_GSI(slot) (16 + (slot) % 8)

#define PCI_COMMAND 0x04
#define PCI_CMD_MEM 0x0002
#define PCI_CMD_MASTER 0x0004
#define PCI_CMD_INTX_DISABLE 0x0400
#define PCI_STATUS_CAPS 0x0010
#define PCI_CAP_MSIX 0x11
#define PCI_CAP_VENDOR 0x09

struct pci_dev;
/* A guest access to a BAR: offset within it, len 1, 2, 4 or 8. */
typedef void (*pci_bar_fn)(struct pci_dev *d, uint64_t offset, uint8_t *data, unsigned len, bool is_write);

struct pci_dev {
	uint8_t cfg[256];            /* config space as the guest sees it */
	uint8_t wmask[256];          /* bits the guest may write */
	uint64_t bar_size;           /* one 64-bit memory BAR (BAR 0/1); 0: none */
	uint64_t bar_addr;           /* where it is now */
	pci_bar_fn bar_io;
	/* The guest moved the BAR, or wrote config space at [off, off+len). */
	void (*bar_moved)(struct pci_dev *d, uint64_t old_addr);
	void (*cfg_written)(struct pci_dev *d, unsigned off, unsigned len);
	int slot;
	unsigned cap_last, cap_next;  /* capability list: last entry, free space */
	struct vm *vm;
	struct pci_bus *bus;
	int intx;                     /* our INTx is asserted */
};

struct pci_bus {
	struct vm *vm;
	pthread_mutex_t lock;        /* config cycles and BAR lookups */
	uint32_t address;            /* the last write to 0xCF8 */
	struct pci_dev *slot[PCI_MAX_SLOTS];
	struct pci_dev host_bridge;
	uint64_t next_bar;
	pthread_mutex_t intx_lock;   /* a line is up while any of its devices asserts */
	unsigned intx_count[8];
};

/* The host bridge, conf1 ports 0xCF8-0xCFF and the BAR window. */
int pci_init(struct pci_bus *bus, struct vm *vm);
/* Plug a device in: ids and class set, BAR of bar_size bytes placed. */
int pci_add(struct pci_bus *bus, struct pci_dev *d, uint16_t vendor, uint16_t device,
	    uint32_t class_code, uint16_t subsys, uint64_t bar_size);
/* Append a capability of len bytes (id first); returns its offset. */
unsigned pci_add_cap(struct pci_dev *d, const uint8_t *cap, unsigned len);
/* Assert or deassert the device's INTx (INTA, routed to PCI_INTX_GSI(slot),
 * a line slot s shares with s+8). */
void pci_intx(struct pci_dev *d, int level);

static inline uint16_t pci_cfg16(const struct pci_dev *d, unsigned off)
{
	return (uint16_t)(d->cfg[off] | d->cfg[off + 1] << 8);
}
#endif
