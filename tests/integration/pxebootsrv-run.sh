#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pxebootsrv run, inside a network namespace with a bridge of the test's own:
# dnsmasq, lighttpd and nbdexport start; the iPXE script comes over HTTP,
# pxelinux.0 over TFTP, the export answers nbdinfo; a second run is refused;
# SIGHUP after an edit changes the served menu; a killed child is restarted;
# SIGTERM leaves no process and no runtime file. DHCP clients of a second
# namespace get the loader of their architecture (option 93 left out: by the
# vendor class), iPXE its script, a known host its address; a SIGHUP that
# changes DHCP restarts dnsmasq alone.
. "$(dirname "$0")/../lib.sh"

requires_root
requires pxebootsrv nbdexport ip dnsmasq lighttpd curl nbdinfo busybox mksquashfs

ns=pxbr$$
client=pxbk$$
ip netns add "$ns"
cleanup_fn ip netns del "$ns"
ip netns add "$client"
cleanup_fn ip netns del "$client"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns sh -e -c 'ip link set lo up
	ip link add br0 type bridge
	ip addr add 10.77.0.1/24 dev br0
	ip link set br0 up'
ip link add pxbr$$a netns "$ns" type veth peer name eth0 netns "$client"
in_ns ip link set pxbr$$a master br0
in_ns ip link set pxbr$$a up
ip netns exec "$client" sh -e -c 'ip link set lo up
	ip link set eth0 address 52:54:00:00:00:07
	ip link set eth0 up'

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

[entry ram]
kind = pxeroot
root = http
kernel = $T/vmlinuz
initrd = $T/initrd.img
image = $T/root.sqfs

[host 52:54:00:12:34:56]
address = 10.77.0.50
name = lab1
default = local
EOC

start_server -P "$T/state/pxebootsrv.pid" logged "$T/log" ip netns exec "$ns" pxebootsrv -c "$T/p.conf" run
pid=$(cat "$T/state/pxebootsrv.pid")
up() {
	in_ns ss -Hltn "sport = :80" | grep >/dev/null . && in_ns ss -Hltn "sport = :10809" | grep >/dev/null . &&
		in_ns ss -Hlun "sport = :69" | grep >/dev/null .
}
for _ in $(seq 100); do up && break; sleep 0.1; done
up || fail "the servers do not listen: $(cat "$T/log")"
children=$(pgrep -P "$pid" | sort | tr '\n' ' ')
[ "$(echo $children | wc -w)" = 3 ] || fail "expected three children, got: $children"
ok "run starts dnsmasq, lighttpd and nbdexport"
# dnsmasq's default of 50 TFTP transfers at once is raised for a fleet, and
# dnsmasq keeps the raised limit (it lowers it when file descriptors are short).
grep -qx 'tftp-max=512' "$T/state/run/dnsmasq.conf" || fail "dnsmasq runs without tftp-max=512"
! grep -q 'restricting maximum simultaneous TFTP transfers' "$T/log" ||
	fail "dnsmasq lowered the TFTP limit: $(grep restricting "$T/log")"
ok "dnsmasq serves up to 512 TFTP transfers at once"
# The boot directory did not exist: run made it, with the loaders in it.
[ "$(readlink "$T/boot/pxelinux.0")" = /usr/lib/PXELINUX/pxelinux.0 ] &&
	[ "$(readlink "$T/boot/ldlinux.c32")" = /usr/lib/syslinux/modules/bios/ldlinux.c32 ] ||
	fail "the boot directory lacks the loaders: $(ls "$T/boot")"
ok "run creates the boot directory and links pxelinux.0 and ldlinux.c32 into it"

in_ns curl -sf http://10.77.0.1/boot.ipxe >"$T/script" || fail "HTTP GET of boot.ipxe"
head -1 "$T/script" | grep -x >/dev/null '#!ipxe' || fail "not an iPXE script"
grep -q '^item e-debian Debian over NBD$' "$T/script" || fail "menu: $(cat "$T/script")"
ok "the iPXE script is served over HTTP"

(cd "$T" && in_ns busybox tftp -g -r pxelinux.0 -l pxelinux.0 10.77.0.1) || fail "TFTP get"
cmp -s "$T/pxelinux.0" /usr/lib/PXELINUX/pxelinux.0 || fail "pxelinux.0 differs"
in_ns curl -sf tftp://10.77.0.1/pxelinux.cfg/default | grep >/dev/null '^DEFAULT debian$' ||
	fail "TFTP get of the PXELINUX menu"
ok "pxelinux.0 and its menu are served over TFTP"

# An HTTP root: the image, and the checksum file the initramfs insists on.
in_ns curl -sf -o "$T/got.sqfs" http://10.77.0.1/files/ram/root.sqfs && cmp -s "$T/got.sqfs" "$T/root.sqfs" ||
	fail "the HTTP root image"
assert_eq "$(cd "$T" && sha256sum root.sqfs)" "$(in_ns curl -sf http://10.77.0.1/files/ram/root.sqfs.sha256)" \
	"the HTTP root's image has its sha256 file beside it"

in_ns nbdinfo --size nbd://10.77.0.1/debian >"$T/size" || fail "nbdinfo"
assert_eq "$(stat -c %s "$T/root.sqfs")" "$(cat "$T/size")" "nbdinfo sees the export"

# dhcp_as VENDOR-CLASS [udhcpc options]: the lease a client gets, in $T/lease.
cat >"$T/udhcpc.sh" <<EOS
#!/bin/sh
[ "\$1" = bound ] && env >"$T/lease"
exit 0
EOS
chmod +x "$T/udhcpc.sh"
dhcp_as() {
	local vc=$1
	shift
	rm -f "$T/lease"
	ip netns exec "$client" busybox udhcpc -n -q -f -t 5 -T 1 -i eth0 -V "$vc" "$@" \
		-s "$T/udhcpc.sh" >/dev/null 2>&1 || fail "no lease for $vc: $(tail "$T/log")"
}
lease() { sed -n "s/^$1=//p" "$T/lease"; }
dhcp_as PXEClient:Arch:00000:UNDI:002001
assert_eq "pxelinux.0 10.77.0.1" "$(lease boot_file) $(lease siaddr)" "BIOS PXE: pxelinux.0 from this server"
grep -Eq '^ip=10\.77\.0\.1([0-4][0-9]|50)$' "$T/lease" || fail "address: $(lease ip)"
dhcp_as PXEClient:Arch:00007:UNDI:003000
assert_eq "shimx64.efi 10.77.0.1" "$(lease boot_file) $(lease siaddr)" "UEFI PXE: shim, with siaddr"
dhcp_as HTTPClient:Arch:00016:UNDI:003001
assert_eq "http://10.77.0.1/shimx64.efi" "$(lease boot_file)" "UEFI HTTP boot: a URL"
# "HTTPClient" in hex, as dnsmasq's log-dhcp shows what it sent.
grep -q 'sent size: 10 option: 60 vendor-class  48:54:54:50:43:6c:69:65:6e:74$' "$T/log" ||
	fail "no option 60 HTTPClient in the answer"
ok "UEFI HTTP boot: option 60 says HTTPClient"
dhcp_as PXEClient:Arch:00000:UNDI:002001 -x 0xaf:0101
assert_eq "http://10.77.0.1/boot.ipxe" "$(lease boot_file)" "iPXE (option 175) gets its script"
ip netns exec "$client" ip link set eth0 address 52:54:00:12:34:56
dhcp_as PXEClient:Arch:00000:UNDI:002001
assert_eq "10.77.0.50" "$(lease ip)" "a [host] gets its fixed address"
in_ns curl -sf http://10.77.0.1/ipxe/01-52-54-00-12-34-56.ipxe | grep >/dev/null -- '--default e-local ' ||
	fail "the host's iPXE menu"
in_ns curl -sf tftp://10.77.0.1/pxelinux.cfg/01-52-54-00-12-34-56 | grep -x >/dev/null 'DEFAULT local' ||
	fail "the host's PXELINUX menu"
ok "the host's own menus are served"

rc=0
in_ns pxebootsrv -c "$T/p.conf" run 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "a second run exits 1"
assert_eq "pxebootsrv: another pxebootsrv is running from $T/state (pid $pid)" "$(cat "$T/err")" \
	"a second run says why in one line"

sed -i 's/^label = Debian over NBD$/label = Debian, edited/' "$T/p.conf"
kill -HUP "$pid"
for _ in $(seq 50); do
	in_ns curl -sf http://10.77.0.1/boot.ipxe | grep >/dev/null '^item e-debian Debian, edited$' && break
	sleep 0.1
done
in_ns curl -sf http://10.77.0.1/boot.ipxe | grep >/dev/null '^item e-debian Debian, edited$' ||
	fail "SIGHUP did not change the menu"
for _ in $(seq 50); do
	in_ns nbdinfo --list nbd://10.77.0.1 | grep >/dev/null 'description: Debian, edited' && break
	sleep 0.1
done
in_ns nbdinfo --list nbd://10.77.0.1 | grep >/dev/null 'description: Debian, edited' ||
	fail "nbdexport did not take the new description"
ok "SIGHUP after an edit changes the served menu and reloads nbdexport"

# A DHCP change restarts dnsmasq and leaves lighttpd and nbdexport running.
dnsmasq_pid=$(pgrep -P "$pid" -x dnsmasq)
lighttpd_pid=$(pgrep -P "$pid" -x lighttpd)
nbd_pid=$(pgrep -P "$pid" -x nbdexport)
sed -i 's/^range = 10.77.0.100 10.77.0.150$/range = 10.77.0.160 10.77.0.170/' "$T/p.conf"
kill -HUP "$pid"
for _ in $(seq 50); do
	new=$(pgrep -P "$pid" -x dnsmasq || true)
	[ -n "$new" ] && [ "$new" != "$dnsmasq_pid" ] && break
	sleep 0.1
done
[ -n "$new" ] && [ "$new" != "$dnsmasq_pid" ] || fail "dnsmasq was not restarted"
assert_eq "$lighttpd_pid $nbd_pid" "$(pgrep -P "$pid" -x lighttpd) $(pgrep -P "$pid" -x nbdexport)" \
	"a DHCP change restarts dnsmasq alone"
ip netns exec "$client" ip link set eth0 address 52:54:00:00:00:08
sleep 0.5
dhcp_as PXEClient:Arch:00000:UNDI:002001
grep -Eq '^ip=10\.77\.0\.1(6[0-9]|70)$' "$T/lease" || fail "the new range is not served: $(lease ip)"
ok "the restarted dnsmasq serves the new range"

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
assert_eq pxebootsrv.log "$(ls -A "$T/state")" "only the log file is left in the state directory"
ok "SIGTERM stops every child and removes the runtime files"
grep -q '^dnsmasq: ' "$T/log" && grep -q '^lighttpd: ' "$T/log" && grep -q '^nbdexport: ' "$T/log" ||
	fail "the log lacks a child's lines"
ok "one log, each child's lines prefixed with its name"
# The file has what stderr had, each line with its time.
ts='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z '
for w in 'pxebootsrv: serving 10.77.0.1' 'pxebootsrv: lighttpd was killed by signal 9' 'dnsmasq: ' 'nbdexport: '; do
	grep -Eq "$ts$w" "$T/state/pxebootsrv.log" || fail "the log file lacks '$w': $(head "$T/state/pxebootsrv.log")"
done
ok "the log file in the state directory has pxebootsrv's and its children's lines, timed"

# -q: pxebootsrv's own lines are errors only on stderr, the log file keeps them.
rm "$T/state/pxebootsrv.log"
start_server -P "$T/state/pxebootsrv.pid" logged "$T/qlog" ip netns exec "$ns" pxebootsrv -q -c "$T/p.conf" run
pid=$(cat "$T/state/pxebootsrv.pid")
for _ in $(seq 100); do up && break; sleep 0.1; done
up || fail "-q: the servers do not listen: $(cat "$T/qlog")"
kill "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
grep '^pxebootsrv: ' "$T/qlog" && fail "-q: pxebootsrv said more than errors"
grep -q '^dnsmasq: ' "$T/qlog" || fail "-q: the children's lines are gone from stderr"
grep -Eq "${ts}pxebootsrv: serving" "$T/state/pxebootsrv.log" || fail "-q: the log file lacks pxebootsrv's lines"
ok "-q: errors only of pxebootsrv's own lines on stderr; the children's pass; the log file has all"
