#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A client's overlay I/O does not stall the other clients of its event loop:
# with one data loop, one client writes 256 MiB to its overlay and flushes
# (seconds of fdatasync), while another client keeps reading. The reader must
# go on being served while the flush is in progress, and both get the right
# data. Before overlay I/O moved to the cow pool, the loop sat in fdatasync
# and the reader got nothing until the flush was over.
. "$(dirname "$0")/../lib.sh"
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport
/usr/bin/python3 -c 'import nbd' 2>/dev/null || skip "python3-libnbd is not installed"

head -c 64M /dev/urandom >"$T/img"
truncate -s 1G "$T/img"
mkdir "$T/cow"
port=$(free_port)
nbdexport -f -l 127.0.0.1 -p "$port" --force -t 1 --cow "$T/cow" "$T/img=disk" 2>"$T/log" &
srv=$!
cleanup_fn kill "$srv"
wait_port "$port"
uri=nbd://127.0.0.1:$port/disk

cat >"$T/writer.py" <<'EOP'
import hashlib, sys, time
import nbd
h = nbd.NBD()
h.connect_uri(sys.argv[1])
chunk = hashlib.sha256(b"w").digest() * (1 << 17)  # 4 MiB
base = int(sys.argv[2]) << 20
for i in range(64):
    h.pwrite(chunk, base + i * len(chunk))
t0 = time.monotonic()
h.flush()
t1 = time.monotonic()
ok = all(h.pread(len(chunk), base + i * len(chunk)) == chunk for i in (0, 31, 63))
print(t0, t1, ok)
h.shutdown()
EOP
cat >"$T/reader.py" <<'EOP'
import os, random, sys, time
import nbd
h = nbd.NBD()
h.connect_uri(sys.argv[1])
img = open(sys.argv[2], "rb").read(64 << 20)
open(sys.argv[3], "w").close()
bad = 0
with open(sys.argv[4], "w") as out:
    while not os.path.exists(sys.argv[5]):
        off = random.randrange(0, (64 << 20) - 4096) & ~4095
        bad += h.pread(4096, off) != img[off:off + 4096]
        out.write("%f\n" % time.monotonic())
print("bad", bad)
h.shutdown()
EOP
# The image is read once, so the reader's reads come from the page cache.
cat "$T/img" >/dev/null
/usr/bin/python3 "$T/reader.py" "$uri" "$T/img" "$T/reading" "$T/times" "$T/stop" >"$T/reader.out" 2>&1 &
reader=$!
cleanup_fn kill "$reader"
for _ in $(seq 100); do [ -f "$T/reading" ] && break; sleep 0.1; done
[ -f "$T/reading" ] || fail "reader did not start: $(cat "$T/reader.out")"
# The flush must have something to write: when the kernel already wrote the
# 256 MiB back (a slow run, a sanitized build), the writer tries again on the
# next 256 MiB of the image, three times at most.
for base in 256 512 768; do
	/usr/bin/python3 "$T/writer.py" "$uri" "$base" >"$T/writer.out" 2>&1 ||
		fail "writer: $(cat "$T/writer.out")"
	read -r t0 t1 wok <"$T/writer.out"
	assert_eq True "$wok" "writer reads back its data after the flush (at $base MiB)"
	flush=$(echo "$t1 - $t0" | bc)
	[ "$(echo "$flush >= 0.02" | bc)" = 1 ] && break
	echo "flush at $base MiB took ${flush}s: written back already, again"
done
touch "$T/stop"
wait "$reader" || fail "reader: $(cat "$T/reader.out")"
assert_eq "bad 0" "$(cat "$T/reader.out")" "reader got the image's data throughout"
during=$(awk -v a="$t0" -v b="$t1" '$1 > a && $1 < b' "$T/times" | wc -l)
echo "flush took ${flush}s; the reader completed $during reads meanwhile"
# A loop stuck in fdatasync answers nothing until it returns; at most the
# read in flight when the flush began completes in the window.
[ "$(echo "$flush >= 0.02" | bc)" = 1 ] || fail "flush took ${flush}s: too fast to tell"
[ "$during" -ge 5 ] || fail "reader stalled during the other client's flush ($during reads in ${flush}s)"
ok "reader served while another client flushed its overlay ($during reads in ${flush}s)"
kill -0 "$srv" || fail "server died"
