/*T:845 --net: what the user asked for
 * Each --net is a kind and its options, checked here before anything is
 * made: "lan=NAME", "tap[=IFNAME]", "user[,hostfwd=...][,restrict]",
 * "vhost-user=PATH", each with an optional ",mac=MAC".  hostfwd takes
 * QEMU's form, so a QEMU user's command line carries over. */
#include "net.h"
#include "../util.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

int lan_check_name(const char *name)
{
	if (!*name || strlen(name) > 64 || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return fail("LAN name '%s': give 1 to 64 characters, no '/'", name);
	return 0;
}

/* The next field of s up to sep (which must be there); NULL if it is not. */
static char *field(char **s, char sep)
{
	char *f = *s, *end = strchr(f, sep);
	if (!end)
		return NULL;
	*end = 0;
	*s = end + 1;
	return f;
}

/* QEMU's form: [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT. */
static int parse_fwd(const char *spec, struct net_fwd *f)
{
	char buf[128], *s = buf, *proto, *addr, *hport, *gaddr;
	uint64_t hp, gp;
	snprintf(buf, sizeof(buf), "%s", spec);
	if (!(proto = field(&s, ':')) || !(addr = field(&s, ':')) || !(hport = field(&s, '-')) ||
	    !(gaddr = field(&s, ':')) || parse_uint(hport, 1, 65535, &hp) < 0 || parse_uint(s, 1, 65535, &gp) < 0)
		return -1;
	f->udp = !strcmp(proto, "udp");
	f->hport = (int)hp;
	f->gport = (int)gp;
	if ((*proto && strcmp(proto, "tcp") && !f->udp) || (*gaddr && strcmp(gaddr, "10.0.2.15")))
		return -1;
	struct in_addr in;
	if (inet_pton(AF_INET, *addr ? addr : "0.0.0.0", &in) != 1)   /* as QEMU: any */
		return -1;
	f->host = in.s_addr;
	return 0;
}

int net_user_opts(const char *opts, int *restricted, struct net_fwd *fwd, int *nfwd)
{
	char buf[512], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", opts ? opts : "");
	*restricted = 0;
	*nfwd = 0;
	for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (!strcmp(o, "restrict") || !strcmp(o, "restrict=on")) {
			*restricted = 1;
		} else if (!strncmp(o, "hostfwd=", 8)) {
			if (*nfwd == NET_MAX_FWD || parse_fwd(o + 8, &fwd[*nfwd]) < 0)
				return fail("--net user: hostfwd=%s: give tcp:HOSTADDR:HOSTPORT-:GUESTPORT "
					    "(at most %d)", o + 8, NET_MAX_FWD);
			(*nfwd)++;
		} else {
			return fail("--net user: unknown option '%s' (hostfwd=, restrict, mac=)", o);
		}
	}
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	int n = 0;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &n) != 6 ||
	    s[n] || strlen(s) != 17 || (b[0] & 1) || !(b[0] | b[1] | b[2] | b[3] | b[4] | b[5]))
		return fail("--net: mac=%s: give a unicast MAC such as 52:54:00:12:34:56", s);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* "lan=NAME", "vhost-user=PATH", "tap[=IFNAME]", "user[,hostfwd=..][,restrict]",
 * each with an optional ",mac=MAC". */
int net_parse(const char *spec, struct net_spec *sp)
{
	static const char *kinds[] = { "tap", "user", "lan", "vhost-user" };
	char buf[512], *save = NULL, *opt;
	size_t len = strcspn(spec, "=,");
	*sp = (struct net_spec){ .kind = NET_TAP };
	snprintf(buf, sizeof(buf), "%s", spec);
	for (sp->kind = 0; sp->kind < 4 && (strlen(kinds[sp->kind]) != len ||
					     strncmp(spec, kinds[sp->kind], len)); sp->kind++)
		;
	if (sp->kind == 4)
		return fail("--net %s: unknown kind (give lan=NAME, tap[=IFNAME], user or vhost-user=PATH)", spec);
	char *value = spec[len] == '=' ? strtok_r(buf + len + 1, ",", &save) : (strtok_r(buf, ",", &save), NULL);
	if ((sp->kind == NET_LAN || sp->kind == NET_VHOST) && !value)
		return fail("--net %s needs a value: --net %s=%s", kinds[sp->kind], kinds[sp->kind],
			    sp->kind == NET_LAN ? "NAME" : "PATH");
	if (sp->kind == NET_USER && value)
		return fail("--net user takes options after a comma: --net user,hostfwd=tcp::2222-:22");
	if (sp->kind == NET_LAN && lan_check_name(value) < 0)
		return -1;
	if (value && strlen(value) >= sizeof(sp->arg))
		return fail("--net %s: %s is too long", kinds[sp->kind], value);
	snprintf(sp->arg, sizeof(sp->arg), "%s", value ? value : "");
	while ((opt = strtok_r(NULL, ",", &save))) {
		if (!strncmp(opt, "mac=", 4)) {
			if (parse_mac(opt + 4, sp->mac) < 0)
				return -1;
			sp->mac_given = true;
		} else if (sp->kind == NET_USER && strlen(sp->arg) + strlen(opt) + 2 < sizeof(sp->arg)) {
			strcat(strcat(sp->arg, *sp->arg ? "," : ""), opt);
		} else {
			return fail("--net %s: unknown option '%s' (mac=MAC%s)", spec, opt,
				    sp->kind == NET_USER ? ", hostfwd=, restrict" : "");
		}
	}
	if (sp->kind == NET_USER) {
		struct net_fwd f[NET_MAX_FWD];
		int r, nf;
		return net_user_opts(sp->arg, &r, f, &nf);
	}
	return 0;
}

int net_check(const char *spec)
{
	struct net_spec sp;
	return net_parse(spec, &sp);
}

