#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# An arm64 client, built on this x86-64 host: a Debian 12 arm64 tree (its
# kernel, modules and static BusyBox, extracted from Debian's archive with
# mmdebstrap and cached), the initramfs helper cross-built for arm64
# (scripts/cross), mkbootimage (the host's) making the initramfs; then
# qemu-system-aarch64 (-M virt, TCG) boots it with the tree's kernel and the
# root comes over NBD from nbdexport. Also: a skeleton or BusyBox of the wrong
# architecture is refused by mkbootimage with one line, before anything is
# written.
# timeout: 900
. "$(dirname "$0")/lib-boot.sh"

boot_setup
requires mmdebstrap aarch64-linux-gnu-gcc qemu-aarch64 qemu-system-aarch64 depmod nbdexport

# The arm64 client tree, once per package list.
key=$(echo "bookworm arm64 linux-image-arm64,busybox-static 1" | sha256sum | cut -c1-12)
tree=$PXEROOT_CACHE/debian-12-arm64-$key
mkdir -p "$PXEROOT_CACHE"
exec 8>"$PXEROOT_CACHE/.arm64.lock"
flock 8
if [ ! -f "$tree/.done" ]; then
	rm -rf "$tree"
	mkdir -p "$tree"
	host_net mmdebstrap --variant=extract --arch=arm64 --include=linux-image-arm64,busybox-static \
		bookworm "$tree/root" http://deb.debian.org/debian >"$tree/mmdebstrap.log" 2>&1 || {
		tail -20 "$tree/mmdebstrap.log"
		fail "mmdebstrap of the arm64 tree failed"
	}
	depmod -b "$tree/root" "$(ls "$tree/root/lib/modules")"
	touch "$tree/.done"
fi
exec 8>&-
kver=$(ls "$tree/root/lib/modules")
ok "arm64 tree with kernel $kver"

# The helper for arm64 (the sysroot is cached; an existing build is reused).
host_net "$SRC/scripts/cross" arm64 all >"$T/cross.log" 2>&1 || {
	tail -20 "$T/cross.log"
	fail "scripts/cross arm64 failed"
}
skel=$SRC/build-arm64/initrd/skel

# Wrong architectures are refused, and nothing is written.
if mkbootimage -q -d virtio_net -o "$T/bad.img" "$tree/root" "$kver" 2>"$T/bad.err"; then
	fail "an x86-64 helper was put in an arm64 initramfs"
fi
grep -q 'pxeroot-helper is built for x86-64, kernel .* for aarch64' "$T/bad.err" ||
	fail "unclear refusal: $(cat "$T/bad.err")"
[ "$(wc -l <"$T/bad.err")" = 1 ] || fail "more than one line: $(cat "$T/bad.err")"
if mkbootimage -q -d virtio_net -s "$skel" -b /bin/busybox -o "$T/bad.img" "$tree/root" "$kver" 2>"$T/bad.err"; then
	fail "an x86-64 BusyBox was put in an arm64 initramfs"
fi
grep -q 'busybox is for x86-64, the kernel.s modules are for aarch64' "$T/bad.err" ||
	fail "unclear refusal: $(cat "$T/bad.err")"
[ ! -e "$T/bad.img" ] || fail "a refused build left $T/bad.img"
ok "a helper or BusyBox of another architecture is refused in one line, nothing written"

INITRD=$T/initrd-arm64.img
mkbootimage -q -d virtio_net -s "$skel" -o "$INITRD" "$tree/root" "$kver" || fail "mkbootimage failed"
ok "arm64 initramfs: $(($(stat -c %s "$INITRD") / 1024)) KiB, the tree's BusyBox and the cross-built helper"

# A root whose init is the tree's arm64 BusyBox.
boot_root "$T/root" "$tree/root/bin/busybox" qemu-aarch64
echo "echo ARCH-FROM-ROOT \$(uname -m)" >"$T/root/sbin/init.extra"
chmod 0755 "$T/root/sbin/init.extra"
boot_squashfs "$T/root" "$T/root.sqfs"
start_nbdexport "$T/root.sqfs=root"

VMLINUZ=$tree/root/boot/vmlinuz-$kver
QEMU_SYSTEM=qemu-system-aarch64 QEMU_CONSOLE=ttyAMA0 BOOT_TIMEOUT=400 \
	boot "$T/arm64.log" "root=nbd:10.0.2.2:10809/root" \
	-M virt -cpu cortex-a57 -netdev user,id=n0 -device virtio-net-pci,netdev=n0
expect_booted "$T/arm64.log" "arm64 client, root=nbd:"
expect_line "$T/arm64.log" '^ARCH-FROM-ROOT aarch64' "the root runs on aarch64"
expect_line "$T/arm64.log" '^MOUNT /run/pxeroot/lower squashfs /dev/nbd0$' "the NBD root is the lower layer"
