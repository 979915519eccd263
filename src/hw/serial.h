#ifndef LG_SERIAL_H
#define LG_SERIAL_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
struct vm;

#define SERIAL_RX_SIZE 4096
struct serial {
	struct vm *vm;
	pthread_mutex_t lock;
	void (*out)(const uint8_t *buf, size_t n);   /* where the guest's bytes go */
	unsigned irq;
	int irq_level;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	int thre_pending;                  /* "transmitter empty" not yet seen */
	uint8_t rx[SERIAL_RX_SIZE];
	unsigned rx_head, rx_count;
	void (*on_room)(void *opaque);     /* rx drained: more input welcome */
	void *on_room_opaque;
};

/* An 8250/16550A at port base, interrupt irq, writing to out_fd. */
int serial_init(struct serial *s, struct vm *vm, uint16_t base, unsigned irq,
		void (*out)(const uint8_t *buf, size_t n));
/* Bytes typed by the user; returns how many fitted. */
unsigned serial_input(struct serial *s, const uint8_t *buf, unsigned len);
#endif
