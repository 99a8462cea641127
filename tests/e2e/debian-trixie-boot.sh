#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A real Debian 13 (trixie) tree (debootstrap, cached), whose kernel (6.12)
# ships its modules as .ko.xz and whose systemd (257) mounts a tmpfs on /tmp by
# itself: mkbootready prepares it; bootchroot installs a package from the
# Debian archive with apt-get inside it (hello) and publishes a squashfs image;
# mkbootimage builds the initramfs from the tree's kernel, its modules stored
# decompressed with their signatures intact. Two clients boot at once on a LAN
# of the test's own whose DHCP server hands out 30-second leases, the kernel
# refusing any module whose signature does not verify (module.sig_enforce=1):
# one from the tree exported read-only by nfs-ganesha (NFSv4), one from the
# image served by nbdexport (NBD). Each must pass what the Debian 12 clients
# pass (debian-boot-nfs, debian-boot-nbd): multi-user.target with nothing
# failed, an overlay over a read-only root, writes of its own, one tmpfs on
# /tmp, its own machine-id and SSH host keys, resolv.conf from DHCP, the
# address kept while systemd-networkd renews the lease (NetworkManager leaving
# the interface alone), a volatile journal, the new package, a poweroff in less
# than 60 s. The tree and the image are unchanged by the boots.
# timeout: 1500
DEBIAN_RELEASE=trixie
. "$(dirname "$0")/lib-debian.sh"

requires_root
requires nbdexport bootchroot mksquashfs debootstrap qemu-system-x86_64 ganesha.nfsd rpcbind

tree=$T/tree
t0=$(date +%s%N)
# A full copy: apt and dpkg write some files in place.
debian_client_tree "$tree"
ok "Debian 13 tree ready in $(secs_since "$t0") s (debootstrap: ${DEBIAN_TREE_SECS} s, 0 = cached)"
t0=$(date +%s%N)
mkbootready -q "$tree" || fail "mkbootready failed"
mkbootready --check "$tree" >"$T/check.out" || { cat "$T/check.out"; fail "not ready after mkbootready"; }
ok "mkbootready prepared the tree in $(secs_since "$t0") s and --check passes"

mkdir -p "$T/images"
t0=$(date +%s%N)
# The Debian archive is outside the test's network namespace.
host_net bootchroot --image "$T/images/debian.sqfs" "$tree" -- /bin/sh -c '
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/tmp/apt.log 2>&1 &&
		apt-get install -y -q --no-install-recommends hello >>/tmp/apt.log 2>&1 ||
		{ cat /tmp/apt.log; exit 1; }
	hello
' >"$T/bootchroot.out" 2>&1 || {
	cat "$T/bootchroot.out"
	fail "bootchroot apt-get install failed"
}
grep -q "Hello, world!" "$T/bootchroot.out" || fail "hello did not run inside the tree"
left=$(procs_in "$tree")
[ -z "$left" ] || fail "processes left running in the tree: $left"
mkbootready --check "$tree" >"$T/check.out" || {
	cat "$T/check.out"
	fail "the tree fails mkbootready --check after bootchroot"
}
ok "bootchroot: apt-get installed hello, published $(readlink "$T/images/debian.sqfs") in $(secs_since "$t0") s; no process left, the tree passes --check"

# The boot's private network and /run.
debian_setup
debian_initramfs "$tree"
initramfs_modules_check "$tree"

debian_lan 30
start_rpcbind
start_ganesha "$(ganesha_export 1 "$tree" /root)"
image=$T/images/debian.sqfs
sha_before=$(sha256sum <"$image")
# On the LAN's address too: the NBD client is a LAN client.
start_nbdexport -l 192.168.77.1 "$image"
tree_listing "$tree" >"$T/tree.before"

DNS_WANT=192.168.77.1
debian_boot_pair "Debian 13, NFS client a and NBD client b" \
	"root=nfs4:192.168.77.1:/root module.sig_enforce=1" "root=nbd:192.168.77.1:10809 module.sig_enforce=1"

BOOTED_SECS=${booted[a]} POWEROFF_SECS=${poweroff[a]}
expect_lan_client a "NFS client"
[[ $(probe a lower) == nfs4\ * ]] || fail "NFS client: the lower layer is not NFSv4: $(probe a lower)"
BOOTED_SECS=${booted[b]} POWEROFF_SECS=${poweroff[b]}
expect_lan_client b "NBD client"
[[ $(probe b lower) == squashfs\ * ]] || fail "NBD client: the lower layer is not the squashfs image: $(probe b lower)"
ok "the NFS client's lower layer is the NFSv4 export, the NBD client's the squashfs image"
for n in a b; do
	[ "$(probe "$n" hello)" = "Hello, world!" ] || fail "client $n does not have the package: '$(probe "$n" hello)'"
done
ok "both clients run hello, installed by bootchroot"
for n in a b; do
	[ "$(probe "$n" sig-enforce)" = Y ] || fail "client $n: module signatures not enforced: $(probe "$n" sig-enforce)"
	[ "$(probe "$n" modules)" -gt 10 ] || fail "client $n: $(probe "$n" modules) modules loaded"
done
! grep -E 'unsigned module|Key was rejected|verification failed' "$T/a.log" "$T/b.log" ||
	fail "a module was refused"
ok "the kernel enforced module signatures and refused none: $(probe a modules) and $(probe b modules) modules loaded, the NIC's from the initramfs"

[ "$(probe a machine-id)" != "$(probe b machine-id)" ] || fail "both clients have machine-id $(probe a machine-id)"
[ ! -s "$tree/etc/machine-id" ] || fail "the tree has a machine-id"
ok "each client has its own machine-id; the tree has none"
[ "$(probe_all a ssh-key)" != "$(probe_all b ssh-key)" ] || fail "both clients have the same SSH host keys"
! ls "$tree"/etc/ssh/ssh_host_* >/dev/null 2>&1 || fail "the tree has SSH host keys"
ok "each client made its own SSH host keys; the tree has none"
tree_listing "$tree" >"$T/tree.after"
diff -u "$T/tree.before" "$T/tree.after" >&2 || fail "the exported tree changed while a client ran"
[ "$(sha256sum <"$image")" = "$sha_before" ] || fail "the image changed while a client ran"
ok "the exported tree and the image are unchanged after the boots"
