/*T:020 What the user asked for
 * `lguest run [options] [KERNEL] [-- ARGS]`.  Every option is checked here,
 * before anything is made, so a mistake costs one line and exit status 125
 * and leaves nothing behind. */
#include "config.h"
#include "control/control.h"
#include "core/vm.h"
#include "util.h"
#include "virtio/devices.h"
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int build_cmdline(struct lg_config *c)
{
	size_t used = (size_t)snprintf(c->cmdline, sizeof(c->cmdline), "%s", c->append);
	for (int i = 0; i < c->guest_argc && used < sizeof(c->cmdline); i++)
		used += (size_t)snprintf(c->cmdline + used, sizeof(c->cmdline) - used, "%s%s",
					 i ? " " : " -- ", c->guest_argv[i]);
	if (used >= sizeof(c->cmdline))
		return fail("the kernel command line is longer than %zu bytes (shorten %s)",
			    sizeof(c->cmdline) - 1, c->guest_argc ? "-a or the arguments after --" : "-a");
	return 0;
}

/* PATH up to a lone comma (",," is one comma in it), then the options. */
static int parse_disk(struct lg_disk *d, char *spec)
{
	char *w = spec, *r = spec, *save = NULL;
	for (; *r && (*r != ',' || r[1] == ','); r += *r == ',' ? 2 : 1)
		*w++ = *r;
	char *opts = *r ? r + 1 : NULL;
	*w = 0;
	*d = (struct lg_disk){ .path = spec };
	if (!*spec)
		return fail("--disk needs a path: --disk PATH[,ro][,serial=ID]");
	for (char *o = opts ? strtok_r(opts, ",", &save) : NULL; o; o = strtok_r(NULL, ",", &save)) {
		if (!strcmp(o, "ro"))
			d->ro = true;
		else if (!strncmp(o, "serial=", 7) && strlen(o + 7) <= LG_SERIAL_MAX)
			d->serial = o + 7;
		else
			return fail("--disk %s: unknown option '%s' (PATH[,ro][,serial=ID], ID up to %d characters; "
				    "a comma in PATH is written ,,)", spec, o, LG_SERIAL_MAX);
	}
	return 0;
}

/* getopt said '?': name what was wrong. */
static int bad_option(const struct option *opts, const char *arg)
{
	for (const struct option *o = opts; optopt && o->name; o++)
		if (o->val == optopt && o->has_arg == no_argument)       /* "--quiet=1" */
			return fail("--%s takes no value (see lguest run --help)", o->name);
	if (optopt)
		return fail("unknown option -%c (see lguest run --help)", optopt);
	size_t n = strcspn(arg + 2, "="), k = 0;
	char names[128] = "";
	for (const struct option *o = opts; o->name; o++)
		if (!strncmp(o->name, arg + 2, n))
			k += (size_t)snprintf(names + k, sizeof(names) - k, "%s--%s", k ? " or " : "", o->name);
	if (strstr(names, " or "))
		return fail("%.*s is ambiguous: %s (see lguest run --help)", (int)n + 2, arg, names);
	return fail("unknown option %s (see lguest run --help)", arg);
}

int config_parse(struct lg_config *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "memory", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "disk", required_argument, NULL, 'k' },
		{ "name", required_argument, NULL, 'n' },
		{ "detach", no_argument, NULL, 'd' },
		{ "console", required_argument, NULL, 'C' },
		{ "net", required_argument, NULL, 'N' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "seccomp", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t n;
	memset(c, 0, sizeof(*c));
	c->mem_bytes = LG_DEFAULT_MEM;
	c->cpus = 1;
	c->append = LG_DEFAULT_APPEND;
	optind = 0;              /* GNU getopt: start afresh (unit tests call us twice) */
	opterr = 0;
	for (int o; (o = getopt_long(argc, argv, "+:m:c:i:a:qdh", opts, NULL)) != -1;) {
		switch (o) {
		case 'm':
			if (parse_size(optarg, &c->mem_bytes) < 0 || c->mem_bytes == 0)
				return fail("-m %s: give a size such as 512M or 2G", optarg);
			if (c->mem_bytes & 0xfff)
				return fail("-m %s: give a whole number of 4 KiB pages, such as %lluK", optarg,
					    (unsigned long long)(c->mem_bytes + 0xfff) >> 12 << 2);
			break;
		case 'c':
			if (parse_uint(optarg, 1, LG_MAX_CPUS, &n) < 0)
				return fail("-c %s: give a number of vCPUs from 1 to %d", optarg, LG_MAX_CPUS);
			c->cpus = (int)n;
			break;
		case 'i': c->initrd = optarg; break;
		case 'n':
			if (!control_name_ok(optarg))
				return fail("--name %s: letters, digits, -, _ and . only, at most %d, not first a -",
					    optarg, CONTROL_NAME_MAX);
			c->name = optarg;
			break;
		case 'd': c->detach = 1; break;
		case 'k':
			if (c->ndisks == LG_MAX_DISKS)
				return fail("more than %d --disk options", LG_MAX_DISKS);
			if (parse_disk(&c->disks[c->ndisks++], optarg) < 0)
				return -1;
			break;
		case 'N':
			if (c->nnets == LG_MAX_NICS)
				return fail("more than %d --net options", LG_MAX_NICS);
			if (net_check(optarg) < 0)
				return -1;
			c->nets[c->nnets++] = optarg;
			break;
		case 'C':
			if (strcmp(optarg, "serial") && strcmp(optarg, "virtio"))
				return fail("--console %s: give serial or virtio", optarg);
			c->virtio_console = !strcmp(optarg, "virtio");
			break;
		case 'S':
			if (strcmp(optarg, "on") && strcmp(optarg, "off"))
				return fail("--seccomp %s: give on or off", optarg);
			c->seccomp_off = !strcmp(optarg, "off");
			break;
		case 'a': c->append = optarg; c->append_given = 1; break;
		case 'q': c->quiet = 1; break;
		case 'h': return 1;
		case ':':
			return fail("option %s needs a value (see lguest run --help)", argv[optind - 1]);
		default:
			return bad_option(opts, argv[optind - 1]);
		}
	}
	/* getopt stops at KERNEL, or just after a "--" it swallowed. */
	bool after_dashdash = optind > 1 && !strcmp(argv[optind - 1], "--");
	if (!after_dashdash && optind < argc && strcmp(argv[optind], "--"))
		c->kernel = argv[optind++];
	if (!after_dashdash && optind < argc && !strcmp(argv[optind], "--")) {
		after_dashdash = true;
		optind++;
	}
	if (after_dashdash) {
		c->dashdash = 1;
		c->guest_argv = argv + optind;
		c->guest_argc = argc - optind;
		optind = argc;
	}
	if (optind < argc)
		return fail("unexpected argument %s (options go before KERNEL; guest arguments after --)", argv[optind]);
	if (c->dashdash && !c->guest_argc)
		return fail("-- needs a command after it (lguest run -- CMD ARGS...)");
	return build_cmdline(c);
}
