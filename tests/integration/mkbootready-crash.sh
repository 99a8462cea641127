#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 at many points of a run (and of an undo): the tree is always either
# repaired by a re-run (same result as an uninterrupted run) or restored byte
# for byte by --undo. Run slowly (tests/preload/slowfs.so), mkbootready pauses
# after each change to a directory so the kills land between (and, by timing,
# during) changes.
# timeout: 300
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
requires_root

tree=$T/tree
fixture debian "$tree"
tree_listing "$tree" >"$T/before"
ref=$T/ref
fixture debian "$ref"
mkbootready -q --idmap-domain example.org "$ref"
result_summary "$ref" >"$T/ref.result"

export SLOWFS_DELAY_MS=5
kills=0
for i in $(seq 1 16); do
	# Spread the kills over the whole run (35 changes, about 100 calls that
	# change a directory, x 5 ms), plus jitter.
	ms=$(((i * 37 + RANDOM % 20) % 600))
	slowly mkbootready -q --idmap-domain example.org "$tree" &
	pid=$!
	sleep "$(printf '0.%03d' "$ms")"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null || true
	if [ $((i % 2)) = 0 ]; then
		mkbootready -q --idmap-domain example.org "$tree"
		result_summary "$tree" >"$T/result"
		diff -u "$T/ref.result" "$T/result" || fail "kill at ${ms}ms, re-run: not the uninterrupted result"
		mkbootready -q --idmap-domain example.org --check "$tree" || fail "kill at ${ms}ms, re-run: --check fails"
		# Now kill an undo half way, and finish it.
		slowly mkbootready -q --undo "$tree" &
		pid=$!
		sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	mkbootready -q --undo "$tree"
	tree_listing "$tree" >"$T/after"
	diff -u "$T/before" "$T/after" || fail "kill at ${ms}ms: --undo did not restore the tree"
	ok "kill -9 at ${ms}ms: $([ $((i % 2)) = 0 ] && echo "re-run and killed undo" || echo "undo") recovered"
done
[ "$kills" -ge 8 ] || fail "only $kills of 16 runs were still going when killed"
ok "$kills runs killed in the middle"
