/* bench/memcpy: one core's memcpy, for bench/net to hold the LAN against.
 * Usage: memcpy SRC_BYTES DST_BYTES PIECE: copies the source 64 KiB at a
 * time (in memcpy calls of PIECE bytes) into the destination, wrapping
 * each, for half a second after one pass that faults both in; prints
 * bytes per second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	size_t ss = argc > 3 ? strtoul(argv[1], NULL, 0) : 0, ds = argc > 3 ? strtoul(argv[2], NULL, 0) : 0;
	size_t piece = argc > 3 ? strtoul(argv[3], NULL, 0) : 0, o = 0, d = 0, n = 0;
	char *src = malloc(ss), *dst = malloc(ds);
	if (!src || !dst || ss < 65536 || ds < 65536 || !piece || 65536 % piece || ss % 65536 || ds % 65536) {
		fprintf(stderr, "usage: memcpy SRC_BYTES DST_BYTES PIECE (multiples of 64 KiB; PIECE divides 64 KiB)\n");
		return 2;
	}
	memset(src, 1, ss);
	memset(dst, 0, ds);
	double t0 = now();
	while (now() - t0 < 0.5) {
		for (int k = 0; k < 256; k++, n += 65536, o = (o + 65536) % ss, d = (d + 65536) % ds)
			for (size_t x = 0; x < 65536; x += piece)
				memcpy(dst + d + x, src + o + x, piece);
		__asm__ volatile("" ::: "memory");	/* the copies are not dead */
	}
	printf("%.0f\n", (double)n / (now() - t0));
	return 0;
}
