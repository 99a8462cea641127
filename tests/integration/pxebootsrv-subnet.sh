#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# [server] subnet: a /16 with the server's address inside sets what full
# DHCP hands out (its netmask), what proxy DHCP answers for
# (dhcp-range=NETWORK,proxy,MASK) and who may mount NFS roots (the exports
# line, ganesha.conf's Clients), and dnsmasq --test accepts both modes; each
# misfit (a bad subnet, host bits, the address, the range, the router, a
# host's address outside, a netmask that disagrees) fails render with one
# FILE:LINE line and writes nothing. check names an interface whose prefix
# is not the subnet's (dnsmasq would not offer the range there).
. "$(dirname "$0")/../lib.sh"

requires_root
requires pxebootsrv dnsmasq lighttpd ip

mkdir -p "$T/tree"
touch "$T/vmlinuz" "$T/initrd.img"
# conf MODE: a configuration on 10.77.0.0/16, the server at 10.77.0.1.
conf() {
	cat <<EOC
[server]
address = 10.77.0.1
subnet = 10.77.0.0/16
boot-dir = $T/boot

[dhcp]
mode = $1
range = 10.77.1.1 10.77.4.254
router = 10.77.255.254

[entry debian]
kind = pxeroot
kernel = $T/vmlinuz
initrd = $T/initrd.img
root = nfs
tree = $T/tree

[host 52:54:00:77:00:09]
address = 10.77.200.9
EOC
}

conf full >"$T/full.conf"
pxebootsrv -c "$T/full.conf" render "$T/full" 2>"$T/err" || fail "render full: $(cat "$T/err")"
grep -qx 'dhcp-range=10.77.1.1,10.77.4.254,255.255.0.0,12h' "$T/full/dnsmasq.conf" ||
	fail "full: $(grep dhcp-range "$T/full/dnsmasq.conf")"
grep -qx "$T/tree 10.77.0.0/16(ro,no_subtree_check,no_root_squash,fsid=1)" "$T/full/exports" ||
	fail "exports: $(cat "$T/full/exports")"
grep -qx $'\t\tClients = 10.77.0.0/16;' "$T/full/ganesha.conf" ||
	fail "ganesha.conf: $(grep Clients "$T/full/ganesha.conf")"
dnsmasq --test -C "$T/full/dnsmasq.conf" 2>"$T/err" || fail "dnsmasq --test full: $(cat "$T/err")"
ok "full: the subnet's netmask with the range, NFS roots for the whole /16; dnsmasq --test accepts it"

conf proxy >"$T/proxy.conf"
pxebootsrv -c "$T/proxy.conf" render "$T/proxy" 2>"$T/err" || fail "render proxy: $(cat "$T/err")"
grep -qx 'dhcp-range=10.77.0.0,proxy,255.255.0.0' "$T/proxy/dnsmasq.conf" ||
	fail "proxy: $(grep dhcp-range "$T/proxy/dnsmasq.conf")"
dnsmasq --test -C "$T/proxy/dnsmasq.conf" 2>"$T/err" || fail "dnsmasq --test proxy: $(cat "$T/err")"
ok "proxy: dhcp-range names the subnet's network and netmask; dnsmasq --test accepts it"

# Without subnet, the address and [dhcp] netmask make it, as before.
sed '/^subnet = /d; s/^router = .*/netmask = 255.255.0.0/' "$T/proxy.conf" >"$T/mask.conf"
pxebootsrv -c "$T/mask.conf" render "$T/mask" 2>"$T/err" || fail "render mask: $(cat "$T/err")"
grep -qx 'dhcp-range=10.77.0.0,proxy,255.255.0.0' "$T/mask/dnsmasq.conf" ||
	fail "netmask only: $(grep dhcp-range "$T/mask/dnsmasq.conf")"
ok "without subnet, the address and the netmask give the same network"

# bad NAME WANT SED-SCRIPT: the full configuration edited by sed fails render
# with the one line WANT (@ for the file) and leaves no directory.
bad() {
	local rc=0
	conf full | sed "$3" >"$T/$1.conf"
	pxebootsrv -c "$T/$1.conf" render "$T/$1" 2>"$T/err" || rc=$?
	assert_eq 1 "$rc" "$1: render's exit status"
	assert_eq "pxebootsrv: ${2//@/$T/$1.conf}" "$(cat "$T/err")" "$1: the error"
	[ ! -e "$T/$1" ] || fail "$1: render wrote $T/$1"
}
bad no-prefix "@:3: bad value for 'subnet': '10.77.0.0'" 's|^subnet = .*|subnet = 10.77.0.0|'
bad prefix "@:3: bad value for 'subnet': '10.77.0.0/33'" 's|^subnet = .*|subnet = 10.77.0.0/33|'
bad host-bits "@:3: subnet 10.77.0.1/16 has host bits set: the network is 10.77.0.0/16" \
	's|^subnet = .*|subnet = 10.77.0.1/16|'
bad address "@:3: address 10.78.0.1 is not in subnet 10.77.0.0/16" \
	's|^address = 10.77.0.1$|address = 10.78.0.1|'
bad range "@:8: range 10.77.1.1 10.77.4.254 is not inside subnet 10.77.0.0/22" \
	's|^subnet = .*|subnet = 10.77.0.0/22|; s|^router = .*|router = 10.77.3.254|; s|^address = 10.77.200.9|address = 10.77.2.9|'
bad backwards "@:8: range 10.77.4.254 10.77.1.1 ends before it starts" \
	's|^range = .*|range = 10.77.4.254 10.77.1.1|'
bad router "@:9: router 10.78.0.1 is not in subnet 10.77.0.0/16" \
	's|^router = .*|router = 10.78.0.1|'
bad host "@:19: [host 52:54:00:77:00:09] address 10.78.0.9 is not in subnet 10.77.0.0/16" \
	's|^address = 10.77.200.9|address = 10.78.0.9|'
bad netmask "@:10: netmask 255.255.255.0 does not match subnet 10.77.0.0/16" \
	'/^router = /a netmask = 255.255.255.0'
bad mask-holes "@:10: bad value for 'netmask': '255.0.255.0'" \
	'/^router = /a netmask = 255.0.255.0'
ok "each misfit of the subnet fails render with one FILE:LINE line and writes nothing"

# check, in a namespace whose bridge holds the address: with a /24 there the
# /16's range is not offered, and check says so; with the /16 it is quiet.
ns=pxsn$$
ip netns add "$ns"
cleanup_fn ip netns del "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add br0 type bridge
ip -n "$ns" addr add 10.77.0.1/24 dev br0
ip -n "$ns" link set br0 up
sed 's/^address = 10.77.0.1$/&\ninterface = br0/' "$T/full.conf" >"$T/if.conf"
rc=0
ip netns exec "$ns" pxebootsrv -c "$T/if.conf" check --no-dhcp-probe 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "check's exit status with a /24 on the interface"
assert_eq "pxebootsrv: 10.77.0.1 is on br0 with prefix /24, not the subnet's 10.77.0.0/16" \
	"$(cat "$T/err")" "check's line"
ip -n "$ns" addr del 10.77.0.1/24 dev br0
ip -n "$ns" addr add 10.77.0.1/16 dev br0
ip netns exec "$ns" pxebootsrv -c "$T/if.conf" check --no-dhcp-probe 2>"$T/err" ||
	fail "check with the /16 on the interface: $(cat "$T/err")"
ok "check names an interface whose prefix is not the subnet's, and passes it once it is"
