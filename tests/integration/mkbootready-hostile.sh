#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A hostile tree whose links point out of it (absolute and ../ links to files
# and directories outside): mkbootready and --undo touch nothing outside the
# tree, and --undo still restores the tree byte for byte. Also: the host's /
# is refused, by name or through a link.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
requires_root

out=$T/outside
mkdir -p "$out/ssh" "$out/systemd/system" "$out/journal" "$out/pxeroot"
for f in fstab idmapd.conf machine-id resolv.conf; do echo "canary $f" >"$out/$f"; done
echo "canary key" >"$out/ssh/ssh_host_rsa_key"
echo "canary unit" >"$out/systemd/system/fstrim.timer"

tree=$T/tree
fixture debian "$tree"
up=../../../../../../../../../../..
rm -rf "$tree/etc/fstab" "$tree/etc/ssh" "$tree/etc/systemd" "$tree/etc/idmapd.conf" \
	"$tree/etc/machine-id" "$tree/etc/resolv.conf"
ln -s "$out/fstab" "$tree/etc/fstab"
ln -s "$up$out/ssh" "$tree/etc/ssh"
ln -s "$out/systemd" "$tree/etc/systemd"
ln -s "/..$out/idmapd.conf" "$tree/etc/idmapd.conf"
ln -s "$up$out/machine-id" "$tree/etc/machine-id"
ln -s "$out/resolv.conf" "$tree/etc/resolv.conf"
mkdir -p "$tree/usr/lib"
ln -s "$up$out/pxeroot" "$tree/usr/lib/pxeroot"

tree_listing "$out" >"$T/outside.before"
tree_listing "$tree" >"$T/tree.before"

rc=0
mkbootready --idmap-domain example.org "$tree" >"$T/run.out" 2>&1 || rc=$?
echo "mkbootready exited $rc:"; tail -3 "$T/run.out"
tree_listing "$out" >"$T/outside.after"
diff -u "$T/outside.before" "$T/outside.after" || fail "mkbootready changed files outside the tree"
ok "mkbootready touched nothing outside the hostile tree"

rc=0
mkbootready --idmap-domain example.org "$tree" >"$T/run2.out" 2>&1 || rc=$?
mkbootready --idmap-domain example.org --check "$tree" >/dev/null 2>&1 || true
tree_listing "$out" >"$T/outside.after2"
diff -u "$T/outside.before" "$T/outside.after2" || fail "a second run changed files outside the tree"
ok "a second run and --check touched nothing outside"

mkbootready -q --undo "$tree"
tree_listing "$out" >"$T/outside.after3"
diff -u "$T/outside.before" "$T/outside.after3" || fail "--undo changed files outside the tree"
ok "--undo touched nothing outside"
tree_listing "$tree" >"$T/tree.after"
diff -u "$T/tree.before" "$T/tree.after" || fail "--undo did not restore the hostile tree"
ok "--undo restored the hostile tree byte for byte"

# A journal directory that is a link out of the tree.
tree2=$T/tree2
fixture debian "$tree2"
ln -s "$out/journal" "$tree2/var/lib/pxeroot"
tree_listing "$tree2" >"$T/tree2.before"
mkbootready --idmap-domain example.org "$tree2" >/dev/null 2>&1 || true
mkbootready -q --undo "$tree2" >/dev/null 2>&1 || true
tree_listing "$out" >"$T/outside.after4"
diff -u "$T/outside.before" "$T/outside.after4" || fail "a linked journal directory escaped the tree"
tree_listing "$tree2" >"$T/tree2.after"
diff -u "$T/tree2.before" "$T/tree2.after" || fail "tree with a linked journal directory changed"
ok "a journal directory linked out of the tree is kept inside"

# The running system's root is refused, by name, by another spelling, by a link.
ln -s / "$T/hostlink"
for r in / /. //usr/.. "$T/hostlink"; do
	expect_exit 1 mkbootready -n "$r" 2>"$T/host.err"
	grep -q "running system's root: refusing without --force-host" "$T/host.err" ||
		fail "$r: $(cat "$T/host.err")"
	ok "SYSROOT $r is refused"
done
expect_exit 1 mkbootready --undo / 2>/dev/null
expect_exit 1 mkbootready --check / 2>/dev/null
ok "--undo and --check refuse / as well"

# Usage errors exit 2 with a hint; a missing tree exits 1 with one line.
expect_exit 2 mkbootready 2>"$T/usage.err"
grep -q "Try 'mkbootready --help'" "$T/usage.err" || fail "no --help hint: $(cat "$T/usage.err")"
expect_exit 2 mkbootready --bogus "$tree" 2>/dev/null
expect_exit 2 mkbootready --check --undo "$tree" 2>/dev/null
expect_exit 1 mkbootready -n "$T/nonexistent" 2>"$T/missing.err"
assert_eq "mkbootready: cannot open $T/nonexistent: No such file or directory" \
	"$(cat "$T/missing.err")" "a missing SYSROOT is one clear line"
