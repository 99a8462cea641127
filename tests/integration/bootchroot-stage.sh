#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bootchroot stages its work (lib/stage.h): the undo, the command and the new
# preparation happen in an overlay whose upper layer is a directory beside the
# tree, and only the result is merged into the tree. While the command runs,
# the tree is unchanged (still prepared, every object with its inode); a
# command that changes nothing changes nothing (every object of the tree keeps
# its inode); one that edits a file changes that file only, and the old object
# stays alive in the retired directory; files, links and directories made,
# removed and replaced by the command (an opaque directory included) arrive as
# made; a failed command leaves the tree as it was; a bootchroot killed during
# its command leaves a stage directory that --check reports and the next run
# drops. --in-place is bootchroot-keep's subject.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
requires_root
requires busybox

tree=$T/tree
stage=$T/.tree.bootchroot
fixture debian "$tree"
busybox_tree "$tree"
bc() { bootchroot -q --idmap-domain example.org "$tree" "$@"; }
mkbootready -q --idmap-domain example.org "$tree"
tree_listing "$tree" >"$T/prepared"
# Every object's inode, but pxeroot's own directory (the journal records what
# the command changed).
inodes() {
	(cd "$tree" && find . -path ./var/lib/pxeroot -prune -o -printf '%i %p\n' | LC_ALL=C sort -k2)
}
inodes >"$T/ino.prepared"
# Held by a second link, so that no number is reused while the test compares.
mkdir "$T/hold"
n=0
(cd "$tree" && find . -path ./var/lib/pxeroot -prune -o ! -type d -print) | while read -r f; do
	n=$((n + 1))
	ln -P "$tree/$f" "$T/hold/$n"
done

# 1. While the command runs: the tree is the prepared one.
bc -- /bin/sh -c 'echo during >/etc/during; sleep 3' &
pid=$!
for _ in $(seq 1 100); do [ -d "$stage/upper/etc" ] && break; sleep 0.05; done
[ -d "$stage/upper" ] || fail "no stage directory beside the tree while the command runs"
sleep 1
[ -d "$tree/var/lib/pxeroot/journal" ] || fail "the tree's preparation was undone while the command runs"
[ ! -e "$tree/etc/during" ] || fail "the command's file is in the tree before the merge"
inodes >"$T/ino.during"
diff -u "$T/ino.prepared" "$T/ino.during" || fail "the tree changed while the command runs"
wait "$pid" || fail "bootchroot -- sleep failed"
[ ! -e "$stage" ] || fail "the stage directory is left after the run"
[ "$(cat "$tree/etc/during")" = during ] || fail "the command's file is not in the tree after the merge"
ok "while the command runs the tree is untouched and prepared; its result arrives at the end"
rm "$tree/etc/during"
inodes >"$T/ino.prepared"

# 2. A command that changes nothing changes nothing.
bc -- /bin/true
inodes >"$T/ino.after"
diff -u "$T/ino.prepared" "$T/ino.after" || fail "bootchroot -- true changed inodes"
tree_listing "$tree" >"$T/listing"
diff -u "$T/prepared" "$T/listing" || fail "bootchroot -- true changed the tree"
mkbootready -q --idmap-domain example.org --check "$tree" || fail "--check fails after bootchroot -- true"
ok "bootchroot -- true: the tree is byte for byte the same, all $(wc -l <"$T/ino.after") objects keep their inode"

# 3. An edit of a prepared file: only that file is new; the old one is retired.
old_fstab=$(stat -c %i "$tree/etc/fstab")
bc -- /bin/sh -c 'echo "proc-test /mnt/pxeroot-test tmpfs defaults 0 0" >>/etc/fstab'
grep -q '^proc-test /mnt/pxeroot-test tmpfs' "$tree/etc/fstab" || fail "the command's fstab line is not in the tree"
grep -q '^# pxeroot: writable in RAM' "$tree/etc/fstab" || fail "fstab is not prepared"
inodes >"$T/ino.after"
diff "$T/ino.prepared" "$T/ino.after" | grep '^>' >"$T/changed" || true
[ "$(cat "$T/changed")" = "> $(stat -c %i "$tree/etc/fstab") ./etc/fstab" ] ||
	fail "not just fstab is new: $(cat "$T/changed")"
find "$tree/var/lib/pxeroot/retired" -inum "$old_fstab" | grep . >/dev/null ||
	fail "the old fstab is not kept in the retired directory"
mkbootready -q --idmap-domain example.org --check "$tree" || fail "--check fails after the fstab edit"
ok "a command that edits fstab: fstab has its line, is prepared, and is the only new object; the old one is retired"
# mkbootready leaves a fresh retired run alone and removes one ten minutes old.
mkbootready -q --idmap-domain example.org "$tree"
[ -n "$(ls -A "$tree/var/lib/pxeroot/retired")" ] || fail "mkbootready removed a fresh retired run"
touch -d '-11 minutes' "$tree"/var/lib/pxeroot/retired/*
mkbootready -q --idmap-domain example.org "$tree"
[ ! -e "$tree/var/lib/pxeroot/retired" ] || fail "mkbootready left a retired run older than ten minutes"
ok "mkbootready keeps a fresh retired run and removes one older than ten minutes"
inodes >"$T/ino.prepared"

# 4. Files, links and directories made, removed and replaced.
bc -- /bin/sh -c 'mkdir -p /var/x/y && echo a >/var/x/y/f && ln -s f /var/x/y/l && echo k >/var/x/keep'
[ "$(cat "$tree/var/x/y/f")" = a ] && [ "$(readlink "$tree/var/x/y/l")" = f ] ||
	fail "a new directory with a file and a link did not arrive"
bc -- /bin/sh -c 'rm -r /var/x/y && echo b >/var/x/keep && mkdir /var/x/y2'
[ ! -e "$tree/var/x/y" ] || fail "a removed directory is still in the tree"
[ "$(cat "$tree/var/x/keep")" = b ] && [ -d "$tree/var/x/y2" ] || fail "a changed file or a new directory did not arrive"
bc -- /bin/sh -c 'rm -r /var/x && mkdir /var/x && echo c >/var/x/only'
[ "$(cd "$tree/var/x" && ls -A)" = only ] || fail "a directory removed and made again holds $(ls -A "$tree/var/x")"
bc -- /bin/sh -c 'rm -r /var/x && echo file >/var/x'
[ -f "$tree/var/x" ] && [ "$(cat "$tree/var/x")" = file ] || fail "a directory replaced by a file did not arrive"
bc -- /bin/sh -c 'rm /var/x && mkdir /var/x'
[ -d "$tree/var/x" ] || fail "a file replaced by a directory did not arrive"
bc -- rm -r /var/x
[ ! -e "$tree/var/x" ] || fail "/var/x was not removed"
if getfattr -R -d -m 'trusted\.overlay\.' "$tree" 2>/dev/null | grep . >/dev/null; then
	fail "overlay attributes were merged into the tree: $(getfattr -R -d -m 'trusted\.overlay\.' "$tree" | head -5)"
fi
find "$tree" -type c -print | grep . >/dev/null && fail "a whiteout was merged into the tree: $(find "$tree" -type c)"
mkbootready -q --idmap-domain example.org --check "$tree" || fail "--check fails after the changes"
ok "files, links and directories made, removed and replaced arrive as made; no overlay attribute, no whiteout"

# 5. A failed command leaves the tree as it was.
tree_listing "$tree" >"$T/before"
inodes >"$T/ino.before"
expect_exit 3 bc -- /bin/sh -c 'echo junk >/etc/junk; rm /etc/hostname; exit 3' 2>"$T/err"
grep -q 'as it was' "$T/err" || fail "no word that the tree is unchanged: $(cat "$T/err")"
tree_listing "$tree" >"$T/listing"
diff -u "$T/before" "$T/listing" || fail "a failed command changed the tree"
inodes >"$T/ino.after"
diff -u "$T/ino.before" "$T/ino.after" || fail "a failed command changed inodes"
[ ! -e "$stage" ] || fail "the stage directory is left after a failed command"
ok "a failed command (exit 3): the tree is byte for byte as it was"

# 6. Killed during its command: --check names the stage directory, the next
# run drops it, and the tree never saw the command's work.
bootchroot -q --idmap-domain example.org "$tree" -- /bin/sh -c 'echo half >/etc/half; exec sleep 60' &
pid=$!
for _ in $(seq 1 100); do [ -e "$stage/upper/etc/half" ] && break; sleep 0.05; done
[ -e "$stage/upper/etc/half" ] || fail "the command did not start"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
for _ in $(seq 1 100); do flock -n "$tree" true && break; sleep 0.1; done
[ -d "$stage" ] || fail "the killed bootchroot left no stage directory to test with"
expect_exit 1 mkbootready --idmap-domain example.org --check "$tree" >"$T/check"
grep -qx 'leftovers: not ready (the stage directory beside the tree, left by an interrupted bootchroot)' "$T/check" ||
	fail "--check does not name the stage directory: $(cat "$T/check")"
bootchroot --idmap-domain example.org "$tree" -- /bin/true 2>"$T/err"
grep -q 'dropped the staged changes' "$T/err" || fail "bootchroot did not say it dropped the stage: $(cat "$T/err")"
[ ! -e "$stage" ] && [ ! -e "$tree/etc/half" ] || fail "the interrupted command's work reached the tree"
tree_listing "$tree" >"$T/listing"
diff -u "$T/before" "$T/listing" || fail "the tree changed after an interrupted command"
ok "killed during its command: --check names the stage, the next run drops it, the tree is as it was"

# 7. --undo after all that is byte for byte the original (the fixture).
mkbootready -q --undo "$tree"
# The command's fstab line is the tree's own now: the original had none.
sed -i '/^proc-test \/mnt\/pxeroot-test/d' "$tree/etc/fstab"
fixture debian "$T/orig"
busybox_tree "$T/orig"
tree_listing "$T/orig" >"$T/orig.listing"
tree_listing "$tree" >"$T/listing"
diff -u "$T/orig.listing" "$T/listing" || fail "--undo is not byte for byte"
[ ! -e "$tree/var/lib/pxeroot" ] || fail "--undo left /var/lib/pxeroot: $(ls -A "$tree/var/lib/pxeroot")"
ok "--undo afterwards: the original tree byte for byte, no retired directory left"
