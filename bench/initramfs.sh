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
# The boot column is the time from kernel start to the real root's /sbin/init
# (just after switch_root) in the same QEMU boot (TCG), root over NBD from
# nbdexport on loopback. mkbootimage's boot needs initrd/'s /init: it is
# measured when $BUILD/initrd/skel/init exists.
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

# dracut's systemd-networkd backend never runs the NBD root handler (the root
# never comes); network-legacy (dhclient) does, so that is the one used.
dracut_root=$(chroot_for dracut dracut dracut-network dbus isc-dhcp-client nfs-common nbd-client zstd)
mkinit_root=$(chroot_for initramfs-tools initramfs-tools busybox nfs-common nbd-client zstd)
mkdir -p "$mkinit_root/etc/pxeroot-bench"
cp -a "$mkinit_root/etc/initramfs-tools/." "$mkinit_root/etc/pxeroot-bench/"
sed -i 's/^MODULES=.*/MODULES=netboot/' "$mkinit_root/etc/pxeroot-bench/initramfs.conf"

# initrd/'s skeleton when it is built; else a stand-in /init (a few bytes:
# the build time and size hardly depend on it).
skel=()
if [ -n "${PXEROOT_SKELETON:-}" ]; then
	say "skeleton: $PXEROOT_SKELETON"
elif [ ! -f "$BUILD/initrd/skel/init" ]; then
	mkdir -p "$T/skel"
	printf '#!/bin/sh\nexec /bin/sh\n' >"$T/skel/init"
	chmod 755 "$T/skel/init"
	skel=(-s "$T/skel")
	say "no $BUILD/initrd/skel: mkbootimage packs a stand-in /init"
fi

now() { date +%s.%N; }
# med "V V V": the median, or nothing for no values.
med() {
	echo "$1" | tr ' ' '\n' | { grep . || true; } | sort -n |
		awk '{v[NR] = $1} END {if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

declare -A times sizes what
for i in $(seq 1 "$runs"); do
	say "run $i/$runs"
	t0=$(now)
	mkbootimage -q "${skel[@]}" -o "$T/mkbootimage.img" "$mkinit_root" "$KVER"
	t1=$(now)
	times[mkbootimage]+="$(echo "$t1 - $t0" | bc) "
	sizes[mkbootimage]=$(stat -c %s "$T/mkbootimage.img")

	t0=$(now)
	in_chroot "$dracut_root" dracut -q --force --no-hostonly --add "network-legacy nfs nbd" \
		--omit systemd-networkd --kver "$KVER" \
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
# --- boot: kernel start to the real root's /sbin/init -----------------------
# One root for all three: an ext4 image (BusyBox and an /sbin/init that prints
# the uptime and powers off) served by nbdexport on 127.0.0.1, which QEMU's
# user network shows the guest as 10.0.2.2. Each initramfs gets the root by
# its own NBD syntax; the uptime the root's init prints is the time from
# kernel start to just after switch_root.
declare -A boots
boot_root() {
	local r=$T/rootfs
	busybox_tree "$r" >/dev/null
	mkdir -p "$r/etc" "$r/newroot" "$r/root"
	cat >"$r/sbin/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc 2>/dev/null
read -r up _ </proc/uptime
echo "PXEROOT-BENCH-ROOT-UP $up"
poweroff -f
INIT
	chmod 755 "$r/sbin/init"
	# 4 KiB blocks: dracut's nbd-client sets 4 KiB device blocks, on which a
	# 1 KiB-block ext4 (the default at this size) does not mount.
	mkfs.ext4 -q -F -b 4096 -L benchroot -d "$r" "$T/root.ext4" 64M
	port=$(free_port)
	start_server -P "$T/nbd.pid" -w "$port" nbdexport -f -q -l 127.0.0.1 -p "$port" \
		--pidfile "$T/nbd.pid" "$T/root.ext4=root" 2>"$T/nbdexport.log"
}
boot_one() { # NAME IMAGE APPEND
	local log=$T/boot-$1.log up
	qemu_boot -k "$VMLINUZ" -i "$2" -a "quiet $3" -l "$log" -t 400 -- \
		-netdev user,id=n0 -device virtio-net-pci,netdev=n0 || true
	up=$(sed -n 's/.*PXEROOT-BENCH-ROOT-UP \([0-9.]*\).*/\1/p' "$log" | head -1)
	if [ -z "$up" ]; then
		say "$1 did not reach the root (log: $log)"
		cp "$log" "/tmp/pxeroot-bench-boot-$1.log"
		return
	fi
	boots[$1]+="$up "
}
if command -v nbdexport >/dev/null && command -v mkfs.ext4 >/dev/null; then
	boot_root
	for i in $(seq 1 "$runs"); do
		say "boot $i/$runs"
		if [ -z "${skel[*]}" ]; then
			boot_one mkbootimage "$T/mkbootimage.img" "root=nbd:10.0.2.2:$port:ext4"
		fi
		# dracut takes a port or an export name, not both: the default export.
		boot_one dracut "$dracut_root/tmp/dracut.img" "root=nbd:10.0.2.2:$port:ext4 ip=dhcp"
		boot_one mkinitramfs "$mkinit_root/tmp/mkinitramfs.img" \
			"root=/dev/nbd0 nbdroot=10.0.2.2:$port/root ip=dhcp"
	done
fi

what[mkbootimage]="$(file -b "$T/mkbootimage.img" | cut -d, -f1)"
what[dracut]="$(file -b "$dracut_root/tmp/dracut.img" | cut -d, -f1)"
what[mkinitramfs]="$(file -b "$mkinit_root/tmp/mkinitramfs.img" | cut -d, -f1)"

mt=$(med "${times[mkbootimage]}")
ms=${sizes[mkbootimage]}
mb=$(med "${boots[mkbootimage]:-}")
printf '\n# %s, %s, kernel %s, %s runs, %s cores\n' "$(date -u +%Y-%m-%d)" "$(uname -m)" "$KVER" "$runs" "$(nproc)"
printf '| %-12s | %14s | %8s | %10s | %8s | %14s | %8s | %s |\n' builder "build (median)" "vs mkbi" \
	size "vs mkbi" "boot to root" "vs mkbi" format
printf '| %-12s | %14s | %8s | %10s | %8s | %14s | %8s | %s |\n' --- ---: ---: ---: ---: ---: ---: ---
for b in mkbootimage dracut mkinitramfs; do
	t=$(med "${times[$b]}")
	s=${sizes[$b]}
	bt=$(med "${boots[$b]:-}")
	if [ -n "$bt" ]; then
		bts=$(printf '%.1f s' "$bt")
		btr=$([ -n "$mb" ] && printf '%.1fx' "$(echo "$bt / $mb" | bc -l)" || echo -)
	else
		bts=-
		btr=-
	fi
	printf '| %-12s | %12.2f s | %7.1fx | %6.1f MiB | %7.2fx | %14s | %8s | %s |\n' "$b" "$t" \
		"$(echo "$t / $mt" | bc -l)" "$(echo "$s / 1048576" | bc -l)" "$(echo "$s / $ms" | bc -l)" \
		"$bts" "$btr" "${what[$b]}"
done
