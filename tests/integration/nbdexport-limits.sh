#!/bin/bash
# Allow lists (IPv4 and IPv6), --max-clients, the handshake timeout, and
# misbehaving clients (garbage, an option flood, a huge option, a slowloris,
# a 4 GiB read, a bad request magic) that are dropped while another client is
# served all along.
. "$(dirname "$0")/../lib.sh"
# A command failing under set -e says where, not just exit 1.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport nbdinfo nbdcopy mksquashfs

mkdir -p "$T/tree" && head -c 1M /dev/urandom >"$T/tree/f"
mksquashfs "$T/tree" "$T/root.sqfs" -quiet -noappend >/dev/null
want=$(sha256sum <"$T/root.sqfs" | cut -d' ' -f1)

have_v6=1
python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null || have_v6=0

# --- allow lists: the server listens on 127.0.0.1 and ::1, allows one of them.
port=$(free_port)
listen=(-l 127.0.0.1)
[ "$have_v6" = 1 ] && listen+=(-l "[::1]")
start_server -P "$T/pid" -w "$port" logged "$T/log" nbdexport -f -v "${listen[@]}" -p "$port" --pidfile "$T/pid" \
	-a 127.0.0.1/32 "$T/root.sqfs"
nbdinfo --size "nbd://127.0.0.1:$port/" >/dev/null || fail "allowed IPv4 client refused"
ok "allowed IPv4 client served"
if [ "$have_v6" = 1 ]; then
	if nbdinfo --size "nbd://[::1]:$port/" >/dev/null 2>&1; then
		fail "IPv6 client outside the allow list was served"
	fi
	grep -q "refused: not in the allow list" "$T/log" || fail "refusal not logged"
	ok "IPv6 client outside the allow list refused"
	kill "$(cat "$T/pid")"
	port=$(free_port)
	start_server -P "$T/pid6" -w "$port" nbdexport -f "${listen[@]}" -p "$port" --pidfile "$T/pid6" \
		-a ::1 -a 10.0.0.0/8 "$T/root.sqfs"
	nbdinfo --size "nbd://[::1]:$port/" >/dev/null || fail "allowed IPv6 client refused"
	if nbdinfo --size "nbd://127.0.0.1:$port/" >/dev/null 2>&1; then
		fail "IPv4 client outside the allow list was served"
	fi
	ok "IPv6 allow list"
fi

# --- limits and misbehaving clients.
port=$(free_port)
start_server -P "$T/pid2" -w "$port" logged "$T/log2" nbdexport -f -v -l 127.0.0.1 -p "$port" --pidfile "$T/pid2" \
	--max-clients 4 --handshake-timeout 2 --max-options 50 "$T/root.sqfs"

cat >"$T/raw.py" <<'EOP'
import os, socket, struct, sys, time
sys.path.insert(0, os.path.join(os.environ["SRC"], "tests", "nbd"))
from nbdproto import NBDMAGIC, IHAVEOPT, OPT_REPLY_MAGIC, REQUEST_MAGIC, SIMPLE_MAGIC
from nbdproto import REP_ERR, REP_ERR_UNSUP, REP_ERR_TOO_BIG

port = int(sys.argv[1])

def conn(flags=1):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    g = recvn(s, 18)
    assert struct.unpack(">QQH", g)[:2] == (NBDMAGIC, IHAVEOPT), g
    if flags is not None:
        s.sendall(struct.pack(">I", flags))
    return s

def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("closed after %d bytes" % len(b))
        b += c
    return b

def closed(s, secs=5):
    s.settimeout(secs)
    try:
        while True:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False

def option(s, opt, data=b""):
    s.sendall(struct.pack(">QII", IHAVEOPT, opt, len(data)) + data)

def reply(s):
    magic, opt, typ, ln = struct.unpack(">QIII", recvn(s, 20))
    assert magic == OPT_REPLY_MAGIC
    return opt, typ, recvn(s, ln)

def go(s, name=b""):
    option(s, 7, struct.pack(">I", len(name)) + name + struct.pack(">H", 0))
    while True:
        opt, typ, data = reply(s)
        if typ == 3 and struct.unpack(">H", data[:2])[0] == 0:
            size = struct.unpack(">Q", data[2:10])[0]
        if typ == 1:
            return size
        assert typ < REP_ERR, hex(typ)

def request(s, typ, off, ln, handle=1, flags=0):
    s.sendall(struct.pack(">IHHQQI", REQUEST_MAGIC, flags, typ, handle, off, ln))

def simple_reply(s):
    magic, err, handle = struct.unpack(">IIQ", recvn(s, 16))
    assert magic == SIMPLE_MAGIC
    return err, handle

case = sys.argv[2]
if case == "garbage":
    s = conn(None)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n" * 10)
    assert closed(s), "garbage client not dropped"
elif case == "badflags":
    s = conn(0x80)
    assert closed(s), "unknown client flags not dropped"
elif case == "flood":
    s = conn()
    n = 0
    try:
        for n in range(1000):
            option(s, 200)
            opt, typ, _ = reply(s)
            assert typ == REP_ERR_UNSUP, hex(typ)
    except (EOFError, ConnectionResetError, BrokenPipeError):
        pass
    assert 40 <= n < 100, "option flood not cut (%d options answered)" % n
elif case == "bigoption":
    s = conn()
    # 100 KiB of option data is read and answered, and the stream stays in sync.
    option(s, 3, b"x" * 100000)
    opt, typ, _ = reply(s)
    assert typ == REP_ERR_TOO_BIG, hex(typ)
    option(s, 200, b"")
    assert reply(s)[1] == REP_ERR_UNSUP
    # A 4 GiB option is not read at all.
    s.sendall(struct.pack(">QII", IHAVEOPT, 3, 0xffffffff))
    assert closed(s), "4 GiB option not dropped"
elif case == "slowloris":
    s = conn(None)
    for b in struct.pack(">I", 1):
        s.send(bytes([b]))
        time.sleep(0.3)
    assert closed(s, 6), "slow handshake not dropped"
elif case == "transmission":
    s = conn()
    size = go(s)
    request(s, 0, 0, 0xffffffff, 1)           # 4 GiB read
    assert simple_reply(s) == (22, 1)
    request(s, 0, size - 512, 1024, 2)        # past the end
    assert simple_reply(s) == (22, 2)
    request(s, 1, 0, 512, 3)                  # write to read-only
    s.sendall(b"w" * 512)
    assert simple_reply(s) == (1, 3)
    request(s, 0, 0, 512, 4)                  # still in sync
    err, h = simple_reply(s)
    assert (err, h) == (0, 4)
    recvn(s, 512)
    request(s, 99, 0, 0, 5)                   # unknown command
    assert simple_reply(s) == (22, 5)
    request(s, 1, 0, 0xffffffff, 6)           # 4 GiB write: dropped
    assert closed(s), "4 GiB write not dropped"
elif case == "badmagic":
    s = conn()
    go(s)
    s.sendall(b"\0" * 28)
    assert closed(s), "bad request magic not dropped"
elif case == "idle":
    s = conn()
    go(s)
    t = time.monotonic()
    assert closed(s, 8), "idle client not dropped"
    assert time.monotonic() - t >= 0.9, "idle client dropped too early"
elif case == "fdflood":
    socks = []
    for i in range(int(sys.argv[3])):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            pass
    greeted = 0
    for s in socks:
        try:
            greeted += len(recvn(s, 18)) == 18
        except (EOFError, OSError):
            pass
    assert 0 < greeted < len(socks), "greeted %d of %d" % (greeted, len(socks))
    for s in socks:
        s.close()
elif case == "hold":
    socks = [conn() for _ in range(int(sys.argv[3]))]
    for s in socks:
        go(s)
    print("held", flush=True)
    sys.stdin.read()
print("ok")
EOP
raw() { /usr/bin/python3 "$T/raw.py" "$port" "$@"; }

# A good client reads the whole export in a loop while the others misbehave.
(for _ in $(seq 20); do nbdcopy "nbd://127.0.0.1:$port/" - | sha256sum | cut -d' ' -f1; done) >"$T/good" &
good=$!
for c in garbage badflags flood bigoption slowloris transmission badmagic; do
	assert_eq ok "$(raw $c 2>&1 | tail -1)" "misbehaving client: $c"
done
wait "$good" || fail "the good client failed"
[ "$(sort -u "$T/good")" = "$want" ] || fail "the good client read wrong data"
[ "$(wc -l <"$T/good")" = 20 ] || fail "the good client did not finish"
ok "a good client was served all along"
kill -0 "$(cat "$T/pid2")" || fail "server died"

# --max-clients 4: hold 4, the 5th is refused, freed slots are reused.
coproc HOLD { /usr/bin/python3 "$T/raw.py" "$port" hold 4; }
read -r line <&"${HOLD[0]}"
[ "$line" = held ] || fail "could not hold 4 clients"
if nbdinfo --size "nbd://127.0.0.1:$port/" >/dev/null 2>&1; then
	fail "a 5th client was served with --max-clients 4"
fi
grep -q "max-clients" "$T/log2" || fail "refusal not logged"
ok "--max-clients refuses the 5th client"
exec {HOLD[1]}>&-
wait "$HOLD_PID" 2>/dev/null || true
sleep 0.3
nbdinfo --size "nbd://127.0.0.1:$port/" >/dev/null || fail "slots not freed after disconnect"
ok "slots freed after disconnect"

# --idle-timeout drops a client in transmission that sends nothing.
port=$(free_port)
start_server -P "$T/pid3" -w "$port" nbdexport -f -l 127.0.0.1 -p "$port" --pidfile "$T/pid3" \
	--idle-timeout 1 "$T/root.sqfs"
assert_eq ok "$(raw idle 2>&1 | tail -1)" "--idle-timeout drops an idle client"

# Out of file descriptors: extra connections are closed at once, the server
# neither spins nor stops serving.
port=$(free_port)
start_server -P "$T/pid4" -w "$port" logged "$T/log4" bash -c "ulimit -n 48 && exec nbdexport -f -t 1 -l 127.0.0.1 -p $port --pidfile $T/pid4 $T/root.sqfs"
assert_eq ok "$(raw fdflood 80 2>&1 | tail -1)" "connections beyond the descriptor limit closed"
sleep 0.5
cpu=$(ps -o %cpu= -p "$(cat "$T/pid4")" | tr -d ' ')
[ "${cpu%.*}" -lt 50 ] || fail "server spins at ${cpu}% CPU after running out of descriptors"
got=$(nbdcopy "nbd://127.0.0.1:$port/" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "served again once descriptors are free"
grep -q "Too many open files" "$T/log4" || fail "descriptor exhaustion not logged"
