#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A block device as an export (a loop device here) has no identity: its
# content can change under the server, so no generation is claimed for it.
# Its canonical name is NAME, NAME@ID is refused even when the device node's
# name looks like a generation (STEM-ID), NBD_OPT_LIST lists NAME only, and
# --cow-keep keeps no overlay for it (one warning; private overlays only).
. "$(dirname "$0")/../lib.sh"
# A command failing under set -e says where, not just exit 1.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires_root
requires nbdexport nbdinfo nbdsh nbdcopy losetup mknod mkfs.ext4
/usr/bin/python3 -c 'import nbd' 2>/dev/null || skip "python3-libnbd is not installed"

truncate -s 16M "$T/disk.img"
mkfs.ext4 -q -F "$T/disk.img"
loop=$(losetup -f --show "$T/disk.img") || skip "no loop device"
cleanup_fn losetup -d "$loop"
# A node for the same device, named as bootchroot names generations.
id=0123456789abcdef
mknod "$T/disk-$id.img" b "$((0x$(stat -c %t "$loop")))" "$((0x$(stat -c %T "$loop")))"
mkdir "$T/cow"

port=$(free_port)
uri=nbd://127.0.0.1:$port
start_server -P "$T/pid" -w "$port" logged "$T/log" nbdexport -f -l 127.0.0.1 -p "$port" \
	--pidfile "$T/pid" --status-file "$T/status" --cow "$T/cow" --cow-keep "$T/disk-$id.img=dev"

assert_eq "$(sha256sum <"$T/disk.img")" "$(nbdcopy "$uri/dev" - | sha256sum)" "the block device is served"
got=$(PATH=/usr/bin:$PATH nbdsh -c 'h.set_full_info(True)' -u "$uri/dev" -c 'print(h.get_canonical_export_name())')
assert_eq dev "$got" "the canonical name of a block device is its plain name"
rc=0
nbdinfo "$uri/dev@$id" >"$T/info" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "dev@$id was served: $(cat "$T/info")"
ok "NAME@ID is refused for a block device"
nbdinfo --list "$uri" >"$T/list"
grep -q 'export="dev":' "$T/list" || fail "dev not listed: $(cat "$T/list")"
if grep -q '@' "$T/list"; then fail "a generation is listed: $(cat "$T/list")"; fi
ok "NBD_OPT_LIST lists the plain name only"
grep -q "^export dev dev " "$T/status" || fail "status: $(cat "$T/status")"
ok "the status file names no generation"

n=$(grep -c "has no identity; each connection gets a private overlay" "$T/log" || true)
assert_eq 1 "$n" "--cow-keep on a block device: one warning"
/usr/bin/python3 -c "
import nbd, sys
h = nbd.NBD(); h.connect_uri(sys.argv[1])
h.pwrite(b'x' * 4096, 0); h.flush(); h.shutdown()
h = nbd.NBD(); h.connect_uri(sys.argv[1])
assert h.pread(4096, 0) != b'x' * 4096, 'the overlay was kept'
h.shutdown()" "$uri/dev" || fail "an overlay was kept for the block device"
assert_eq "" "$(ls -A "$T/cow")" "no kept overlay in the overlay directory"
assert_eq "$(sha256sum <"$T/disk.img")" "$(sha256sum <"$loop")" "the device was not written"
