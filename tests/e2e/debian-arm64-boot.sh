#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A real Debian 12 arm64 client, booted from the network on this x86-64 host,
# in one boot: the tree is made by debootstrap for arm64 (minbase with
# systemd, udev, D-Bus, iproute2, the static BusyBox and the arm64 kernel; its
# maintainer scripts run through qemu-user-static and binfmt_misc; cached by
# its package list), prepared by mkbootready, published by bootchroot --image
# (which runs uname -m in the tree: aarch64, through qemu-user); its initramfs
# comes from mkbootimage with the tree's kernel and BusyBox and the helper
# cross-built for arm64 (scripts/cross). "pxebootsrv run" serves it on a LAN
# of the test's own (dnsmasq for DHCP and TFTP, nbdexport for the image),
# with Debian's signed arm64 shim and network GRUB, unpacked from the
# archive by mmdebstrap (arm64-loader-root). The client is qemu-system-aarch64
# (-M virt, TCG) with AAVMF enforcing Secure Boot with Microsoft's keys: its
# PXE (client architecture 11) loads shimaa64.efi, which loads grubaa64.efi,
# whose menu loads Debian's signed kernel and the initramfs by TFTP; the
# kernel locks down and loads only signed modules; the root comes over NBD;
# systemd reaches
# multi-user.target with no unit failed, the serial console shows the login
# prompt, and the probe (tests/e2e/debian-probe) reports an aarch64 userland
# on an overlay over the read-only NBD image before it powers off.
# timeout: 1800
. "$(dirname "$0")/lib-debian.sh"
. "$(dirname "$0")/lib-lan.sh"

debian_setup
lan_setup
requires qemu-system-aarch64 qemu-aarch64-static mmdebstrap aarch64-linux-gnu-gcc \
	pxebootsrv dnsmasq lighttpd nbdexport bootchroot mksquashfs

DEBIAN_ARCH=arm64
# What the debian profile and the probe need, and a static BusyBox for the
# initramfs (the host's is for x86-64).
DEBIAN_CLIENT_PACKAGES=systemd-sysv,udev,dbus,iproute2,busybox-static,linux-image-arm64
t0=$(date +%s%N)
tree=$T/tree
debian_client_tree "$tree" link
ok "Debian 12 arm64 tree ready in $(secs_since "$t0") s (debootstrap through qemu-user: ${DEBIAN_TREE_SECS} s, 0 = cached)"

t0=$(date +%s%N)
mkbootready -q "$tree" || fail "mkbootready failed"
mkbootready -q --check "$tree" || fail "not ready after mkbootready"
ok "mkbootready prepared the arm64 tree in $(secs_since "$t0") s; --check passes"

# bootchroot runs its command in the tree: an arm64 program, through the
# binfmt_misc registration of qemu-user-static. lz4: the quickest image to
# make (the default, zstd:3, took 88 s here; lz4 2 s); the client reads only
# what it uses.
foreign_arch_ready arm64
mkdir -p "$T/images"
t0=$(date +%s%N)
bootchroot -q -C lz4 --image "$T/images/arm64.sqfs" "$tree" -- /bin/sh -c 'echo "ARCH $(uname -m)"' \
	>"$T/bootchroot.out" 2>&1 || {
	cat "$T/bootchroot.out"
	fail "bootchroot --image failed"
}
grep -qx 'ARCH aarch64' "$T/bootchroot.out" || fail "bootchroot's command did not run as aarch64: $(cat "$T/bootchroot.out")"
image=$(readlink -f "$T/images/arm64.sqfs")
ok "bootchroot ran uname -m in the tree (aarch64) and published $(basename "$image"): $(($(stat -c %s "$image") / 1048576)) MiB in $(secs_since "$t0") s"

# The initramfs: the tree's kernel, modules and BusyBox, the helper for arm64.
host_net "$SRC/scripts/cross" arm64 all >"$T/cross.log" 2>&1 || {
	tail -20 "$T/cross.log"
	fail "scripts/cross arm64 failed"
}
KVER=$(ls "$tree/lib/modules" | sort -V | tail -n 1)
VMLINUZ=$tree/boot/vmlinuz-$KVER
INITRD=$T/initrd.img
mkbootimage -q -d virtio_net -s "$SRC/build-arm64/initrd/skel" -o "$INITRD" "$tree" "$KVER" ||
	fail "mkbootimage failed"
ok "arm64 initramfs for $KVER: $(($(stat -c %s "$INITRD") / 1024)) KiB, the tree's BusyBox and the cross-built helper"
initramfs_modules_check "$tree"

lan_arm64_loaders
mac=52:54:00:77:0a:64
conf=$T/pxebootsrv.conf
lan_conf "$conf" full "default = arm64"
sed -i "/^state-dir/a arm64-loader-root = $LAN_ARM64_LOADERS" "$conf"
cat >>"$conf" <<EOF

[entry arm64]
kind = pxeroot
label = Debian 12 arm64 (NBD)
kernel = $VMLINUZ
initrd = $INITRD
image = $T/images/arm64.sqfs
append = console=ttyAMA0 panic=-1 rd.pxeroot.fail.timeout=0 pxrt.client=arm64
EOF
lan_pxebootsrv "$conf"
for f in shimaa64.efi:shim/shimaa64.efi.signed grubaa64.efi:grub/arm64-efi-signed/grubnetaa64.efi.signed; do
	[ "$(readlink "$T/srv/boot/${f%%:*}")" = "$LAN_ARM64_LOADERS/usr/lib/${f#*:}" ] ||
		fail "${f%%:*} is not Debian's arm64 build from arm64-loader-root: $(readlink "$T/srv/boot/${f%%:*}")"
done

LAN_TIMEOUT=${DEBIAN_ARM64_TIMEOUT:-900}
lan_client arm64 uefi-arm64-sb $mac
if ! lan_wait arm64 '^PXRT poweroff' "$LAN_TIMEOUT"; then
	_lan_show arm64
	fail "the arm64 client did not reach multi-user.target (no probe report)"
fi
# Under load, an x86-64 pair once took 104 s to power off.
for _ in $(seq 1 600); do
	kill -0 "${_lan_pid[arm64]}" 2>/dev/null || break
	sleep 0.2
done
! kill -0 "${_lan_pid[arm64]}" 2>/dev/null || fail "the arm64 client did not power off within 120 s"
total=$LAN_SECS
# The serial console ends lines with CR LF, and a getty may pad with NULs.
sed -i 's/\r$//; s/\x00//g' "$T/arm64.log"
log=$T/arm64.log

grep -q 'PXEClient:Arch:00011' "$LAN_LOG" || fail "dnsmasq saw no arm64 UEFI PXE client (architecture 11)"
for f in shimaa64.efi grubaa64.efi grub/grub.cfg "files/arm64/vmlinuz-$KVER" "files/arm64/initrd.img"; do
	grep -Eq "sent .*/${f//./\\.} to 10\.77\.0\." "$LAN_LOG" || {
		grep -E 'tftp|TFTP|sent' "$LAN_LOG" | tail -n 20 >&2
		fail "dnsmasq did not send $f by TFTP"
	}
done
ok "AAVMF's PXE (architecture 11): dnsmasq sent shimaa64.efi, grubaa64.efi, grub/grub.cfg, the kernel and the initramfs by TFTP"
grep -Eq "Kernel command line: BOOT_IMAGE=\(tftp,$LAN_SERVER\)/files/arm64/vmlinuz-$KVER root=nbd:$LAN_SERVER:10809/arm64 " "$log" ||
	fail "GRUB did not start the kernel loaded by TFTP with the entry's NBD root: $(grep -a 'Kernel command line' "$log")"
gen=$(basename "$image" .sqfs)
grep -Eq "pxeroot: root: /dev/nbd0 is generation arm64@${gen#arm64-};" "$log" &&
	grep -q 'pxeroot: root: mounted /dev/nbd0 (squashfs)' "$log" || {
	grep -a 'pxeroot: root' "$log" >&2
	fail "the initramfs did not mount the published generation ${gen#arm64-} from NBD"
}
ok "GRUB started the kernel with the entry's command line; the initramfs mounted generation ${gen#arm64-} from nbdexport"
grep -q 'Secure boot enabled' "$log" && grep -q 'Kernel is locked down from EFI Secure Boot' "$log" ||
	fail "the kernel did not run under Secure Boot with lockdown"
! grep -Eq 'module verification failed|Loading of unsigned module' "$log" || fail "an unsigned module was loaded"
ok "Secure Boot (AAVMF, Microsoft's keys): Debian's signed shim, GRUB and kernel ran, the kernel locked down, every module loaded was signed"
v=$(probe arm64 state)
[ "$v" = running ] || [ "$v" = degraded ] || fail "systemctl is-system-running says '$v'"
f=$(probe_all arm64 failed | tr '\n' ' ')
[ -z "$f" ] || fail "units failed: $f"
ok "systemd reached multi-user.target, system $v, no unit failed ($(probe arm64 startup))"
v=$(probe arm64 arch)
[ "$v" = "aarch64 arm64" ] || fail "uname -m and dpkg say '$v', not 'aarch64 arm64'"
ok "the booted root runs aarch64 (uname -m) with the arm64 Debian userland (dpkg --print-architecture)"
[ "$(probe arm64 root)" = overlay ] || fail "/ is '$(probe arm64 root)', not overlay"
read -r f v <<<"$(probe arm64 lower)"
[ "$f" = squashfs ] || fail "the lower layer is $f, not the squashfs image"
case ",$v," in *,ro,*) ;; *) fail "the lower layer is not read-only: $f $v" ;; esac
[ "$(probe arm64 lower-writable)" = no ] || fail "the lower layer took a write"
[ -z "$(probe arm64 not-writable)" ] || fail "not writable: $(probe arm64 not-writable)"
ok "/ is an overlay over the read-only squashfs image served by NBD; /etc, /var, /tmp writable"
[ "$(probe arm64 networkd)" = active ] || fail "systemd-networkd is $(probe arm64 networkd)"
[[ $(probe arm64 addr) == *"inet $LAN_NET."* ]] || fail "the boot interface lost its address: $(probe arm64 addr)"
ok "the boot interface $(probe arm64 iface) kept its DHCP address with systemd-networkd running: $(probe arm64 addr)"
v=$(grep -an ' login: ' "$log" | head -n 1 | cut -d: -f1) || true
[ -n "$v" ] && [ "$v" -lt "$(grep -an '^PXRT poweroff' "$log" | cut -d: -f1)" ] ||
	fail "no login prompt on the serial console before the poweroff"
ok "the serial console (ttyAMA0) showed '$(grep -a ' login: ' "$log" | head -n 1 | sed 's/ login: .*/ login:/')'"
ok "power-on to the probe's report (PXE, shim, GRUB, kernel, NBD root, multi-user): $total s; powered off"
