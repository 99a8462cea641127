#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Firmware boot matrix, proxy DHCP: BusyBox's udhcpd on another host of the
# LAN gives the addresses (and names this server as next-server, which the
# signed GRUB needs), "pxebootsrv run" in proxy mode only the boot files.
# The BIOS path is iPXE (bios = ipxe, for the whole site: the undi client's
# script asks for the menu's first boot server type). Three clients at once:
#   bios   SeaBIOS and the NIC's iPXE ROM: the address from udhcpd, the
#          script's URL from the proxy, pxebootsrv's iPXE menu;
#   uefi   OVMF's PXE: the address from udhcpd, shimx64.efi from the proxy
#          (port 4011), the signed GRUB and its menu;
#   undi   a BIOS PXE client that is not iPXE: undionly.kpxe from the proxy
#          (port 4011), whose own request (user class iPXE) gets the script
#          and never undionly.kpxe again.
# timeout: 900
. "$(dirname "$0")/lib-lan.sh"

boot_setup
lan_setup
requires nbdexport dnsmasq pxebootsrv lighttpd busybox
boot_initramfs
lan_root "$T/tree"
boot_squashfs "$T/tree" "$T/root.sqfs"

lan_conf "$T/pxebootsrv.conf" proxy "default = debian" "bios = ipxe"
# no_timer_check: a guest starved of CPU by other load fails the kernel's
# IO-APIC timer check and panics ("IO-APIC + timer doesn't work").
lan_entry "$T/pxebootsrv.conf" debian "Debian (NBD)" \
	"console=ttyS0 panic=-1 rd.pxeroot.fail.timeout=0 no_timer_check pxeroot.test.mark=debian"

lan_netns dhcp2 "$LAN_NET.2/24"
lan_udhcpd dhcp2 "option router $LAN_NET.2" "siaddr $LAN_SERVER"
lan_pxebootsrv "$T/pxebootsrv.conf"

t0=$SECONDS
lan_client bios bios 52:54:00:77:03:01
lan_client uefi uefi 52:54:00:77:03:02
# QEMU's NIC ROMs are all iPXE: the plain PXE ROM is played by iPXE loaded
# as a kernel (ipxe.lkrn runs its command line as a script). Its DHCP request
# carries another user class, as a PXE ROM's carries none; the proxy answers
# with its PXE menu, whose boot server (type 128, port 4011) names the loader.
# The user class is cleared first: iPXE hands its settings on to the loader
# it starts, in the DHCP packets a PXE stack keeps for it.
lan_client undi bios 52:54:00:77:03:03 -kernel /usr/lib/ipxe/ipxe.lkrn \
	-append 'set user-class PXEClient && dhcp && clear user-class && pxebs net0 128 && chain tftp://${next-server}/${filename}'
lan_expect_booted bios "proxy DHCP, BIOS, iPXE ROM, pxebootsrv's iPXE menu" '^MARK debian$' \
	"http://$LAN_SERVER/boot.ipxe" "^ENV net.env ADDRESS='$LAN_NET\\.1[5-9][0-9]'"
lan_expect_booted uefi "proxy DHCP, UEFI PXE, shim, signed GRUB" '^MARK debian$' \
	"^ENV net.env ADDRESS='$LAN_NET\\.1[5-9][0-9]'"
lan_expect_booted undi "proxy DHCP, BIOS, bios = ipxe: a plain PXE client gets undionly.kpxe, then the iPXE menu" \
	'^MARK debian$' 'tftp://[0-9.]+/undionly\.kpxe\.\.\. ok' 'using undionly on' \
	"http://$LAN_SERVER/boot.ipxe"
n=$(grep -c 'sent .*/undionly\.kpxe to ' "$LAN_LOG")
[ "$n" = 1 ] || fail "undionly.kpxe was sent $n times, not once: iPXE loaded itself again"
ok "undionly.kpxe was sent once: its own DHCP request (user class iPXE) got the script, the iPXE ROM got the script at once"
grep -q 'PXE(pxrlan0) 52:54:00:77:03:02 proxy' "$LAN_LOG" ||
	fail "the UEFI client was not answered by the proxy"
ok "the proxy answered the UEFI client; udhcpd gave both their addresses"
ok "three clients behind proxy DHCP at once: $((SECONDS - t0)) s"
