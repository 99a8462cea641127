#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The maintenance cycle of a real Debian 12 tree, ending in a boot: the tree
# (debootstrap, cached) is prepared by mkbootready; bootchroot installs a
# package from the Debian archive with apt-get inside it (hello) and reinstalls
# openssh-server, whose scripts must not start sshd on the host, then
# publishes a squashfs image (a new generation behind a
# stable link); no process and no mount is left on the host and the tree
# passes mkbootready --check; nbdexport serves the stable link and a client
# boots from it, with an initramfs that mkbootimage built from the tree's own
# kernel, on QEMU's user-mode network. The tree uses a profile that is
# Debian's with NetworkManager first among the lease keepers (as Fedora's
# is), so that NetworkManager takes over the boot interface with
# keep-configuration. The client must reach multi-user.target with nothing
# failed, see the new package, and pass the same checks as the NFS clients
# (debian-boot-nfs).
# timeout: 1200
. "$(dirname "$0")/lib-debian.sh"

requires_root
requires nbdexport bootchroot mksquashfs unsquashfs debootstrap qemu-system-x86_64

# Debian's profile with NetworkManager as the preferred lease keeper.
mkdir -p "$T/profiles"
cp "$SRC"/data/profiles/*.conf "$T/profiles/"
sed -e 's/^name = debian$/name = debian-nm/' -e 's/^match = .*/match = none/' \
	-e 's/^lease = .*/lease = networkmanager networkd dhclient/' \
	"$SRC/data/profiles/debian.conf" >"$T/profiles/debian-nm.conf"
export PXEROOT_PROFILES=$T/profiles

tree=$T/tree
t0=$(date +%s%N)
# A full copy: apt and dpkg write some files in place.
debian_client_tree "$tree"
ok "Debian tree ready in $(secs_since "$t0") s (debootstrap: ${DEBIAN_TREE_SECS} s, 0 = cached)"
mkbootready -q -p debian-nm "$tree" || fail "mkbootready failed"
mkbootready -q -p debian-nm --check "$tree" || fail "not ready after mkbootready"

awk '{print $5, $9}' /proc/self/mountinfo | sort >"$T/mounts.before"
mkdir -p "$T/images"
t0=$(date +%s%N)
# The Debian archive is outside the test's network namespace.
host_net bootchroot -p debian-nm --image "$T/images/debian.sqfs" "$tree" -- /bin/sh -c '
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/tmp/apt.log 2>&1 &&
		apt-get install -y -q --no-install-recommends hello >>/tmp/apt.log 2>&1 &&
		apt-get install -y -q --reinstall openssh-server >>/tmp/apt.log 2>&1 ||
		{ cat /tmp/apt.log; exit 1; }
	grep -i "policy-rc.d" /tmp/apt.log | head -n 3
	hello
' >"$T/bootchroot.out" 2>&1 || {
	cat "$T/bootchroot.out"
	fail "bootchroot apt-get install failed"
}
cat "$T/bootchroot.out"
grep -q "Hello, world!" "$T/bootchroot.out" || fail "hello did not run inside the tree"
ok "bootchroot: apt-get installed hello from the Debian archive, reinstalled openssh-server, published $(readlink "$T/images/debian.sqfs") in $(secs_since "$t0") s"
left=$(procs_in "$tree")
[ -z "$left" ] || fail "processes left running in the tree: $left"
grep -qx 'LEASE=networkmanager' "$tree/etc/pxeroot/client.conf" || fail "NetworkManager is not the lease keeper: $(cat "$tree/etc/pxeroot/client.conf")"
awk '{print $5, $9}' /proc/self/mountinfo | sort >"$T/mounts.after"
diff -u "$T/mounts.before" "$T/mounts.after" || fail "bootchroot left mounts behind"
mkbootready -p debian-nm --check "$tree" >"$T/check.out" || {
	cat "$T/check.out"
	fail "the tree fails mkbootready --check after bootchroot"
}
[ ! -e "$tree/usr/sbin/policy-rc.d" ] || fail "policy-rc.d left in the tree"
ok "no process, no mount, no policy-rc.d left; the tree passes mkbootready --check"

# The boot's private network and /run.
debian_setup
debian_initramfs "$tree"
image=$T/images/debian.sqfs
sha_before=$(sha256sum <"$image")
start_nbdexport "$image"

DNS_WANT=10.0.2.3 ADDR_WANT=10.0.2.15 KEEPER_WANT=networkmanager
t0=$(date +%s%N)
debian_boot n "root=nbd:10.0.2.2:10809 pxrt.client=n" \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0
debian_wait n
expect_client n "NBD client"
[[ $(probe n lower) == squashfs\ * ]] || fail "the lower layer is not the squashfs image: $(probe n lower)"
ok "NBD client: the root is the published squashfs image, served over NBD"
[ "$(probe n hello)" = "Hello, world!" ] || fail "the client does not have the package: '$(probe n hello)'"
ok "NBD client: runs hello, installed by bootchroot after the tree was first prepared"
v=$(probe n nm-devices)
[[ $v == *"eth0:connected:pxeroot-boot"* ]] || fail "NetworkManager does not hold eth0 with pxeroot's connection: $v"
ok "NBD client: NetworkManager holds the boot interface with pxeroot's keep-configuration connection ($v)"
[ "$(sha256sum <"$image")" = "$sha_before" ] || fail "the image changed while the client ran"
ok "the image is unchanged after the boot"
