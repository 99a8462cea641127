#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pxebootsrv's IPv6 settings ([dhcp] ipv6-range, ipv6-address): the rendered
# dnsmasq.conf passes dnsmasq --test, and real dnsmasq started on it, on a LAN
# of the test's own (tests/e2e/lib-lan.sh's bridge with fd78::1/64), answers
# the initramfs's own DHCPv6 client (pxeroot-helper dhcp6) by client
# architecture (option 61): UEFI x86-64 (7 and 9) gets the loader's TFTP URL
# (option 59), which TFTP over IPv6 then serves; a client that names no
# architecture, or BIOS (0), gets an address and no boot file. Settings that
# cannot work are refused by "pxebootsrv check". The client's failures: no
# such interface, no address left in the range, no server.
# timeout: 180
. "$(dirname "$0")/../e2e/lib-lan.sh"

lan_setup
requires dnsmasq busybox pxebootsrv
helper=$BUILD/initrd/skel/sbin/pxeroot-helper
[ -x "$helper" ] || fail "$helper is missing (make)"
mkdir -p "$T/files" "$T/srv/boot"
touch "$T/files/vmlinuz" "$T/files/initrd.img" "$T/files/root.sqfs"
head -c 100000 /dev/urandom >"$T/srv/boot/snponly.efi"

# conf [DHCP-LINES...]: full mode with these lines in [dhcp], iPXE for UEFI.
conf() {
	lan_conf "$T/pxebootsrv.conf" full "uefi = ipxe"
	local l
	for l in "$@"; do
		sed -i "/^\[menu\]/i $l" "$T/pxebootsrv.conf"
	done
	cat >>"$T/pxebootsrv.conf" <<CONF

[entry debian]
kind = pxeroot
kernel = $T/files/vmlinuz
initrd = $T/files/initrd.img
image = $T/files/root.sqfs
CONF
}

# Refused settings, each with the line that says why.
refused() {
	local want=$1
	shift
	conf "$@"
	! pxebootsrv -c "$T/pxebootsrv.conf" check >"$T/check.out" 2>&1 ||
		fail "pxebootsrv check accepts $*"
	grep -q -- "$want" "$T/check.out" || {
		cat "$T/check.out"
		fail "pxebootsrv check: no line says '$want'"
	}
	ok "refused: $* ($want)"
}
refused "'ipv6-range' and 'ipv6-address' go together" "ipv6-range = fd78::100 fd78::1ff"
refused "'ipv6-range' and 'ipv6-address' go together" "ipv6-address = fd78::1"
refused "ipv6-range" "ipv6-range = 10.0.0.1 fd78::1ff" "ipv6-address = fd78::1"
refused "ipv6-address" "ipv6-range = fd78::100 fd78::1ff" "ipv6-address = fd78::1::2"

conf "ipv6-range = fd78::100 fd78::1ff" "ipv6-address = fd78::1"
pxebootsrv -c "$T/pxebootsrv.conf" render "$T/render" || fail "pxebootsrv render"
d=$T/render/dnsmasq.conf
for line in "enable-ra" "dhcp-range=fd78::100,fd78::1ff,64,12h" \
	"dhcp-match=set:efi64v6,option6:61,7" "dhcp-match=set:efi64v6,option6:61,9" \
	"dhcp-option=tag:efi64v6,option6:bootfile-url,tftp://[fd78::1]/snponly.efi"; do
	grep -qxF -- "$line" "$d" || fail "dnsmasq.conf has no line '$line'"
done
ok "dnsmasq.conf: router advertisements, the DHCPv6 range, the loader by architecture"
dnsmasq --test --conf-file="$d" 2>"$T/err" || fail "dnsmasq --test: $(cat "$T/err")"
ok "dnsmasq --test accepts it"

# Without the settings, nothing of IPv6.
conf
pxebootsrv -c "$T/pxebootsrv.conf" render "$T/render4" || fail "pxebootsrv render (IPv4 only)"
! grep -q 'enable-ra\|option6' "$T/render4/dnsmasq.conf" || fail "IPv6 lines without ipv6-range"
ok "without ipv6-range: no IPv6 lines"

# The real thing: dnsmasq on the rendered file, a client in a namespace.
ip addr add fd78::1/64 dev "$LAN_BR" nodad || fail "cannot add fd78::1 to $LAN_BR"
lan_netns cli
lan_dnsmasq_file "$d"
# The client's link-local address must pass duplicate address detection.
for _ in $(seq 1 50); do
	lan_in cli ip -6 -o addr show dev eth0 scope link | grep -v tentative | grep -q inet6 && break
	sleep 0.2
done

# lease NAME [HELPER-ARGS...]: the DHCPv6 lease in $T/NAME.lease, sourced.
lease() {
	local name=$1
	shift
	lan_in cli "$helper" dhcp6 -t 20 "$@" eth0 "$T/$name.lease" 2>"$T/$name.err" || {
		cat "$T/$name.err"
		tail -n 20 "$T/dnsmasq.log"
		fail "$name: pxeroot-helper dhcp6 $*"
	}
	dhcp_ip= dhcp_boot_file=
	. "$T/$name.lease"
	[[ $dhcp_ip == fd78::1[0-9a-f][0-9a-f] ]] || fail "$name: address '$dhcp_ip' is not from the range"
}
lease efi7 -a 7
assert_eq "tftp://[fd78::1]/snponly.efi" "$dhcp_boot_file" "UEFI x86-64 (7): the loader's URL"
lease efi9 -a 9
assert_eq "tftp://[fd78::1]/snponly.efi" "$dhcp_boot_file" "UEFI x86-64 (9): the loader's URL"
lease none
assert_eq "" "$dhcp_boot_file" "no architecture: no boot file"
lease bios -a 0
assert_eq "" "$dhcp_boot_file" "BIOS (0): no boot file"
ok "DHCPv6 answers by client architecture; addresses from the range"

# The URL works: TFTP over IPv6 from the same dnsmasq, once a router
# advertisement made the prefix on-link (dnsmasq sends them every few seconds;
# under load the first may come after the leases).
for _ in $(seq 1 300); do
	lan_in cli ip -6 route show dev eth0 | grep -q '^fd78::/64' && break
	sleep 0.1
done
(cd "$T" && lan_in cli busybox tftp -g -r snponly.efi -l "$T/got.efi" fd78::1) ||
	fail "TFTP over IPv6: cannot fetch snponly.efi from [fd78::1]"
cmp -s "$T/got.efi" "$T/srv/boot/snponly.efi" || fail "TFTP over IPv6: the file differs"
ok "the loader comes over TFTP from [fd78::1]"

# The client's failures, each one line: no such interface; a server with no
# address left for it (status 2, NoAddrsAvail, in the ADVERTISE); no server.
# nofail NAME ERE HELPER-ARGS...: exit 1, no lease file, ERE on stderr.
nofail() {
	local name=$1 ere=$2
	shift 2
	expect_exit 1 lan_in cli "$helper" dhcp6 "$@" "$T/$name.lease" 2>"$T/$name.err"
	[ ! -e "$T/$name.lease" ] || fail "$name: a lease file was written"
	grep -Eq "$ere" "$T/$name.err" || {
		cat "$T/$name.err"
		fail "$name: no line matches /$ere/"
	}
	[ "$(wc -l <"$T/$name.err")" = 1 ] || fail "$name: more than one line: $(cat "$T/$name.err")"
	ok "$name: $(cat "$T/$name.err")"
}
nofail noiface '^pxeroot: dhcp6: no interface nosuch0$' -t 2 nosuch0
lan_dnsmasq_stop
rm -f "$T/dnsmasq.leases"
sed 's/^dhcp-range=fd78::.*/dhcp-range=fd78::100,fd78::100,64,1h/' "$d" >"$T/one.conf"
lan_dnsmasq_file "$T/one.conf"
lan_netns cli2
for _ in $(seq 1 50); do
	lan_in cli2 ip -6 -o addr show dev eth0 scope link | grep -v tentative | grep -q inet6 && break
	sleep 0.2
done
lan_in cli2 "$helper" dhcp6 -t 20 eth0 "$T/cli2.lease" 2>"$T/cli2.err" || {
	cat "$T/cli2.err"
	fail "the one address of the range did not go to the first client"
}
grep -qx "dhcp_ip='fd78::100'" "$T/cli2.lease" || fail "the first client did not get fd78::100"
ok "a range of one address: the first client gets it"
nofail noaddr 'dhcp6: the DHCPv6 server on eth0 has no address for this client \(status 2\)$' -t 4 eth0
lan_dnsmasq_stop
nofail noserver 'dhcp6: no ADVERTISE from a DHCPv6 server on eth0 in 3 s$' -t 3 eth0
