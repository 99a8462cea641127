#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A short libFuzzer run (about 5 s per target) of every parser of network
# input on the client side and of pxebootsrv's configuration, under ASan and
# UBSan: the kernel command line, the DHCP root-path, the helper's HTTP client,
# its NBD handshake, its image probe, the image's dm-verity superblock. `make fuzz` runs them longer.
# timeout: 300
. "$(dirname "$0")/../lib.sh"
# A command failing under set -e says where, not just exit 1.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires clang make
[ -n "$(find /usr/lib/llvm-*/lib/clang -name 'libclang_rt.fuzzer-x86_64.a' 2>/dev/null)" ] ||
	skip "libFuzzer is not installed (package libclang-rt-dev)"

targets="fuzz-cmdline fuzz-root-path fuzz-http fuzz-nbd-client fuzz-probe fuzz-verity-sb
	fuzz-pxebootsrv-config"
make -C "$SRC" -s -j"$(nproc)" O="$BUILD" $(printf "$BUILD/fuzz/%s " $targets) >"$T/build.log" 2>&1 ||
	fail "fuzz build: $(tail -20 "$T/build.log")"
for t in $targets; do
	"$SRC/tests/fuzz/seeds.sh" "$t" "$T/corpus-$t"
	if ! "$BUILD/fuzz/$t" -max_total_time="${FUZZ_SECONDS:-5}" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$T/" "$T/corpus-$t" >"$T/$t.log" 2>&1; then
		tail -40 "$T/$t.log"
		fail "$t found a problem (input kept in $T with PXEROOT_KEEP=1)"
	fi
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$T/$t.log")
	[ "${runs:-0}" -gt 1000 ] || fail "$t ran only ${runs:-0} inputs"
	ok "$t: $runs inputs, no crash, leak or undefined behaviour"
done
