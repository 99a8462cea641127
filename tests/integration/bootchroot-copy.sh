#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bootchroot --copy-to NEW maintains a copy of the tree: NEW appears only when
# the command succeeded, prepared, with the command's changes and the
# original's journal (undoable); the original tree is left alone, byte for
# byte and inode for inode, so clients running from it see nothing. A failing
# command leaves no NEW and no temporary copy; an existing NEW is refused.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
requires_root
requires busybox

tree=$T/tree
fixture debian "$tree"
busybox_tree "$tree"
mkdir -p "$tree/root"
tree_listing "$tree" >"$T/original"
mkbootready -q --idmap-domain example.org "$tree"
tree_listing "$tree" >"$T/prepared"
inodes() { (cd "$1" && find . -printf '%i %p\n' | LC_ALL=C sort -k2); }
inodes "$tree" >"$T/ino"

bootchroot --idmap-domain example.org --copy-to "$T/new" "$tree" -- /bin/sh -c '
	echo maintained >/root/marker
	echo "tmpfs /mnt/pxeroot-copy tmpfs defaults 0 0" >>/etc/fstab
' >"$T/out"
grep -qxF "made $T/new, a maintained copy of $tree" "$T/out" || fail "no 'made' line: $(cat "$T/out")"
tree_listing "$tree" >"$T/listing"
diff -u "$T/prepared" "$T/listing" || fail "the original tree changed"
inodes "$tree" >"$T/ino.after"
diff -u "$T/ino" "$T/ino.after" || fail "an inode of the original tree changed"
ok "the original tree is the same, byte for byte and inode for inode"
[ "$(cat "$T/new/root/marker")" = maintained ] || fail "the copy lacks the command's file"
grep -q '^tmpfs /mnt/pxeroot-copy' "$T/new/etc/fstab" || fail "the copy's fstab lacks the command's line"
[ ! -e "$tree/root/marker" ] || fail "the command wrote into the original"
mkbootready -q --idmap-domain example.org --check "$T/new" || fail "the copy is not prepared"
[ -z "$(ls -A "$T" | grep bootchroot-new)" ] || fail "a temporary copy is left: $(ls -A "$T")"
ok "the copy has the command's changes, is prepared and passes --check"
mkbootready -q --undo "$T/new"
rm "$T/new/root/marker"
sed -i '/^tmpfs \/mnt\/pxeroot-copy/d' "$T/new/etc/fstab"
tree_listing "$T/new" >"$T/listing"
diff -u "$T/original" "$T/listing" || fail "the copy's undo is not the original"
ok "the copy's journal undoes it to the original tree"

expect_exit 1 bootchroot -q --idmap-domain example.org --copy-to "$T/new" "$tree" -- /bin/true 2>"$T/err"
grep -qxF "bootchroot: $T/new exists: --copy-to makes a new tree" "$T/err" || fail "existing NEW: $(cat "$T/err")"
expect_exit 3 bootchroot -q --idmap-domain example.org --copy-to "$T/new2" "$tree" -- /bin/sh -c 'exit 3' 2>"$T/err"
grep -qxF "bootchroot: not making $T/new2: the command failed" "$T/err" || fail "failed command: $(cat "$T/err")"
[ ! -e "$T/new2" ] || fail "a failed command left $T/new2"
[ -z "$(ls -A "$T" | grep bootchroot-new)" ] || fail "a temporary copy is left: $(ls -A "$T")"
tree_listing "$tree" >"$T/listing"
diff -u "$T/prepared" "$T/listing" || fail "the original tree changed"
ok "an existing NEW is refused; a failing command leaves no copy (exit status the command's)"
