/*T:615 The real-time clock
 * A PC keeps the date in an MC146818 behind ports 0x70 (index) and 0x71
 * (data).  Linux keeps time with kvm-clock, but distribution kernels still
 * probe the chip and read it once; with nothing there they read 0xff, which
 * says "update in progress", and poll tens of thousands of times.  So we
 * answer: the host's UTC time in BCD, 24-hour mode, never updating, and the
 * other CMOS bytes as plain memory.  Writes to the clock itself are
 * dropped: a guest does not set the host's time. */
#include "rtc.h"
#include "../core/bus.h"
#include "../core/vm.h"
#include <string.h>
#include <time.h>

enum { SEC = 0, MIN = 2, HOUR = 4, WDAY = 6, MDAY = 7, MON = 8, YEAR = 9,
       REG_A = 10, REG_B = 11, REG_C = 12, REG_D = 13, CENTURY = 0x32 };

static uint8_t bcd(int v) { return (uint8_t)((v / 10) << 4 | v % 10); }

uint8_t rtc_read(struct rtc *r, uint8_t index)
{
	time_t now = time(NULL);
	struct tm t;
	gmtime_r(&now, &t);
	switch (index) {
	case SEC:     return bcd(t.tm_sec > 59 ? 59 : t.tm_sec);
	case MIN:     return bcd(t.tm_min);
	case HOUR:    return bcd(t.tm_hour);
	case WDAY:    return bcd(t.tm_wday + 1);
	case MDAY:    return bcd(t.tm_mday);
	case MON:     return bcd(t.tm_mon + 1);
	case YEAR:    return bcd(t.tm_year % 100);
	case CENTURY: return bcd((t.tm_year + 1900) / 100);
	case REG_A:   return 0x26;          /* 32 kHz base, 1 kHz rate, no update in progress */
	case REG_B:   return 0x02;          /* 24-hour, BCD, no interrupts */
	case REG_C:   return 0;             /* no interrupt flags */
	case REG_D:   return 0x80;          /* the battery is good */
	default:      return r->cmos[index & 0x7f];
	}
}

static void rtc_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct rtc *r = opaque;
	(void)len;                          /* byte registers: byte 0 only */
	pthread_mutex_lock(&r->lock);
	if (offset == 0 && is_write)
		r->index = data[0] & 0x7f;  /* bit 7 masks NMIs: nothing to mask */
	else if (offset == 0)
		data[0] = r->index;
	else if (!is_write)
		data[0] = rtc_read(r, r->index);
	else if (r->index > REG_D && r->index != CENTURY)
		r->cmos[r->index] = data[0];
	pthread_mutex_unlock(&r->lock);
}

int rtc_init(struct rtc *r, struct vm *vm)
{
	memset(r->cmos, 0, sizeof(r->cmos));
	r->index = 0;
	pthread_mutex_init(&r->lock, NULL);
	return bus_register(&vm->pio, 0x70, 2, rtc_io, r);
}
