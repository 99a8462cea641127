#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# UEFI PXE over IPv6: an OVMF client whose IPv4 PXE is switched off boots
# through "pxebootsrv run" with [dhcp] ipv6-range and ipv6-address (uefi =
# ipxe) on a dual-stack LAN of the test's own. The firmware's DHCPv6
# SOLICIT says client architecture 7 (option 61); dnsmasq answers with
# tftp://[fd78::1]/snponly.efi (option 59), and the firmware loads it by TFTP
# over IPv6. iPXE (Debian's 2019 build) then takes its script, the kernel and
# the initramfs over IPv4, and the root comes over NBD.
# timeout: 900
. "$(dirname "$0")/lib-lan.sh"

boot_setup
lan_setup
requires nbdexport dnsmasq pxebootsrv lighttpd
# The server's IPv6 address; no duplicate address detection on a new LAN.
ip addr add fd78::1/64 dev "$LAN_BR" nodad || fail "cannot add fd78::1 to $LAN_BR"
boot_initramfs
lan_root "$T/tree"
boot_squashfs "$T/tree" "$T/root.sqfs"

args="console=ttyS0 panic=-1 rd.pxeroot.fail.timeout=0"
lan_conf "$T/pxebootsrv.conf" full "default = debian" "uefi = ipxe"
sed -i '/^\[menu\]/i ipv6-range = fd78::100 fd78::1ff\nipv6-address = fd78::1\n' "$T/pxebootsrv.conf"
lan_entry "$T/pxebootsrv.conf" debian "Debian (NBD)" "$args pxeroot.test.mark=debian"
lan_pxebootsrv "$T/pxebootsrv.conf"
grep -rqx 'dhcp-option=tag:efi64v6,option6:bootfile-url,tftp://\[fd78::1\]/snponly.efi' "$T/state" ||
	fail "the running dnsmasq.conf has no IPv6 boot file URL"
lan_client v6 uefi 52:54:00:77:06:01 -fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no
lan_expect_booted v6 "UEFI PXE over IPv6 (IPv4 PXE off), then iPXE" '^MARK debian$' \
	'>>Start PXE over IPv6' 'UEFI PXEv6'
grep -q 'bootfile-url  tftp://\[fd78::1\]/snponly.efi' "$LAN_LOG" ||
	fail "dnsmasq sent no IPv6 boot file URL"
ok "DHCPv6 (option 61 = 7) answered with tftp://[fd78::1]/snponly.efi"
grep -Eq 'sent .*snponly\.efi to fd78::' "$LAN_LOG" || {
	grep -a tftp "$LAN_LOG" | tail -5
	fail "snponly.efi did not go out over IPv6 TFTP"
}
ok "the firmware loaded snponly.efi by TFTP over IPv6"
