#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real Debian tree (debootstrap, cached; Debian 12 unless DEBIAN_RELEASE
# says otherwise, as debian-trixie-mkbootready does): mkbootready prepares it
# as the profile says, a second run changes nothing, and --undo restores it
# byte for byte, with and without what a disk install leaves (fstab by UUID=,
# swap, CD-ROM, ifupdown on eth0, a resume device, a host name).
# (debian-boot-nbd maintains such a tree with bootchroot and
# boots it; debian-boot-nfs boots it over NFS.)
# timeout: 600
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
requires_root
requires debootstrap bootchroot

start=$(date +%s)
# Hard links to the cache: mkbootready replaces files, never writes into them.
debian_tree "$T/tree" link
tree=$T/tree
echo "debian $DEBIAN_RELEASE tree: built in ${DEBIAN_TREE_SECS}s (0: cached), ready in $(($(date +%s) - start))s"
tree_listing "$tree" >"$T/orig"

s=$(date +%s%N)
mkbootready "$tree" >"$T/prepare.out"
echo "mkbootready: $((($(date +%s%N) - s) / 1000000)) ms, $(grep -c ': ' "$T/prepare.out") changes"
mkbootready --check "$tree" >/dev/null || fail "a fresh Debian tree is not ready after mkbootready"
ok "mkbootready prepares a real Debian $(debian_version "$DEBIAN_RELEASE") tree"
[ -L "$tree/etc/resolv.conf" ] && [ ! -s "$tree/etc/machine-id" ] && [ ! -s "$tree/etc/hostname" ] &&
	! ls "$tree"/etc/ssh/ssh_host_* >/dev/null 2>&1 || fail "the tree is not prepared as expected"
grep -q 'Storage=volatile' "$tree/etc/systemd/journald.conf.d/90-pxeroot.conf" || fail "journald"
[ "$(readlink "$tree/etc/systemd/system/systemd-fsck-root.service")" = /dev/null ] || fail "fsck"
grep -qx 'd /var/log/apt 0755 0 0 -' "$tree/etc/tmpfiles.d/pxeroot-tmpfs.conf" || fail "no /var/log skeleton"
grep -qx 'LEASE=networkd' "$tree/etc/pxeroot/client.conf" || fail "networkd is not the lease keeper"
# One tmpfs for /tmp, from fstab: systemd's fstab generator puts it in place
# of the tmp.mount that systemd 256 and later ship (Debian 13's), so the two
# never stack.
[ "$(grep -c '^[^#][^[:space:]]*[[:space:]]\+/tmp[[:space:]]' "$tree/etc/fstab")" = 1 ] ||
	fail "fstab's /tmp lines: $(grep '/tmp' "$tree/etc/fstab")"
ok "resolv.conf, machine-id, host name, SSH host keys, journald, fsck, /var/log skeleton, networkd as the profile says"
ok "fstab mounts one tmpfs on /tmp$([ -e "$tree/usr/lib/systemd/system/tmp.mount" ] && echo ", in place of the tree's own tmp.mount")"
# A client whose root stays read-only: client-setup makes the SSH host keys
# under /run and puts them in /etc/ssh's place (here in bootchroot's private
# mount namespace, /etc made read-only).
bootchroot -q --no-prepare "$tree" -- /bin/sh -c '
	mount --bind /etc /etc && mount -o remount,bind,ro /etc || exit 1
	touch /etc/ssh/probe 2>/dev/null && { echo "/etc is writable"; exit 1; }
	/usr/lib/pxeroot/client-setup ssh-keys || exit 1
	ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub || exit 1
	grep -q "^AcceptEnv" /etc/ssh/sshd_config || exit 1
	findmnt -n -o TARGET /etc/ssh
' >"$T/rokeys.out" 2>&1 || { cat "$T/rokeys.out"; fail "client-setup ssh-keys with a read-only /etc"; }
grep -qx /etc/ssh "$T/rokeys.out" || fail "/etc/ssh is not replaced: $(cat "$T/rokeys.out")"
! ls "$tree"/etc/ssh/ssh_host_* >/dev/null 2>&1 || fail "SSH host keys written into the tree"
ok "with a read-only /etc, the client's SSH host keys are made under /run and bound over /etc/ssh"
mkbootready -q "$tree" && tree_listing "$tree" >"$T/p1"
mkbootready -q "$tree" && tree_listing "$tree" >"$T/p2"
cmp -s "$T/p1" "$T/p2" || fail "a second run changed the real tree"
ok "a second run changes nothing"
mkbootready -q --undo "$tree"
tree_listing "$tree" >"$T/undone"
diff -u "$T/orig" "$T/undone" || fail "--undo did not restore the real tree"
ok "--undo restores the real tree byte for byte"

# The same tree with what a disk install leaves (tests/lib-bootready.sh): the
# root and swap by UUID= and a CD-ROM in fstab, ifupdown on eth0 (in
# /etc/network/interfaces and interfaces.d), a resume device, a host name.
# mkbootready turns them off, and --undo gives every one back byte for byte.
disk_install_files "$tree"
tree_listing "$tree" >"$T/disk.orig"
mkbootready "$tree" >"$T/disk.out" || { cat "$T/disk.out"; fail "mkbootready failed on the disk install"; }
for v in "fstab: write /etc/fstab" "resume: write /etc/initramfs-tools/conf.d/resume" \
	"reset: write /etc/hostname"; do
	grep -qx "$v" "$T/disk.out" || { cat "$T/disk.out"; fail "disk install: mkbootready did not say '$v'"; }
done
[ "$(grep -c '^#pxeroot# UUID=' "$tree/etc/fstab")" = 2 ] && ! grep -q '^UUID=' "$tree/etc/fstab" &&
	grep -q '^/dev/sr0 .*noauto' "$tree/etc/fstab" || fail "disk install: fstab: $(cat "$tree/etc/fstab")"
grep -qx 'RESUME=none' "$tree/etc/initramfs-tools/conf.d/resume" || fail "disk install: the resume device stayed"
[ ! -s "$tree/etc/hostname" ] || fail "disk install: /etc/hostname is '$(cat "$tree/etc/hostname")'"
mkbootready --check "$tree" >/dev/null || fail "the disk install is not ready after mkbootready"
ok "disk install: fstab's root and swap commented out (the noauto CD-ROM stays), RESUME=none, the host name emptied; --check passes"
mkbootready -q --undo "$tree"
tree_listing "$tree" >"$T/disk.undone"
diff -u "$T/disk.orig" "$T/disk.undone" || fail "--undo did not restore the disk install"
ok "disk install: --undo restores fstab, the resume file, the host name and ifupdown's files byte for byte"

# The README's way in: debootstrap leaves root's password locked; "bootchroot
# TREE -- passwd root" sets one (here from a pipe), the tree is still ready,
# and the cache it is linked to keeps its own /etc/shadow.
mkbootready -q "$tree"
grep -q '^root:[*!]' "$tree/etc/shadow" || fail "root's password is not locked in a fresh tree"
printf 'pxeroot-pw\npxeroot-pw\n' | setsid bootchroot -q "$tree" -- passwd root >"$T/passwd.out" 2>&1 ||
	fail "bootchroot -- passwd root: $(cat "$T/passwd.out")"
grep -q '^root:\$y\$' "$tree/etc/shadow" || fail "no password hash for root: $(grep '^root:' "$tree/etc/shadow")"
grep -q '^root:[*!]' "$DEBIAN_TREE_CACHE/root/etc/shadow" || fail "passwd wrote into the cached tree"
mkbootready --check "$tree" >/dev/null || fail "the tree is not ready after passwd"
ok "bootchroot TREE -- passwd root gives root a password; the tree stays ready"
