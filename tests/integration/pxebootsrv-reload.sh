#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pxebootsrv install against this system's running services, on a machine
# without systemd: Debian's own dnsmasq and lighttpd, started by their init
# scripts through service(8), in the test's private mount and network
# namespace (tests/e2e/lib-lan.sh), with /etc/dnsmasq.d and lighttpd's
# conf-enabled bind-mounted from the test's directory.
#   - install restarts dnsmasq and reloads lighttpd: a PXE client's DHCP
#     answer names the loader, TFTP and HTTP serve the menus;
#   - install again: nothing written, nothing restarted (the same processes);
#   - the configuration changed (the BIOS loader, the menu's title, the HTTP
#     port), install again: the running dnsmasq answers with the new loader
#     and serves the new menu, lighttpd serves on the new port only;
#   - a configuration lighttpd -tt refuses: install exits 1 with one line, no
#     file changes and both servers run on, the same processes serving the
#     old configuration.
# timeout: 300
. "$(dirname "$0")/../e2e/lib-lan.sh"

lan_setup
requires pxebootsrv dnsmasq lighttpd service start-stop-daemon curl
DHCPPROBE=$BUILD/tests/dhcpprobe
[ -x "$DHCPPROBE" ] || fail "$DHCPPROBE is missing (make)"
[ -x /etc/init.d/dnsmasq ] && [ -x /etc/init.d/lighttpd ] ||
	skip "the dnsmasq and lighttpd packages' init scripts are missing"
[ ! -d /run/systemd/system ] || fail "the private /run has systemd's directory"
lan_netns cli
chmod 0755 "$T"

# This system's drop-in directories and the servers' own state, private to
# the test's mount namespace.
for d in /etc/dnsmasq.d /etc/lighttpd/conf-enabled /var/log/lighttpd /var/cache/lighttpd; do
	mkdir -p "$T/mnt$d"
	mount --bind "$T/mnt$d" "$d" || fail "cannot bind-mount over $d"
done
chown www-data:www-data "$T/mnt/var/log/lighttpd" "$T/mnt/var/cache/lighttpd"

stop_services() {
	service lighttpd stop >/dev/null 2>&1
	service dnsmasq stop >/dev/null 2>&1
}
cleanup_fn stop_services
service dnsmasq start >"$T/out" 2>&1 || fail "service dnsmasq start: $(cat "$T/out")"
service lighttpd start >"$T/out" 2>&1 || fail "service lighttpd start: $(cat "$T/out")"

# conf BIOS TITLE PORT: a configuration for this LAN.
conf() {
	lan_conf "$T/p.conf" full "title = $2" "bios = $1"
	sed -i "s/^title = pxeroot$//" "$T/p.conf"
	printf '\n[http]\nport = %s\n\n[entry local]\nkind = localboot\n' "$3" >>"$T/p.conf"
}
pids() { echo "$(cat /run/dnsmasq/dnsmasq.pid) $(cat /run/lighttpd.pid)"; }
# loader: the boot file a BIOS PXE client is offered.
loader() {
	lan_in cli "$DHCPPROBE" -i eth0 -t 4000 -m 52:54:00:77:05:01 -a 0 \
		-c PXEClient:Arch:00000:UNDI:002001 >"$T/probe" 2>&1 || {
		cat "$T/probe" >&2
		fail "no DHCP answer"
	}
	sed -n "s/^offer $LAN_SERVER \(file\|option67\) //p" "$T/probe" | head -n 1
}
tftp() { curl -sf "tftp://$LAN_SERVER/$1"; }
http() { curl -sf --max-time 5 "http://$LAN_SERVER:$1/$2"; }

conf pxelinux "first menu" 8080
before=$(pids)
pxebootsrv -c "$T/p.conf" install 2>"$T/out" || fail "install: $(cat "$T/out")"
grep -qx "pxebootsrv: restarted dnsmasq" "$T/out" || fail "install did not restart dnsmasq: $(cat "$T/out")"
grep -qx "pxebootsrv: reloaded lighttpd" "$T/out" || fail "install did not reload lighttpd: $(cat "$T/out")"
after=$(pids)
[ "${before% *}" != "${after% *}" ] || fail "dnsmasq runs on as it was (pid ${before% *})"
[ "${before#* }" != "${after#* }" ] || fail "lighttpd runs on as it was (pid ${before#* })"
assert_eq pxelinux.0 "$(loader)" "the loader offered after install"
tftp pxelinux.cfg/default | grep -q "first menu" || fail "TFTP: the menu is not served"
http 8080 boot.ipxe | grep -q "first menu" || fail "HTTP: boot.ipxe is not served on 8080"
ok "install restarts dnsmasq and reloads lighttpd: DHCP, TFTP and HTTP serve the new configuration"

pxebootsrv -c "$T/p.conf" install 2>"$T/out" || fail "second install: $(cat "$T/out")"
[ ! -s "$T/out" ] || fail "a second install said something: $(cat "$T/out")"
assert_eq "$after" "$(pids)" "the servers' pids after a second install"
ok "a second install writes nothing and restarts nothing"

conf ipxe "second menu" 8081
pxebootsrv -c "$T/p.conf" install 2>"$T/out" || fail "install of a change: $(cat "$T/out")"
assert_eq undionly.kpxe "$(loader)" "the loader offered after the change"
tftp boot.ipxe | grep -q "second menu" || fail "TFTP: the new menu is not served"
http 8081 boot.ipxe | grep -q "second menu" || fail "HTTP: the new menu is not served on 8081"
! http 8080 boot.ipxe >/dev/null || fail "HTTP: the old port still serves"
ok "a changed configuration: the running dnsmasq offers the new loader and menu, lighttpd the new port"

# A boot directory whose name ends in a backslash ends lighttpd's quoted
# string early; dnsmasq takes it as it is.
good=$(pids)
snap() { find "$T/mnt/etc" "$T/srv" ! -type d -printf '%p %s %T@ %l\n' | sort; }
snap >"$T/before"
sed -i 's|^boot-dir = .*|&\\|; s/^title = .*/title = third menu/; s/^bios = .*/bios = pxelinux/' "$T/p.conf"
rc=0
pxebootsrv -c "$T/p.conf" install 2>"$T/out" || rc=$?
assert_eq 1 "$rc" "install's exit status when lighttpd refuses"
[ "$(wc -l <"$T/out")" = 1 ] || fail "install said more than one line: $(cat "$T/out")"
grep -q "^pxebootsrv: /etc/lighttpd/conf-enabled/50-pxeroot.conf: refused by lighttpd: " "$T/out" ||
	fail "install's error: $(cat "$T/out")"
snap >"$T/after"
diff -u "$T/before" "$T/after" || fail "a refused install changed files"
assert_eq "$good" "$(pids)" "the servers' pids after a refused install"
assert_eq undionly.kpxe "$(loader)" "the loader offered after a refused install"
http 8081 boot.ipxe | grep -q "second menu" || fail "HTTP: the old configuration is not served"
tftp boot.ipxe | grep -q "second menu" || fail "TFTP: the old menu is not served"
ok "a configuration lighttpd refuses: one line, exit 1, no file changed, both servers run on the old one"
