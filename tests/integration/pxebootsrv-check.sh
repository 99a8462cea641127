#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pxebootsrv check and run refuse bad input with one line each, naming
# FILE:LINE for configuration errors, exit 1, and leave nothing behind:
# unknown key, bad value, unknown default entry, duplicate section, a missing
# kernel, a missing loader, an incomplete Secure Boot chain, a port in use.
# check's DHCP probe reports another DHCP server on the LAN.
. "$(dirname "$0")/../lib.sh"

requires_root
requires pxebootsrv ip dnsmasq busybox

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
bad no-kernel "@:14: [entry inst] $T/vmlinuz.gone: No such file" 's/^kernel = .*/&.gone/'

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

# A port in use: busybox httpd holds the HTTP port; run starts nothing.
ip netns exec "$ns" busybox httpd -f -p 10.78.0.1:80 -h "$T" &
httpd=$!
cleanup_fn kill "$httpd"
for _ in $(seq 50); do in_ns ss -Hltn 'sport = :80' | grep -q . && break; sleep 0.1; done
good >"$T/port.conf"
rc=0
in_ns pxebootsrv -c "$T/port.conf" run 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "run exits 1 when a port is taken"
assert_eq "pxebootsrv: port 80/tcp (HTTP) is already in use" "$(cat "$T/err")" "run names the port"
[ ! -e "$T/state" ] && [ ! -e "$T/boot" ] || fail "run left files behind"
pgrep -x dnsmasq -P $$ >/dev/null && fail "a dnsmasq was started"
in_ns pxebootsrv -c "$T/port.conf" check --no-dhcp-probe 2>"$T/err" && fail "check passed with the port taken"
assert_eq "pxebootsrv: port 80/tcp (HTTP) is already in use" "$(cat "$T/err")" "check names the port"
kill "$httpd"
wait "$httpd" 2>/dev/null || true

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
kill "$other_pid"
wait "$other_pid" 2>/dev/null || true
rc=0
in_ns pxebootsrv -c "$T/proxy.conf" check 2>"$T/err" || rc=$?
assert_eq "1 pxebootsrv: no DHCP server answers on br0: proxy DHCP needs one" "$rc $(cat "$T/err")" \
	"proxy mode needs another DHCP server"
