#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Boot matrix, the whole PXE chain: no -kernel, the NIC's own iPXE ROM does
# DHCP and TFTP (QEMU's user-mode network), loads pxelinux.0, which reads
# pxelinux.cfg/default and loads the kernel and the mkbootimage initramfs;
# IPAPPEND 2 adds BOOTIF=. The guest has two NICs: an e1000 on a network with
# nothing on it comes first (eth0, with a link), the virtio-net that booted
# comes second; BOOTIF must make /init pick the second. The root is a squashfs
# from nbdexport.
# timeout: 600
. "$(dirname "$0")/lib-boot.sh"

boot_setup
requires nbdexport
[ -f /usr/lib/PXELINUX/pxelinux.0 ] || skip "pxelinux is not installed"
[ -f /usr/lib/syslinux/modules/bios/ldlinux.c32 ] || skip "syslinux-common is not installed"
[ -f /usr/lib/ipxe/qemu/efi-virtio.rom ] || [ -f /usr/share/qemu/efi-virtio.rom ] ||
	skip "ipxe-qemu is not installed"
boot_initramfs

boot_root "$T/tree"
boot_squashfs "$T/tree" "$T/root.sqfs"
start_nbdexport "$T/root.sqfs"
pxe_tftp_dir "$T/tftp" "root=nbd:10.0.2.2:10809"

t0=$(date +%s%N)
rc=0
qemu_boot -l "$T/pxe.log" -t "${BOOT_TIMEOUT:-200}" -- -boot n \
	-netdev hubport,id=n1,hubid=1 -device e1000,netdev=n1,mac=52:54:00:00:00:01,romfile= \
	-netdev user,id=n0,tftp="$T/tftp",bootfile=pxelinux.0 \
	-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:02 || rc=$?
sed -i 's/\r$//' "$T/pxe.log"
boot_times "$T/pxe.log" "$t0"
[ "$rc" = 0 ] || {
	tail -n 30 "$T/pxe.log"
	fail "QEMU exited $rc"
}
expect_line "$T/pxe.log" 'PXELINUX' "pxelinux.0 came by TFTP from the NIC's PXE ROM and ran"
expect_line "$T/pxe.log" 'Kernel command line: .*BOOTIF=01-52-54-00-00-00-02' "IPAPPEND 2 put BOOTIF= on the kernel command line"
expect_line "$T/pxe.log" 'pxeroot: network: eth1 \(52:54:00:00:00:02\) has a link' "BOOTIF picked the NIC that booted, not the first one"
expect_booted "$T/pxe.log" "full PXE chain: iPXE ROM, pxelinux, kernel, initramfs, NBD root"
expect_line "$T/pxe.log" '^MOUNT /run/pxeroot/lower squashfs /dev/nbd0$' "the root came over NBD"
