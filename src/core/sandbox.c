/*T:240 The sandbox
 * Set-up needs the whole system: files, /dev/kvm, memory, threads.  Running
 * the guest needs a few dozen system calls, and if a guest ever found a
 * hole in us, anything else would be its to use.  So once set-up is done we
 * keep no capability and no /dev/kvm, and each thread narrows itself with a
 * seccomp filter of its kind: vCPU threads to KVM_RUN and what an exit
 * needs, the event loop to epoll, eventfds, io_uring and getrandom, ioctl
 * to the request numbers we send.  Anything else stops lguest with a line
 * that names the call (SIGSYS).  --seccomp=off leaves the filters out, for
 * debugging; LGUEST_SECCOMP_SELFTEST=vcpu|loop|ioctl makes that thread try
 * something forbidden, so the tests can see the filters are on. */
#include "sandbox.h"
#include "vm.h"
#include "../util.h"
#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define V (1u << SANDBOX_VCPU)
#define L (1u << SANDBOX_LOOP)
#define SYS_NR(nr, kinds) { nr, kinds, 0, 0, 0 }
#define SYS(name, kinds) SYS_NR(SCMP_SYS(name), kinds)
#define IOCTL(req, kinds) { SCMP_SYS(ioctl), kinds, 2, 0xffffffffu, req }  /* the request, as 32 bits */
#define NOEXEC(name, kinds) { SCMP_SYS(name), kinds, 3, PROT_EXEC, 0 }   /* memory, never executable */

static const struct rule {
	int nr;
	unsigned kinds;
	unsigned arg;              /* 0: any arguments; else argument arg-1 & mask must be value */
	uint64_t mask, value;
} rules[] = {
	IOCTL(KVM_RUN, V), IOCTL(KVM_GET_REGS, V), IOCTL(KVM_SET_REGS, V), IOCTL(KVM_GET_SREGS, V),
	IOCTL(KVM_TRANSLATE, V), IOCTL(KVM_GET_VCPU_EVENTS, V), IOCTL(KVM_SET_VCPU_EVENTS, V),
	IOCTL(KVM_GET_XSAVE, V), IOCTL(KVM_SET_XSAVE, V),              /* pvm.c */
	IOCTL(KVM_SET_GSI_ROUTING, V), IOCTL(KVM_IRQFD, V), IOCTL(KVM_IOEVENTFD, V), SYS(eventfd2, V),
	IOCTL(KVM_IRQ_LINE, V | L), IOCTL(TCSETS, V | L), IOCTL(TCGETS, V | L), /* INTx; the terminal back */
	SYS(read, V | L), SYS(write, V | L), SYS(futex, V | L), SYS(io_uring_enter, V | L),
	SYS(epoll_wait, L), SYS(epoll_pwait, L), SYS(getrandom, L),
	SYS(epoll_ctl, V | L),                                       /* stdin again, once COM1 drained */
	SYS(poll, V | L), SYS(timerfd_settime, V | L),               /* guest output: a full pipe; the watch's timer */
	IOCTL(TIOCGPGRP, V | L), SYS(getpgrp, V | L),              /* are we the terminal's foreground? */
	/* the control socket (control/server.c): its clients, pause, stat */
	SYS(accept4, L), SYS(close, L), { SCMP_SYS(getsockopt), L, 3, 0xffffffffu, SO_PEERCRED },
	IOCTL(KVM_GET_CLOCK, L), IOCTL(KVM_SET_CLOCK, L), IOCTL(KVM_KVMCLOCK_CTRL, L), SYS(pread64, L),
	/* what the C library does for us: memory, threads, signals, the end */
	NOEXEC(mmap, V | L), NOEXEC(mprotect, V | L), SYS(munmap, V | L), SYS(madvise, V | L),
	SYS(brk, V | L), SYS(rt_sigreturn, V | L), SYS(rt_sigprocmask, V | L), SYS(rt_sigaction, V | L),
	SYS(getpid, V | L), SYS(gettid, V | L), SYS(clock_gettime, V | L),
	SYS(exit, V | L), SYS(exit_group, V | L), SYS(sigaltstack, V | L),
};
#ifdef LG_SANITIZERS
/* LeakSanitizer's check at exit (a tracer thread that stops and reads the
 * others): only in the sanitizer build. */
static const int sanitizer_calls[] = { SCMP_SYS(prctl), SCMP_SYS(clone), SCMP_SYS(ptrace), SCMP_SYS(wait4),
				       SCMP_SYS(getppid), SCMP_SYS(open), SCMP_SYS(getdents), SCMP_SYS(lseek), SCMP_SYS(close),
				       SCMP_SYS(sched_yield) };
#endif
/* LGUEST_REPORT reads /proc/self/status at the end. */
static const int report_calls[] = { SCMP_SYS(openat), SCMP_SYS(newfstatat), SCMP_SYS(fstat),
				    SCMP_SYS(lseek), SCMP_SYS(close) };

static struct rule extra[48];         /* sandbox_allow() */
static unsigned nextra;

static const char *const kind_name[SANDBOX_KINDS] = { "vCPU", "event loop" };
static scmp_filter_ctx filter[SANDBOX_KINDS];
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;   /* one libseccomp at a time */
static __thread const char *thread_kind = "main";
static void (*kill_hook)(void);
static const char *selftest = "";

/* A forbidden call: say which, put the terminal back, end as SIGSYS would. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[256], req[32] = "";
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, si->si_syscall);
	if (si->si_syscall == SYS_ioctl)
		snprintf(req, sizeof(req), " request %#llx",
			 (unsigned long long)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RSI]);
	int n = snprintf(msg, sizeof(msg), "lguest: the %s thread made a system call its seccomp filter "
			 "forbids: %s (%d)%s; stopped (--seccomp=off lifts the filters)\n",
			 thread_kind, name ? name : "?", si->si_syscall, req);
	if (write(STDERR_FILENO, msg, (size_t)n) < 0) {
		/* nowhere left to say it */
	}
	if (kill_hook)
		kill_hook();
	_exit(128 + sig);
}

static int allow(struct rule r)
{
	for (unsigned i = 0; i < nextra; i++)         /* (eight NICs ask the same) */
		if (extra[i].nr == r.nr && extra[i].kinds == r.kinds && extra[i].arg == r.arg &&
		    extra[i].mask == r.mask && extra[i].value == r.value)
			return 0;
	if (nextra == ARRAY_SIZE(extra))
		return fail("seccomp: more than %zu extra rules", ARRAY_SIZE(extra));
	extra[nextra++] = r;
	return 0;
}

int sandbox_allow_arg(int nr, unsigned kinds, unsigned arg, uint64_t value)
{
	return allow((struct rule){ nr, kinds, arg + 1, ~0ULL, value });
}

int sandbox_allow(unsigned kinds, const int *calls, int n)
{
	int rc = 0;
	for (int i = 0; rc == 0 && i < n; i++)
		rc = allow((struct rule)SYS_NR(calls[i], kinds));
	return rc;
}

int sandbox_allow_ioctl(unsigned kinds, unsigned long request)
{
	return allow((struct rule)IOCTL(request, kinds));
}

static int add(scmp_filter_ctx ctx, const struct rule *r, enum sandbox_kind k)
{
	struct scmp_arg_cmp c = { r->arg - 1, SCMP_CMP_MASKED_EQ, r->mask, r->value };
	return r->kinds & 1u << k ? seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, r->nr, r->arg ? 1 : 0, &c) : 0;
}

static int build(enum sandbox_kind k, bool report)
{
	scmp_filter_ctx ctx = filter[k] = seccomp_init(SCMP_ACT_TRAP);
	int rc = ctx ? seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(rules); i++)
		rc = add(ctx, &rules[i], k);
	for (size_t i = 0; rc == 0 && i < nextra; i++)
		rc = add(ctx, &extra[i], k);
	for (size_t i = 0; rc == 0 && report && k == SANDBOX_LOOP && i < ARRAY_SIZE(report_calls); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, report_calls[i], 0);
#ifdef LG_SANITIZERS
	for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(sanitizer_calls); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sanitizer_calls[i], 0);
#endif
	struct scmp_arg_cmp us = { 0, SCMP_CMP_EQ, (uint64_t)getpid(), 0 };
	if (rc == 0)            /* signals to our own threads only */
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1, &us);
	return rc < 0 ? fail("seccomp: cannot make the %s filter: %s", kind_name[k], strerror(-rc)) : 0;
}

/* Empty effective, permitted, inheritable, ambient and (where we may)
 * bounding sets, and no way to gain any back. */
static int drop_capabilities(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct none[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);  /* EPERM: we never had CAP_SETPCAP */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capset, &h, none) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail("cannot drop capabilities: %s", strerror(errno));
	return 0;
}

int sandbox_prepare(struct vm *vm, bool filters, void (*on_kill)(void))
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	close(vm->kvm);                 /* the VM and vCPU fds are all we need of KVM */
	vm->kvm = -1;
	tzset();                        /* gmtime_r (the RTC) reads /etc/localtime once: now */
	kill_hook = on_kill;
	if (drop_capabilities() < 0)
		return -1;
	if (!filters)
		return 0;
	if (getenv("LGUEST_SECCOMP_SELFTEST"))
		selftest = getenv("LGUEST_SECCOMP_SELFTEST");
	sigaction(SIGSYS, &sa, NULL);
	for (int k = 0; k < SANDBOX_KINDS; k++)
		if (build(k, getenv("LGUEST_REPORT") != NULL) < 0)
			return -1;
	return 0;
}

void sandbox_enter(enum sandbox_kind kind)
{
	thread_kind = kind_name[kind];
	if (!filter[kind])
		return;
	pthread_mutex_lock(&load_lock);
	int rc = seccomp_load(filter[kind]);
	pthread_mutex_unlock(&load_lock);
	if (rc < 0) {
		fprintf(stderr, "lguest: cannot load the %s thread's seccomp filter: %s\n", thread_kind, strerror(-rc));
		kill_hook();
		_exit(LG_EXIT_FAIL);
	}
	if (!strcmp(selftest, kind == SANDBOX_VCPU ? "vcpu" : "loop"))
		socket(AF_INET, SOCK_STREAM, 0);
	if (kind == SANDBOX_VCPU && !strcmp(selftest, "ioctl"))
		ioctl(-1, KVM_CREATE_VM, 0);        /* a request number we never send */
}
