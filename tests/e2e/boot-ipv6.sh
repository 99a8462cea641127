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
# timeout: 600
. "$(dirname "$0")/lib-boot.sh"

boot_setup
requires nbdexport
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
