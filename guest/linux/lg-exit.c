/*
 * lg-exit N - end the lguest guest with exit status N.
 *
 * Writes N to lguest's debug-exit port (0xf4): the launcher then exits with
 * status N.  Under another hypervisor the write does nothing (or, with QEMU's
 * isa-debug-exit at 0xf4, exits with (N << 1) | 1), so we then sync and
 * power off.
 *
 * Freestanding (no libc) to stay a few hundred bytes: raw x86-64 system calls.
 */
#include <asm/unistd.h>     /* __NR_* */
#include <linux/reboot.h>   /* LINUX_REBOOT_* */
#include <asm/ioctls.h>     /* TCSBRK */

#define DEBUG_EXIT_PORT 0xf4

static long sys(long nr, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static void puts2(const char *s)
{
	long n = 0;
	while (s[n])
		n++;
	sys(__NR_write, 2, (long)s, n, 0);
}

__attribute__((used, noreturn)) static void lg_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	unsigned status = 0;

	if (argc > 1) {
		const char *p = argv[1];
		if (!*p)
			goto usage;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				goto usage;
			status = status * 10 + (unsigned)(*p - '0');
			if (status > 255)
				goto usage;
		}
	}

	/* What the command wrote may still sit in the console driver's buffer:
	 * wait until it has gone out (tcdrain), or the launcher would end
	 * before the last lines reach it. */
	sys(__NR_ioctl, 1, TCSBRK, 1, 0);
	sys(__NR_ioctl, 2, TCSBRK, 1, 0);

	/* Ask for access to the one port, then write the status byte to it. */
	if (sys(__NR_ioperm, DEBUG_EXIT_PORT, 1, 1, 0) == 0)
		__asm__ volatile("outb %b0, %w1" : : "a"(status), "Nd"(DEBUG_EXIT_PORT));

	/* Still here: not lguest. Flush the disks and power the machine off. */
	sys(__NR_sync, 0, 0, 0, 0);
	sys(__NR_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
	    LINUX_REBOOT_CMD_POWER_OFF, 0);
	puts2("lg-exit: cannot power off\n");
	sys(__NR_exit, 1, 0, 0, 0);
	for (;;)
		;
usage:
	puts2("usage: lg-exit [STATUS 0-255]\n");
	sys(__NR_exit, 2, 0, 0, 0);
	for (;;)
		;
}

/* Entry point: the kernel leaves argc, argv[] at the stack pointer. */
__asm__(".globl _start\n"
	"_start:\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call lg_main\n");
