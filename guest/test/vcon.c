/* vcon: the receive side of virtio-console (hvc0).  Finds the console,
 * sets up its receive queue (queue 0) only, posts 8 buffers of 16 bytes and
 * collects what the terminal sends until a '.', re-posting each buffer as
 * it comes back.  Prints "vcon: text=<the first 500 bytes, Ctrl-A as ^A>
 * ctrl_a=N bytes=N" and
 * exits 0; 1 if the device or the bytes never came. */
#include "rt.h"

#define NBUF 8
#define BUFLEN 16

static struct virtio_pci con;
static u8 buf[NBUF][BUFLEN];
static char text[512];
static int result = 1;

static int post(int i)
{
	struct virtq_buf b = { (u64)buf[i], BUFLEN, 1 };
	return virtq_add(&con.vq, &b, 1, 0);
}

static void body(void *unused)
{
	const char *why = "";
	int head_of[VQ_MAX], n = 0, ctrl_a = 0, done = 0, total = 0;
	(void)unused;
	if (virtio_init(&con, 0, 64, &why)) {
		rt_printf("vcon: error=init reason=\"%s\"\n", why);
		return;
	}
	for (int i = 0; i < VQ_MAX; i++)
		head_of[i] = -1;
	for (int i = 0; i < NBUF; i++)
		head_of[post(i)] = i;
	virtio_kick(&con);
	while (!done) {
		u32 len;
		int head = virtio_wait(&con, VIRTIO_TIMEOUT, &len);
		if (head < 0 || head_of[head] < 0 || len > BUFLEN)
			return;
		int i = head_of[head];
		head_of[head] = -1;
		for (u32 k = 0; k < len; k++) {
			u8 c = buf[i][k];
			total++;
			done |= c == '.';
			ctrl_a += c == 1;
			if (n < (int)sizeof(text) - 3 && c == 1)
				text[n++] = '^', text[n++] = 'A';
			else if (n < (int)sizeof(text) - 3)
				text[n++] = (char)c;
		}
		head_of[post(i)] = i;
		virtio_kick(&con);
	}
	text[n] = 0;
	rt_printf("vcon: text=%s ctrl_a=%d bytes=%d\n", text, ctrl_a, total);
	result = 0;
}

int main(void)
{
	if (virtio_pci_find(&con, VIRTIO_ID_CONSOLE, 0)) {
		rt_puts("vcon: error=no_device\n");
		return 1;
	}
	rt_run_user(body, NULL, 0);
	return result;
}
