#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nbdexport's command line: help, version, usage errors (exit 2), images it
# must refuse (exit 1, nothing served), and the man page covering every option.
. "$(dirname "$0")/../lib.sh"
# A command failing under set -e says where, not just exit 1.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport mksquashfs

nbdexport --help >"$T/help"
grep -q '^Usage: nbdexport' "$T/help" || fail "--help has no usage line"
ok "--help"
nbdexport --version | grep >/dev/null '^nbdexport (pxeroot) ' || fail "--version"
ok "--version"

expect_exit 2 nbdexport --no-such-option x
expect_exit 2 nbdexport --port 70000 x
expect_exit 2 nbdexport --allow 10.0.0.0/33 x
expect_exit 2 nbdexport --tls maybe x
expect_exit 2 nbdexport --cow-keep x
nbdexport --bogus 2>"$T/err" || true
grep -q "Try 'nbdexport --help'" "$T/err" || fail "no hint after a usage error"
ok "usage errors exit 2"

port=$(free_port)
# No image at all.
expect_exit 1 nbdexport -f -l 127.0.0.1 -p "$port"
# Missing, empty, unreadable, a directory, unidentified.
nbdexport -f -l 127.0.0.1 -p "$port" "$T/missing.img" 2>"$T/err" && fail "served a missing file"
assert_eq "nbdexport: cannot open $T/missing.img: No such file or directory" "$(cat "$T/err")" "missing image message"
: >"$T/empty.img"
nbdexport -f -l 127.0.0.1 -p "$port" "$T/empty.img" 2>"$T/err" && fail "served an empty file"
grep -q "empty" "$T/err" || fail "empty image: $(cat "$T/err")"
ok "empty image refused"
expect_exit 1 nbdexport -f -l 127.0.0.1 -p "$port" "$T"
head -c 1M /dev/urandom >"$T/noise.img"
nbdexport -f -l 127.0.0.1 -p "$port" "$T/noise.img" 2>"$T/err" && fail "served unidentified data"
grep -q -- "--force" "$T/err" || fail "no hint about --force: $(cat "$T/err")"
ok "unidentified image refused"
if [ "$(id -u)" != 0 ]; then
	chmod 000 "$T/noise.img"
	expect_exit 1 nbdexport -f --force -l 127.0.0.1 -p "$port" "$T/noise.img"
	chmod 644 "$T/noise.img"
fi
# Nothing listens after those failures.
if ss -Hltn "sport = :$port" | grep >/dev/null .; then
	fail "something listens on $port after a failed start"
fi
ok "nothing served after failed starts"

# --force serves it.
start_server -P "$T/pid" -w "$port" nbdexport -f --force -l 127.0.0.1 -p "$port" --pidfile "$T/pid" "$T/noise.img"
ok "--force serves unidentified data"

# Two exports with one name.
mkdir -p "$T/tree" && echo x >"$T/tree/x"
mksquashfs "$T/tree" "$T/a.sqfs" -quiet -noappend >/dev/null
expect_exit 1 nbdexport -f -p 0 "$T/a.sqfs=x" "$T/a.sqfs=x"

# Every long option of --help is in the man page.
man=$SRC/doc/nbdexport.8.scd
for opt in $(grep -o -- '--[a-z][a-z-]*' "$T/help" | sort -u); do
	grep -q -- "$opt" "$man" || fail "$opt is not in doc/nbdexport.8.scd"
done
ok "man page covers every option of --help"
