#ifndef LG_RTC_H
#define LG_RTC_H
#include <pthread.h>
#include <stdint.h>
struct vm;

/* The CMOS real-time clock at ports 0x70-0x71. */
struct rtc {
	pthread_mutex_t lock;
	uint8_t index;               /* the register port 0x70 selected */
	uint8_t cmos[128];           /* the bytes that are not the clock */
};

int rtc_init(struct rtc *r, struct vm *vm);
/* Register index as the guest reads it (the clock: the host's UTC, BCD). */
uint8_t rtc_read(struct rtc *r, uint8_t index);
#endif
