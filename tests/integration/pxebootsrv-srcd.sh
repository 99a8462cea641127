#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# SystemRescueCd's /etc/conf.d/pxebootsrv, as its manual prints it, works
# unchanged: check passes, run serves DHCP (a PXE client gets pxelinux.0 and
# the server's address), TFTP (the kernel) and HTTP (sysrcd.dat), the menu
# boots with netboot=$PXEBOOTSRV_HTTPSERVER dodhcp; check compares sysrcd.dat
# with sysrcd.md5; DOTFTPD="no" and DOHTTPD="no" serve no TFTP and no HTTP;
# vmlinuz and initrd.img stand in for rescue64 and initram.igz;
# DODHCPD="no" with PROXYDHCP="yes" is proxy DHCP.
. "$(dirname "$0")/../lib.sh"

requires_root
requires pxebootsrv ip dnsmasq lighttpd curl busybox md5sum

conf=$T/pxebootsrv
cp "$SRC/tests/fixtures/pxebootsrv/srcd.conf" "$conf"
grep -q '^PXEBOOTSRV_TFTPSEVER="$PXEBOOTSRV_LOCALIP"      # IP address of the TFTP server$' "$conf" ||
	fail "the fixture is not SystemRescueCd's file"
chmod 755 "$T"
tftp=$T/tftpboot
mkdir -p "$tftp"
echo kernel >"$tftp/rescue64"
echo initramfs >"$tftp/initram.igz"
head -c 1048576 /dev/urandom >"$tftp/sysrcd.dat"
(cd "$tftp" && md5sum sysrcd.dat >sysrcd.md5)
chmod 644 "$tftp"/*

ns=pxbs$$
client=pxbk$$
ip netns add "$ns"
cleanup_fn ip netns del "$ns"
ip netns add "$client"
cleanup_fn ip netns del "$client"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns sh -e -c 'ip link set lo up
	ip link add br0 type bridge
	ip addr add 192.168.1.5/24 dev br0
	ip link set br0 up'
ip link add pxbs$$a netns "$ns" type veth peer name eth0 netns "$client"
in_ns ip link set pxbs$$a master br0
in_ns ip link set pxbs$$a up
ip netns exec "$client" sh -e -c 'ip link set lo up; ip link set eth0 up'

in_ns pxebootsrv -c "$conf" --root "$T" check 2>"$T/err" || fail "check: $(cat "$T/err")"
ok "check accepts SystemRescueCd's file and its /tftpboot"

start_server -P /run/pxebootsrv/pxebootsrv.pid logged "$T/log" \
	ip netns exec "$ns" pxebootsrv -c "$conf" --root "$T" run
for _ in $(seq 100); do in_ns ss -Hltn 'sport = :80' | grep >/dev/null . && break; sleep 0.1; done

in_ns curl -sf -o "$T/got.dat" http://192.168.1.5/sysrcd.dat || fail "HTTP GET of sysrcd.dat"
cmp -s "$T/got.dat" "$tftp/sysrcd.dat" || fail "sysrcd.dat differs"
in_ns curl -sf http://192.168.1.5/sysrcd.md5 | grep >/dev/null ' sysrcd.dat$' || fail "sysrcd.md5 over HTTP"
ok "sysrcd.dat and sysrcd.md5 at \$PXEBOOTSRV_HTTPSERVER"

in_ns curl -sf -o "$T/got.k" tftp://192.168.1.5/rescue64 && cmp -s "$T/got.k" "$tftp/rescue64" ||
	fail "TFTP get of rescue64"
in_ns curl -sf tftp://192.168.1.5/pxelinux.cfg/default >"$T/menu" || fail "TFTP get of the menu"
grep -q '^	APPEND netboot=http://192.168.1.5/sysrcd.dat dodhcp$' "$T/menu" || fail "menu: $(cat "$T/menu")"
grep -q '^	INITRD initram.igz$' "$T/menu" || fail "initrd: $(cat "$T/menu")"
pxeroot-cmdline -q 'netboot=http://192.168.1.5/sysrcd.dat dodhcp' >/dev/null || fail "pxeroot-cmdline"
ok "the kernel over TFTP; the menu boots with netboot=\$PXEBOOTSRV_HTTPSERVER dodhcp"

# A BIOS PXE client: an address from PXEBOOTSRV_DHCPRANGE, pxelinux.0 and this server.
cat >"$T/udhcpc.sh" <<EOS
#!/bin/sh
[ "\$1" = bound ] && env >"$T/lease"
exit 0
EOS
chmod +x "$T/udhcpc.sh"
ip netns exec "$client" busybox udhcpc -n -q -f -t 5 -T 1 -i eth0 -V PXEClient:Arch:00000:UNDI:002001 \
	-s "$T/udhcpc.sh" >/dev/null 2>&1 || fail "no DHCP lease: $(cat "$T/log")"
grep -Eq '^ip=192\.168\.1\.1([0-4][0-9]|50)$' "$T/lease" || fail "lease: $(cat "$T/lease")"
grep -qx 'boot_file=pxelinux.0' "$T/lease" || fail "boot file: $(cat "$T/lease")"
grep -qx 'siaddr=192.168.1.5' "$T/lease" || fail "next server: $(cat "$T/lease")"
grep -qx 'router=192.168.1.254' "$T/lease" || fail "router: $(cat "$T/lease")"
ok "DHCP: an address of the range, pxelinux.0, next-server and router"
kill "$(cat /run/pxebootsrv/pxebootsrv.pid)"
for _ in $(seq 100); do [ -e /run/pxebootsrv/pxebootsrv.pid ] || break; sleep 0.1; done

# DOTFTPD="no" and DOHTTPD="no" mean no TFTP and no HTTP served, as in
# SystemRescueCd; the kernel and initramfs may be named vmlinuz and initrd.img.
mv "$tftp/rescue64" "$tftp/vmlinuz"
mv "$tftp/initram.igz" "$tftp/initrd.img"
# serve_without VAR [CMD...]: run with PXEBOOTSRV_VAR="no"; list the ports
# served, and run CMD while it serves.
serve_without() {
	sed -e "s/^PXEBOOTSRV_$1=\"yes\"/PXEBOOTSRV_$1=\"no\"/" "$conf" >"$T/no-$1"
	grep -qx "PXEBOOTSRV_$1=\"no\".*" "$T/no-$1" || fail "the fixture has no PXEBOOTSRV_$1"
	start_server -P /run/pxebootsrv/pxebootsrv.pid logged "$T/log-$1" \
		ip netns exec "$ns" pxebootsrv -c "$T/no-$1" --root "$T" run
	for _ in $(seq 100); do in_ns ss -Hlun 'sport = :67' | grep >/dev/null . && break; sleep 0.1; done
	sleep 0.5
	served=$( (in_ns ss -Hlun 'sport = :67 or sport = :69'; in_ns ss -Hltn 'sport = :80') |
		awk '{ sub(/.*:/, "", $4); print $4 }' | sort -un | tr '\n' ' ')
	got=0
	"${@:2}" || got=$?
	kill "$(cat /run/pxebootsrv/pxebootsrv.pid)"
	for _ in $(seq 100); do [ -e /run/pxebootsrv/pxebootsrv.pid ] || break; sleep 0.1; done
}
serve_without DOTFTPD
assert_eq "67 80 " "$served" 'DOTFTPD="no": DHCP and HTTP served, no TFTP'
grep -q '^	LINUX vmlinuz$' "$tftp/pxelinux.cfg/default" &&
	grep -q '^	INITRD initrd.img$' "$tftp/pxelinux.cfg/default" ||
	fail "the menu does not name vmlinuz and initrd.img: $(cat "$tftp/pxelinux.cfg/default")"
ok "without rescue64 and initram.igz, the menu boots vmlinuz and initrd.img"
serve_without DOHTTPD in_ns curl -sf -o "$T/got.k" tftp://192.168.1.5/vmlinuz
assert_eq "67 69 " "$served" 'DOHTTPD="no": DHCP and TFTP served, no HTTP'
[ "$got" = 0 ] && cmp -s "$T/got.k" "$tftp/vmlinuz" || fail "TFTP get of vmlinuz: curl exits $got"
ok "vmlinuz over TFTP"
in_ns pxebootsrv -c "$conf" --root "$T" check --no-dhcp-probe 2>"$T/err" ||
	fail "check with vmlinuz and initrd.img: $(cat "$T/err")"
ok "check accepts vmlinuz and initrd.img"
mv "$tftp/vmlinuz" "$tftp/rescue64"
mv "$tftp/initrd.img" "$tftp/initram.igz"

echo corrupt >>"$tftp/sysrcd.dat"
rc=0
in_ns pxebootsrv -c "$conf" --root "$T" check --no-dhcp-probe 2>"$T/err" || rc=$?
assert_eq "1 pxebootsrv: $conf: [entry sysrcd] $tftp/sysrcd.dat does not match $tftp/sysrcd.md5" \
	"$rc $(cat "$T/err")" "check compares sysrcd.dat with sysrcd.md5"
(cd "$tftp" && md5sum sysrcd.dat >sysrcd.md5)
mv "$tftp/rescue64" "$T/rescue64"
rc=0
in_ns pxebootsrv -c "$conf" --root "$T" check --no-dhcp-probe 2>"$T/err" || rc=$?
assert_eq "1 pxebootsrv: $conf: [entry sysrcd] $tftp/rescue64: No such file" \
	"$rc $(cat "$T/err")" "check reports a kernel missing from the TFTP directory"
mv "$T/rescue64" "$tftp/rescue64"

sed -e 's/^PXEBOOTSRV_DODHCPD="yes"/PXEBOOTSRV_DODHCPD="no"/' "$conf" >"$T/proxy"
echo 'PXEBOOTSRV_PROXYDHCP="yes"' >>"$T/proxy"
pxebootsrv -c "$T/proxy" --root "$T" render "$T/r"
grep -qx 'dhcp-range=192.168.1.0,proxy,255.255.255.0' "$T/r/dnsmasq.conf" || fail "proxy: $(cat "$T/r/dnsmasq.conf")"
grep -q '^pxe-service=tag:!ipxe,x86PC,"SystemRescueCd",pxelinux,192.168.1.5$' "$T/r/dnsmasq.conf" ||
	fail "proxy: no PXE service"
sed -i '/PROXYDHCP/d' "$T/proxy"
pxebootsrv -c "$T/proxy" --root "$T" render "$T/r"
grep -q '^dhcp-range' "$T/r/dnsmasq.conf" && fail "DODHCPD=no still serves DHCP"
ok "DODHCPD=\"no\" with PROXYDHCP=\"yes\" is proxy DHCP; without it, no DHCP"
