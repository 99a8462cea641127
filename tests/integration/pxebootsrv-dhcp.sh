#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The boot server's DHCP answers, asked by dhcpprobe as each kind of network
# boot client would, on a LAN of the test's own (tests/e2e/lib-lan.sh):
#   full mode: BIOS (pxelinux.0), iPXE (the script's URL), UEFI x86-64 (7 and
#   9: shim; a MAC set to iPXE: snponly.efi), UEFI HTTP boot (a URL and
#   option 60 HTTPClient), arm64 UEFI (11), a host with its own address;
#   proxy mode, next to BusyBox's udhcpd that gives the addresses: the
#   client sees udhcpd's address and the proxy's PXE offer, and port 4011
#   names its boot file.
# timeout: 300
. "$(dirname "$0")/../e2e/lib-lan.sh"

lan_setup
requires dnsmasq busybox
DHCPPROBE=$BUILD/tests/dhcpprobe
[ -x "$DHCPPROBE" ] || fail "$DHCPPROBE is missing (make)"
lan_netns cli
mkdir -p "$T/boot"

mac_ipxe=52:54:00:77:02:02
mac_host=52:54:00:77:02:03

# probe NAME DHCPPROBE-ARGS...: the answers in $T/NAME.out
probe() {
	local name=$1
	shift
	lan_in cli "$DHCPPROBE" -i eth0 -t 4000 "$@" >"$T/$name.out" 2>"$T/$name.err" || {
		cat "$T/$name.err" "$T/$name.out"
		tail -n 20 "$T/dnsmasq.log"
		fail "$name: dhcpprobe $*"
	}
}

# want NAME MSG FIELD VALUE: the probe NAME saw this field from the boot server.
# FIELD bootfile: the file field, else option 67 (dnsmasq moves the name there
# when the client asks for option 67, as PXE clients do).
want() {
	local got
	got=$(sed -n "s/^$2 $LAN_SERVER $3 //p" "$T/$1.out" | head -n 1)
	[ "$3" != bootfile ] || got=$(sed -n "s/^$2 $LAN_SERVER file //p" "$T/$1.out" | head -n 1)
	[ "$3" != bootfile ] || [ -n "$got" ] ||
		got=$(sed -n "s/^$2 $LAN_SERVER option67 //p" "$T/$1.out" | head -n 1)
	assert_eq "$4" "$got" "$1: $2 $3"
}

lan_dnsmasq "dhcp-range=$LAN_NET.100,$LAN_NET.149,255.255.255.0,1h" \
	"enable-tftp" "tftp-root=$T/boot" \
	"dhcp-option=option:root-path,nbd:$LAN_SERVER:10809/root" \
	"dhcp-match=set:ipxe,175" \
	"dhcp-match=set:bios,option:client-arch,0" \
	"dhcp-match=set:efi64,option:client-arch,7" \
	"dhcp-match=set:efi64,option:client-arch,9" \
	"dhcp-match=set:efihttp,option:client-arch,16" \
	"dhcp-match=set:arm64,option:client-arch,11" \
	"dhcp-host=$mac_ipxe,set:uefi-ipxe" \
	"dhcp-host=$mac_host,$LAN_NET.50,lab1" \
	"dhcp-boot=tag:ipxe,http://$LAN_SERVER/boot.ipxe" \
	"dhcp-boot=tag:!ipxe,tag:bios,pxelinux.0,,$LAN_SERVER" \
	"dhcp-boot=tag:!ipxe,tag:efi64,tag:!uefi-ipxe,shimx64.efi,,$LAN_SERVER" \
	"dhcp-boot=tag:!ipxe,tag:efi64,tag:uefi-ipxe,snponly.efi,,$LAN_SERVER" \
	"dhcp-boot=tag:!ipxe,tag:efihttp,http://$LAN_SERVER/snponly.efi" \
	"dhcp-boot=tag:!ipxe,tag:arm64,arm64/shimaa64.efi,,$LAN_SERVER" \
	"dhcp-option-force=tag:efihttp,60,HTTPClient"

probe bios -m 52:54:00:77:02:01 -a 0 -c PXEClient:Arch:00000:UNDI:002001 -r
want bios offer bootfile pxelinux.0
want bios offer siaddr "$LAN_SERVER"
want bios ack bootfile pxelinux.0
want bios ack option17 "nbd:$LAN_SERVER:10809/root"
grep -q "^ack $LAN_SERVER yiaddr $LAN_NET.1[0-4][0-9]$" "$T/bios.out" || fail "bios: no address from the range"
ok "bios: an address from the range"

probe ipxe -m 52:54:00:77:02:01 -a 0 -c PXEClient:Arch:00000:UNDI:002001 -u iPXE -e
want ipxe offer bootfile "http://$LAN_SERVER/boot.ipxe"

probe efi7 -m 52:54:00:77:02:01 -a 7 -c PXEClient:Arch:00007:UNDI:003000
want efi7 offer bootfile shimx64.efi
want efi7 offer siaddr "$LAN_SERVER"
probe efi9 -m 52:54:00:77:02:01 -a 9 -c PXEClient:Arch:00009:UNDI:003000
want efi9 offer bootfile shimx64.efi
probe efi7ipxe -m $mac_ipxe -a 7 -c PXEClient:Arch:00007:UNDI:003000
want efi7ipxe offer bootfile snponly.efi
probe efi7ipxe2 -m $mac_ipxe -a 7 -c PXEClient:Arch:00007:UNDI:003000 -u iPXE -e
want efi7ipxe2 offer bootfile "http://$LAN_SERVER/boot.ipxe"

probe http -m 52:54:00:77:02:01 -a 16 -c HTTPClient:Arch:00016:UNDI:003000
want http offer bootfile "http://$LAN_SERVER/snponly.efi"
want http offer option60 HTTPClient

probe arm64 -m 52:54:00:77:02:01 -a 11 -c PXEClient:Arch:00011:UNDI:003000
want arm64 offer bootfile arm64/shimaa64.efi

probe host -m $mac_host -a 0 -c PXEClient:Arch:00000:UNDI:002001 -r
want host offer yiaddr "$LAN_NET.50"
want host ack yiaddr "$LAN_NET.50"
want host ack bootfile pxelinux.0

# Proxy mode: udhcpd on 10.77.0.2 gives the addresses, dnsmasq only boots.
lan_dnsmasq_stop
lan_netns dhcp2 "$LAN_NET.2/24"
lan_udhcpd dhcp2 "option router $LAN_NET.2"
lan_dnsmasq "dhcp-range=$LAN_NET.0,proxy,255.255.255.0" \
	"enable-tftp" "tftp-root=$T/boot" \
	"dhcp-userclass=set:ipxe,iPXE" \
	"pxe-service=tag:!ipxe,x86PC,pxeroot,pxelinux" \
	"pxe-service=tag:!ipxe,BC_EFI,pxeroot,snponly.efi" \
	"pxe-service=tag:!ipxe,x86-64_EFI,pxeroot,snponly.efi" \
	"dhcp-boot=tag:ipxe,http://$LAN_SERVER/boot.ipxe"

# Port 4011 answers the client's address: the namespace takes one (outside
# udhcpd's range), as a PXE client has the address udhcpd gave it by then.
ip -n cli addr add "$LAN_NET.90/24" dev eth0
probe pbios -m 52:54:00:77:02:11 -a 0 -c PXEClient:Arch:00000:UNDI:002001 -r -p -A $LAN_NET.90
grep -q "^ack $LAN_NET.2 yiaddr $LAN_NET.1[5-9][0-9]$" "$T/pbios.out" || {
	cat "$T/pbios.out"
	fail "proxy bios: no address from udhcpd"
}
ok "proxy bios: the address comes from udhcpd"
want pbios offer yiaddr 0.0.0.0
want pbios offer option60 PXEClient
want pbios proxy bootfile pxelinux.0
want pbios proxy siaddr "$LAN_SERVER"

probe pefi -m 52:54:00:77:02:12 -a 7 -c PXEClient:Arch:00007:UNDI:003000 -r -p -A $LAN_NET.90
want pefi offer option60 PXEClient
want pefi proxy bootfile snponly.efi
