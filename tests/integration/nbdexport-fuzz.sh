#!/bin/bash
# A short libFuzzer run (about 10 s per target) of the handshake and request
# parsers under ASan and UBSan; `make fuzz` runs them longer.
# timeout: 300
. "$(dirname "$0")/../lib.sh"
# A command failing under set -e says where, not just exit 1.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires clang make
[ -n "$(find /usr/lib/llvm-*/lib/clang -name 'libclang_rt.fuzzer-x86_64.a' 2>/dev/null)" ] ||
	skip "libFuzzer is not installed (package libclang-rt-dev)"

make -C "$SRC" -s -j"$(nproc)" O="$BUILD" "$BUILD/fuzz/fuzz-handshake" "$BUILD/fuzz/fuzz-transmission" >"$T/build.log" 2>&1 || fail "fuzz build: $(tail -20 "$T/build.log")"
for t in fuzz-handshake fuzz-transmission; do
	"$SRC/tests/fuzz/seeds.sh" "$t" "$T/corpus-$t"
	if ! "$BUILD/fuzz/$t" -max_total_time="${FUZZ_SECONDS:-10}" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$T/" "$T/corpus-$t" >"$T/$t.log" 2>&1; then
		tail -40 "$T/$t.log"
		fail "$t found a problem (input kept in $T with PXEROOT_KEEP=1)"
	fi
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$T/$t.log")
	[ "${runs:-0}" -gt 1000 ] || fail "$t ran only ${runs:-0} inputs"
	ok "$t: $runs inputs, no crash, leak or undefined behaviour"
done
