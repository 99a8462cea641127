#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Firmware boot matrix, BIOS: SeaBIOS and the NIC's iPXE ROM on a LAN of the
# test's own, a full DHCP server (dnsmasq) answering by architecture and MAC,
# a squashfs root over NBD. Three clients boot at once:
#   menu    pxelinux.0 (TFTP) shows the menu, its default entry boots;
#   permac  pxelinux.0 reads the per-MAC file pxelinux.cfg/01-MAC, whose
#           default is another entry;
#   ipxe    its MAC is set to the iPXE path: the ROM (iPXE already) gets the
#           script's URL and loads kernel and initramfs over HTTP.
# Each root prints the mark its entry put on the kernel command line.
# timeout: 900
. "$(dirname "$0")/lib-lan.sh"

boot_setup
lan_setup
requires nbdexport dnsmasq
boot_initramfs
lan_root "$T/tree"
boot_squashfs "$T/tree" "$T/root.sqfs"
lan_boot_dir "$T/boot"

mac_menu=52:54:00:77:00:01
mac_permac=52:54:00:77:00:02
mac_ipxe=52:54:00:77:00:03
args="console=ttyS0 panic=-1 rd.pxeroot.fail.timeout=0 root=nbd:$LAN_SERVER:10809/root"

entries() {
	cat <<MENU
LABEL debian
  MENU LABEL Debian (NBD)
  KERNEL vmlinuz
  APPEND initrd=initrd.img $args pxeroot.test.mark=menu-default
  IPAPPEND 2
LABEL other
  MENU LABEL Another entry
  KERNEL vmlinuz
  APPEND initrd=initrd.img $args pxeroot.test.mark=per-mac
  IPAPPEND 2
MENU
}
{
	printf 'SERIAL 0 115200\nUI menu.c32\nMENU TITLE pxeroot\nPROMPT 0\nTIMEOUT 10\nDEFAULT debian\n'
	entries
} >"$T/boot/pxelinux.cfg/default"
{
	printf 'SERIAL 0 115200\nUI menu.c32\nMENU TITLE pxeroot\nPROMPT 0\nTIMEOUT 10\nDEFAULT other\n'
	entries
} >"$T/boot/pxelinux.cfg/01-${mac_permac//:/-}"
cat >"$T/boot/boot.ipxe" <<IPXE
#!ipxe
echo pxeroot iPXE script
kernel http://$LAN_SERVER/vmlinuz initrd=initrd.img $args pxeroot.test.mark=ipxe BOOTIF=01-\${net0/mac:hexhyp}
initrd http://$LAN_SERVER/initrd.img
boot
IPXE

lan_nbdexport "$T/root.sqfs=root"
lan_httpd "$T/boot"
lan_dnsmasq "dhcp-range=$LAN_NET.100,$LAN_NET.149,255.255.255.0,1h" \
	"enable-tftp" "tftp-root=$T/boot" \
	"dhcp-match=set:ipxe,175" \
	"dhcp-match=set:bios,option:client-arch,0" \
	"dhcp-host=$mac_ipxe,set:bios-ipxe,$LAN_NET.53" \
	"dhcp-boot=tag:bios,tag:!bios-ipxe,pxelinux.0,,$LAN_SERVER" \
	"dhcp-boot=tag:bios-ipxe,tag:!ipxe,undionly.kpxe,,$LAN_SERVER" \
	"dhcp-boot=tag:bios-ipxe,tag:ipxe,http://$LAN_SERVER/boot.ipxe"

t0=$SECONDS
lan_client menu bios $mac_menu
lan_client permac bios $mac_permac
lan_client ipxe bios $mac_ipxe
lan_expect_booted menu "BIOS, pxelinux menu, default entry" '^MARK menu-default$' 'PXELINUX' 'Automatic boot in' \
	'^MOUNT /run/pxeroot/lower squashfs /dev/nbd0$'
lan_expect_booted permac "BIOS, pxelinux, the per-MAC file's default" '^MARK per-mac$'
lan_expect_booted ipxe "BIOS, iPXE ROM, script and kernel over HTTP" '^MARK ipxe$' \
	"Filename: http://$LAN_SERVER/boot.ipxe" 'pxeroot iPXE script' "BOOTIF=01-${mac_ipxe//:/-}"
grep -q "sent .*/pxelinux.cfg/01-${mac_permac//:/-}" "$T/dnsmasq.log" ||
	fail "pxelinux did not fetch the per-MAC file"
ok "pxelinux fetched pxelinux.cfg/01-${mac_permac//:/-} by TFTP"
ok "three BIOS clients at once: $((SECONDS - t0)) s"
