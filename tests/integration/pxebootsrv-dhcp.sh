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
#   and the script once iPXE runs; the same for one [host] only, in full and
#   in proxy mode;
#   full mode with an arm64 entry: arm64 UEFI clients get the arm64 shim;
#   proxy mode, next to BusyBox's udhcpd that gives the addresses: the
#   client sees udhcpd's address and the proxy's PXE offer, and port 4011
#   names its boot file (undionly.kpxe with bios = ipxe, pxelinux.0 without); an HTTP boot client gets no answer from the proxy;
#   an arm64 entry found by its kernel's header: arm64 clients get
#   shimaa64.efi in proxy and in full mode.
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
mac_own=52:54:00:77:02:20
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
	lan_conf "$T/pxebootsrv.conf" "$mode" "$@"
	cat >>"$T/pxebootsrv.conf" <<CONF

[entry debian]
kind = pxeroot
kernel = $T/files/vmlinuz
initrd = $T/files/initrd.img
image = $T/files/root.sqfs

[host $mac_host]
address = $LAN_NET.50
name = lab1

[host $mac_own]
bios = ipxe
uefi = ipxe
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
# A host of its own paths (bios = ipxe, uefi = ipxe), the others unchanged.
probe obios -m $mac_own "${bios[@]}"
want obios offer bootfile undionly.kpxe
probe oefi -m $mac_own "${efi7[@]}"
want oefi offer bootfile snponly.efi
probe arm64 -m 52:54:00:77:02:01 "${arm64[@]}"
if grep -Eq "^offer $LAN_SERVER (file|option67) " "$T/arm64.out"; then
	fail "arm64: a boot file for a server without arm64 entries: $(cat "$T/arm64.out")"
fi
ok "arm64: no boot file while no entry is arm64"
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

# Full mode with an arm64 entry. Debian builds the arm64 loaders on arm64
# only: the boot directory has copies (empty here: nothing boots them).
conf full "default = debian"
cat >>"$T/pxebootsrv.conf" <<CONF

[entry debian-arm64]
kind = pxeroot
arch = arm64
kernel = $T/files/vmlinuz
initrd = $T/files/initrd.img
image = $T/files/root.sqfs
CONF
touch "$T/srv/boot/shimaa64.efi" "$T/srv/boot/mmaa64.efi" "$T/srv/boot/grubaa64.efi"
lan_pxebootsrv "$T/pxebootsrv.conf"
probe arm64b -m 52:54:00:77:02:01 "${arm64[@]}"
want arm64b offer bootfile shimaa64.efi
want arm64b offer siaddr "$LAN_SERVER"
probe efi7b -m 52:54:00:77:02:01 "${efi7[@]}"
want efi7b offer bootfile shimx64.efi
lan_pxebootsrv_stop

# Proxy mode: udhcpd on 10.77.0.2 gives the addresses, dnsmasq only boots.
lan_netns dhcp2 "$LAN_NET.2/24"
lan_udhcpd dhcp2 "option router $LAN_NET.2" "siaddr $LAN_SERVER"
conf proxy "default = debian" "bios = ipxe" "uefi = ipxe"
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
want pbios proxy bootfile undionly.kpxe
want pbios proxy siaddr "$LAN_SERVER"
probe pefi -m 52:54:00:77:02:12 "${efi7[@]}" -r -p -A $LAN_NET.90
want pefi offer option60 PXEClient
want pefi proxy bootfile snponly.efi
probe pipxe -m 52:54:00:77:02:13 "${bios[@]}" "${ipxe[@]}"
want pipxe offer bootfile "http://$LAN_SERVER/boot.ipxe"

# Proxy mode and UEFI HTTP boot: dnsmasq answers a proxy request only when the
# vendor class starts with PXEClient, so HTTPClient gets udhcpd's address and
# nothing from the boot server (check and run say so).
probe phttp -m 52:54:00:77:02:14 "${efihttp[@]}"
grep -q "^offer $LAN_NET.2 " "$T/phttp.out" || fail "proxy http: no offer from udhcpd: $(cat "$T/phttp.out")"
if grep -q "^offer $LAN_SERVER " "$T/phttp.out"; then
	fail "proxy http: the boot server answered: $(cat "$T/phttp.out")"
fi
ok "proxy http: an HTTPClient gets no answer from dnsmasq's proxy DHCP"
lan_pxebootsrv_stop

# An arm64 entry (its kernel's header says arm64): arm64 clients get
# shimaa64.efi in full and in proxy mode. Debian's arm64 loaders are not
# installable here: copies in the boot directory stand in for them.
{ head -c 56 /dev/zero; printf 'ARM\x64'; head -c 200 /dev/zero; } >"$T/files/Image"
mkdir -p "$T/srv/boot"
for f in shimaa64.efi grubaa64.efi mmaa64.efi; do echo "$f" >"$T/srv/boot/$f"; done
arm_entry() {
	printf '\n[entry arm]\nkind = pxeroot\nkernel = %s\ninitrd = %s\nimage = %s\n' \
		"$T/files/Image" "$T/files/initrd.img" "$T/files/root.sqfs" >>"$T/pxebootsrv.conf"
}
conf proxy "default = debian"
arm_entry
lan_pxebootsrv "$T/pxebootsrv.conf"
probe parm -m 52:54:00:77:02:15 "${arm64[@]}" -r -p -A $LAN_NET.90
want parm offer option60 PXEClient
want parm proxy bootfile shimaa64.efi
want parm proxy siaddr "$LAN_SERVER"
probe pefi2 -m 52:54:00:77:02:16 "${efi7[@]}" -r -p -A $LAN_NET.90
want pefi2 proxy bootfile shimx64.efi
probe pbios2 -m 52:54:00:77:02:18 "${bios[@]}" -r -p -A $LAN_NET.90
want pbios2 proxy bootfile pxelinux.0
probe pobios -m $mac_own "${bios[@]}" -r -p -A $LAN_NET.90
want pobios proxy bootfile undionly.kpxe
lan_pxebootsrv_stop
conf full "default = debian"
arm_entry
lan_pxebootsrv "$T/pxebootsrv.conf"
probe farm -m 52:54:00:77:02:17 "${arm64[@]}"
want farm offer bootfile shimaa64.efi
want farm offer siaddr "$LAN_SERVER"
lan_pxebootsrv_stop
