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
# ifupdown's other files, as a cloud image or an administrator leaves them:
# the boot interface (eth0) has stanzas in interfaces.d, beside other
# interfaces', in a directory that a relative source-directory line names
# (where only names of letters, digits, "_" and "-" count), and in a file
# that one of interfaces.d sources in turn.
mkdir -p "$tree/etc/network/interfaces.d" "$tree/etc/network/extra.d" "$tree/etc/network/more"
printf '# The boot NIC, as a cloud image writes it\nallow-hotplug eth0\niface eth0 inet dhcp\niface eth0 inet6 auto\n\taccept_ra 1\n' \
	>"$tree/etc/network/interfaces.d/eth0"
printf 'auto eth1 eth0\niface eth1 inet static\n\taddress 192.0.2.50/24\n' >"$tree/etc/network/interfaces.d/eth1"
printf 'source ../more/*\n' >"$tree/etc/network/interfaces.d/zz-nested"
# ... which sources /etc/network/interfaces again: a loop, read once.
printf 'auto eth4\niface eth4 inet manual\nallow-hotplug eth0\nmapping eth0\n\tscript /bin/true\nsource ../interfaces\n' \
	>"$tree/etc/network/more/eth4"
printf 'auto eth0\niface eth0 inet dhcp\n' >"$tree/etc/network/extra.d/10-eth0"
printf 'allow-hotplug eth2\niface eth2 inet dhcp\n' >"$tree/etc/network/extra.d/20-eth2"
printf 'auto eth3\n' >"$tree/etc/network/extra.d/ignored.name"
printf 'source-directory extra.d\n' >>"$tree/etc/network/interfaces"
tree_listing "$tree" >"$T/orig"
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
sed -n '/==== .\/pxeroot\/interfaces/,/^====/p' "$T/out2" | sed '1d; $d' >"$T/interfaces"
grep -v '^#' "$T/interfaces" | grep 'eth0' && fail "the interfaces copy still names eth0: $(cat "$T/interfaces")"
grep -qx 'iface lo inet loopback' "$T/interfaces" || fail "the interfaces copy lost lo"
ok "with udhcpc as keeper, networkd, NetworkManager and ifupdown all leave eth0 alone"
# What ifupdown reads through the copy: every other interface's stanza, from
# every file /etc/network/interfaces sources, and no source line left.
for v in 'auto eth1' '	address 192.0.2.50/24' 'allow-hotplug eth2' 'iface eth2 inet dhcp' 'auto eth4' \
	'iface eth4 inet manual' '# pxeroot-client-setup: from /etc/network/more/eth4' \
	'# pxeroot-client-setup: source /etc/network/interfaces.d/*' \
	'# pxeroot-client-setup: source-directory extra.d'; do
	grep -qxF "$v" "$T/interfaces" || fail "the interfaces copy lacks '$v': $(cat "$T/interfaces")"
done
! grep -E '^[[:space:]]*source' "$T/interfaces" || fail "the interfaces copy still sources files"
! grep -q 'eth3' "$T/interfaces" || fail "source-directory took a name with a dot"
[ "$(grep -c '^auto lo$' "$T/interfaces")" = 1 ] || fail "the loop was followed: $(cat "$T/interfaces")"
grep -q 'client-setup: /etc/network/more/eth4 sources /etc/network/interfaces, which sourced it: left out' "$T/out2" ||
	fail "the loop is not reported"
ok "ifupdown's sourced files (interfaces.d/*, a relative source-directory, a file sourced from one of them, a loop read once) are in the copy without eth0's stanzas"

# The client's copy is made at boot under /run: the tree is as it was.
rm "$tree/etc/pxeroot/client.conf"
mkbootready -q --undo "$tree"
tree_listing "$tree" >"$T/undone"
diff -u "$T/orig" "$T/undone" || fail "--undo did not restore the tree"
ok "--undo restores the tree, ifupdown's files included, byte for byte"
