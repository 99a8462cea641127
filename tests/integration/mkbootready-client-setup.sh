#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The script mkbootready installs into client trees (client-setup), run in a
# prepared BusyBox tree through bootchroot (a private /run) with the lease file
# the initramfs writes (/run/pxeroot/net.env, doc/initramfs.md): it writes the
# runtime configuration that keeps each network tool off the boot interface
# and gives the lease to the chosen keeper, and never touches another one.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
requires_root
requires busybox

tree=$T/tree
busybox_tree "$tree"
cp -a "$SRC/tests/fixtures/debian/." "$tree/"
rm -f "$tree/etc/resolv.conf"
mkbootready -q --idmap-domain example.org "$tree"

run_client() {
	bootchroot -q --no-prepare "$tree" -- /bin/sh -c "
		umount /run/pxeroot/resolv.conf; rm -f /run/pxeroot/resolv.conf
		mkdir -p /run/pxeroot
		printf '%s\n' \"INTERFACE='eth0'\" \"ADDRESS='192.0.2.15'\" \"DNS='192.0.2.3 192.0.2.4'\" \
			\"DOMAIN='example.org'\" >/run/pxeroot/net.env
		/usr/lib/pxeroot/client-setup boot || exit 1
		/usr/lib/pxeroot/client-setup not-boot eth0; echo not-boot-eth0=\$?
		/usr/lib/pxeroot/client-setup not-boot eth1; echo not-boot-eth1=\$?
		cd /run && for f in \$(find . -type f | sort); do echo \"==== \$f\"; cat \$f; done
	"
}

run_client >"$T/out1" 2>&1 || { cat "$T/out1"; fail "client-setup boot failed"; }
cat "$T/out1"
grep -q '^==== ./systemd/network/10-pxeroot-boot.network' "$T/out1" || fail "no .network file"
sed -n '/10-pxeroot-boot.network/,/^====/p' "$T/out1" >"$T/network"
grep -qx 'Name=eth0' "$T/network" && grep -qx 'DHCP=ipv4' "$T/network" &&
	grep -qx 'KeepConfiguration=yes' "$T/network" && grep -qx 'SendRelease=no' "$T/network" ||
	fail "networkd is not the keeper of eth0 with KeepConfiguration"
ok "networkd keeps eth0's lease without ever dropping the address"
grep -qx 'nameserver 192.0.2.3' "$T/out1" && grep -qx 'nameserver 192.0.2.4' "$T/out1" ||
	fail "resolv.conf not made from the lease"
ok "resolv.conf from the initramfs lease"
grep -qx 'not-boot-eth0=1' "$T/out1" && grep -qx 'not-boot-eth1=0' "$T/out1" ||
	fail "not-boot (ifup@ ExecCondition) is wrong"
ok "hotplug ifup is refused for the boot interface only"
grep -q '^==== ./NetworkManager' "$T/out1" && fail "NetworkManager config written although it is not installed"
ok "tools the tree lacks get no configuration"

# Another keeper: networkd, NetworkManager and ifupdown must all leave eth0 alone.
cat >"$tree/etc/pxeroot/client.conf" <<'EOT'
LEASE=udhcpc
NETWORK="networkd networkmanager ifupdown"
EOT
run_client >"$T/out2" 2>&1 || { cat "$T/out2"; fail "client-setup boot failed (udhcpc)"; }
sed -n '/10-pxeroot-boot.network/,/^====/p' "$T/out2" | grep -x >/dev/null 'Unmanaged=yes' ||
	fail "networkd still manages eth0"
grep -qx 'unmanaged-devices=interface-name:eth0' "$T/out2" || fail "NetworkManager still manages eth0"
sed -n '/==== .\/pxeroot\/interfaces/,/^====/p' "$T/out2" >"$T/interfaces"
grep -q 'eth0' "$T/interfaces" && fail "the interfaces copy still names eth0"
grep -qx 'iface lo inet loopback' "$T/interfaces" || fail "the interfaces copy lost lo"
ok "with udhcpc as keeper, networkd, NetworkManager and ifupdown all leave eth0 alone"
