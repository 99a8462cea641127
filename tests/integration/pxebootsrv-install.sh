#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pxebootsrv install --root DIR: the drop-ins and the boot directory land
# under DIR, dnsmasq --test and lighttpd -tt accept them, a second install
# changes nothing, --dry-run changes nothing, and check reports a generated
# file edited by hand until install restores it. A drop-in that dnsmasq --test
# or lighttpd -tt refuses is not installed and the old one stays, nor is any
# other. pxebootsrv-reload has the services reloaded.
. "$(dirname "$0")/../lib.sh"

requires_root
requires pxebootsrv dnsmasq lighttpd ip

echo kernel >"$T/vmlinuz"
echo initrd >"$T/initrd.img"
echo image >"$T/root.sqfs"
root=$T/root
cat >"$T/p.conf" <<EOC
[server]
address = 127.0.0.1
boot-dir = /srv/pxeroot/boot

[dhcp]
mode = off

[http]
port = 8080

[entry debian]
kind = pxeroot
kernel = $T/vmlinuz
initrd = $T/initrd.img
image = $T/root.sqfs

[entry memtest]
kind = memtest
EOC
mkdir -p "$root/lib/systemd/system"
touch "$root/lib/systemd/system/nbdexport.service"

pxebootsrv -c "$T/p.conf" --root "$root" install 2>"$T/out" || fail "install: $(cat "$T/out")"
for f in etc/dnsmasq.d/pxeroot.conf etc/lighttpd/conf-enabled/50-pxeroot.conf \
	etc/pxeroot/nbdexport.conf etc/systemd/system/nbdexport.service.d/pxeroot.conf \
	srv/pxeroot/boot/boot.ipxe srv/pxeroot/boot/grub/grub.cfg srv/pxeroot/boot/pxelinux.cfg/default; do
	[ -f "$root/$f" ] || fail "install did not write $f"
done
[ "$(readlink "$root/srv/pxeroot/boot/pxelinux.0")" = /usr/lib/PXELINUX/pxelinux.0 ] ||
	fail "pxelinux.0 is not linked to Debian's"
[ "$(readlink "$root/srv/pxeroot/boot/files/debian/vmlinuz")" = "$T/vmlinuz" ] ||
	fail "the entry's kernel is not linked"
ls "$root/etc/dnsmasq.d" | grep -v '^pxeroot.conf$' && fail "a temporary file is left"
ok "install writes the drop-ins and the boot directory under --root"

grep -q '^port=0$' "$root/etc/dnsmasq.d/pxeroot.conf" && fail "the dnsmasq drop-in turns DNS off"
dnsmasq --test -C "$root/etc/dnsmasq.d/pxeroot.conf" 2>"$T/err" || fail "dnsmasq --test: $(cat "$T/err")"
printf 'server.document-root = "/"\ninclude "%s"\n' "$root/etc/lighttpd/conf-enabled/50-pxeroot.conf" >"$T/l.conf"
lighttpd -tt -f "$T/l.conf" >"$T/err" 2>&1 || fail "lighttpd -tt: $(cat "$T/err")"
grep -q "^ExecStart=.*nbdexport -f -c /etc/pxeroot/nbdexport.conf$" \
	"$root/etc/systemd/system/nbdexport.service.d/pxeroot.conf" || fail "nbdexport unit drop-in"
ok "dnsmasq --test and lighttpd -tt accept the drop-ins; nbdexport's unit reads the new file"

snap() { find "$root" -printf '%p %s %T@ %l\n' | sort; }
snap >"$T/before"
sleep 1.1
pxebootsrv -c "$T/p.conf" --root "$root" install 2>"$T/out" || fail "second install"
snap >"$T/after"
diff -u "$T/before" "$T/after" || fail "a second install changed files"
[ ! -s "$T/out" ] || fail "a second install said something: $(cat "$T/out")"
ok "a second install changes nothing"

# Check in a namespace of its own: no port of this host is in the way.
ns=pxbi$$
ip netns add "$ns"
cleanup_fn ip netns del "$ns"
ip netns exec "$ns" ip link set lo up
check() { ip netns exec "$ns" pxebootsrv -c "$T/p.conf" --root "$root" check --no-dhcp-probe; }
check 2>"$T/err" || fail "check after install: $(cat "$T/err")"
ok "check finds nothing wrong after install"

echo 'dhcp-option=42,10.0.0.1' >>"$root/etc/dnsmasq.d/pxeroot.conf"
sed -i 's/^set timeout=5$/set timeout=50/' "$root/srv/pxeroot/boot/grub/grub.cfg"
rc=0
check 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "check exits 1 after hand edits"
assert_eq "pxebootsrv: $root/srv/pxeroot/boot/grub/grub.cfg was edited by hand: install and run overwrite it
pxebootsrv: $root/etc/dnsmasq.d/pxeroot.conf was edited by hand: install and run overwrite it" \
	"$(cat "$T/err")" "check names each edited file on a line"

snap >"$T/before"
pxebootsrv -c "$T/p.conf" --root "$root" --dry-run install 2>"$T/out"
snap >"$T/after"
diff -u "$T/before" "$T/after" >/dev/null || fail "--dry-run changed files"
grep -q "would write $root/etc/dnsmasq.d/pxeroot.conf" "$T/out" || fail "--dry-run: $(cat "$T/out")"
ok "--dry-run says what it would write and writes nothing"

pxebootsrv -c "$T/p.conf" --root "$root" install 2>"$T/out"
check 2>"$T/err" || fail "check after a new install: $(cat "$T/err")"
ok "install restores the edited files"

# A configuration with an error installs nothing; the drop-ins stay as they were.
snap >"$T/before"
sed 's/^address = 127.0.0.1$/address = 127.0.0.1\ninterface = this-name-is-too-long0/' \
	"$T/p.conf" >"$T/bad.conf"
expect_exit 1 pxebootsrv -c "$T/bad.conf" --root "$root" install 2>/dev/null
snap >"$T/after"
diff -u "$T/before" "$T/after" || fail "a refused install changed files"
ok "a configuration error installs nothing"

# A drop-in its server refuses is not installed: the one before stays, the
# error names the file and the server's words, install exits 1, and no other
# file is installed either. A boot directory whose name ends in
# a backslash ends lighttpd's quoted string early (dnsmasq takes it as is);
# a double quote in it is refused by both.
pxebootsrv -c "$T/p.conf" --root "$root" install 2>/dev/null || fail "install before the refusals"
dm=$root/etc/dnsmasq.d/pxeroot.conf
lt=$root/etc/lighttpd/conf-enabled/50-pxeroot.conf
cp "$dm" "$T/dm.before"
cp "$lt" "$T/lt.before"
sed 's|^boot-dir = .*|boot-dir = /srv/pxeroot/boot\\|' "$T/p.conf" >"$T/bs.conf"
rc=0
pxebootsrv -c "$T/bs.conf" --root "$root" install 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "install exits 1 when lighttpd refuses its drop-in"
grep -q "^pxebootsrv: $lt: refused by lighttpd: .*missing closing quote" "$T/err" ||
	fail "lighttpd's refusal: $(cat "$T/err")"
cmp -s "$T/lt.before" "$lt" || fail "the refused lighttpd drop-in replaced the old one"
cmp -s "$T/dm.before" "$dm" || fail "the dnsmasq drop-in was installed beside a refused one"
[ ! -e "$root/srv/pxeroot/boot\\" ] || fail "the boot directory of a refused install was made"
ok "a lighttpd drop-in that lighttpd -tt refuses is not installed, nor is any other file"

cp "$dm" "$T/dm.before"
sed 's|^boot-dir = .*|boot-dir = /srv/pxe"root/boot|' "$T/p.conf" >"$T/q.conf"
rc=0
pxebootsrv -c "$T/q.conf" --root "$root" install 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "install exits 1 when dnsmasq refuses its drop-in"
grep -qx "pxebootsrv: $dm: refused by dnsmasq: dnsmasq: missing \" at line [0-9]* of $dm.pxebootsrv-new" \
	"$T/err" || fail "dnsmasq's refusal: $(cat "$T/err")"
cmp -s "$T/dm.before" "$dm" || fail "the refused dnsmasq drop-in replaced the old one"
cmp -s "$T/lt.before" "$lt" || fail "the refused lighttpd drop-in replaced the old one"
ls "$root/etc/dnsmasq.d" "$root/etc/lighttpd/conf-enabled" | grep -q pxebootsrv-new &&
	fail "a refused drop-in is left beside the old one"
ok "a dnsmasq drop-in that dnsmasq --test refuses is not installed, the old one stays"
