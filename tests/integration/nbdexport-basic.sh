#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nbdexport serves a squashfs image: libnbd's tools see the right size, flags,
# names and bytes (checksums), with one and with four connections.
. "$(dirname "$0")/../lib.sh"
# A command failing under set -e says where, not just exit 1.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport nbdinfo nbdcopy mksquashfs

mkdir -p "$T/tree"
head -c 3M /dev/urandom >"$T/tree/random"
echo hello >"$T/tree/hello"
mksquashfs "$T/tree" "$T/root.sqfs" -quiet -noappend >/dev/null
cp "$T/root.sqfs" "$T/second.img"
want=$(sha256sum <"$T/root.sqfs" | cut -d' ' -f1)

port=$(free_port)
start_server -P "$T/pid" -w "$port" logged "$T/log" nbdexport -f -l 127.0.0.1 -p "$port" --pidfile "$T/pid" \
	"$T/root.sqfs" "$T/second.img=other"
uri=nbd://127.0.0.1:$port

size=$(nbdinfo --size "$uri/root.sqfs")
assert_eq "$(stat -c %s "$T/root.sqfs")" "$size" "export size"
got=$(nbdcopy "$uri/root.sqfs" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "nbdcopy checksum"
got=$(nbdcopy -C 4 --request-size=65536 "$uri/root.sqfs" "$T/copy" && sha256sum <"$T/copy" | cut -d' ' -f1)
assert_eq "$want" "$got" "nbdcopy with 4 connections"
got=$(nbdcopy "$uri/other" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "second export by its chosen name"
# The empty name is the first image.
got=$(nbdcopy "$uri/" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "default export"

nbdinfo --list "$uri" >"$T/list"
# nbdinfo shows the canonical name: NAME@ID, the generation served.
grep -Eq 'export="root.sqfs(@[0-9a-f]{16})?"' "$T/list" || fail "list lacks root.sqfs"
grep -Eq 'export="other(@[0-9a-f]{16})?"' "$T/list" || fail "list lacks other"
ok "NBD_OPT_LIST shows both exports"

nbdinfo --json "$uri/root.sqfs" >"$T/info"
grep -q '"is_read_only": true' "$T/info" || fail "export is not read-only"
grep -q '"can_multi_conn": true' "$T/info" || fail "no multi-conn"
grep -q '"base:allocation"' "$T/info" || fail "no base:allocation"
grep -q '"block_size_maximum": 33554432' "$T/info" || fail "no block size"
ok "export flags"
[ "$(nbdinfo --can multi-conn "$uri/root.sqfs"; echo $?)" = 0 ] || fail "can multi-conn"
nbdinfo --map "$uri/root.sqfs" | grep -q 'data' || fail "map has no data extent"
ok "base:allocation map"

# A client asking for a name that does not exist gets an error, and the server lives on.
if nbdinfo "$uri/nosuch" 2>"$T/err"; then
	fail "unknown export was served"
fi
grep -qi 'unknown\|no export\|no such file' "$T/err" || fail "no reason given: $(cat "$T/err")"
nbdinfo --size "$uri/root.sqfs" >/dev/null || fail "server died"
ok "unknown export refused"
grep -q "squashfs" "$T/log" || fail "identification not logged"
ok "image identified as squashfs"
