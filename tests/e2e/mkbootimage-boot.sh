#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mkbootimage's images boot a real Debian kernel under QEMU, in every
# compression it offers, independently of initrd/'s /init: a test skeleton
# whose /init coldplugs by modalias (as the real one does), reports which
# driver bound each NIC (virtio-net and e1000), loads nbd, squashfs, nfsv4 and
# overlay with BusyBox modprobe, prints the baked --cmdline, and powers off.
# One more boot uses the default, generic driver set, and runs a dynamic
# program added with --add. nbd and e1000 come compressed (.ko.xz, .ko.zst).
# One more boots modules stored with --strip-modules.
# timeout: 900
. "$(dirname "$0")/../lib.sh"

requires qemu-system-x86_64 busybox depmod mkbootimage xz zstd ldd
kernel_fetch

root=$T/root
kernel_tree "$root"
mods=$root/lib/modules/$KVER
# Two modules compressed as other distributions ship them: mkbootimage runs
# depmod and stores them decompressed for BusyBox's modprobe.
rm "$mods/kernel/drivers/block/nbd.ko" "$mods/kernel/drivers/net/ethernet/intel/e1000/e1000.ko"
xz -c --check=crc32 "$KERNEL_ROOT/lib/modules/$KVER/kernel/drivers/block/nbd.ko" >"$mods/kernel/drivers/block/nbd.ko.xz"
zstd -q -c "$KERNEL_ROOT/lib/modules/$KVER/kernel/drivers/net/ethernet/intel/e1000/e1000.ko" \
	>"$mods/kernel/drivers/net/ethernet/intel/e1000/e1000.ko.zst"
touch -d '1 hour ago' "$mods/modules.dep"
# A dynamic program for --add, with what ldd says it needs.
prog=/usr/bin/stat
mkdir -p "$root/usr/bin"
cp "$prog" "$root$prog"
for f in $(ldd "$prog" | grep -o '/[^ ]*'); do
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
done

skel=$T/skel
mkdir -p "$skel"
cat >"$skel/init" <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "BUILD $(tr '\n' ' ' </etc/pxeroot/build)"
# A shell can source it: every line is one assignment.
(set -u && . /etc/pxeroot/build && echo "BUILDVARS kver=$KVER builder=$BUILDER version=$VERSION drivers=$DRIVERS compress=$COMPRESS")
# Coldplug: load what every device's modalias asks for, until nothing new loads.
prev=-1
for round in 1 2 3 4 5 6; do
	n=$(wc -l </proc/modules)
	[ "$n" = "$prev" ] && break
	prev=$n
	for f in /sys/bus/*/devices/*/modalias; do
		[ -r "$f" ] && modprobe -q "$(cat "$f")" 2>/dev/null
	done
done
for i in /sys/class/net/*; do
	[ -e "$i/device/driver" ] || continue
	echo "NIC $(basename "$i") driver=$(basename "$(readlink "$i/device/driver")")"
done
modprobe nbd && [ -d /sys/module/nbd ] && echo "PROBE nbd ok"
modprobe squashfs && grep -qw squashfs /proc/filesystems && echo "PROBE squashfs ok"
modprobe nfsv4 && grep -qw nfs4 /proc/filesystems && echo "PROBE nfsv4 ok"
modprobe overlay && grep -qw overlay /proc/filesystems && echo "PROBE overlay ok"
# ext4's soft dependency crc32c-intel cannot load on TCG's CPU (no SSE 4.2):
# ext4 must load all the same, and find its crc32c when the kernel asks.
modprobe ext4 && grep -qw ext4 /proc/filesystems && echo "PROBE ext4 ok"
echo "CMDLINE $(cat /etc/pxeroot/cmdline)"
[ -x /usr/bin/stat ] && echo "ADDED $(/usr/bin/stat -c 'stat=%s' /etc/pxeroot/build)"
echo "MKBOOTIMAGE-BOOT-DONE"
poweroff -f
INIT
chmod 0755 "$skel/init"

nics=(-netdev user,id=n0 -device virtio-net-pci,netdev=n0
	-netdev user,id=n1 -device e1000,netdev=n1)

check_boot() {
	local log=$1 what=$2
	# The serial console ends lines with CR LF.
	sed -i 's/\r$//' "$log"
	grep -q 'MKBOOTIMAGE-BOOT-DONE' "$log" || { tail -30 "$log"; fail "$what: the image did not run /init to the end"; }
	! grep -qi 'initramfs unpacking failed\|junk in compressed archive\|invalid magic' "$log" ||
		fail "$what: the kernel could not unpack the image"
	grep -q 'driver=virtio_net' "$log" || fail "$what: virtio_net did not bind"
	grep -q 'driver=e1000\b' "$log" || fail "$what: e1000 did not bind"
	for m in nbd squashfs nfsv4 overlay ext4; do
		grep -q "PROBE $m ok" "$log" || fail "$what: modprobe $m failed"
	done
	ok "$what: boots, virtio_net and e1000 bind by modalias, nbd/squashfs/nfsv4/overlay/ext4 load"
}

for c in gzip zstd xz lz4 none; do
	mkbootimage -q -s "$skel" -d e1000,virtio_net -c "$c" --cmdline "pxeroot.test=$c" \
		-o "$T/$c.img" "$root"
	rc=0
	qemu_boot -k "$VMLINUZ" -i "$T/$c.img" -a "quiet" -l "$T/$c.log" -t 180 -- "${nics[@]}" || rc=$?
	[ "$rc" = 0 ] || { tail -20 "$T/$c.log"; fail "$c: qemu exited $rc"; }
	check_boot "$T/$c.log" "$c"
	grep -q "CMDLINE pxeroot.test=$c" "$T/$c.log" || fail "$c: /etc/pxeroot/cmdline is not the --cmdline"
	grep -q "BUILDVARS kver=$KVER builder=mkbootimage version=[0-9][0-9.]* drivers=e1000,virtio_net compress=$c[[:space:]]*\$" \
		"$T/$c.log" || fail "$c: /etc/pxeroot/build is wrong or cannot be sourced"
	ok "$c: /etc/pxeroot/cmdline is there, /etc/pxeroot/build can be sourced by the shell"
done

# --strip-modules: unsigned modules without .BTF bytes load on a kernel that does
# not enforce signatures (tainted), and the image is smaller.
mkbootimage -q -s "$skel" -d e1000,virtio_net -c xz -S -o "$T/strip.img" "$root"
[ "$(stat -c %s "$T/strip.img")" -lt "$(stat -c %s "$T/xz.img")" ] || fail "--strip-modules: not smaller than xz alone"
qemu_boot -k "$VMLINUZ" -i "$T/strip.img" -a "quiet" -l "$T/strip.log" -t 180 -- "${nics[@]}" ||
	fail "xz --strip-modules: qemu failed"
check_boot "$T/strip.log" "xz --strip-modules"

# The default: every wired Ethernet driver; coldplug must still pick the right two.
mkbootimage -q -s "$skel" -a /usr/bin/stat -o "$T/generic.img" "$root"
qemu_boot -k "$VMLINUZ" -i "$T/generic.img" -a "quiet" -l "$T/generic.log" -t 180 -- "${nics[@]}" ||
	fail "generic: qemu failed"
check_boot "$T/generic.log" "generic drivers (default)"
grep -q "ADDED stat=[1-9]" "$T/generic.log" || fail "--add /usr/bin/stat does not run in the image"
ok "--add: a dynamic program runs in the image with the libraries found for it"
