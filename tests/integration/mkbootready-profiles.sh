#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mkbootready on a fixture tree of each profile family: the plan (--dry-run)
# and the result match tests/expected/, a dry run changes nothing, --check
# tells ready from not ready, a second run changes nothing, and --undo gives
# back the original tree byte for byte.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
requires_root

for fam in debian fedora opensuse arch alpine; do
	tree=$T/$fam
	fixture "$fam" "$tree"
	tree_listing "$tree" >"$T/$fam.before"

	mkbootready --idmap-domain example.org --dry-run "$tree" >"$T/$fam.plan"
	compare_expected "mkbootready-plan-$fam" "$T/$fam.plan"
	tree_listing "$tree" >"$T/$fam.after-dry"
	cmp -s "$T/$fam.before" "$T/$fam.after-dry" || fail "$fam: --dry-run changed the tree"
	ok "$fam: --dry-run changed nothing"

	expect_exit 1 mkbootready -q --idmap-domain example.org --check "$tree"
	ok "$fam: --check says an unprepared tree is not ready"

	mkbootready --idmap-domain example.org "$tree" >"$T/$fam.run1"
	grep -q "change.* made" "$T/$fam.run1" || fail "$fam: first run made no change"
	result_summary "$tree" >"$T/$fam.result"
	compare_expected "mkbootready-result-$fam" "$T/$fam.result"

	mkbootready --idmap-domain example.org --check "$tree" >"$T/$fam.check" ||
		fail "$fam: --check after preparing: $(cat "$T/$fam.check")"
	ok "$fam: --check says the prepared tree is ready"

	tree_listing "$tree" >"$T/$fam.prepared"
	mkbootready --idmap-domain example.org "$tree" >"$T/$fam.run2"
	grep -q "nothing to change" "$T/$fam.run2" || fail "$fam: second run: $(cat "$T/$fam.run2")"
	tree_listing "$tree" >"$T/$fam.prepared2"
	cmp -s "$T/$fam.prepared" "$T/$fam.prepared2" || fail "$fam: the second run changed the tree"
	ok "$fam: running twice changes nothing the second time"

	mkbootready -q --undo "$tree"
	tree_listing "$tree" >"$T/$fam.undone"
	if ! diff -u "$T/$fam.before" "$T/$fam.undone"; then
		fail "$fam: --undo did not restore the tree byte for byte"
	fi
	ok "$fam: --undo restores the tree byte for byte"
done

# Detection: a tree without a profile of its own is refused with a clear message.
mkdir -p "$T/unknown/etc"
echo 'ID=plan9' >"$T/unknown/etc/os-release"
expect_exit 1 mkbootready -n "$T/unknown" 2>"$T/unknown.err"
grep -q "no profile for ID=plan9" "$T/unknown.err" || fail "unknown distribution: $(cat "$T/unknown.err")"
ok "an unknown distribution is refused"
# --profile overrides detection.
mkbootready -n --profile debian --idmap-domain example.org "$T/unknown" | grep >/dev/null '^profile: debian' ||
	fail "--profile did not override detection"
ok "--profile overrides detection"
