#!/bin/bash
# guest/linux/build.sh - build lguest's Linux guests from Debian packages.
#
#   build.sh default OUTDIR   our small kernel (OUTDIR/vmlinux, System.map)
#                             and busybox initramfs (OUTDIR/initramfs.cpio)
#   build.sh debian  OUTDIR   Debian's stock kernel (OUTDIR/vmlinuz) and an
#                             initramfs that loads its virtio modules
#   build.sh nested  OUTDIR   Debian's stock kernel, its KVM modules
#                             (OUTDIR/kvm.cpio) and its guest initramfs: the
#                             host the user-space tests run in where KVM
#                             cannot (tests/nested.sh), and a guest they boot
#
# Downloads and builds are cached in ${LGUEST_CACHE:-/var/cache/lguest}, keyed
# by package version and a hash of our inputs (kernel.config, this script,
# ...), so a rebuild after `rm -rf build` only copies files out of the cache.
# Run from the repository root (the top Makefile does).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${LGUEST_CACHE:-/var/cache/lguest}
JOBS=${JOBS:-$(nproc)}
WHAT=${1:?usage: build.sh default|debian|nested OUTDIR}
OUT=${2:?usage: build.sh default|debian|nested OUTDIR}
FETCHED=0 BUILT=0          # did this run download or build anything?

msg() { echo "guest/linux: $*"; }
die() { echo "guest/linux: error: $*" >&2; exit 1; }
hash_of() { cat "$@" | sha256sum | cut -c1-12; }

# apt's own message would be a screenful; say one line instead.
no_archive() { die "cannot reach Debian's package archive ($1); check network/apt sources, or fill $CACHE on a machine that can"; }

# Build tools: install the missing ones (never re-install present ones).
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	msg "installing build dependencies: ${missing[*]}"
	apt-get install -y --no-install-recommends "${missing[@]}" >"$CACHE/apt-install.log" 2>&1 ||
		{ apt-get update >/dev/null 2>&1 &&
		  apt-get install -y --no-install-recommends "${missing[@]}" >"$CACHE/apt-install.log" 2>&1; } ||
		no_archive "apt-get install ${missing[*]}, see $CACHE/apt-install.log"
}

# The version apt would install of package $1 (from the local package lists:
# no network). Runs `apt-get update` once if the lists don't know it.
candidate() {
	local v
	v=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	if [ -z "$v" ] || [ "$v" = "(none)" ]; then
		apt-get update >/dev/null 2>&1 || no_archive "apt-get update"
		v=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	fi
	[ -n "$v" ] && [ "$v" != "(none)" ] || die "package $1 is not in Debian's archive"
	echo "$v"
}

# fetch PKG VERSION: sets DEB to the cached .deb, downloading it once.
fetch() {
	local tmp
	DEB="$CACHE/debs/$1_${2//:/%3a}.deb"
	if [ ! -s "$DEB" ]; then
		msg "downloading $1 $2"
		mkdir -p "$CACHE/debs"
		tmp=$(mktemp -d "$CACHE/debs/tmp.XXXX")
		(cd "$tmp" && apt-get download -o APT::Sandbox::User=root "$1=$2" >/dev/null 2>&1) ||
			{ rm -rf "$tmp"; no_archive "apt-get download $1=$2"; }
		mv "$tmp"/*.deb "$DEB"
		rm -rf "$tmp"
		FETCHED=1
	fi
}

# unpack DEB DIR: dpkg-deb -x into DIR once (nothing is installed).
unpack() {
	if [ ! -d "$2" ]; then
		rm -rf "$2.tmp" && mkdir -p "$(dirname "$2")"
		dpkg-deb -x "$1" "$2.tmp"
		mv "$2.tmp" "$2"
	fi
}

# --- the small kernel ---------------------------------------------------------
build_kernel() {
	local ver src key dir kb
	ver=$(candidate linux-source-6.1)
	key=$ver-$(hash_of "$HERE/kernel.config" "$HERE/build.sh")
	dir=$CACHE/kernel/$key
	if [ ! -f "$dir/vmlinux" ]; then
		need_pkgs gcc make libc6-dev flex bison bc libelf-dev libssl-dev xz-utils
		fetch linux-source-6.1 "$ver"
		# The .deb holds /usr/src/linux-source-6.1.tar.xz; unpack the tree once.
		src=$CACHE/src/linux-$ver
		if [ ! -f "$src/Makefile" ]; then
			msg "unpacking linux-source $ver"
			rm -rf "$src" "$CACHE/src/deb-$ver"
			unpack "$DEB" "$CACHE/src/deb-$ver"
			mkdir -p "$src"
			tar -xJf "$CACHE/src/deb-$ver"/usr/src/linux-source-6.1.tar.xz -C "$src" --strip-components=1
			rm -rf "$CACHE/src/deb-$ver"
		fi
		# Out-of-tree build, the source stays clean. One object dir per source
		# version: kbuild rebuilds only what a changed fragment touches.
		kb=$CACHE/kbuild/$ver
		mkdir -p "$kb"
		msg "configuring kernel $ver (tinyconfig + guest/linux/kernel.config)"
		make -s -C "$src" O="$kb" tinyconfig >"$kb/config.log" 2>&1
		(cd "$kb" && "$src/scripts/kconfig/merge_config.sh" -m .config "$HERE/kernel.config") >>"$kb/config.log" 2>&1
		make -s -C "$src" O="$kb" olddefconfig >>"$kb/config.log" 2>&1
		check_config "$HERE/kernel.config" "$kb/.config"
		msg "building vmlinux with $JOBS jobs (log: $kb/build.log)"
		SECONDS=0
		make -C "$src" O="$kb" -j"$JOBS" vmlinux >"$kb/build.log" 2>&1 ||
			{ tail -n 30 "$kb/build.log"; die "kernel build failed, see $kb/build.log"; }
		msg "kernel built in ${SECONDS}s"
		mkdir -p "$dir.tmp"
		cp "$kb/vmlinux" "$kb/System.map" "$kb/.config" "$dir.tmp/"
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
		BUILT=1
	fi
	mkdir -p "$OUT"
	cp "$dir/vmlinux" "$dir/System.map" "$OUT/"
	cp "$dir/.config" "$OUT/kernel.config"
	KERNEL_KEY=$key
}

# Every line of the fragment must be in the final .config: "CONFIG_X=v"
# literally, "# CONFIG_X is not set" as not =y/=m. Kconfig silently drops
# options whose dependencies are missing; this catches that.
check_config() {
	local bad=0 line opt
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$2" || { echo "  not set: $line (have: $(grep -E "^(# )?${line%%=*}[= ]" "$2" || echo nothing))"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			! grep -qE "^$opt=" "$2" || { echo "  still set: $(grep -E "^$opt=" "$2")"; bad=1; } ;;
		esac
	done <"$1"
	[ $bad -eq 0 ] || die "kernel.config options above did not make it into $2"
}

# --- initramfs ----------------------------------------------------------------
# make_initramfs OUT.cpio [EXTRA-LIST]: busybox, /init, lg-exit (+ extra entries).
make_initramfs() {
	local ver bb key dir list extra=${2:-}
	ver=$(candidate busybox-static)
	key=$ver-$(hash_of "$HERE/init" "$HERE/lg-exit.c" "$HERE/mkcpio.py" "$HERE/build.sh" ${extra:+"$extra"})
	dir=$CACHE/initramfs/$key
	if [ ! -f "$dir/initramfs.cpio" ]; then
		need_pkgs gcc libc6-dev linux-libc-dev python3
		fetch busybox-static "$ver"
		bb=$CACHE/busybox/$ver
		unpack "$DEB" "$bb"
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		# lg-exit: freestanding, static, no libc: under 1 KiB.
		gcc -Os -static -nostdlib -ffreestanding -fno-pie -no-pie -fno-stack-protector \
			-fno-asynchronous-unwind-tables -fcf-protection=none -Wall -Wextra -Werror \
			-Wl,--build-id=none -Wl,-n -s -o "$dir.tmp/lg-exit" "$HERE/lg-exit.c"
		# The archive's contents, in gen_init_cpio's list format.
		list=$dir.tmp/list
		{
			for d in /bin /sbin /usr /usr/bin /usr/sbin /dev /proc /sys /tmp /run /root /etc /mnt; do
				echo "dir $d 755 0 0"
			done
			echo "nod /dev/console 600 0 0 c 5 1"   # open before devtmpfs is up
			echo "file /init $HERE/init 755 0 0"
			echo "file /bin/busybox $bb/bin/busybox 755 0 0"
			echo "file /bin/lg-exit $dir.tmp/lg-exit 755 0 0"
			# One symlink per busybox applet (busybox lists where each goes).
			"$bb/bin/busybox" --list-full | grep -v '^bin/busybox$' |
				while read -r a; do echo "slink /$a /bin/busybox 777 0 0"; done
			[ -z "$extra" ] || cat "$extra"
		} >"$list"
		python3 "$HERE/mkcpio.py" "$list" "$dir.tmp/initramfs.cpio"
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
		BUILT=1
	fi
	mkdir -p "$(dirname "$1")"
	cp "$dir/initramfs.cpio" "$1"
	INITRD_KEY=$key
}

# --- Debian's stock kernel ----------------------------------------------------
# debian_kernel OUT: Debian's newest linux-image-6.1.0-N-amd64 fetched and
# unpacked (sets PKG VER ROOT KVER), its vmlinuz copied to OUT/vmlinuz.
debian_kernel() {
	PKG=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' | awk '{ print $1 }' | sort -V | tail -n 1)
	[ -n "$PKG" ] || { apt-get update >/dev/null 2>&1 || no_archive "apt-get update"
		PKG=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' | awk '{ print $1 }' | sort -V | tail -n 1); }
	[ -n "$PKG" ] || die "no linux-image-6.1.0-*-amd64 in Debian's archive"
	VER=$(candidate "$PKG")
	fetch "$PKG" "$VER"
	ROOT=$CACHE/debian/$PKG-$VER
	unpack "$DEB" "$ROOT"
	KVER=${PKG#linux-image-}
	mkdir -p "$1"
	cp "$ROOT/boot/vmlinuz-$KVER" "$1/vmlinuz"
}

# module_list NAME MODULE...: initramfs entries ($ROOT.NAME.list) for these
# modules of the unpacked kernel, and /etc/lg-modules, the order /init loads
# them in (each after the ones its "depends=" names).
module_list() {
	local name=$1 list=$ROOT.$1.list mods=$ROOT.$1.mods loaded=" " m ko dep; shift
	rm -rf "$list" "$mods" "$mods.order" && mkdir -p "$mods"
	echo "dir /lib 755 0 0" >>"$list"
	echo "dir /lib/modules 755 0 0" >>"$list"
	for m in "$@"; do
		# Files may use - where the module name has _ (virtio-rng.ko).
		ko=$(find "$ROOT/lib/modules/$KVER" \( -name "$m.ko" -o -name "${m//_/-}.ko" \
			-o -name "$m.ko.xz" -o -name "${m//_/-}.ko.xz" \) | head -n 1)
		[ -n "$ko" ] || die "$m.ko not in $PKG"
		case "$ko" in *.xz) xz -dc "$ko" >"$mods/$m.ko" ;; *) cp "$ko" "$mods/$m.ko" ;; esac
		for dep in $(tr '\0' '\n' <"$mods/$m.ko" | sed -n 's/^depends=//p' | tr , ' '); do
			case "$loaded" in *" ${dep//-/_} "*) ;; *) die "$m needs $dep loaded first" ;; esac
		done
		loaded="$loaded${m//-/_} "
		echo "file /lib/modules/$m.ko $mods/$m.ko 644 0 0" >>"$list"
		echo "$m" >>"$mods.order"
	done
	echo "file /etc/lg-modules $mods.order 644 0 0" >>"$list"
	LIST=$list
}

VIRTIO_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	virtio_blk failover net_failover virtio_net virtio_console virtio_rng"

build_debian() {
	debian_kernel "$OUT"
	module_list virtio $VIRTIO_MODULES
	make_initramfs "$OUT/initramfs.cpio" "$LIST"
	if [ $FETCHED = 0 ] && [ $BUILT = 0 ]; then
		msg "debian guest: $PKG $VER and its initramfs copied from cache $CACHE (nothing fetched or built)"
	else
		msg "debian guest: $OUT/vmlinuz ($PKG $VER), $OUT/initramfs.cpio"
	fi
}

# --- a host with KVM on (emulated) SVM, for the user-space tests ---------------
# Where the host's KVM cannot run guest user space (kvm-pvm), the tests boot
# Debian's kernel under QEMU's software CPU with SVM, load KVM there, and run
# lguest inside it (tests/nested.sh).  OUT/vmlinuz and OUT/kvm.cpio: the
# modules, appended by the tests to the default initramfs.
build_nested() {
	debian_kernel "$OUT"
	module_list kvm irqbypass kvm ccp kvm-amd
	python3 "$HERE/mkcpio.py" "$LIST" "$OUT/kvm.cpio"
	# The same kernel as a guest, as make guest-debian builds it: the tests
	# boot it under lguest too (a distribution kernel, ACPI and all).
	module_list virtio $VIRTIO_MODULES
	make_initramfs "$OUT/initramfs.cpio" "$LIST"
	msg "nested host: $OUT/vmlinuz ($PKG $VER), $OUT/kvm.cpio ($(tr '\n' ' ' <"$ROOT.kvm.mods.order")), $OUT/initramfs.cpio"
}

mkdir -p "$CACHE"
case "$WHAT" in
default)
	build_kernel
	make_initramfs "$OUT/initramfs.cpio"
	if [ $FETCHED = 0 ] && [ $BUILT = 0 ]; then
		msg "default guest copied from cache $CACHE (kernel $KERNEL_KEY, initramfs $INITRD_KEY): nothing fetched or built"
	else
		msg "default guest: $OUT/vmlinux ($(du -k "$OUT/vmlinux" | cut -f1) KiB), $OUT/initramfs.cpio ($(du -k "$OUT/initramfs.cpio" | cut -f1) KiB)"
	fi ;;
debian) build_debian ;;
nested) build_nested ;;
*) die "unknown target $WHAT (default, debian or nested)" ;;
esac
