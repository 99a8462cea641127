#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pxebootsrv's command line: every long option of --help is in the man page,
# --version, usage errors exit 2 with the usual hint, a missing file exits 1
# with one line; every key of the example files is in pxebootsrv.conf(5).
. "$(dirname "$0")/../lib.sh"

requires pxebootsrv
page=$SRC/doc/pxebootsrv.8.scd
pxebootsrv --help >"$T/help" || fail "--help failed"
grep -q '^Usage: pxebootsrv ' "$T/help" || fail "no usage line"
n=0
for opt in $(grep -o -- '--[a-z][a-z-]*' "$T/help" | sort -u); do
	grep -q -- "\*$opt\*" "$page" || fail "$opt is not in $page"
	n=$((n + 1))
done
[ "$n" -ge 8 ] || fail "only $n long options in --help"
ok "all $n long options of --help are in pxebootsrv(8)"
for cmd in render check run install; do
	grep -q "^\*$cmd\*" "$page" || fail "command $cmd is not in $page"
done
ok "every command is in pxebootsrv(8)"
pxebootsrv --version | grep -q '^pxebootsrv (pxeroot) ' || fail "--version"
ok "--version"

for args in "" "bogus" "render" "render a b" "check extra" "--bogus check"; do
	rc=0
	pxebootsrv $args >/dev/null 2>"$T/err" || rc=$?
	[ "$rc" = 2 ] || fail "'$args' exits $rc"
	grep -q "^Try 'pxebootsrv --help' for more information.$" "$T/err" || fail "'$args': $(cat "$T/err")"
done
ok "usage errors exit 2"

rc=0
pxebootsrv -c "$T/none.conf" check 2>"$T/err" || rc=$?
assert_eq "1 pxebootsrv: cannot read $T/none.conf: No such file or directory" "$rc $(cat "$T/err")" \
	"a missing configuration: one line, exit 1"

conf5=$SRC/doc/pxebootsrv.conf.5.scd
for key in $(sed -n 's/^\([a-z-]*\) *=.*/\1/p' "$SRC"/tests/fixtures/pxebootsrv/{full,proxy,off}.conf | sort -u); do
	grep -q "\*$key\* =" "$conf5" || fail "key $key is not in pxebootsrv.conf(5)"
done
for sec in server dhcp tftp http nbd menu 'entry NAME' 'host MAC'; do
	grep -q "^## \[$sec\]" "$conf5" || fail "[$sec] is not in pxebootsrv.conf(5)"
done
ok "every key and section of the examples is in pxebootsrv.conf(5)"
