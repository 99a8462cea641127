#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# nbdexport's event loops: the front loop runs handshakes and hands each
# connection to the data loop with the fewest, so clients that connect one
# after another are spread over the loops; requests a client sends in the
# same packet as its last option survive the hand-over, for every way of
# ending a handshake (GO, EXPORT_NAME, with and without structured replies).
. "$(dirname "$0")/../lib.sh"
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport python3 nbdcopy

storm=$BUILD/tests/nbdstorm
[ -x "$storm" ] || fail "$storm is not built"
head -c 8M /dev/urandom >"$T/image"
port=$(free_port)
start_server -P "$T/pid" -w "$port" logged "$T/log" nbdexport -f -vv --force -t 4 \
	-l 127.0.0.1 -p "$port" --pidfile "$T/pid" "$T/image=img"

# Four clients connect at once and stay: one per loop.
rm -f "$T/ready"
"$storm" -p "$port" -e img -n 4 --hold 3 --ready-file "$T/ready" -t 20 --quiet >/dev/null &
spid=$!
for ((i = 0; i < 100; i++)); do
	[ -e "$T/ready" ] && break
	sleep 0.1
done
[ -e "$T/ready" ] || fail "the four clients did not all connect"
loops=$(grep -o 'served by event loop [0-9]*' "$T/log" | awk '{ print $NF }' | sort -u | wc -l)
[ "$loops" = 4 ] || fail "four clients went to $loops loop(s): $(grep 'served by' "$T/log")"
wait "$spid" || fail "nbdstorm failed"
ok "four clients connecting at once are served by four loops"

# Sequential connections too: each copy's connections spread out.
: >"$T/log"
nbdcopy -C 4 "nbd://127.0.0.1:$port/img" "$T/copy"
cmp -s "$T/image" "$T/copy" || fail "nbdcopy -C 4 read wrong bytes"
loops=$(grep -o 'served by event loop [0-9]*' "$T/log" | awk '{ print $NF }' | sort -u | wc -l)
n=$(grep -c 'served by event loop' "$T/log")
[ "$loops" -ge 2 ] || fail "nbdcopy's $n connections all went to one loop"
ok "one client's connections are spread over $loops loops"

python3 - "$port" "$T/image" <<'EOF' || fail "pipelined handshake and requests"
import os, struct, sys
sys.path.insert(0, os.path.join(os.environ["SRC"], "tests", "nbd"))
from nbdproto import *

port, image = int(sys.argv[1]), open(sys.argv[2], "rb").read()
target = Target("127.0.0.1", port)
reads = [(0, 4096), (12345, 70000), (1 << 20, 300000), (len(image) - 512, 512)]

def check(c, handles):
    for h, (off, ln) in zip(handles, reads):
        r = c.wait(h)
        if r.error or r.data != image[off:off + ln]:
            raise Fail("READ %d+%d after the handshake came back wrong" % (off, ln))

def requests(c):
    handles, out = [], b""
    for off, ln in reads:
        h, b = c.request_bytes(CMD_READ, off, ln)
        handles.append(h)
        out += b
    return handles, out

for sr in (False, True):
    # Client flags, (STRUCTURED_REPLY,) GO and four READs in one write.
    with Conn(target) as c:
        c.greeting()
        out = struct.pack(">I", FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES)
        if sr:
            out += struct.pack(">QII", IHAVEOPT, OPT_STRUCTURED_REPLY, 0)
        out += struct.pack(">QII", IHAVEOPT, OPT_GO, len(c.go_data("img"))) + c.go_data("img")
        handles, reqs = requests(c)
        c.send(out + reqs)
        if sr:
            rtype, _ = c.option_reply(OPT_STRUCTURED_REPLY)
            assert rtype == REP_ACK, rep_name(rtype)
            c.sr = True
        while True:
            rtype, _ = c.option_reply(OPT_GO)
            if rtype == REP_ACK:
                break
            assert rtype == REP_INFO, rep_name(rtype)
        check(c, handles)
    print("ok: GO and READs in one write (%s replies)" % ("structured" if sr else "simple"))

# Plain newstyle, as BusyBox sends it: flags 0, EXPORT_NAME and READs at once.
with Conn(target) as c:
    c.greeting()
    handles, reqs = requests(c)
    c.send(struct.pack(">IQII", 0, IHAVEOPT, OPT_EXPORT_NAME, 3) + b"img" + reqs)
    size, _ = struct.unpack(">QH", c.recv(10, "export size"))
    assert size == len(image), size
    assert c.recv(124, "padding") == bytes(124)
    check(c, handles)
print("ok: EXPORT_NAME and READs in one write")
EOF
ok "requests sent with the last option are answered after the hand-over"

kill -0 "$(cat "$T/pid")" || fail "nbdexport died"

