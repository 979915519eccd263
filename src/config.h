#ifndef LG_CONFIG_H
#define LG_CONFIG_H
#include <stdbool.h>
#include <stdint.h>

#define LG_DEFAULT_MEM (256ULL << 20)
#define LG_DEFAULT_APPEND "console=ttyS0"

#define LG_MAX_DISKS 8
#define LG_SERIAL_MAX 20

/* --disk PATH[,ro][,serial=ID], a comma in PATH written ",,". */
struct lg_disk {
	const char *path, *serial;
	bool ro;
};

/* Everything `lguest run` was asked to do. */
struct lg_config {
	const char *kernel, *initrd, *append;
	const char *name;                  /* --name, else lg-PID: the control socket's (and a NIC's MAC's) */
	int detach;                        /* -d: run in the background */
	struct lg_disk disks[LG_MAX_DISKS];
	int ndisks;
	const char *nets[8];               /* --net KIND[=VALUE][,OPTIONS] */
	int nnets;
	int virtio_console;                /* --console virtio */
	int quiet;                         /* -q: hide the kernel's messages */
	int append_given;                  /* -a was used */
	int seccomp_off;                   /* --seccomp=off: no filters (debugging) */
	int dashdash;                      /* "--" was given */
	uint64_t mem_bytes;
	int cpus;
	char **guest_argv;      /* after "--": the command for the guest */
	int guest_argc;
	char cmdline[4096];     /* append + " -- " + guest_argv */
};

/* Parse `run`'s arguments (argv[0] is "run"; --disk values are unescaped in
 * place).  0: go; 1: help was asked for; -1: a usage error, said by fail(). */
int config_parse(struct lg_config *c, int argc, char **argv);
#endif
