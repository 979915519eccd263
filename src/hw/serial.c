/*T:600 The serial port
 * The first thing every kernel says, it says to COM1: an 8250 UART at port
 * 0x3f8, interrupt 4.  We emulate a 16550A closely enough for Linux's 8250
 * driver to probe it (scratch register, loopback, FIFO bits in IIR) and
 * simply enough to read in one sitting: a byte written to THR goes straight
 * to our stdout, and bytes from the terminal (console.c) wait in a receive
 * buffer until the guest reads RBR.  The interrupt line is level-triggered:
 * up while the guest has something to look at and has asked to be told. */
#include "serial.h"
#include "../core/bus.h"
#include "../core/irq.h"
#include "../core/vm.h"

enum { RBR_THR, IER, IIR_FCR, LCR, MCR, LSR, MSR, SCR };
#define LCR_DLAB   0x80
#define MCR_OUT2   0x08
#define MCR_LOOP   0x10
#define IER_RDA    0x01
#define IER_THRE   0x02
#define LSR_DR     0x01
#define LSR_THRE   0x20
#define LSR_TEMT   0x40

static void update_irq(struct serial *s)
{
	int rda = (s->ier & IER_RDA) && s->rx_count;
	int thre = (s->ier & IER_THRE) && s->thre_pending;
	int level = (rda || thre) && (s->mcr & MCR_OUT2);
	if (level != s->irq_level) {
		s->irq_level = level;
		irq_line(s->vm, s->irq, level);
	}
}

static void rx_push(struct serial *s, uint8_t c)
{
	if (s->rx_count == SERIAL_RX_SIZE)
		return;
	s->rx[(s->rx_head + s->rx_count++) % SERIAL_RX_SIZE] = c;
}

static uint8_t rx_pop(struct serial *s)
{
	if (!s->rx_count)
		return 0;
	uint8_t c = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL_RX_SIZE;
	if (--s->rx_count == 0 && s->on_room)
		s->on_room(s->on_room_opaque);
	return c;
}

static void transmit(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		rx_push(s, c);
	} else {
		s->out(&c, 1);
	}
	s->thre_pending = 1;
}

static uint8_t iir(struct serial *s)
{
	uint8_t fifo = (s->fcr & 1) ? 0xc0 : 0;
	if ((s->ier & IER_RDA) && s->rx_count)
		return fifo | 0x04;
	if ((s->ier & IER_THRE) && s->thre_pending) {
		s->thre_pending = 0;           /* reading IIR acknowledges it */
		return fifo | 0x02;
	}
	return fifo | 0x01;                    /* nothing pending */
}

/* In loopback the modem inputs follow the outputs: RTS->CTS, DTR->DSR,
 * OUT1->RI, OUT2->DCD.  Otherwise a modem that is always there. */
static uint8_t msr(struct serial *s)
{
	if (!(s->mcr & MCR_LOOP))
		return 0xb0;
	uint8_t m = s->mcr;
	return (uint8_t)(((m & 2) << 3) | ((m & 1) << 5) | ((m & 4) << 4) | ((m & 8) << 4));
}

static uint8_t serial_read(struct serial *s, unsigned reg)
{
	int dlab = s->lcr & LCR_DLAB;
	switch (reg) {
	case RBR_THR: return dlab ? s->dll : rx_pop(s);
	case IER:     return dlab ? s->dlm : s->ier;
	case IIR_FCR: return iir(s);
	case LCR:     return s->lcr;
	case MCR:     return s->mcr;
	case LSR:     return (uint8_t)(LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0));
	case MSR:     return msr(s);
	default:      return s->scr;
	}
}

static void serial_write(struct serial *s, unsigned reg, uint8_t v)
{
	int dlab = s->lcr & LCR_DLAB;
	switch (reg) {
	case RBR_THR:
		if (dlab)
			s->dll = v;
		else
			transmit(s, v);
		break;
	case IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		if ((v & IER_THRE) && !(s->ier & IER_THRE))
			s->thre_pending = 1;   /* the transmitter is always empty */
		s->ier = v & 0x0f;
		break;
	case IIR_FCR:
		s->fcr = v & 0xc9;
		if ((v & 2) && s->rx_count) {
			s->rx_count = 0;
			if (s->on_room)            /* cleared: more input welcome */
				s->on_room(s->on_room_opaque);
		}
		break;
	case LCR: s->lcr = v; break;
	case MCR: s->mcr = v & 0x1f; break;
	case SCR: s->scr = v; break;
	default: break;                        /* LSR and MSR are read-only */
	}
}

static void serial_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct serial *s = opaque;
	(void)len;                             /* 8-bit registers: byte 0 only */
	pthread_mutex_lock(&s->lock);
	if (is_write)
		serial_write(s, (unsigned)offset, data[0]);
	else
		data[0] = serial_read(s, (unsigned)offset);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

unsigned serial_input(struct serial *s, const uint8_t *buf, unsigned len)
{
	unsigned n = 0;
	pthread_mutex_lock(&s->lock);
	for (; n < len && s->rx_count < SERIAL_RX_SIZE; n++)
		rx_push(s, buf[n]);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

int serial_init(struct serial *s, struct vm *vm, uint16_t base, unsigned irq,
		void (*out)(const uint8_t *buf, size_t n))
{
	*s = (struct serial){ .vm = vm, .out = out, .irq = irq };
	pthread_mutex_init(&s->lock, NULL);
	return bus_register(&vm->pio, base, 8, serial_io, s);
}
