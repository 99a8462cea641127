#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every program: every long option printed by --help is in the man page;
# --help exits 0 on stdout, -V and --version print the version, and -q, -h, -V
# are worded the same everywhere (lib/basic/cli.h).
. "$(dirname "$0")/../lib.sh"

for spec in mkbootready.8 bootchroot.8 nbdexport.8 mkbootimage.8 pxebootsrv.8 \
	pxeroot-cmdline.1 pxeroot-verity.1; do
	prog=${spec%.*}
	page=$SRC/doc/$spec.scd
	"$prog" --help >"$T/$prog.help" || fail "$prog --help failed"
	grep -q "^Usage: $prog " "$T/$prog.help" || fail "$prog --help has no usage line"
	n=0
	for opt in $(grep -o -- '--[a-z][a-z-]*' "$T/$prog.help" | sort -u); do
		grep -q -- "\*$opt\|, $opt\*\|\*-., $opt" "$page" || fail "$prog: $opt is not in $page"
		n=$((n + 1))
	done
	# pxeroot-verity has only the shared four; the others have more.
	min=8
	[ "$prog" = pxeroot-verity ] && min=4
	[ "$n" -ge "$min" ] || fail "$prog: only $n long options found in --help"
	ok "$prog: all $n long options of --help are in the man page"
	"$prog" --version | grep >/dev/null "^$prog (pxeroot) " || fail "$prog --version"
	"$prog" -V | grep >/dev/null "^$prog (pxeroot) " || fail "$prog -V"
	ok "$prog -V and --version"
	for line in '-q, --quiet *print errors only' '-h, --help *show this help and exit' \
		'-V, --version *show the version and exit'; do
		grep -q -- "^  $line\$" "$T/$prog.help" || fail "$prog --help lacks '$line'"
	done
	ok "$prog: -q, -h and -V are the shared ones"
done
grep -q '^\*offline\*' "$SRC/doc/pxeroot-profile.5.scd" || fail "pxeroot-profile(5) lacks offline"
for key in $(sed -n 's/^\([a-z-]*\) *=.*/\1/p' "$SRC"/data/profiles/*.conf | sort -u); do
	grep -q "^\*$key\* =" "$SRC/doc/pxeroot-profile.5.scd" || fail "profile key $key is not in pxeroot-profile(5)"
done
ok "every key used by the profiles is documented in pxeroot-profile(5)"
