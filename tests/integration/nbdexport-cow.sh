#!/bin/bash
# --cow: a client writes to its own overlay and reads its data back; the image
# file does not change, another client does not see the writes, and the
# overlay is gone when the client disconnects. --cow-keep: the overlay stays,
# keyed by the generation and the client's address, and comes back on the
# next connection to that generation only: a newer generation published
# under the same name starts clean, NAME@ID of the old one still has it; an
# overlay kept by an older nbdexport under the plain name is never applied.
. "$(dirname "$0")/../lib.sh"
# A command failing under set -e says where, not just exit 1.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport nbdcopy mkfs.ext4 qemu-io
/usr/bin/python3 -c 'import nbd' 2>/dev/null || skip "python3-libnbd is not installed"

truncate -s 16M "$T/disk.ext4"
mkfs.ext4 -q -F "$T/disk.ext4"
orig=$(sha256sum <"$T/disk.ext4" | cut -d' ' -f1)
mkdir "$T/cow" "$T/keep"

port=$(free_port)
start_server -P "$T/pid" -w "$port" logged "$T/log" nbdexport -f -l 127.0.0.1 -p "$port" --pidfile "$T/pid" \
	--cow "$T/cow" "$T/disk.ext4=disk"
uri=nbd://127.0.0.1:$port/disk

cat >"$T/writer.py" <<'EOP'
import os, sys, time
import nbd
h = nbd.NBD()
h.connect_uri(sys.argv[1])
assert not h.is_read_only(), "export is read-only"
assert not h.can_multi_conn(), "overlay exports must not claim multi-conn"
# Unaligned, across blocks, and at the very end of the export.
size = h.get_size()
pattern = bytes(range(256)) * 40
h.pwrite(pattern, 1000)
h.pwrite(b"Z" * 5000, size - 5000)
h.zero(8192, 65536)
h.flush()
assert h.pread(len(pattern), 1000) == pattern, "own data not read back"
assert h.pread(5000, size - 5000) == b"Z" * 5000, "tail not read back"
assert h.pread(8192, 65536) == bytes(8192), "zeroes not read back"
# Meanwhile another client sees the image unchanged.
o = nbd.NBD()
o.connect_uri(sys.argv[1])
assert o.pread(len(pattern), 1000) != pattern, "other client sees the writes"
o.shutdown()
if len(sys.argv) > 2:
    # Hold the connection until told to go.
    open(sys.argv[2], "w").write("x")
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.05)
h.shutdown()
print("ok")
EOP
/usr/bin/python3 "$T/writer.py" "$uri" "$T/held" "$T/release" >"$T/out" 2>&1 &
writer=$!
for _ in $(seq 100); do [ -f "$T/held" ] && break; sleep 0.1; done
[ -f "$T/held" ] || fail "writer did not get going: $(cat "$T/out")"
# The overlay is an unnamed file: nothing in the directory even while in use,
# but the server holds it open.
[ -z "$(ls -A "$T/cow")" ] || fail "overlay directory not empty: $(ls -A "$T/cow")"
ls -l "/proc/$(cat "$T/pid")/fd" | grep >/dev/null "$T/cow" || fail "no overlay open in $T/cow"
ok "private overlay in use"
touch "$T/release"
wait "$writer" || fail "writer: $(cat "$T/out")"
assert_eq ok "$(tail -1 "$T/out")" "client reads back its own writes"
assert_eq "$orig" "$(sha256sum <"$T/disk.ext4" | cut -d' ' -f1)" "image file unchanged"
sleep 0.2
if ls -l "/proc/$(cat "$T/pid")/fd" | grep >/dev/null "$T/cow"; then
	fail "overlay still open after disconnect"
fi
ok "overlay released at disconnect"
got=$(nbdcopy "$uri" - | sha256sum | cut -d' ' -f1)
assert_eq "$orig" "$got" "a new client sees the pristine image"

# qemu-io writes too, and its reads match.
qemu-io -f raw -c 'write -P 0xab 0 64k' -c 'read -P 0xab 0 64k' "$uri" >"$T/qio" 2>&1 ||
	fail "qemu-io: $(cat "$T/qio")"
ok "qemu-io writes and reads back through the overlay"

# --cow-keep: the overlay outlives the connection.
kill "$(cat "$T/pid")"
for _ in $(seq 50); do kill -0 "$(cat "$T/pid")" 2>/dev/null || break; sleep 0.1; done
port=$(free_port)
start_server -P "$T/pid2" -w "$port" logged "$T/log2" nbdexport -f -l 127.0.0.1 -p "$port" --pidfile "$T/pid2" \
	--cow "$T/keep" --cow-keep "$T/disk.ext4=disk"
uri=nbd://127.0.0.1:$port/disk
/usr/bin/python3 -c "
import nbd, sys
h = nbd.NBD(); h.connect_uri(sys.argv[1])
h.pwrite(b'kept!' * 1000, 12345); h.flush(); h.shutdown()" "$uri" || fail "keep writer failed"
id=$(cut -c1-16 <<<"$orig")
[ -f "$T/keep/disk@$id@127.0.0.1.cow" ] || fail "no kept overlay: $(ls -A "$T/keep")"
[ -f "$T/keep/disk@$id@127.0.0.1.map" ] || fail "no kept map: $(ls -A "$T/keep")"
ok "overlay kept by generation and client address"
got=$(/usr/bin/python3 -c "
import nbd, sys
h = nbd.NBD(); h.connect_uri(sys.argv[1])
print(h.pread(5000, 12345) == b'kept!' * 1000); h.shutdown()" "$uri")
assert_eq True "$got" "reconnecting client finds its writes"
assert_eq "$orig" "$(sha256sum <"$T/disk.ext4" | cut -d' ' -f1)" "image file still unchanged"

# Generations: disk.ext4 is a link to disk-ID.ext4, as bootchroot publishes.
stop() { # PIDFILE
	local pid
	pid=$(cat "$1")
	kill "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}
stop "$T/pid2"
idA=aaaaaaaaaaaaaaaa idB=bbbbbbbbbbbbbbbb
mkdir "$T/gens" "$T/gcow"
cp "$T/disk.ext4" "$T/gens/disk-$idA.ext4"
truncate -s 16M "$T/gens/disk-$idB.ext4"
mkfs.ext4 -q -F "$T/gens/disk-$idB.ext4"
ln -s "disk-$idA.ext4" "$T/gens/disk.ext4"
# What an older nbdexport kept under the plain name: the same data file name
# and a map of the first format that marks every block written.
head -c 16M /dev/zero | tr '\0' 'X' >"$T/gcow/disk@127.0.0.1.cow"
{ printf 'PXRCOW01'; head -c 40 /dev/zero; head -c 512 /dev/zero | tr '\0' '\377'; } >"$T/gcow/disk@127.0.0.1.map"
gserve() {
	port=$(free_port)
	start_server -P "$T/$1" -w "$port" logged "$T/$1.log" nbdexport -f -l 127.0.0.1 -p "$port" \
		--pidfile "$T/$1" --cow "$T/gcow" --cow-keep "$T/gens/disk.ext4=disk"
	uri=nbd://127.0.0.1:$port
}
reads() { # EXPORT: does it read back the kept pattern?
	/usr/bin/python3 -c "
import nbd, sys
h = nbd.NBD(); h.connect_uri(sys.argv[1])
d = h.pread(5000, 12345); h.shutdown()
print('kept' if d == b'gen A!' * 833 + b'ge' else 'legacy' if d == b'X' * 5000 else 'clean')" "$uri/$1"
}
gserve pid3
n=$(grep -c 'kept by name only' "$T/pid3.log" || true)
assert_eq 1 "$n" "one warning about the overlays of the plain name"
grep -q "$T/gcow: 1 overlay kept by name only (such as disk@127.0.0.1.cow)" "$T/pid3.log" ||
	fail "warning does not name the overlay: $(cat "$T/pid3.log")"
assert_eq clean "$(reads disk)" "an overlay of the plain name is not applied"
/usr/bin/python3 -c "
import nbd, sys
h = nbd.NBD(); h.connect_uri(sys.argv[1])
h.pwrite(b'gen A!' * 833 + b'ge', 12345); h.flush(); h.shutdown()" "$uri/disk" || fail "writer on A failed"
[ -f "$T/gcow/disk@$idA@127.0.0.1.map" ] || fail "no overlay for generation A: $(ls -A "$T/gcow")"
assert_eq kept "$(reads disk)" "the overlay of generation A is found again"
cmp -s "$T/disk.ext4" "$T/gens/disk-$idA.ext4" || fail "generation A's image was written"
# Publish B and restart.
stop "$T/pid3"
ln -s "disk-$idB.ext4" "$T/gens/disk.ext4.new"
mv -T "$T/gens/disk.ext4.new" "$T/gens/disk.ext4"
gserve pid4
assert_eq clean "$(reads disk)" "a client of generation B does not see A's overlay"
assert_eq kept "$(reads "disk@$idA")" "a client of disk@A still has it"
assert_eq clean "$(reads "disk@$idB")" "a client of disk@B does not see it either"
assert_eq legacy "$(PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -c "
import sys
d = open(sys.argv[1], 'rb').read()
print('legacy' if d[12345:17345] == b'X' * 5000 else 'changed')" "$T/gcow/disk@127.0.0.1.cow")" \
	"the old overlay is left as it was"
