#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# IPv6 only for the root: QEMU's user-mode networking with IPv6 sends router
# advertisements for fec0::/64 and forwards the guest's connections to
# [fec0::2] to the host's [::1]. Two boots:
#   1. SLAAC (ip=auto6), the root from nbdexport listening on [::1] only
#      (root=nbd:[fec0::2]:PORT/EXPORT); nameserver=[v6] reaches resolv.conf;
#   2. dracut's static form ip=[ADDRESS]::[GATEWAY]:PREFIX::eth0:none and an
#      NFSv4 root from nfs-ganesha (root=nfs4:[fec0::2]:/PATH).
# Then an IPv6-only LAN of the test's own (lib-lan.sh's bridge, fd77::1/64)
# where real dnsmasq sends router advertisements and answers DHCPv6
# (stateful); the clients boot with ip=dhcp6:
#   3. root=dhcp6: the root from the DHCPv6 boot file parameter (option 60),
#      an NFSv4 root at [fd77::1]; the DNS servers and search list (options
#      23, 24) reach resolv.conf;
#   4. root=dhcp6: the root from the DHCPv6 boot file URL (option 59), an
#      http://[fd77::1]/ image downloaded into RAM (a literal IPv6 URL);
#   5. root=nbd:[fd77::1]:10809/root named on the command line.
# timeout: 900
. "$(dirname "$0")/lib-lan.sh"

boot_setup
lan_setup
requires nbdexport dnsmasq
boot_initramfs

boot_root "$T/tree"
head -c 1M /dev/urandom >"$T/tree/data"
want_md5=$(md5sum <"$T/tree/data" | cut -d ' ' -f 1)
cat >"$T/tree/sbin/init.extra" <<'EXTRA'
ip -6 -o addr show dev eth0 | grep -v 'scope link' | sed 's/^/ADDR6 /'
ip -4 -o addr show dev eth0 | sed 's/^/ADDR4 /'
[ -f /run/pxeroot/resolv.conf ] && sed 's/^/RESOLV /' /run/pxeroot/resolv.conf
echo 3 >/proc/sys/vm/drop_caches
echo "DATA-MD5 $(md5sum </data | cut -d ' ' -f 1)"
EXTRA
chmod 0755 "$T/tree/sbin/init.extra"
boot_squashfs "$T/tree" "$T/root.sqfs"

# Only on IPv6 loopback: an IPv4 connection could not reach it.
start_server -P "$T/nbdexport.pid" -w 10809 \
	nbdexport -f -q --pidfile "$T/nbdexport.pid" -l '[::1]' -p 10809 "$T/root.sqfs=root"
ss -ltnH | grep -q '\[::1\]:10809' || fail "nbdexport does not listen on [::1]:10809"
! ss -ltnH | grep -q '127\.0\.0\.1:10809' || fail "nbdexport listens on IPv4 too"
ok "nbdexport listens on [::1]:10809 only"

boot "$T/auto6.log" "root=nbd:[fec0::2]:10809/root ip=auto6 nameserver=[fec0::3]" \
	-netdev user,id=n0,ipv6=on,ipv6-net=fec0::/64 -device virtio-net-pci,netdev=n0
expect_booted "$T/auto6.log" "root=nbd:[fec0::2] ip=auto6"
ok "IPv6 NBD root booted in $BOOT_SECS s"
expect_line "$T/auto6.log" "^ENV net.env METHOD='auto6'" "net.env: the method is auto6"
expect_line "$T/auto6.log" "^ENV net.env ADDRESS='fec0::[0-9a-f:]+'" "SLAAC gave an address in fec0::/64"
expect_line "$T/auto6.log" "^ENV net.env PREFIX='64'" "net.env: the prefix is 64"
expect_line "$T/auto6.log" "^ENV net.env GATEWAY='fe80::[0-9a-f:]+'" "the router advertisement gave the default route"
expect_line "$T/auto6.log" '^ADDR6 .* inet6 fec0::[0-9a-f:]+/64 ' "eth0 holds the global address"
! grep -q '^ADDR4 ' "$T/auto6.log" || fail "auto6: eth0 has an IPv4 address"
ok "auto6: no IPv4 address on eth0"
expect_line "$T/auto6.log" '^RESOLV nameserver fec0::3$' "nameserver=[fec0::3] is in resolv.conf"
expect_line "$T/auto6.log" 'pxeroot: root: .* attached to fec0::2:10809/root' "the NBD root is attached over IPv6"
expect_line "$T/auto6.log" "^DATA-MD5 $want_md5\$" "the root reads back over IPv6"

# 2. A static IPv6 address and NFSv4 over IPv6.
start_rpcbind
start_ganesha "$(ganesha_export 1 "$T/tree" /v6root)"
ss -ltnH | grep -Eq '(\[::\]|\*|\[::1\]):2049 ' || fail "nfs-ganesha does not listen on IPv6"
boot "$T/static6.log" "root=nfs4:[fec0::2]:/v6root ip=[fec0::50]::[fec0::2]:64:client6:eth0:none" \
	-netdev user,id=n0,ipv6=on,ipv6-net=fec0::/64 -device virtio-net-pci,netdev=n0
expect_booted "$T/static6.log" "root=nfs4:[fec0::2] ip=[fec0::50]"
ok "IPv6 NFSv4 root booted in $BOOT_SECS s"
expect_line "$T/static6.log" "^ENV net.env METHOD='static'" "net.env: the method is static"
expect_line "$T/static6.log" "^ENV net.env ADDRESS='fec0::50'" "net.env: the static IPv6 address"
expect_line "$T/static6.log" "^ENV net.env GATEWAY='fec0::2'" "net.env: the IPv6 gateway"
expect_line "$T/static6.log" '^ADDR6 .* inet6 fec0::50/64 ' "eth0 holds fec0::50/64"
expect_line "$T/static6.log" '^MOUNT /run/pxeroot/lower nfs4 \[fec0::2\]:/v6root$' "the root is NFSv4 from [fec0::2]"
expect_line "$T/static6.log" "^DATA-MD5 $want_md5\$" "the root reads back over NFSv4 on IPv6"

# 3-5. DHCPv6 from dnsmasq on an IPv6-only LAN. The bridge's address needs no
# duplicate address detection: nothing else is on the LAN yet.
ip addr add fd77::1/64 dev "$LAN_BR" nodad || fail "cannot add fd77::1 to $LAN_BR"
start_server -P "$T/nbdexport6.pid" -w 10809 \
	nbdexport -f -q --pidfile "$T/nbdexport6.pid" -l '[fd77::1]' -p 10809 "$T/root.sqfs=root"
mkdir -p "$T/www"
cp "$T/root.sqfs" "$T/www/root.sqfs"
(cd "$T/www" && sha256sum root.sqfs >root.sqfs.sha256)
start_server -P "$T/httpd6.pid" -w 80 \
	bash -c "echo \$\$ >'$T/httpd6.pid'; exec busybox httpd -f -p '[fd77::1]:80' -h '$T/www'"
# dhcp6_conf LINES...: dnsmasq with router advertisements (M flag: addresses
# from DHCPv6 only), a stateful range and the DNS options.
dhcp6_conf() {
	lan_dnsmasq_stop
	lan_dnsmasq "enable-ra" "dhcp-range=fd77::100,fd77::1ff,64,1h" \
		"dhcp-option=option6:dns-server,[fd77::53]" \
		"dhcp-option=option6:domain-search,lan.example" "$@"
}
v6lan_boot() {
	local name=$1 append=$2 tap=pxrt6$((++_v6n))
	lan_tap "$tap"
	boot "$T/$name.log" "$append" \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
		-device "virtio-net-pci,netdev=n0,mac=52:54:00:00:06:0$_v6n"
}
_v6n=0

dhcp6_conf "dhcp-option=option6:bootfile-param,\"nfs4:[fd77::1]:/v6root\""
v6lan_boot dhcp6-nfs "root=dhcp6 ip=dhcp6"
expect_booted "$T/dhcp6-nfs.log" "ip=dhcp6 root=dhcp6 (NFSv4 from option 60)"
expect_line "$T/dhcp6-nfs.log" "^ENV net.env METHOD='dhcp6'" "net.env: the method is dhcp6"
expect_line "$T/dhcp6-nfs.log" "^ENV net.env ADDRESS='fd77::1[0-9a-f]{2}'" "the address is from dnsmasq's DHCPv6 range"
expect_line "$T/dhcp6-nfs.log" '^ADDR6 .* inet6 fd77::1[0-9a-f]{2}/128 ' "eth0 holds the leased address"
expect_line "$T/dhcp6-nfs.log" "^ENV net.env SERVER_ID='fe80::[0-9a-f:]+'" "net.env: the DHCPv6 server"
expect_line "$T/dhcp6-nfs.log" "^ENV net.env LEASE_TIME='3600'" "net.env: the lease time"
! grep -q '^ADDR4 ' "$T/dhcp6-nfs.log" || fail "dhcp6: eth0 has an IPv4 address"
expect_line "$T/dhcp6-nfs.log" '^RESOLV nameserver fd77::53$' "option 23: the DNS server is in resolv.conf"
expect_line "$T/dhcp6-nfs.log" '^RESOLV search lan.example$' "option 24: the search list is in resolv.conf"
expect_line "$T/dhcp6-nfs.log" "pxeroot: root: DHCP root-path 'nfs4:\[fd77::1\]:/v6root'" "option 60 names the root"
expect_line "$T/dhcp6-nfs.log" '^MOUNT /run/pxeroot/lower nfs4 \[fd77::1\]:/v6root$' "the root is NFSv4 from [fd77::1]"
expect_line "$T/dhcp6-nfs.log" "^DATA-MD5 $want_md5\$" "the root reads back over NFSv4 (DHCPv6)"

dhcp6_conf "dhcp-option=option6:bootfile-url,http://[fd77::1]/root.sqfs"
v6lan_boot dhcp6-http "root=dhcp6 ip=dhcp6"
expect_booted "$T/dhcp6-http.log" "ip=dhcp6 root=dhcp6 (HTTP image from option 59)"
expect_line "$T/dhcp6-http.log" "^ENV net.env BOOT_FILE='http://\[fd77::1\]/root.sqfs'" "net.env: the boot file URL"
expect_line "$T/dhcp6-http.log" 'pxeroot: root: downloaded http://\[fd77::1\]/root.sqfs' "the image came from a literal IPv6 URL"
expect_line "$T/dhcp6-http.log" 'pxeroot: root: sha256 of root.sqfs match' "its checksum file was checked"
expect_line "$T/dhcp6-http.log" "^DATA-MD5 $want_md5\$" "the root reads back from RAM"

v6lan_boot dhcp6-nbd "root=nbd:[fd77::1]:10809/root ip=dhcp6"
expect_booted "$T/dhcp6-nbd.log" "ip=dhcp6 root=nbd:[fd77::1]"
expect_line "$T/dhcp6-nbd.log" 'pxeroot: root: .* attached to fd77::1:10809/root' "the NBD root is attached (DHCPv6)"
expect_line "$T/dhcp6-nbd.log" "^DATA-MD5 $want_md5\$" "the root reads back over NBD (DHCPv6)"
