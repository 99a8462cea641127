#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A client that pipelines many reads and then takes its replies slowly must
# cost the server nothing while it waits for the client's socket to drain
# (no spinning on a full socket), and must not hold up the other clients of
# its event loop. One data loop, so both clients share it.
. "$(dirname "$0")/../lib.sh"
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport python3

head -c 32M /dev/urandom >"$T/image"
port=$(free_port)
start_server -P "$T/pid" -w "$port" nbdexport -f -q --force -t 1 \
	-l 127.0.0.1 -p "$port" --pidfile "$T/pid" "$T/image=img"

python3 - "$port" "$(cat "$T/pid")" "$T/image" <<'EOF' || fail "slow reader"
import os, socket, sys, threading, time
sys.path.insert(0, os.path.join(os.environ["SRC"], "tests", "nbd"))
from nbdproto import *

port, pid, image = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
target = Target("127.0.0.1", port, None)
tick = os.sysconf("SC_CLK_TCK")
data = open(image, "rb").read()
KiB = 1024


def cpu():
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick


# 64 reads of 256 KiB, sent at once; the replies are then read at about
# 800 KiB/s, far slower than the server can send them.
slow = Conn(target, 10)
slow.handshake()
slow.go(b"img")
slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * KiB)
slow.send(b"".join(slow.request_bytes(CMD_READ, i * 256 * KiB, 256 * KiB, track=False)[1]
                   for i in range(64)))
time.sleep(0.3)

worst = [0.0]
errors = []


def honest():
    c = Conn(target, 10)
    c.handshake()
    c.go(b"img")
    for i in range(30):
        t0 = time.monotonic()
        off = (i * 7919 * 4096) % (len(data) - 4096)
        r = c.read(off, 4096)
        worst[0] = max(worst[0], time.monotonic() - t0)
        if r.error or r.data != data[off:off + 4096]:
            errors.append("read at %d: %s" % (off, "error" if r.error else "wrong data"))
        time.sleep(0.05)
    c.close()


h = threading.Thread(target=honest)
c0 = cpu()
h.start()
got, end = 0, time.monotonic() + 3
while time.monotonic() < end:
    got += len(slow.sock.recv(16 * KiB))
    time.sleep(0.02)
used = cpu() - c0
h.join()
slow.close()
print("# slow reader took %d KiB in 3 s; server CPU %.2f s; other client's slowest read %.0f ms"
      % (got // KiB, used, worst[0] * 1000))
if got < 256 * KiB:
    sys.exit("the slow reader got only %d KiB" % got)
if used > 0.4:
    sys.exit("the server used %.2f s of CPU in 3 s waiting for a slow reader" % used)
if errors:
    sys.exit("; ".join(errors[:3]))
if worst[0] > 2:
    sys.exit("a read of the other client took %.1f s" % worst[0])
EOF
ok "a slow reader costs no CPU and holds up no one"
