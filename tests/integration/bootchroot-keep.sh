#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bootchroot --in-place (the preparation undone in the tree itself, not in a
# staging overlay: bootchroot-stage) on a prepared tree gives every prepared
# path that did not change
# its old inode back (an NFS client's handle to it stays good): with a command
# that changes nothing, every path the preparation touched (files, links, the
# directories it made) has the same inode after; while the command runs, each
# of them is still alive (a link in the keep directory); a command that edits
# one prepared file gets that one prepared again and only that one new. A
# second mkbootready run writes nothing. A bootchroot killed during its command
# leaves a keep directory that --check reports and --undo and mkbootready
# remove, and --undo is still byte for byte. With DEBIAN=1 (debian-bootchroot-
# keep) the same on the cached Debian 12 tree, with its own /bin/sh.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
requires_root

tree=$T/tree
if [ "${DEBIAN:-}" = 1 ]; then
	requires debootstrap
	# A copy: the command writes in place.
	debian_tree "$tree"
else
	requires busybox
	fixture debian "$tree"
	busybox_tree "$tree"
fi
prep() { mkbootready -q --idmap-domain example.org "$@"; }
tree_listing "$tree" >"$T/original"
prep "$tree"
tree_listing "$tree" >"$T/prepared"

# The paths the preparation touched (the journal's), each held by a hard link
# (a directory by an open fd) so that its inode number cannot be reused by
# another file while the test compares numbers.
mkdir "$T/hold"
sed -n 's/^path //p' "$tree"/var/lib/pxeroot/journal/* | LC_ALL=C sort >"$T/paths"
[ "$(wc -l <"$T/paths")" -ge 20 ] || fail "only $(wc -l <"$T/paths") journaled paths"
inodes() {
	local p
	while read -r p; do
		if [ -e "$tree$p" ] || [ -L "$tree$p" ]; then
			stat -c '%i %A %n' "$tree$p"
		fi
	done <"$T/paths"
}
inodes >"$T/ino.prepared"
i=0 dirs=0
declare -a dirfds
while read -r _ mode name; do
	i=$((i + 1))
	if [ "${mode:0:1}" = d ]; then
		exec {fd}<"$name"
		dirfds+=("$fd")
		dirs=$((dirs + 1))
	else
		ln -P "$name" "$T/hold/$i"
	fi
done <"$T/ino.prepared"
[ "$dirs" -ge 2 ] || fail "the preparation made only $dirs directories"
ok "$i prepared paths ($dirs directories made by the preparation) held"

out=$(mkbootready --idmap-domain example.org "$tree" | grep -v -e ': ok$' -e '^profile:' -e '^nothing to change' || true)
[ -z "$out" ] || fail "a second mkbootready changed: $out"
inodes >"$T/ino.again"
diff -u "$T/ino.prepared" "$T/ino.again" || fail "a second mkbootready gave paths new inodes"
ok "a second mkbootready writes nothing: every inode is the same"

# While the command runs, the prepared objects are alive in the keep
# directory: each held file or link has a second link.
bootchroot -q --in-place --idmap-domain example.org "$tree" -- /bin/sh -c 'sleep 3' &
bc=$!
for _ in $(seq 1 50); do [ -d "$tree/var/lib/pxeroot/keep" ] && break; sleep 0.1; done
sleep 1
[ -d "$tree/var/lib/pxeroot/keep" ] || fail "no keep directory while the command runs"
[ ! -e "$tree/var/lib/pxeroot/journal" ] || fail "the preparation is not undone while the command runs"
single=$(find "$T/hold" -links 1 | wc -l)
[ "$single" = 0 ] || fail "$single prepared objects have no link but the test's while the command runs"
wait "$bc" || fail "bootchroot -- sleep failed"
ok "while the command runs, every prepared object is kept alive ($(ls "$T/hold" | wc -l) files and links)"
inodes >"$T/ino.after"
diff -u "$T/ino.prepared" "$T/ino.after" || fail "bootchroot -- sleep changed inodes"
tree_listing "$tree" >"$T/listing"
diff -u "$T/prepared" "$T/listing" || fail "the tree differs after bootchroot"
[ ! -e "$tree/var/lib/pxeroot/keep" ] || fail "the keep directory is left"
prep --check "$tree" >/dev/null || fail "--check fails after bootchroot"
ok "bootchroot -- sleep: every prepared path has its old inode; the tree is the same; --check passes"

bootchroot -q --in-place --idmap-domain example.org "$tree" -- /bin/true
inodes >"$T/ino.after"
diff -u "$T/ino.prepared" "$T/ino.after" || fail "bootchroot -- true changed inodes"
ok "bootchroot -- true: every prepared path has its old inode"

# The command edits one prepared file (fstab, which the preparation rewrites).
bootchroot -q --in-place --idmap-domain example.org "$tree" -- /bin/sh -c \
	'echo "proc-test /mnt/pxeroot-test tmpfs defaults 0 0" >>/etc/fstab'
grep -q '^proc-test /mnt/pxeroot-test tmpfs' "$tree/etc/fstab" || fail "the command's line is not in fstab"
grep -q '^# pxeroot: writable in RAM' "$tree/etc/fstab" || fail "fstab is not prepared"
inodes >"$T/ino.after"
diff "$T/ino.prepared" "$T/ino.after" | grep '^[<>]' >"$T/changed" || true
[ "$(grep -c '^>' "$T/changed")" = 1 ] && grep -q '^> .*/tree/etc/fstab$' "$T/changed" ||
	fail "not just fstab has a new inode: $(cat "$T/changed")"
prep --check "$tree" >/dev/null || fail "--check fails after the fstab edit"
ok "a command that edits fstab: fstab has its line and is prepared, the only new inode"

# A bootchroot killed during its command leaves the tree undone and a keep
# directory: --check names it, --undo removes it with the rest.
bootchroot -q --in-place --idmap-domain example.org "$tree" -- /bin/sh -c 'exec sleep 60' &
bc=$!
for _ in $(seq 1 100); do [ -d "$tree/var/lib/pxeroot/keep" ] && [ ! -e "$tree/var/lib/pxeroot/journal" ] && break; sleep 0.1; done
sleep 0.5
kill -9 "$bc"
wait "$bc" 2>/dev/null || true
# Its children, which share the tree's lock, die with it, a moment later.
for _ in $(seq 1 100); do flock -n "$tree" true && break; sleep 0.1; done
[ -d "$tree/var/lib/pxeroot/keep" ] || fail "the killed bootchroot left no keep directory to test with"
expect_exit 1 mkbootready --idmap-domain example.org --check "$tree" >"$T/check"
grep -qx 'leftovers: not ready (/var/lib/pxeroot/keep, left by an interrupted bootchroot)' "$T/check" ||
	fail "--check does not name the keep directory: $(cat "$T/check")"
ok "--check reports the keep directory of a killed bootchroot"
mkbootready -q --undo "$tree"
# The command's fstab line is the tree's own now: the original had none.
sed -i '/^proc-test \/mnt\/pxeroot-test/d' "$tree/etc/fstab"
tree_listing "$tree" >"$T/listing"
diff -u "$T/original" "$T/listing" || fail "--undo after a killed bootchroot is not byte for byte"
ok "--undo after a killed bootchroot removes the keep directory: the tree is the original"

# And mkbootready removes one too.
prep "$tree"
bootchroot -q --in-place --idmap-domain example.org "$tree" -- /bin/sh -c 'exec sleep 60' &
bc=$!
for _ in $(seq 1 100); do [ -d "$tree/var/lib/pxeroot/keep" ] && [ ! -e "$tree/var/lib/pxeroot/journal" ] && break; sleep 0.1; done
sleep 0.5
kill -9 "$bc"
wait "$bc" 2>/dev/null || true
# Its children, which share the tree's lock, die with it, a moment later.
for _ in $(seq 1 100); do flock -n "$tree" true && break; sleep 0.1; done
mkbootready --idmap-domain example.org "$tree" >"$T/run"
grep -qx 'leftovers: remove /var/lib/pxeroot/keep (left by an interrupted bootchroot)' "$T/run" ||
	fail "mkbootready does not remove the keep directory: $(grep leftovers "$T/run")"
[ ! -e "$tree/var/lib/pxeroot/keep" ] || fail "the keep directory is left"
prep --check "$tree" >/dev/null || fail "--check fails after the repair"
mkbootready -q --undo "$tree"
tree_listing "$tree" >"$T/listing"
diff -u "$T/original" "$T/listing" || fail "--undo is not byte for byte"
ok "mkbootready removes a killed bootchroot's keep directory; --undo is byte for byte"
for fd in "${dirfds[@]}"; do exec {fd}<&-; done
