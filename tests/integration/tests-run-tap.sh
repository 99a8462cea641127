#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/run's reading of unit test binaries (TAP), and tests/unit/tap.h's
# skips and hooks: a binary that exits 0 with fewer results than its plan
# fails, as does one without a plan; "ok ... # SKIP" and "1..0 # SKIP" are
# skips, failures under PXEROOT_STRICT=1.
. "$(dirname "$0")/../lib.sh"

requires cc
b=$T/build/tests
mkdir -p "$b"
fake() {
	local name=$1
	shift
	printf '#!/bin/sh\n%s\n' "$*" >"$b/test-fake-$name"
	chmod +x "$b/test-fake-$name"
}
fake good 'echo 1..2; echo "ok 1 - a"; echo "ok 2 - b"'
fake short 'echo 1..3; echo "ok 1 - a"; echo "ok 2 - b"'
fake noplan 'echo "ok 1 - a"'
fake crash 'echo 1..1; echo "ok 1 - a"; exit 3'
fake skipall 'echo "1..0 # SKIP no widget here"'
fake skipone 'echo 1..2; echo "ok 1 - a"; echo "ok 2 - b # SKIP no gadget"'

# tap.h itself: a case that skips, hooks in the right processes.
cat >"$T/tap-demo.c" <<'C'
#include "tap.h"
static int prepared;
static void before_all(void) { printf("# before_all\n"); }
static void before_each(void) { prepared = 1; }
static void after_all(void) { printf("# after_all %d\n", prepared); }
static void test_prepared(void) { check(prepared == 1); }
static void test_skipped(void) { tap_skip("not today"); check(0); }
static void test_fails(void) { check_int(1, 2); }
int main(void)
{
	static const struct tap_case cases[] = { TAP_CASE(test_prepared),
						 TAP_CASE(test_skipped), TAP_CASE(test_fails) };
	static const struct tap_hooks hooks = { before_all, before_each, after_all };
	return tap_run_with(cases, 3, &hooks);
}
C
cc -std=gnu11 -I"$SRC/tests/unit" -o "$b/test-fake-tapdemo" "$T/tap-demo.c"

run() {
	PXEROOT_BUILD=$T/build PXEROOT_STRICT=${strict:-} "$SRC/tests/run" test-fake >"$T/out" 2>&1 || true
}
run
grep -q '^PASS test-fake-good (2 cases, ' "$T/out" || fail "a full run passes: $(cat "$T/out")"
grep -q '^FAIL test-fake-short (2/3 cases, .*exit 0)' "$T/out" || fail "fewer results than the plan pass"
grep -q '^FAIL test-fake-noplan ' "$T/out" || fail "a binary without a plan passes"
grep -q '^FAIL test-fake-crash ' "$T/out" || fail "a non-zero exit after every result passes"
grep -q '^SKIP test-fake-skipall: no widget here$' "$T/out" || fail "1..0 # SKIP is not a skip"
grep -q '^PASS test-fake-skipone (1 cases, 1 skipped, ' "$T/out" || fail "ok # SKIP is not a skip"
ok "plans, skips and exit statuses are read"

grep -q '^  test-fake-tapdemo: ok 2 - test_skipped # SKIP not today$' "$T/out" ||
	fail "tap_skip in a case: $(cat "$T/out")"
grep -q '^  test-fake-tapdemo: not ok 3 - test_fails$' "$T/out" || fail "a failing case"
grep -q '^FAIL test-fake-tapdemo (1/3 cases' "$T/out" || fail "tap.h's binary"
log=$T/build/test-logs/test-fake-tapdemo.log
grep -q '^ok 1 - test_prepared$' "$log" || fail "before_each did not run in the case"
grep -q '^# before_all$' "$log" || fail "before_all"
# after_all runs in the parent, where before_each never ran.
grep -q '^# after_all 0$' "$log" || fail "after_all: $(cat "$log")"
ok "tap.h: tap_skip, before_all, before_each, after_all"

strict=1 run
grep -q '^FAIL test-fake-skipall (skipped in strict mode: no widget here)' "$T/out" ||
	fail "strict mode: a skipped binary"
grep -q '^FAIL test-fake-skipone (1/2 cases' "$T/out" || fail "strict mode: a skipped case"
grep -q '^PASS test-fake-good ' "$T/out" || fail "strict mode: a full run"
ok "strict mode fails skips"
