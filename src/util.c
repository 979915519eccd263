/*T:015 Saying what went wrong
 * The helpers util.h promises: fail() keeps the one line a user will read,
 * die() prints it and exits; numbers are read strictly (a suffix we do not
 * know is an error, not a guess); and when a file is locked we look in
 * /proc/locks for who holds it, so the line can name them. */
#include "util.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

char lg_error[512];

int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(lg_error, sizeof(lg_error), fmt, ap);
	va_end(ap);
	return -1;
}

void die(int status, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "lguest: %s\n", msg);
	exit(status);
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *bytes)
{
	char num[32];
	size_t n = 0;
	unsigned shift = 0;
	const char *rest;
	uint64_t v;

	if (!s)
		return -1;
	while (s[n] >= '0' && s[n] <= '9' && n < sizeof(num) - 1) {
		num[n] = s[n];
		n++;
	}
	num[n] = 0;
	switch (s[n]) {
	case 0: break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	default: return -1;
	}
	rest = s[n] ? s + n + 1 : s + n;  /* "M", "MB" and "MiB" all mean 2^20 */
	if (*rest && strcmp(rest, "B") && strcmp(rest, "iB"))
		return -1;
	if (parse_uint(num, 0, UINT64_MAX, &v) < 0)
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*bytes = v << shift;
	return 0;
}

int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;
	while (len) {
		ssize_t r = pread(fd, p, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

const char *lock_holder(int fd)
{
	static char who[64];
	char line[256], comm[32] = "?";
	unsigned maj, min;
	unsigned long ino;
	int pid = 0, p;
	struct stat st;
	FILE *f = fstat(fd, &st) == 0 ? fopen("/proc/locks", "r") : NULL;
	while (!pid && f && fgets(line, sizeof(line), f))    /* "1: FLOCK ADVISORY WRITE pid maj:min:ino ..." */
		if (sscanf(line, "%*d: %*s %*s %*s %d %x:%x:%lu", &p, &maj, &min, &ino) == 4 &&
		    maj == major(st.st_dev) && min == minor(st.st_dev) && ino == st.st_ino)
			pid = p;
	if (f)
		fclose(f);
	snprintf(line, sizeof(line), "/proc/%d/comm", pid);
	if (pid <= 0 || !(f = fopen(line, "r")))
		return "another program";
	if (fscanf(f, "%31s", comm) != 1)
		comm[0] = '?', comm[1] = 0;
	fclose(f);
	snprintf(who, sizeof(who), "process %d (%s)", pid, comm);
	return who;
}

void runtime_dir(char *dir, size_t size)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg)
		snprintf(dir, size, "%s/lguest", xdg);
	else
		snprintf(dir, size, geteuid() ? "/tmp/lguest-%u" : "/run/lguest", (unsigned)geteuid());
}
