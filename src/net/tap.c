/*T:880 TAP: the guest's cable into the host
 * A TAP device is a network interface whose other end is a file: what the
 * host sends to it we read, what we write the host receives.  With
 * IFF_VNET_HDR each frame carries the same 12-byte virtio-net header the
 * guest uses, so checksum and TSO offloads pass through untouched: a 64 KiB
 * segment goes from the guest's buffer to the host's TCP stack in one
 * writev().  TUNSETOFFLOAD says which offloads the guest can take back. */
#include "net.h"
#include "frame.h"
#include "../util.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int tap_open(const char *ifname)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr = NET_HDR_LEN;
	if (ifname)
		snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return fail("--net tap: cannot open /dev/net/tun: %s", strerror(errno));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		if (e == EPERM)
			return fail("--net tap%s%s: no right to make or open a TAP device (run as root, "
				    "or first: ip tuntap add %s mode tap user $USER)", ifname ? "=" : "",
				    ifname ? ifname : "", ifname ? ifname : "NAME");
		return fail("--net tap%s%s: %s", ifname ? "=" : "", ifname ? ifname : "", strerror(e));
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		close(fd);
		return fail("--net tap: the TAP device takes no virtio-net header: %s", strerror(errno));
	}
	return fd;
}

void tap_offload(int fd, uint64_t guest_features)
{
	unsigned off = 0;
	if (guest_features & NET_F_GUEST_CSUM)
		off |= TUN_F_CSUM;
	if (off && (guest_features & NET_F_GUEST_TSO4))
		off |= TUN_F_TSO4;
	if (off && (guest_features & NET_F_GUEST_TSO6))
		off |= TUN_F_TSO6;
	ioctl(fd, TUNSETOFFLOAD, off);
}
