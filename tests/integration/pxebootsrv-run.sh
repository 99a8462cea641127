#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pxebootsrv run, inside a network namespace with a bridge of the test's own:
# dnsmasq, lighttpd and nbdexport start; the iPXE script comes over HTTP,
# pxelinux.0 over TFTP, the export answers nbdinfo; a second run is refused;
# SIGHUP after an edit changes the served menu; a killed child is restarted;
# SIGTERM leaves no process and no runtime file.
. "$(dirname "$0")/../lib.sh"

requires_root
requires pxebootsrv nbdexport ip dnsmasq lighttpd curl nbdinfo busybox mksquashfs

ns=pxbr$$
ip netns add "$ns"
cleanup_fn ip netns del "$ns"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns sh -e -c 'ip link set lo up
	ip link add br0 type bridge
	ip link add va type veth peer name vb
	ip link set va master br0
	ip link set va up
	ip link set vb up
	ip addr add 10.77.0.1/24 dev br0
	ip link set br0 up'

# dnsmasq drops to nobody: the files it serves must be readable by all.
chmod 755 "$T"
mkdir -p "$T/tree"
echo root >"$T/tree/file"
mksquashfs "$T/tree" "$T/root.sqfs" -quiet -noappend >/dev/null
echo kernel >"$T/vmlinuz"
echo initrd >"$T/initrd.img"
chmod 644 "$T/root.sqfs" "$T/vmlinuz" "$T/initrd.img"
cat >"$T/p.conf" <<EOC
[server]
address = 10.77.0.1
interface = br0
boot-dir = $T/boot
state-dir = $T/state

[dhcp]
mode = full
range = 10.77.0.100 10.77.0.150

[entry debian]
kind = pxeroot
label = Debian over NBD
kernel = $T/vmlinuz
initrd = $T/initrd.img
image = $T/root.sqfs

[entry local]
kind = localboot
EOC

start_server -P "$T/state/pxebootsrv.pid" logged "$T/log" ip netns exec "$ns" pxebootsrv -c "$T/p.conf" run
pid=$(cat "$T/state/pxebootsrv.pid")
up() {
	in_ns ss -Hltn "sport = :80" | grep -q . && in_ns ss -Hltn "sport = :10809" | grep -q . &&
		in_ns ss -Hlun "sport = :69" | grep -q .
}
for _ in $(seq 100); do up && break; sleep 0.1; done
up || fail "the servers do not listen: $(cat "$T/log")"
children=$(pgrep -P "$pid" | sort | tr '\n' ' ')
[ "$(echo $children | wc -w)" = 3 ] || fail "expected three children, got: $children"
ok "run starts dnsmasq, lighttpd and nbdexport"

in_ns curl -sf http://10.77.0.1/boot.ipxe >"$T/script" || fail "HTTP GET of boot.ipxe"
head -1 "$T/script" | grep -qx '#!ipxe' || fail "not an iPXE script"
grep -q '^item e-debian Debian over NBD$' "$T/script" || fail "menu: $(cat "$T/script")"
ok "the iPXE script is served over HTTP"

(cd "$T" && in_ns busybox tftp -g -r pxelinux.0 -l pxelinux.0 10.77.0.1) || fail "TFTP get"
cmp -s "$T/pxelinux.0" /usr/lib/PXELINUX/pxelinux.0 || fail "pxelinux.0 differs"
in_ns curl -sf tftp://10.77.0.1/pxelinux.cfg/default | grep -q '^DEFAULT debian$' ||
	fail "TFTP get of the PXELINUX menu"
ok "pxelinux.0 and its menu are served over TFTP"

in_ns nbdinfo --size nbd://10.77.0.1/debian >"$T/size" || fail "nbdinfo"
assert_eq "$(stat -c %s "$T/root.sqfs")" "$(cat "$T/size")" "nbdinfo sees the export"

rc=0
in_ns pxebootsrv -c "$T/p.conf" run 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "a second run exits 1"
assert_eq "pxebootsrv: another pxebootsrv is running from $T/state (pid $pid)" "$(cat "$T/err")" \
	"a second run says why in one line"

sed -i 's/^label = Debian over NBD$/label = Debian, edited/' "$T/p.conf"
kill -HUP "$pid"
for _ in $(seq 50); do
	in_ns curl -sf http://10.77.0.1/boot.ipxe | grep -q '^item e-debian Debian, edited$' && break
	sleep 0.1
done
in_ns curl -sf http://10.77.0.1/boot.ipxe | grep -q '^item e-debian Debian, edited$' ||
	fail "SIGHUP did not change the menu"
in_ns nbdinfo --list nbd://10.77.0.1 | grep -q 'description: Debian, edited' ||
	fail "nbdexport did not take the new description"
ok "SIGHUP after an edit changes the served menu and reloads nbdexport"

lighttpd_pid=$(pgrep -P "$pid" -x lighttpd)
kill -9 "$lighttpd_pid"
for _ in $(seq 60); do
	new=$(pgrep -P "$pid" -x lighttpd || true)
	[ -n "$new" ] && [ "$new" != "$lighttpd_pid" ] && in_ns curl -sf -o /dev/null http://10.77.0.1/boot.ipxe && break
	sleep 0.1
done
[ -n "$new" ] && [ "$new" != "$lighttpd_pid" ] || fail "lighttpd was not restarted"
grep -q '^pxebootsrv: lighttpd was killed by signal 9; restarting it in 1 s$' "$T/log" ||
	fail "the death was not reported: $(cat "$T/log")"
in_ns curl -sf -o /dev/null http://10.77.0.1/boot.ipxe || fail "HTTP after the restart"
ok "a killed child is reported and restarted"

all=$(pgrep -P "$pid" | tr '\n' ' ')
kill "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "run did not stop on SIGTERM"
for p in $all; do kill -0 "$p" 2>/dev/null && fail "child $p is still running"; done
[ ! -e "$T/state" ] || fail "the state directory is left: $(ls -R "$T/state")"
ok "SIGTERM stops every child and removes the runtime files"
grep -q '^dnsmasq: ' "$T/log" && grep -q '^lighttpd: ' "$T/log" && grep -q '^nbdexport: ' "$T/log" ||
	fail "the log lacks a child's lines"
ok "one log, each child's lines prefixed with its name"
