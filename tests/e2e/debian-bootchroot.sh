#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real Debian 12 tree (debootstrap, cached): mkbootready prepares it and
# --undo restores it byte for byte; bootchroot installs a package from the
# Debian archive with apt-get inside it and reinstalls a daemon (openssh-server)
# without starting it; afterwards no process runs in the tree, no mount is left,
# the tree passes mkbootready --check, and the published image holds the package.
# timeout: 900
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/fixtures/lib-bootready.sh"
requires_root
requires debootstrap mksquashfs unsquashfs

start=$(date +%s)
debian_tree "$T/tree"
tree=$T/tree
echo "debian tree: built in ${DEBIAN_TREE_SECS}s (0: cached), ready in $(($(date +%s) - start))s"
tree_listing "$tree" >"$T/orig"

s=$(date +%s%N)
mkbootready "$tree" >"$T/prepare.out"
echo "mkbootready: $((($(date +%s%N) - s) / 1000000)) ms"
mkbootready --check "$tree" >/dev/null || fail "a fresh Debian tree is not ready after mkbootready"
ok "mkbootready prepares a real Debian 12 tree"
[ -L "$tree/etc/resolv.conf" ] && [ ! -s "$tree/etc/machine-id" ] &&
	! ls "$tree"/etc/ssh/ssh_host_* >/dev/null 2>&1 || fail "the tree is not prepared as expected"
grep -q 'Storage=volatile' "$tree/etc/systemd/journald.conf.d/90-pxeroot.conf" || fail "journald"
[ "$(readlink "$tree/etc/systemd/system/systemd-fsck-root.service")" = /dev/null ] || fail "fsck"
ok "resolv.conf, machine-id, SSH host keys, journald and fsck as the profile says"
mkbootready -q "$tree" && tree_listing "$tree" >"$T/p1"
mkbootready -q "$tree" && tree_listing "$tree" >"$T/p2"
cmp -s "$T/p1" "$T/p2" || fail "a second run changed the real tree"
ok "a second run changes nothing"
mkbootready -q --undo "$tree"
tree_listing "$tree" >"$T/undone"
diff -u "$T/orig" "$T/undone" || fail "--undo did not restore the real tree"
ok "--undo restores the real tree byte for byte"
mkbootready -q "$tree"

awk '{print $5, $9}' /proc/self/mountinfo | sort >"$T/mounts.before"
mkdir -p "$T/images"
s=$(date +%s)
bootchroot --image "$T/images/debian.sqfs" "$tree" -- /bin/sh -c '
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; exit 1; }
	apt-get install -y -q --no-install-recommends hello >>/tmp/apt.log 2>&1 || { cat /tmp/apt.log; exit 1; }
	apt-get install -y -q --reinstall openssh-server >>/tmp/apt.log 2>&1 || { cat /tmp/apt.log; exit 1; }
	grep -i "policy-rc.d\|invoke-rc.d" /tmp/apt.log | head -3
	hello
' >"$T/bootchroot.out" 2>&1 || { cat "$T/bootchroot.out"; fail "bootchroot apt-get failed"; }
echo "bootchroot apt-get + image: $(($(date +%s) - s))s"
cat "$T/bootchroot.out"
grep -q "Hello, world!" "$T/bootchroot.out" || fail "hello did not run inside"
[ -x "$tree/usr/bin/hello" ] || fail "hello is not in the tree"
ok "apt-get installed a package from the Debian archive inside the tree"
left=$(procs_in "$tree")
[ -z "$left" ] || fail "processes left running in the tree: $left"
pgrep -x sshd >/dev/null && [ -n "$(procs_in "$tree")" ] && fail "sshd started"
ok "no process left running (openssh-server's restart was refused by policy-rc.d)"
awk '{print $5, $9}' /proc/self/mountinfo | sort >"$T/mounts.after"
diff -u "$T/mounts.before" "$T/mounts.after" || fail "mounts left behind"
ok "no mount left behind"
mkbootready --check "$tree" >"$T/check.out" || { cat "$T/check.out"; fail "the tree fails --check after bootchroot"; }
! ls "$tree"/etc/ssh/ssh_host_* >/dev/null 2>&1 || fail "SSH host keys back in the tree after bootchroot"
ok "the tree passes mkbootready --check after bootchroot"
unsquashfs -l "$T/images/debian.sqfs" usr/bin/hello | grep -q 'usr/bin/hello' || fail "the image lacks hello"
ok "the published image $(readlink "$T/images/debian.sqfs") holds the package"
