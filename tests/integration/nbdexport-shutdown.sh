#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# SIGTERM is a graceful shutdown: the server stops listening at once, every
# request a client sent before the signal is answered in full (checked by
# checksum, reads and overlay writes alike), a request sent afterwards gets
# NBD_ESHUTDOWN, and the server exits 0 as soon as its clients are done. A
# client that does not read its replies is dropped after --shutdown-timeout.
# A second SIGTERM stops waiting.
. "$(dirname "$0")/../lib.sh"
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport nbdinfo
/usr/bin/python3 -c 'import nbd' 2>/dev/null || skip "python3-libnbd is not installed"

head -c 64M /dev/urandom >"$T/img"

# start PORT LOG ARGS...: nbdexport in the foreground; sets $srv.
start() {
	local port=$1 log=$2
	shift 2
	nbdexport -f -v -l 127.0.0.1 -p "$port" --force "$@" 2>"$log" &
	srv=$!
	cleanup_fn kill -9 "$srv"
	wait_port "$port"
}

# wait_exit PID SECS: the server's exit status in $rc; fail if it is still running.
wait_exit() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && fail "server still running $2 s after SIGTERM"
	rc=0
	wait "$1" || rc=$?
}

# The client: queues 48 reads of 1 MiB (and, with cow, 16 writes of 256 KiB
# and a flush before them) without reading a reply, so most requests wait in
# the server's socket when SIGTERM comes. Once the server says it is shutting
# down, it sends one more read, then reads every reply.
cat >"$T/client.py" <<'EOP'
import errno, hashlib, os, select, sys, time
import nbd

uri, image, log, ready, mode = sys.argv[1:6]
L = 1 << 20
h = nbd.NBD()
h.connect_uri(uri)
img = open(image, "rb").read()
writes = []
if mode == "cow":
    for i in range(16):
        data = hashlib.sha256(b"%d" % i).digest() * 8192
        off = 50 * L + i * len(data)
        writes.append((h.aio_pwrite(data, off), off, data))
    writes.append((h.aio_flush(), None, None))
reads = []
for i in range(48):
    b = nbd.Buffer(L)
    reads.append((h.aio_pread(b, i * L), b, i * L))
# Every request must have left before SIGTERM: what libnbd still holds is
# sent only when asked to (and would count as sent after the signal).
fd = h.aio_get_fd()
deadline = time.time() + 30
while h.aio_get_direction() & nbd.AIO_DIRECTION_WRITE:
    if time.time() > deadline:
        sys.exit("could not send the requests")
    select.select([], [fd], [], 0.1)
    h.aio_notify_write()
open(ready, "w").close()
if mode == "noread":
    time.sleep(60)
    sys.exit(0)
deadline = time.time() + 20
while b"shutting down: answering" not in open(log, "rb").read():
    if time.time() > deadline:
        sys.exit("server did not start shutting down")
    time.sleep(0.05)
late = nbd.Buffer(4096)
late_cookie = h.aio_pread(late, 0)
try:
    while h.aio_in_flight() > 0:
        h.poll(-1)
except nbd.Error as e:
    print("connection:", e)
good = 0
for cookie, b, off in reads:
    try:
        h.aio_command_completed(cookie)
    except nbd.Error as e:
        print("read at", off, "failed:", e)
        continue
    good += b.to_bytearray() == img[off:off + L]
print("reads", good)
good = 0
for cookie, off, data in writes:
    try:
        h.aio_command_completed(cookie)
        good += 1
    except nbd.Error as e:
        print("write at", off, "failed:", e)
print("writes", good)
try:
    h.aio_command_completed(late_cookie)
    print("late", "served")
except nbd.Error as e:
    print("late", "ESHUTDOWN" if e.errnum == errno.ESHUTDOWN else e)
EOP

# 1. Reads in flight are answered; a later one is refused; exit 0 at once.
port=$(free_port)
start "$port" "$T/log1" "$T/img"
/usr/bin/python3 "$T/client.py" "nbd://127.0.0.1:$port/img" "$T/img" "$T/log1" "$T/ready1" read \
	>"$T/out1" 2>&1 &
client=$!
for _ in $(seq 200); do [ -f "$T/ready1" ] && break; sleep 0.05; done
[ -f "$T/ready1" ] || fail "client did not start: $(cat "$T/out1")"
sleep 0.3
kill -TERM "$srv"
# Stopping to listen comes first: a new client is refused while the old one
# is still being answered.
for _ in $(seq 50); do grep -q "finishing the requests" "$T/log1" && break; sleep 0.05; done
grep -q "finishing the requests of 1 connections" "$T/log1" || fail "no graceful shutdown: $(cat "$T/log1")"
if nbdinfo --size "nbd://127.0.0.1:$port/img" >/dev/null 2>&1; then
	fail "a new client was served during the shutdown"
fi
ok "new clients are refused once SIGTERM came"
wait "$client" || fail "client failed: $(cat "$T/out1")"
assert_eq "reads 48" "$(grep '^reads' "$T/out1")" "all 48 reads in flight answered with the right data"
assert_eq "late ESHUTDOWN" "$(grep '^late' "$T/out1")" "a request sent after SIGTERM gets ESHUTDOWN"
wait_exit "$srv" 10
assert_eq 0 "$rc" "server exits 0 once its client is done"
grep -q "dropping" "$T/log1" && fail "a connection was dropped: $(cat "$T/log1")"
ok "nothing dropped"

# 2. Overlay writes and a flush in flight complete, and are kept.
mkdir "$T/cow"
port=$(free_port)
start "$port" "$T/log2" --cow "$T/cow" --cow-keep "$T/img"
/usr/bin/python3 "$T/client.py" "nbd://127.0.0.1:$port/img" "$T/img" "$T/log2" "$T/ready2" cow \
	>"$T/out2" 2>&1 &
client=$!
for _ in $(seq 200); do [ -f "$T/ready2" ] && break; sleep 0.05; done
[ -f "$T/ready2" ] || fail "client did not start: $(cat "$T/out2")"
sleep 0.3
kill -TERM "$srv"
wait "$client" || fail "client failed: $(cat "$T/out2")"
assert_eq "writes 17" "$(grep '^writes' "$T/out2")" "16 writes and a flush in flight succeed"
assert_eq "reads 48" "$(grep '^reads' "$T/out2")" "reads behind them answered"
wait_exit "$srv" 10
assert_eq 0 "$rc" "server with overlays exits 0"
# The writes reached the kept overlay: a new server serves them.
port=$(free_port)
start "$port" "$T/log3" --cow "$T/cow" --cow-keep "$T/img"
/usr/bin/python3 - "nbd://127.0.0.1:$port/img" >"$T/out3" <<'EOP' || fail "reader: $(cat "$T/out3")"
import hashlib, sys
import nbd
h = nbd.NBD()
h.connect_uri(sys.argv[1])
L = 1 << 20
ok = 0
for i in range(16):
    data = hashlib.sha256(b"%d" % i).digest() * 8192
    ok += h.pread(len(data), 50 * L + i * len(data)) == data
print(ok)
h.shutdown()
EOP
assert_eq 16 "$(cat "$T/out3")" "writes answered during the shutdown are in the overlay"
kill -TERM "$srv"
wait_exit "$srv" 10
assert_eq 0 "$rc" "idle server exits 0"

# 3. A client that never reads its replies is dropped after the timeout.
port=$(free_port)
start "$port" "$T/log4" --shutdown-timeout 2 "$T/img"
/usr/bin/python3 "$T/client.py" "nbd://127.0.0.1:$port/img" "$T/img" "$T/log4" "$T/ready4" noread \
	>"$T/out4" 2>&1 &
client=$!
cleanup_fn kill "$client"
for _ in $(seq 200); do [ -f "$T/ready4" ] && break; sleep 0.05; done
[ -f "$T/ready4" ] || fail "client did not start: $(cat "$T/out4")"
sleep 0.3
start_ts=$(date +%s.%N)
kill -TERM "$srv"
wait_exit "$srv" 15
assert_eq 0 "$rc" "server exits 0 with a stuck client"
took=$(echo "$(date +%s.%N) - $start_ts" | bc)
# Generous: the limit is 2 s, a loaded machine adds some.
[ "$(echo "$took >= 1.5 && $took < 10" | bc)" = 1 ] || fail "shutdown took $took s with --shutdown-timeout 2"
ok "stuck client dropped after the timeout (${took}s)"
grep -q "dropping 1 connections that are still busy" "$T/log4" || fail "drop not logged: $(cat "$T/log4")"
ok "drop logged"

# 4. A second SIGTERM does not wait.
port=$(free_port)
start "$port" "$T/log5" --shutdown-timeout 60 "$T/img"
/usr/bin/python3 "$T/client.py" "nbd://127.0.0.1:$port/img" "$T/img" "$T/log5" "$T/ready5" noread \
	>"$T/out5" 2>&1 &
client=$!
cleanup_fn kill "$client"
for _ in $(seq 200); do [ -f "$T/ready5" ] && break; sleep 0.05; done
sleep 0.3
kill -TERM "$srv"
for _ in $(seq 50); do grep -q "finishing the requests" "$T/log5" && break; sleep 0.05; done
kill -TERM "$srv"
wait_exit "$srv" 10
assert_eq 0 "$rc" "a second SIGTERM ends the wait"
