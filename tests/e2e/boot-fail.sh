#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Boot matrix, failures and the console: each must end with the documented
# one-line message and the failure policy, never a hang (rd.pxeroot.fail.timeout=0
# makes the reboot immediate; QEMU's -no-reboot turns it into an exit):
#   - no DHCP answer (a NIC on a network with nothing on it);
#   - a malformed command line;
#   - a NIC whose driver is not in the initramfs;
#   - BOOTIF= naming a MAC no NIC has;
#   - rd.shell: the emergency shell on the serial console takes commands;
#   - rd.break=pre-mount: a shell before the root is mounted, and the boot goes
#     on when it exits.
# timeout: 900
. "$(dirname "$0")/lib-boot.sh"

boot_setup
requires nbdexport
boot_initramfs

boot_root "$T/tree"
boot_squashfs "$T/tree" "$T/root.sqfs"
start_nbdexport "$T/root.sqfs"

boot "$T/nodhcp.log" "root=nbd:10.0.2.2:10809 rd.pxeroot.dhcp.retries=2 rd.pxeroot.dhcp.timeout=1" \
	-netdev hubport,id=n0,hubid=0 -device virtio-net-pci,netdev=n0
expect_failed "$T/nodhcp.log" 'no DHCP answer on eth0 after 2 tries' "no DHCP answer"
expect_line "$T/nodhcp.log" 'pxeroot: network: DHCP on eth0, try 2 of 2 \(waits 2 s\)' "no DHCP answer: the second try waited twice as long"

boot "$T/malformed.log" "root=nbd:10.0.2.2 ip=dhcp"
expect_failed "$T/malformed.log" 'kernel command line: root=nbd:10.0.2.2: expected nbd:SERVER:PORT' "malformed command line"

boot "$T/nodriver.log" "root=nbd:10.0.2.2:10809 rd.pxeroot.link.timeout=2" \
	-netdev user,id=n0 -device rtl8139,netdev=n0
expect_failed "$T/nodriver.log" "no network interface found \\(is the NIC's driver in the initramfs\\?\\)" "NIC without a driver"

boot "$T/bootif.log" "root=nbd:10.0.2.2:10809 BOOTIF=01-52-54-00-99-99-99 rd.pxeroot.link.timeout=2"
expect_failed "$T/bootif.log" 'no network interface with MAC 52:54:00:99:99:99 \(BOOTIF\) among: eth0' "BOOTIF naming no NIC"

boot_console "$T/shell.log" "root=nbd:10.0.2.2:10900 rd.retry=0 rd.shell" \
	'^pxeroot: emergency shell' 'echo SHELL-ALIVE $((6 * 7)) $(cat /run/pxeroot/failed); poweroff -f'
expect_line "$T/shell.log" 'pxeroot: error: cannot connect to NBD server 10.0.2.2:10900' "rd.shell: the failure is said first"
expect_line "$T/shell.log" '^SHELL-ALIVE 42 cannot connect to NBD server' "rd.shell: the emergency shell runs commands and sees /run/pxeroot/failed"

boot_console "$T/break.log" "root=nbd:10.0.2.2:10809 rd.break=pre-mount" \
	'^pxeroot: rd.break=pre-mount: a shell' 'exit'
expect_line "$T/break.log" 'pxeroot: rd.break=pre-mount: a shell before going on' "rd.break=pre-mount: a shell before the root"
expect_booted "$T/break.log" "rd.break=pre-mount: the boot went on after exit"
