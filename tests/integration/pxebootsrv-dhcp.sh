#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The DHCP answers of the boot server "pxebootsrv run" starts,
# asked by dhcpprobe as each kind of network boot client would, on a LAN of
# the test's own (tests/e2e/lib-lan.sh):
#   full mode, default paths: BIOS (pxelinux.0), iPXE (the script's URL),
#   UEFI x86-64 (7 and 9: shim), UEFI HTTP boot (a URL and option 60
#   HTTPClient), arm64 UEFI (11), a [host] with its own address and name,
#   root-path (option 17);
#   full mode, bios = ipxe and uefi = ipxe: undionly.kpxe and snponly.efi,
#   and the script once iPXE runs;
#   proxy mode, next to BusyBox's udhcpd that gives the addresses: the
#   client sees udhcpd's address and the proxy's PXE offer, and port 4011
#   names its boot file.
# timeout: 300
. "$(dirname "$0")/../e2e/lib-lan.sh"

lan_setup
requires dnsmasq busybox pxebootsrv lighttpd mksquashfs nbdexport
DHCPPROBE=$BUILD/tests/dhcpprobe
[ -x "$DHCPPROBE" ] || fail "$DHCPPROBE is missing (make)"
lan_netns cli
mkdir -p "$T/files"
touch "$T/files/vmlinuz" "$T/files/initrd.img"
mkdir "$T/files/tree"
mksquashfs "$T/files/tree" "$T/files/root.sqfs" -quiet >/dev/null || fail "mksquashfs"

mac_host=52:54:00:77:02:03
bios=(-a 0 -c PXEClient:Arch:00000:UNDI:002001)
efi7=(-a 7 -c PXEClient:Arch:00007:UNDI:003000)
efi9=(-a 9 -c PXEClient:Arch:00009:UNDI:003000)
efihttp=(-a 16 -c HTTPClient:Arch:00016:UNDI:003000)
arm64=(-a 11 -c PXEClient:Arch:00011:UNDI:003000)
ipxe=(-u iPXE -e)

# conf MODE [MENU-LINES...]: a pxebootsrv.conf in $T/pxebootsrv.conf
conf() {
	local mode=$1
	shift
	cat >"$T/pxebootsrv.conf" <<CONF
[server]
address = $LAN_SERVER
interface = $LAN_BR
boot-dir = $T/srv/boot
state-dir = $T/state

[dhcp]
mode = $mode
$([ "$mode" = full ] && printf 'range = %s %s\nrouter = %s\n' "$LAN_NET.100" "$LAN_NET.149" "$LAN_SERVER")

[menu]
timeout = 1
$(printf '%s\n' "$@")

[entry debian]
kind = pxeroot
kernel = $T/files/vmlinuz
initrd = $T/files/initrd.img
image = $T/files/root.sqfs

[host $mac_host]
address = $LAN_NET.50
name = lab1
CONF
	[ "$mode" = full ] || sed -i '/^address = 10.77.0.50$/d; /^name = lab1$/d' "$T/pxebootsrv.conf"
}

# probe NAME DHCPPROBE-ARGS...: the answers in $T/NAME.out
probe() {
	local name=$1
	shift
	lan_in cli "$DHCPPROBE" -i eth0 -t 4000 "$@" >"$T/$name.out" 2>"$T/$name.err" || {
		cat "$T/$name.err" "$T/$name.out"
		tail -n 20 "$LAN_LOG"
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

# Full mode, the default paths.
conf full "default = debian"
lan_pxebootsrv "$T/pxebootsrv.conf"
probe bios -m 52:54:00:77:02:01 "${bios[@]}" -r
want bios offer bootfile pxelinux.0
want bios offer siaddr "$LAN_SERVER"
want bios ack bootfile pxelinux.0
want bios ack siaddr "$LAN_SERVER"
want bios ack option17 "nbd:$LAN_SERVER:10809/debian"
grep -q "^ack $LAN_SERVER yiaddr $LAN_NET.1[0-4][0-9]$" "$T/bios.out" || fail "bios: no address from the range"
ok "bios: an address from the range"

probe ipxe -m 52:54:00:77:02:01 "${bios[@]}" "${ipxe[@]}"
want ipxe offer bootfile "http://$LAN_SERVER/boot.ipxe"
probe efi7 -m 52:54:00:77:02:01 "${efi7[@]}"
want efi7 offer bootfile shimx64.efi
want efi7 offer siaddr "$LAN_SERVER"
probe efi9 -m 52:54:00:77:02:01 "${efi9[@]}"
want efi9 offer bootfile shimx64.efi
probe efiipxe -m 52:54:00:77:02:01 "${efi7[@]}" "${ipxe[@]}"
want efiipxe offer bootfile "http://$LAN_SERVER/boot.ipxe"
probe http -m 52:54:00:77:02:01 "${efihttp[@]}"
want http offer bootfile "http://$LAN_SERVER/shimx64.efi"
want http offer option60 HTTPClient
probe noarch -m 52:54:00:77:02:01 -c PXEClient:Arch:00007:UNDI:003000
want noarch offer bootfile shimx64.efi
probe host -m $mac_host "${bios[@]}" -r
want host offer yiaddr "$LAN_NET.50"
want host ack yiaddr "$LAN_NET.50"
want host ack option12 lab1
want host ack bootfile pxelinux.0
probe arm64 -m 52:54:00:77:02:01 "${arm64[@]}"
if grep -Eq "^offer $LAN_SERVER (file|option67) " "$T/arm64.out"; then
	fail "arm64: a boot file for a server without arm64 loaders: $(cat "$T/arm64.out")"
fi
ok "arm64: no boot file while the entries are not arm64"
lan_pxebootsrv_stop

# Full mode, iPXE for BIOS and UEFI.
conf full "default = debian" "bios = ipxe" "uefi = ipxe"
lan_pxebootsrv "$T/pxebootsrv.conf"
probe ibios -m 52:54:00:77:02:01 "${bios[@]}"
want ibios offer bootfile undionly.kpxe
probe iefi -m 52:54:00:77:02:01 "${efi7[@]}"
want iefi offer bootfile snponly.efi
probe iefi2 -m 52:54:00:77:02:01 "${efi7[@]}" "${ipxe[@]}"
want iefi2 offer bootfile "http://$LAN_SERVER/boot.ipxe"
lan_pxebootsrv_stop

# Proxy mode: udhcpd on 10.77.0.2 gives the addresses, dnsmasq only boots.
lan_netns dhcp2 "$LAN_NET.2/24"
lan_udhcpd dhcp2 "option router $LAN_NET.2" "siaddr $LAN_SERVER"
conf proxy "default = debian" "uefi = ipxe"
lan_pxebootsrv "$T/pxebootsrv.conf"
# Port 4011 answers the client's address: the namespace takes one (outside
# udhcpd's range), as a PXE client has the address udhcpd gave it by then.
ip -n cli addr add "$LAN_NET.90/24" dev eth0
probe pbios -m 52:54:00:77:02:11 "${bios[@]}" -r -p -A $LAN_NET.90
grep -q "^ack $LAN_NET.2 yiaddr $LAN_NET.1[5-9][0-9]$" "$T/pbios.out" || {
	cat "$T/pbios.out"
	fail "proxy bios: no address from udhcpd"
}
ok "proxy bios: the address comes from udhcpd"
want pbios offer yiaddr 0.0.0.0
want pbios offer option60 PXEClient
want pbios proxy bootfile pxelinux.0
want pbios proxy siaddr "$LAN_SERVER"
probe pefi -m 52:54:00:77:02:12 "${efi7[@]}" -r -p -A $LAN_NET.90
want pefi offer option60 PXEClient
want pefi proxy bootfile snponly.efi
probe pipxe -m 52:54:00:77:02:13 "${bios[@]}" "${ipxe[@]}"
want pipxe offer bootfile "http://$LAN_SERVER/boot.ipxe"
