#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pxebootsrv check and run refuse bad input with one line each, naming
# FILE:LINE for configuration errors, exit 1, and leave nothing behind:
# unknown key, bad value, unknown default entry, duplicate section, a missing
# kernel, a missing loader, an incomplete Secure Boot chain, a port in use
# (67, 69, 80, 4011 and 10809, each held by another socket).
# check's DHCP probe reports another DHCP server on the LAN.
. "$(dirname "$0")/../lib.sh"

requires_root
requires pxebootsrv ip dnsmasq busybox python3

ns=pxbc$$
other=pxbo$$
ip netns add "$ns"
cleanup_fn ip netns del "$ns"
ip netns add "$other"
cleanup_fn ip netns del "$other"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns sh -e -c 'ip link set lo up
	ip link add br0 type bridge
	ip addr add 10.78.0.1/24 dev br0
	ip link set br0 up'
ip link add pxbc$$a netns "$ns" type veth peer name eth0 netns "$other"
in_ns ip link set pxbc$$a master br0
in_ns ip link set pxbc$$a up
ip netns exec "$other" sh -e -c 'ip link set lo up; ip addr add 10.78.0.2/24 dev eth0; ip link set eth0 up'

echo kernel >"$T/vmlinuz"
echo initrd >"$T/initrd.img"
good() {
	cat <<EOC
[server]
address = 10.78.0.1
interface = br0
boot-dir = $T/boot
state-dir = $T/state

[dhcp]
mode = full
range = 10.78.0.100 10.78.0.150

[menu]
default = inst

[entry inst]
kind = installer
kernel = $T/vmlinuz
initrd = $T/initrd.img
EOC
}

good >"$T/good.conf"
in_ns pxebootsrv -c "$T/good.conf" check 2>"$T/err" || fail "a good configuration: $(cat "$T/err")"
ok "check passes a good configuration (the DHCP probe finds no other server)"

# bad NAME LINE-WANTED SED-SCRIPT: the configuration good() edited by sed.
bad() {
	local name=$1 want=$2 rc
	good | sed "$3" >"$T/$name.conf"
	for cmd in check run; do
		rc=0
		in_ns pxebootsrv -c "$T/$name.conf" $cmd 2>"$T/err" || rc=$?
		[ "$rc" = 1 ] || fail "$name: $cmd exits $rc"
		[ "$(cat "$T/err")" = "pxebootsrv: ${want//@/$T/$name.conf}" ] ||
			fail "$name: $cmd says: $(cat "$T/err")"
		[ ! -e "$T/state" ] && [ ! -e "$T/boot" ] || fail "$name: $cmd left files behind"
	done
	ok "$name: check and run exit 1 with one line"
}
bad unknown-key "@:3: unknown key 'colour' in [server]" '3i colour = blue'
bad bad-value "@:8: bad value for 'mode': 'sometimes'" 's/^mode = full/mode = sometimes/'
bad default "@:12: default entry 'nothere' is not defined" 's/^default = inst/default = nothere/'
bad duplicate "@:18: section [menu] defined twice" '$a [menu]'
bad bad-section "@:18: bad section header '[entry'" '$a [entry'
# A missing file is reported at the line of the key that names it.
bad no-kernel "@:16: [entry inst] $T/vmlinuz.gone: No such file" 's/^kernel = .*/&.gone/'
bad no-initrd "@:17: [entry inst] $T/initrd.img.gone: No such file" 's/^initrd = .*/&.gone/'
bad arch-localboot "@:18: [entry local] arch = arm64 needs a kernel" '$a [entry local]\nkind = localboot\narch = arm64'

# Loaders from a tree of our own (loader-root): one is missing, then shim's chain.
lr=$T/loaders
for f in /usr/lib/PXELINUX/pxelinux.0 /usr/lib/syslinux/modules/bios/{ldlinux,menu,libutil,libcom32}.c32 \
	/usr/lib/shim/shimx64.efi.signed /usr/lib/shim/mmx64.efi.signed \
	/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed; do
	mkdir -p "$lr$(dirname "$f")"
	cp "$f" "$lr$f"
done
rm "$lr/usr/lib/syslinux/modules/bios/menu.c32"
bad no-loader "missing boot file menu.c32: $lr/usr/lib/syslinux/modules/bios/menu.c32 not found (package syslinux-common)" \
	"/^state-dir/a loader-root = $lr"
cp /usr/lib/syslinux/modules/bios/menu.c32 "$lr/usr/lib/syslinux/modules/bios/"
rm "$lr/usr/lib/shim/mmx64.efi.signed"
bad secure-boot "incomplete Secure Boot chain: shimx64.efi without mmx64.efi ($lr/usr/lib/shim/mmx64.efi.signed, package shim-helpers-amd64-signed)" \
	"/^state-dir/a loader-root = $lr"

# An arm64 entry (its kernel's header says so) on a server without Debian's
# arm64 loaders, which are built for arm64 only: each is named, with its package.
{ head -c 56 /dev/zero; printf 'ARM\x64'; head -c 200 /dev/zero; } >"$T/Image"
good | sed "\$a [entry arm]\nkind = installer\nkernel = $T/Image\ninitrd = $T/initrd.img" >"$T/arm64.conf"
rc=0
in_ns pxebootsrv -c "$T/arm64.conf" check --no-dhcp-probe 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "check exits 1 without the arm64 loaders"
for f in "grubaa64.efi /usr/lib/grub/arm64-efi-signed/grubnetaa64.efi.signed grub-efi-arm64-signed:arm64" \
	"mmaa64.efi /usr/lib/shim/mmaa64.efi.signed shim-helpers-arm64-signed:arm64" \
	"shimaa64.efi /usr/lib/shim/shimaa64.efi.signed shim-signed:arm64"; do
	set -- $f
	grep -qxF "pxebootsrv: missing arm64 boot file $1: $2 not found (package $3, built for arm64 only: unpack it with dpkg-deb -x and copy the file to $T/boot/$1)" "$T/err" ||
		fail "arm64: no line for $1: $(cat "$T/err")"
done
assert_eq 3 "$(wc -l <"$T/err")" "one line per missing arm64 loader"
# A copy in the boot directory is enough (and run leaves it alone).
mkdir -p "$T/boot"
for f in shimaa64.efi grubaa64.efi mmaa64.efi; do echo "$f" >"$T/boot/$f"; done
in_ns pxebootsrv -c "$T/arm64.conf" check --no-dhcp-probe 2>"$T/err" || fail "arm64 loaders in the boot directory: $(cat "$T/err")"
rm -r "$T/boot"
ok "check names each missing arm64 loader and its package; copies in the boot directory satisfy it"
# Or a tree the arm64 packages were unpacked into (arm64-loader-root): the
# arm64 loaders come from it, the others still from /.
alr=$T/arm64-loaders
for f in /usr/lib/shim/shimaa64.efi.signed /usr/lib/shim/mmaa64.efi.signed \
	/usr/lib/grub/arm64-efi-signed/grubnetaa64.efi.signed; do
	mkdir -p "$alr$(dirname "$f")"
	echo "$f" >"$alr$f"
done
sed "/^state-dir/a arm64-loader-root = $alr" "$T/arm64.conf" >"$T/arm64-root.conf"
in_ns pxebootsrv -c "$T/arm64-root.conf" check --no-dhcp-probe 2>"$T/err" ||
	fail "arm64-loader-root: $(cat "$T/err")"
in_ns pxebootsrv -c "$T/arm64-root.conf" render "$T/arm64-render" || fail "render with arm64-loader-root"
grep -qxF "shimaa64.efi $alr/usr/lib/shim/shimaa64.efi.signed shim-signed:arm64" "$T/arm64-render/bootfiles" &&
	grep -qxF "grubaa64.efi $alr/usr/lib/grub/arm64-efi-signed/grubnetaa64.efi.signed grub-efi-arm64-signed:arm64" "$T/arm64-render/bootfiles" &&
	grep -qxF "shimx64.efi /usr/lib/shim/shimx64.efi.signed shim-signed" "$T/arm64-render/bootfiles" || {
	cat "$T/arm64-render/bootfiles"
	fail "arm64-loader-root: the boot files do not come from where they should"
}
rm "$alr/usr/lib/shim/mmaa64.efi.signed"
rc=0
in_ns pxebootsrv -c "$T/arm64-root.conf" check --no-dhcp-probe 2>"$T/err" || rc=$?
assert_eq "1 pxebootsrv: missing arm64 boot file mmaa64.efi: $alr/usr/lib/shim/mmaa64.efi.signed not found (package shim-helpers-arm64-signed:arm64, built for arm64 only: unpack it with dpkg-deb -x and copy the file to $T/boot/mmaa64.efi)" \
	"$rc $(cat "$T/err")" "arm64-loader-root: the arm64 loaders come from that tree, the x86 ones from /; a missing one is named with its path there"

# An ISO entry is for BIOS clients only with uefi = grub (the signed GRUB
# cannot boot one) and with uefi = ipxe without HTTP (sanboot reads it over
# HTTP): check passes and says so in one line, at the iso = line.
echo iso >"$T/rescue.iso"
iso_check() {
	local rc=0
	good | sed "/^default = inst/a $1
\$a [entry rescue]\nkind = iso\niso = $T/rescue.iso${2:+\n$2}" >"$T/iso.conf"
	in_ns pxebootsrv -c "$T/iso.conf" check --no-dhcp-probe 2>"$T/err" || rc=$?
	assert_eq "0 ${3:+pxebootsrv: $T/iso.conf:21: [entry rescue] }$3" "$rc $(cat "$T/err")" \
		"check, an ISO entry, $1${2:+, $2}"
}
iso_check "uefi = grub" "" "BIOS only: UEFI clients boot through shim and GRUB, which cannot boot an ISO image (uefi = ipxe boots it with iPXE's sanboot over HTTP)"
iso_check "uefi = ipxe" "" ""
iso_check "uefi = ipxe" "[http]\nenable = no" "BIOS only: iPXE's sanboot boots an ISO image on UEFI over HTTP, and [http] is off"

# A server that is not installed: a PATH with lighttpd but no dnsmasq.
mkdir -p "$T/bin"
ln -s "$(command -v lighttpd)" "$T/bin/lighttpd"
for cmd in check run; do
	rc=0
	in_ns env PATH="$BUILD:$T/bin" pxebootsrv -c "$T/good.conf" $cmd --no-dhcp-probe 2>"$T/err" || rc=$?
	assert_eq "1 pxebootsrv: dnsmasq is not installed (package dnsmasq-base)" "$rc $(cat "$T/err")" \
		"$cmd names a server that is not installed"
	[ ! -e "$T/state" ] || fail "$cmd left files behind"
done

# A port in use, for each port the servers need: a socket bound with no
# SO_REUSEADDR holds it (DHCP's on the wildcard address, as dnsmasq binds it,
# the others on the server's address). check and run name it in one line;
# run starts nothing and leaves nothing behind.
hold() {
	local proto=$1 addr=$2 port=$3
	rm -f "$T/held"
	ip netns exec "$ns" python3 -c '
import socket, sys, time
proto, addr, port, ready = sys.argv[1:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM)
s.bind((addr, int(port)))
if proto == "tcp":
    s.listen()
open(ready, "w").close()
time.sleep(600)' "$proto" "$addr" "$port" "$T/held" &
	holder=$!
	echo "$holder" >"$T/holder.pid"
	for _ in $(seq 100); do [ -e "$T/held" ] && return 0; sleep 0.1; done
	fail "cannot hold port $port/$proto"
}
echo root >"$T/root.sqfs"
# port_case PORT/PROTO WHAT HOLD-ADDRESS SED-SCRIPT
port_case() {
	local port=${1%/*} proto=${1#*/} what=$2 rc cmd
	good | sed "$4" >"$T/port.conf"
	hold "$proto" "$3" "$port"
	for cmd in run check; do
		rc=0
		in_ns pxebootsrv -c "$T/port.conf" $cmd --no-dhcp-probe 2>"$T/err" || rc=$?
		assert_eq "1 pxebootsrv: port $port/$proto ($what) is already in use" \
			"$rc $(cat "$T/err")" "$cmd names port $port/$proto ($what) when it is taken"
		[ ! -e "$T/state" ] && [ ! -e "$T/boot" ] || fail "$cmd left files behind (port $port)"
		! pgrep -P $$ -x dnsmasq >/dev/null && ! pgrep -x lighttpd -P $$ >/dev/null &&
			! pgrep -x nbdexport -P $$ >/dev/null || fail "$cmd started a server (port $port)"
	done
	kill "$holder"
	wait "$holder" 2>/dev/null || true
}
cleanup_fn sh -c 'kill $(cat "$1" 2>/dev/null) 2>/dev/null; true' - "$T/holder.pid"
port_case 80/tcp HTTP 10.78.0.1 ''
port_case 67/udp DHCP 0.0.0.0 ''
port_case 69/udp TFTP 10.78.0.1 ''
# Proxy DHCP without HTTP (check would add its word on UEFI HTTP boot).
port_case 4011/udp "proxy DHCP" 0.0.0.0 's/^mode = full/mode = proxy/; /^range/d; $a [http]\nenable = no'
# An NBD root makes nbdexport's port needed.
port_case 10809/tcp NBD 10.78.0.1 "\$a [entry nbd]\nkind = pxeroot\nkernel = $T/vmlinuz\ninitrd = $T/initrd.img\nimage = $T/root.sqfs"

# Another DHCP server on the LAN, in the other namespace.
ip netns exec "$other" dnsmasq --keep-in-foreground --port=0 --interface=eth0 --bind-interfaces \
	--dhcp-range=10.78.0.200,10.78.0.210,1h --pid-file= --leasefile-ro --no-ping 2>/dev/null &
other_pid=$!
cleanup_fn kill "$other_pid"
sleep 0.5
rc=0
in_ns pxebootsrv -c "$T/good.conf" check 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "check exits 1 with another DHCP server on the LAN"
grep -Eqx "pxebootsrv: another DHCP server answers on br0: 10.78.0.2 \(offers 10.78.0.2(0[0-9]|10)\)" "$T/err" ||
	fail "probe: $(cat "$T/err")"
ok "check's DHCPDISCOVER names the other server and its offer"
sed 's/^mode = full/mode = proxy/' "$T/good.conf" >"$T/proxy.conf"
in_ns pxebootsrv -c "$T/proxy.conf" check 2>"$T/err" || fail "proxy mode with a DHCP server: $(cat "$T/err")"
# dnsmasq's proxy DHCP answers PXEClient only: check says HTTP boot gets nothing.
http_note="pxebootsrv: UEFI HTTP boot clients get no answer in proxy mode (dnsmasq answers PXEClient only): the DHCP server that gives the addresses must send them the URL, as the dhcpd.conf and kea-dhcp4.json of 'pxebootsrv render' do"
# and says nothing else (README's walk-through shows this).
assert_eq "$http_note" "$(cat "$T/err")" "proxy mode with a DHCP server: the HTTP boot note alone"
in_ns pxebootsrv -c "$T/good.conf" check --no-dhcp-probe 2>"$T/err" || true
grep -q "HTTP boot" "$T/err" && fail "full mode: a word on HTTP boot"
ok "check says UEFI HTTP boot gets no answer in proxy mode, and only there"
kill "$other_pid"
wait "$other_pid" 2>/dev/null || true
rc=0
in_ns pxebootsrv -c "$T/proxy.conf" check 2>"$T/err" || rc=$?
assert_eq "1 $http_note
pxebootsrv: no DHCP server answers on br0: proxy DHCP needs one" "$rc $(cat "$T/err")" \
	"proxy mode needs another DHCP server"
