#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build a generic netboot initramfs for the same Debian kernel and module set
# with mkbootimage, dracut (--no-hostonly, with its nfs and nbd modules) and
# mkinitramfs (initramfs-tools, MODULES=netboot), each with its defaults, and
# print build time, image size and boot time as medians with ratios.
#
# dracut and initramfs-tools conflict as Debian packages, so each runs in its
# own Debian 12 chroot (debootstrap, cached under $PXEROOT_CACHE) that holds
# the kernel's modules; mkbootimage builds from the same tree as its SYSROOT.
# Besides its defaults (zstd), mkbootimage is also measured with -c xz and,
# when it has the option, -c xz --strip-modules.
#
# usage: bench/initramfs.sh [RUNS [BOOTS]]   (default 3 and RUNS; needs root)
#
# The boot column is the time from kernel start to the real root's /sbin/init
# (just after switch_root) in the same QEMU boot (TCG, virtio-net, 512 MiB),
# the root a tiny tree exported by nfs-ganesha (with rpcbind) inside a
# network namespace of the bench's own. mkbootimage's boot needs initrd/'s
# /init: it is measured when $BUILD/initrd/skel/init exists.
set -eu
runs=${1:-3}
boots=${2:-$runs}
here=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/initramfs.sh: needs root (chroots, a network namespace)" >&2; exit 1; }
# Re-runs itself in a private network and mount namespace (see the file).
. "$here/tests/e2e/lib-boot.sh"
. "$here/tests/lib-bootready.sh"
trap - EXIT
cleanup_all() {
	local rc=$? i
	set +e
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" >/dev/null 2>&1; done
	rm -rf "$T"
	exit "$rc"
}
trap cleanup_all EXIT

command -v mkbootimage >/dev/null || { echo "bench/initramfs.sh: build first (make)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "bench/initramfs.sh: needs debootstrap (scripts/install-deps bench)" >&2; exit 1; }

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
		# debootstrap and apt-get need the host's network, not the bench's.
		host_net "$BASH" -c '. "$1/tests/lib.sh" && . "$1/tests/lib-bootready.sh" &&
			trap - EXIT && debian_tree "$2"' _ "$here" "$dir/root"
		_cache_lock
		cp /etc/resolv.conf "$dir/root/etc/resolv.conf"
		mount -t proc proc "$dir/root/proc"
		if ! host_net chroot "$dir/root" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive \
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

# The mkbootimage rows: its defaults, then its smallest settings.
mkbi_rows=(mkbootimage "mkbi -c xz")
declare -A mkbi_args=([mkbootimage]="" ["mkbi -c xz"]="-c xz")
if mkbootimage --help | grep >/dev/null -- --strip-modules; then
	mkbi_rows+=("mkbi -c xz -S")
	mkbi_args["mkbi -c xz -S"]="-c xz --strip-modules"
fi
declare -A times sizes what images
for i in $(seq 1 "$runs"); do
	say "run $i/$runs"
	for b in "${mkbi_rows[@]}"; do
		img=$T/$(echo "$b" | tr -c 'a-z0-9\n' '-').img
		t0=$(now)
		# shellcheck disable=SC2086
		mkbootimage -q "${skel[@]}" ${mkbi_args[$b]} -o "$img" "$mkinit_root" "$KVER"
		t1=$(now)
		times[$b]+="$(echo "$t1 - $t0" | bc) "
		sizes[$b]=$(stat -c %s "$img")
		images[$b]=$img
	done

	t0=$(now)
	in_chroot "$dracut_root" dracut -q --force --no-hostonly --add "network-legacy nfs nbd" \
		--omit systemd-networkd --kver "$KVER" \
		/tmp/dracut.img >"$T/dracut.log" 2>&1 || { tail -20 "$T/dracut.log" >&2; exit 1; }
	t1=$(now)
	times[dracut]+="$(echo "$t1 - $t0" | bc) "
	sizes[dracut]=$(stat -c %s "$dracut_root/tmp/dracut.img")
	images[dracut]=$dracut_root/tmp/dracut.img

	t0=$(now)
	in_chroot "$mkinit_root" mkinitramfs -d /etc/pxeroot-bench -o /tmp/mkinitramfs.img "$KVER" \
		>"$T/mkinit.log" 2>&1 || { tail -20 "$T/mkinit.log" >&2; exit 1; }
	t1=$(now)
	times[mkinitramfs]+="$(echo "$t1 - $t0" | bc) "
	sizes[mkinitramfs]=$(stat -c %s "$mkinit_root/tmp/mkinitramfs.img")
	images[mkinitramfs]=$mkinit_root/tmp/mkinitramfs.img
done
# --- boot: kernel start to the real root's /sbin/init -----------------------
# One root for all three: a tiny tree (BusyBox, an os-release, and an
# /sbin/init that prints the uptime and powers off) exported read-only by
# nfs-ganesha on the namespace's loopback, which QEMU's user network shows the
# guest as 10.0.2.2. dracut and mkbootimage get the same root=nfs4:; the
# initramfs-tools image has no NFSv4 and mounts the same tree over NFSv3
# (nfsroot=, through rpcbind). The uptime the root's init prints is the time
# from kernel start to just after switch_root. systemd's switch-root (dracut)
# refuses a root without an os-release file.
declare -A boots
boot_tree() {
	local r=$T/rootfs
	busybox_tree "$r" >/dev/null
	mkdir -p "$r/etc" "$r/newroot" "$r/root"
	printf 'ID=pxeroot-bench\nNAME="pxeroot bench root"\n' >"$r/etc/os-release"
	cat >"$r/sbin/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc 2>/dev/null
read -r up _ </proc/uptime
echo "PXEROOT-BENCH-ROOT-UP $up"
poweroff -f
INIT
	chmod 755 "$r/sbin/init"
	start_rpcbind
	start_ganesha "$(ganesha_export 1 "$r" /root)" 2>"$T/ganesha.err"
}
boot_one() { # NAME IMAGE APPEND
	local log=$T/boot-$(echo "$1" | tr -c 'a-z0-9\n' '-').log up
	qemu_boot -k "$VMLINUZ" -i "$2" -a "quiet $3" -l "$log" -t 400 -- \
		-netdev user,id=n0 -device virtio-net-pci,netdev=n0 || true
	up=$(sed -n 's/.*PXEROOT-BENCH-ROOT-UP \([0-9.]*\).*/\1/p' "$log" | head -1)
	if [ -z "$up" ]; then
		say "$1 did not reach the root (log: /tmp/pxeroot-bench-boot-${log##*/boot-})"
		cp "$log" "/tmp/pxeroot-bench-boot-${log##*/boot-}"
		return
	fi
	boots[$1]+="$up "
}
if [ "$boots" -gt 0 ]; then
	boot_setup
	requires rpcbind ganesha.nfsd
	boot_tree
	for i in $(seq 1 "$boots"); do
		say "boot $i/$boots"
		if [ -z "${skel[*]}" ]; then
			for b in "${mkbi_rows[@]}"; do
				boot_one "$b" "${images[$b]}" "root=nfs4:10.0.2.2:/root ip=dhcp"
			done
		fi
		boot_one dracut "${images[dracut]}" "root=nfs4:10.0.2.2:/root ip=dhcp"
		boot_one mkinitramfs "${images[mkinitramfs]}" \
			"root=/dev/nfs nfsroot=10.0.2.2:$T/rootfs ip=dhcp"
	done
fi

rows=("${mkbi_rows[@]}" dracut mkinitramfs)
for b in "${rows[@]}"; do
	what[$b]="$(file -b "${images[$b]}" | cut -d, -f1)"
done

mt=$(med "${times[mkbootimage]}")
ms=${sizes[mkbootimage]}
mb=$(med "${boots[mkbootimage]:-}")
printf '\n# %s, %s, kernel %s, %s builds and %s boots each, %s cores, load %s\n' \
	"$(date -u +%Y-%m-%d)" "$(uname -m)" "$KVER" "$runs" "$boots" "$(nproc)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-14s | %14s | %8s | %10s | %8s | %14s | %8s | %s |\n' builder "build (median)" "vs mkbi" \
	size "vs mkbi" "boot to root" "vs mkbi" format
printf '| %-14s | %14s | %8s | %10s | %8s | %14s | %8s | %s |\n' --- ---: ---: ---: ---: ---: ---: ---
for b in "${rows[@]}"; do
	t=$(med "${times[$b]}")
	s=${sizes[$b]}
	bt=$(med "${boots[$b]:-}")
	if [ -n "$bt" ]; then
		bts=$(printf '%.1f s' "$bt")
		btr=$([ -n "$mb" ] && printf '%.2fx' "$(echo "$bt / $mb" | bc -l)" || echo -)
	else
		bts=-
		btr=-
	fi
	printf '| %-14s | %12.2f s | %7.2fx | %6.1f MiB | %7.2fx | %14s | %8s | %s |\n' "$b" "$t" \
		"$(echo "$t / $mt" | bc -l)" "$(echo "$s / 1048576" | bc -l)" "$(echo "$s / $ms" | bc -l)" \
		"$bts" "$btr" "${what[$b]}"
done
# The targets of the issue: build <= 1/10 of dracut's, size <= 1/3 of the
# smallest peer's, boot to the root <= 0.5x dracut's.
td=$(med "${times[dracut]}")
bd=$(med "${boots[dracut]:-}")
sp=${sizes[dracut]}
[ "${sizes[mkinitramfs]}" -lt "$sp" ] && sp=${sizes[mkinitramfs]}
printf '\n| %-14s | %16s | %20s | %16s |\n' "" "build / dracut" "size / smallest peer" "boot / dracut"
printf '| %-14s | %16s | %20s | %16s |\n' --- ---: ---: ---:
for b in "${mkbi_rows[@]}"; do
	t=$(med "${times[$b]}")
	bt=$(med "${boots[$b]:-}")
	printf '| %-14s | %15.3fx | %19.3fx | %16s |\n' "$b" "$(echo "$t / $td" | bc -l)" \
		"$(echo "${sizes[$b]} / $sp" | bc -l)" \
		"$([ -n "$bt" ] && [ -n "$bd" ] && printf '%.3fx' "$(echo "$bt / $bd" | bc -l)" || echo -)"
done
printf '| %-14s | %16s | %20s | %16s |\n' target '<= 0.100x' '<= 0.333x' '<= 0.500x'
