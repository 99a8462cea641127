#!/bin/bash
# Configuration files: a good one serves its exports with their names,
# descriptions and per-export allow lists; command line options win over the
# file; bad files are refused with FILE:LINE and exit 1.
. "$(dirname "$0")/../lib.sh"
# A command failing under set -e says where, not just exit 1.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport nbdinfo nbdcopy mksquashfs

mkdir -p "$T/tree" && head -c 256K /dev/urandom >"$T/tree/f"
mksquashfs "$T/tree" "$T/a.sqfs" -quiet -noappend >/dev/null
cp "$T/a.sqfs" "$T/b.sqfs"
want=$(sha256sum <"$T/a.sqfs" | cut -d' ' -f1)

bad() { # LINE-PATTERN CONTENT
	printf '%s\n' "$2" >"$T/bad.conf"
	nbdexport -f -c "$T/bad.conf" 2>"$T/err" && fail "accepted: $2"
	grep -q "^nbdexport: $T/bad.conf:$1" "$T/err" || fail "message for '$2': $(cat "$T/err")"
}
bad "2: unknown key 'pth'" "[x]
pth = /a"
bad "2: bad value for 'port'" "[global]
port = 99999"
bad "1: bad section header" "[global"
bad "3: expected 'key = value'" "[x]
path = $T/a.sqfs
this is not ini"
bad " section \[x\] has no 'path'" "[x]
name = y"
ok "bad files refused with file and line"
expect_exit 1 nbdexport -f -c "$T/missing.conf"

port=$(free_port)
cat >"$T/good.conf" <<EOC
# A lab with two images.
[global]
listen = 127.0.0.1
port = 1
max-clients = 10

[alpha]
path = $T/a.sqfs
description = Alpha image

[beta]
path = $T/b.sqfs
name = beta.img
allow = 10.0.0.0/8
EOC
# -p wins over the file's port.
start_server -P "$T/pid" -w "$port" nbdexport -f -c "$T/good.conf" -p "$port" --pidfile "$T/pid"
uri=nbd://127.0.0.1:$port
got=$(nbdcopy "$uri/alpha" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "export named by its section"
got=$(nbdcopy "$uri/" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "first section is the default export"
nbdinfo --list "$uri" >"$T/list"
grep -Eq 'export="alpha(@[0-9a-f]{16})?"' "$T/list" || fail "alpha not listed"
grep -q 'description: Alpha image' "$T/list" || fail "description not listed: $(cat "$T/list")"
grep -q 'beta' "$T/list" && fail "beta listed to a client it does not allow"
ok "list shows names and descriptions, hides what the client may not use"
if nbdinfo "$uri/beta.img" >"$T/err" 2>&1; then
	fail "beta served to 127.0.0.1"
fi
ok "per-export allow list refuses other clients"
