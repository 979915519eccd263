#!/usr/bin/env bash
# Prepares, on this machine, what scripts/device-check.sh needs on a lent
# machine that has no network and none of our libraries: lguest and the unit
# tests linked with liburing and libseccomp statically (Debian ships libslirp
# only shared: it goes in the bundle's lgl/, where device-check.sh points
# LD_LIBRARY_PATH), and .dev/q.tar.xz: libslirp with its libraries, QEMU with
# its library closure,
# Debian's loader, the ROMs it boots with, GNU time and busybox (for host
# tools the machine may lack).  Then run, through the device tool:
#   scripts/device-check.sh   carrying the paths this script prints last.
# Afterwards `rm build/lguest build/unit && make` goes back to the normal build.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s
rm -f build/lguest build/unit
make -s build/lguest build/unit LDLIBS="-lpthread -l:liburing.a -lslirp -l:libseccomp.a"
q=$(mktemp -d) && trap 'rm -rf "$q"' EXIT
mkdir -p "$q/q/lib" "$q/q/lgl" "$q/q/share" .dev
ldd build/lguest | awk '$3 ~ /slirp|glib|pcre/ { print $3 }' | xargs -I{} cp -L {} "$q/q/lgl/"
Q=$(command -v qemu-system-x86_64) || { echo "no qemu-system-x86_64: apt-get install qemu-system-x86"; exit 1; }
cp "$Q" "$q/q/"
ldd "$Q" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | xargs -I{} cp -L {} "$q/q/lib/"
cp -L /lib64/ld-linux-x86-64.so.2 /usr/bin/time "$q/q/"
cp -L /usr/share/seabios/bios-256k.bin /usr/share/qemu/{linuxboot_dma,kvmvapic,pvh,multiboot_dma}.bin \
	/usr/share/qemu/qboot.rom /usr/lib/ipxe/qemu/efi-virtio.rom "$q/q/share/"
cp "$q/q/share/qboot.rom" "$q/q/share/bios-microvm.bin"
cc -O2 -o "$q/q/memcpy" bench/memcpy.c		# bench/net's memcpy, in case there is no cc
cp "$(find "${LGUEST_CACHE:-/var/cache/lguest}/busybox" -path '*bin/busybox' -type f | head -n 1)" "$q/q/busybox"
tar cJf .dev/q.tar.xz -C "$q" q
[ ! -d /sys/module/kvm_pvm ] || make -s nested-kit
echo "carry: build/lguest build/unit build/guest/test build/guest/vmlinux build/guest/initramfs.cpio build/nested .dev"
