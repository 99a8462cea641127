#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 of bootchroot at many points of its cycle, staged (the undo, the
# command and the new preparation in the overlay, then the merge into the
# tree) and --in-place (undo with the keep directory, the command, the new
# preparation, the kept files put back): a run
# of mkbootready always repairs the tree to what an uninterrupted run gives,
# and --undo then restores the original byte for byte. Run slowly
# (tests/preload/slowfs.so), the undo and the preparation pause after each
# change to a directory so the kills land between (and, by timing, during)
# changes.
# timeout: 300
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
requires_root
requires busybox

tree=$T/tree
fixture debian "$tree"
busybox_tree "$tree"
tree_listing "$tree" >"$T/before"
ref=$T/ref
cp -a "$tree" "$ref"
mkbootready -q --idmap-domain example.org "$ref"
result_summary "$ref" >"$T/ref.result"

export SLOWFS_DELAY_MS=5
kills=0 merges=0
for i in $(seq 1 12); do
	mkbootready -q --idmap-domain example.org "$tree"
	# Over the whole cycle (1.7 s here): about 40 restores and 37 changes,
	# some 200 calls that change a directory, 5 ms each, and the kept files
	# put back.
	ms=$(((i * 149 + RANDOM % 40) % 1800))
	# Every other run in place, the rest staged (lib/stage.h).
	mode=
	[ $((i % 2)) = 1 ] && mode=--in-place
	slowly bootchroot -q $mode --idmap-domain example.org "$tree" -- /bin/true &
	pid=$!
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null || true
	# Its children share the tree's lock a moment longer.
	for _ in $(seq 1 100); do flock -n "$tree" true && break; sleep 0.1; done
	[ -e "$T/.tree.bootchroot/merging" ] && merges=$((merges + 1))
	mkbootready -q --idmap-domain example.org "$tree"
	result_summary "$tree" >"$T/result"
	diff -u "$T/ref.result" "$T/result" || fail "kill at ${ms}ms, repaired: not the uninterrupted result"
	mkbootready -q --idmap-domain example.org --check "$tree" || fail "kill at ${ms}ms: --check fails"
	mkbootready -q --undo "$tree"
	tree_listing "$tree" >"$T/after"
	diff -u "$T/before" "$T/after" || fail "kill at ${ms}ms: --undo did not restore the tree"
	ok "kill -9 of bootchroot ${mode:-staged} at ${ms}ms: repaired, then undone byte for byte"
done
[ "$kills" -ge 6 ] || fail "only $kills of 12 runs were still going when killed"
ok "$kills runs killed in the middle ($merges of them during a staged merge, finished by mkbootready)"
