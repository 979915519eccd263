#!/usr/bin/env bash
# tests/nested.sh BUILD: the Linux user-space tests (tests/userspace.sh) on a
# host whose KVM cannot run guest user space (kvm-pvm).  They run one level
# down instead: QEMU's software CPU with SVM boots Debian's kernel with its
# KVM modules (build/nested, `make nested-kit`), and BUILD/lguest runs the
# default guest there, on KVM as it runs on AMD hardware.  Everything lguest
# does is the same code as on a host with SVM; only the speed is not.
# Prints userspace.sh's lines, then "nested: done" if the host got that far.
set -u
B=${1:?usage: tests/nested.sh BUILD}
N=build/nested
T=$(mktemp -d /tmp/lguest-nested.XXXXXX)
trap 'rm -rf "$T"' EXIT

# The nested host's initramfs: the default guest's (busybox, /init), the KVM
# modules, and lguest with the libraries it links, the guest kit, Debian's
# kernel as a guest too, the tests.
{
	for d in /lib /lib64 /lib/x86_64-linux-gnu /usr/share /usr/share/lguest /usr/share/debian; do echo "dir $d 755 0 0"; done
	echo "file /usr/bin/lguest $B/lguest 755 0 0"
	for lib in $(ldd "$B/lguest" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }'); do
		echo "file $lib $lib 755 0 0"
	done
	echo "file /usr/share/lguest/vmlinux build/guest/vmlinux 644 0 0"
	echo "file /usr/share/lguest/initramfs.cpio build/guest/initramfs.cpio 644 0 0"
	echo "file /usr/share/debian/vmlinuz $N/vmlinuz 644 0 0"
	echo "file /usr/share/debian/initramfs.cpio $N/initramfs.cpio 644 0 0"
	echo "file /usr/bin/userspace.sh tests/userspace.sh 755 0 0"
	[ -z "${NESTED_LIST:-}" ] || cat "$NESTED_LIST"     # more, e.g. bench/nested's QEMU
} >"$T/list"
python3 guest/linux/mkcpio.py "$T/list" "$T/payload.cpio" || exit 1
cat build/guest/initramfs.cpio "$N/kvm.cpio" "$T/payload.cpio" >"$T/host.cpio"

# One CPU: with two, QEMU's threaded TCG hung in about one run of ten (the
# nested host stopped, timers and all); with one, none in dozens of runs.
# NESTED_SMP=N to try again; NESTED_CMD to run something else there, and
# NESTED_LIST (gen_init_cpio lines) to add files for it.
cmd=$(printf '%s' "${NESTED_CMD:-userspace.sh /usr/bin/lguest /usr/share/debian}; echo nested: done" | base64 -w0)
timeout -k 5 300 qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt,+nrip-save -smp ${NESTED_SMP:-1} -m 2G \
	-M pc -nodefaults -no-user-config -display none -serial stdio -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$N/vmlinuz" -initrd "$T/host.cpio" \
	-append "console=ttyS0 panic=-1 quiet lg.cmd=$cmd" </dev/null 2>&1 | sed -u 's/\r//g'
