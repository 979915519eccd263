/* Two threads print at once, as a vCPU does on COM1 while the loop does on
 * hvc0.  Built with ThreadSanitizer ($(BUILD)/race), which reports every
 * access to the output watch that its lock does not order, whatever the
 * timing.  Exits 0 if there is none. */
#include "guest.h"
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static void *printer(void *line)
{
	for (int i = 0; i < 2000; i++)
		guest_output(line, strlen(line));
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	dup2(open("/dev/null", O_WRONLY), STDOUT_FILENO);
	pthread_create(&a, NULL, printer, "[    1.000000] Run /init as init process\n");
	pthread_create(&b, NULL, printer, "a kernel message without its newline ");
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	return 0;
}
