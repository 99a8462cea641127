#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build a generic netboot initramfs for the same Debian kernel and module set
# with mkbootimage, dracut (--no-hostonly, with its nfs and nbd modules) and
# mkinitramfs (initramfs-tools, MODULES=netboot), each with its defaults, and
# print build time and image size as medians with ratios to mkbootimage.
#
# dracut and initramfs-tools conflict as Debian packages, so each runs in its
# own Debian 12 chroot (debootstrap, cached under $PXEROOT_CACHE) that holds
# the kernel's modules; mkbootimage builds from the same tree as its SYSROOT.
#
# usage: bench/initramfs.sh [RUNS]        (default 3; needs root and apt)
#
# The boot column (kernel start to switch_root in the same QEMU boot) needs
# initrd/'s /init; it is printed when $BUILD/initrd/skel/init exists.
set -eu
runs=${1:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/tests/lib.sh"
. "$here/tests/fixtures/lib-bootready.sh"
trap - EXIT
cleanup_all() {
	local rc=$? i
	set +e
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" >/dev/null 2>&1; done
	rm -rf "$T"
	exit "$rc"
}
trap cleanup_all EXIT

[ "$(id -u)" = 0 ] || { echo "bench/initramfs.sh: needs root (chroots)" >&2; exit 1; }
command -v mkbootimage >/dev/null || { echo "bench/initramfs.sh: build first (make)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "bench/initramfs.sh: needs debootstrap (tools/install-deps bench)" >&2; exit 1; }

kernel_fetch >/dev/null

say() { printf '%s\n' "$*" >&2; }

# chroot_for PEER PACKAGES...: a cached Debian 12 tree with PACKAGES and the
# test kernel's modules; prints its path.
chroot_for() {
	local peer=$1 key dir
	shift
	key=$(echo "$peer $* $KVER 1" | sha256sum | cut -c1-12)
	dir=$PXEROOT_CACHE/bench-$peer-$key
	_cache_lock
	if [ ! -f "$dir/.done" ]; then
		say "preparing a Debian 12 chroot with $* (once; cached in $dir)"
		rm -rf "$dir"
		mkdir -p "$dir"
		_cache_unlock
		debian_tree "$dir/root"
		_cache_lock
		cp /etc/resolv.conf "$dir/root/etc/resolv.conf"
		mount -t proc proc "$dir/root/proc"
		if ! chroot "$dir/root" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -q --no-install-recommends $*" >"$dir/apt.log" 2>&1; then
			umount "$dir/root/proc"
			tail -20 "$dir/apt.log" >&2
			_cache_unlock
			echo "bench/initramfs.sh: apt-get install $* in the chroot failed" >&2
			exit 1
		fi
		umount "$dir/root/proc"
		rm -f "$dir"/root/var/cache/apt/archives/*.deb
		mkdir -p "$dir/root/lib/modules"
		cp -a "$KERNEL_ROOT/lib/modules/$KVER" "$dir/root/lib/modules/"
		cp -a "$KERNEL_ROOT/boot/." "$dir/root/boot/"
		touch "$dir/.done"
	fi
	_cache_unlock
	echo "$dir/root"
}

in_chroot() { # ROOT CMD...: with /proc, /sys and /dev
	local r=$1
	shift
	mount -t proc proc "$r/proc"
	mount -t sysfs sysfs "$r/sys"
	mount --bind /dev "$r/dev"
	local rc=0
	chroot "$r" "$@" || rc=$?
	umount "$r/dev" "$r/sys" "$r/proc"
	return "$rc"
}

dracut_root=$(chroot_for dracut dracut dracut-network dbus nfs-common nbd-client zstd)
mkinit_root=$(chroot_for initramfs-tools initramfs-tools busybox nfs-common nbd-client zstd)
mkdir -p "$mkinit_root/etc/pxeroot-bench"
cp -a "$mkinit_root/etc/initramfs-tools/." "$mkinit_root/etc/pxeroot-bench/"
sed -i 's/^MODULES=.*/MODULES=netboot/' "$mkinit_root/etc/pxeroot-bench/initramfs.conf"

# initrd/'s skeleton when it is built; else a stand-in /init (a few bytes:
# the build time and size hardly depend on it).
skel=()
if [ ! -f "$BUILD/initrd/skel/init" ]; then
	mkdir -p "$T/skel"
	printf '#!/bin/sh\nexec /bin/sh\n' >"$T/skel/init"
	chmod 755 "$T/skel/init"
	skel=(-s "$T/skel")
	say "no $BUILD/initrd/skel: mkbootimage packs a stand-in /init"
fi

now() { date +%s.%N; }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

declare -A times sizes what
for i in $(seq 1 "$runs"); do
	say "run $i/$runs"
	t0=$(now)
	mkbootimage -q "${skel[@]}" -o "$T/mkbootimage.img" "$mkinit_root" "$KVER"
	t1=$(now)
	times[mkbootimage]+="$(echo "$t1 - $t0" | bc) "
	sizes[mkbootimage]=$(stat -c %s "$T/mkbootimage.img")

	t0=$(now)
	in_chroot "$dracut_root" dracut -q --force --no-hostonly --add "nfs nbd" --kver "$KVER" \
		/tmp/dracut.img >"$T/dracut.log" 2>&1 || { tail -20 "$T/dracut.log" >&2; exit 1; }
	t1=$(now)
	times[dracut]+="$(echo "$t1 - $t0" | bc) "
	sizes[dracut]=$(stat -c %s "$dracut_root/tmp/dracut.img")

	t0=$(now)
	in_chroot "$mkinit_root" mkinitramfs -d /etc/pxeroot-bench -o /tmp/mkinitramfs.img "$KVER" \
		>"$T/mkinit.log" 2>&1 || { tail -20 "$T/mkinit.log" >&2; exit 1; }
	t1=$(now)
	times[mkinitramfs]+="$(echo "$t1 - $t0" | bc) "
	sizes[mkinitramfs]=$(stat -c %s "$mkinit_root/tmp/mkinitramfs.img")
done
what[mkbootimage]="$(file -b "$T/mkbootimage.img" | cut -d, -f1)"
what[dracut]="$(file -b "$dracut_root/tmp/dracut.img" | cut -d, -f1)"
what[mkinitramfs]="$(file -b "$mkinit_root/tmp/mkinitramfs.img" | cut -d, -f1)"

mt=$(echo "${times[mkbootimage]}" | tr ' ' '\n' | grep . | median)
ms=${sizes[mkbootimage]}
printf '\n# %s, %s, kernel %s, %s runs, %s cores\n' "$(date -u +%Y-%m-%d)" "$(uname -m)" "$KVER" "$runs" "$(nproc)"
printf '| %-12s | %14s | %10s | %10s | %9s | %s |\n' builder "build (median)" "vs mkbi" "size" "vs mkbi" format
printf '| %-12s | %14s | %10s | %10s | %9s | %s |\n' --- ---: ---: ---: ---: ---
for b in mkbootimage dracut mkinitramfs; do
	t=$(echo "${times[$b]}" | tr ' ' '\n' | grep . | median)
	s=${sizes[$b]}
	printf '| %-12s | %12.2f s | %9.1fx | %7.1f MiB | %8.2fx | %s |\n' "$b" "$t" \
		"$(echo "$t / $mt" | bc -l)" "$(echo "$s / 1048576" | bc -l)" "$(echo "$s / $ms" | bc -l)" "${what[$b]}"
done
