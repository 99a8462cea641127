#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A real Debian 12 tree (debootstrap, cached) prepared by mkbootready, exported
# read-only by nfs-ganesha (NFSv4), and two clients booted from it at once
# with an initramfs built by mkbootimage from the tree's own kernel, on a LAN
# of the test's own whose DHCP server hands out 30-second leases. Each client
# must reach multi-user.target with nothing failed, see an overlay over a
# read-only root, write /etc, /var and /tmp into its own RAM without seeing the
# other's writes, have its own machine-id and SSH host keys, resolv.conf from
# DHCP, keep its address while systemd-networkd renews the lease (and
# NetworkManager, installed too, leaves the interface alone), keep its
# journal in RAM, and power off in less than 60 s. The tree is the same,
# byte for byte, after both boots.
# timeout: 1200
. "$(dirname "$0")/lib-debian.sh"

debian_setup
requires ganesha.nfsd rpcbind

tree=$T/tree
t0=$(date +%s%N)
debian_client_tree "$tree" link
ok "Debian tree ready in $(secs_since "$t0") s (debootstrap: ${DEBIAN_TREE_SECS} s, 0 = cached)"
t0=$(date +%s%N)
mkbootready -q "$tree" || fail "mkbootready failed"
mkbootready --check "$tree" >"$T/check.out" || { cat "$T/check.out"; fail "not ready after mkbootready"; }
ok "mkbootready prepared the tree in $(secs_since "$t0") s and --check passes"
debian_initramfs "$tree"

debian_lan 30
start_rpcbind
start_ganesha "$(ganesha_export 1 "$tree" /root)"
tree_listing "$tree" >"$T/tree.before"

DNS_WANT=192.168.77.1
debian_boot_pair "two clients over NFS" root=nfs4:192.168.77.1:/root root=nfs4:192.168.77.1:/root

for n in a b; do
	BOOTED_SECS=${booted[$n]} POWEROFF_SECS=${poweroff[$n]}
	expect_lan_client "$n" "NFS client $n"
	[[ $(probe "$n" lower) == nfs4\ * ]] || fail "client $n: the lower layer is not NFSv4"
done

v=$(probe a nfs-client-id)
[ -n "$v" ] && [ "$v" != "$(probe b nfs-client-id)" ] || fail "NFSv4 client owners: a '$v', b '$(probe b nfs-client-id)'"
ok "each client is its own NFSv4 client for the server ($v, $(probe b nfs-client-id))"
[ "$(probe a machine-id)" != "$(probe b machine-id)" ] || fail "both clients have machine-id $(probe a machine-id)"
[ ! -s "$tree/etc/machine-id" ] || fail "the tree has a machine-id"
ok "each client has its own machine-id; the tree has none"
[ "$(probe_all a ssh-key)" != "$(probe_all b ssh-key)" ] || fail "both clients have the same SSH host keys"
ls "$tree"/etc/ssh/ssh_host_* >/dev/null 2>&1 && fail "the tree has SSH host keys"
ok "each client made its own SSH host keys; the tree has none"

tree_listing "$tree" >"$T/tree.after"
diff -u "$T/tree.before" "$T/tree.after" >&2 || fail "the exported tree changed while clients ran"
ok "the exported tree is byte for byte the same after both clients ran"
