# guest/linux/build.mk - lguest's Linux guests, built from Debian packages.
#
# Included by the top-level Makefile; paths are relative to the repo root.
#   make default-guest   build/guest/vmlinux, System.map, initramfs.cpio:
#                        our small kernel (linux-source-6.1, tinyconfig +
#                        guest/linux/kernel.config) and a busybox initramfs
#   make guest-debian    build/guest/debian/vmlinuz + initramfs.cpio: Debian's
#                        stock kernel, /init loads its virtio modules
#   make nested-kit      build/nested/vmlinuz + kvm.cpio: Debian's kernel and
#                        its KVM modules, where tests/nested.sh runs the
#                        user-space tests on a host whose KVM cannot
# The work is done (and cached in ${LGUEST_CACHE:-/var/cache/lguest}) by
# guest/linux/build.sh; a rebuild with a warm cache only copies files.

LG_LINUX := guest/linux
LG_LINUX_OUT := build/guest
DEFAULT_GUEST_KERNEL := $(LG_LINUX_OUT)/vmlinux
DEFAULT_GUEST_INITRD := $(LG_LINUX_OUT)/initramfs.cpio
LG_LINUX_INPUTS := $(addprefix $(LG_LINUX)/,build.sh kernel.config init lg-exit.c mkcpio.py)

default-guest: $(DEFAULT_GUEST_KERNEL) $(DEFAULT_GUEST_INITRD)

# One script run makes all three files (grouped target, GNU make >= 4.3).
$(DEFAULT_GUEST_KERNEL) $(LG_LINUX_OUT)/System.map $(DEFAULT_GUEST_INITRD) &: $(LG_LINUX_INPUTS)
	$(LG_LINUX)/build.sh default $(LG_LINUX_OUT)

# Which Debian kernel is newest is apt's business, so always ask the script
# (it is quick when the cache already holds that version).
guest-debian:
	$(LG_LINUX)/build.sh debian $(LG_LINUX_OUT)/debian

nested-kit:
	$(LG_LINUX)/build.sh nested build/nested

.PHONY: default-guest guest-debian nested-kit
