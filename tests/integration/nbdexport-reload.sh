#!/bin/bash
# An image replaced on disk (mv of a new file) goes to new connections while
# a connected client keeps reading the image it opened, whole; SIGHUP re-reads
# the configuration: an export is added, another removed, a bad file is
# ignored.
. "$(dirname "$0")/../lib.sh"
# A command failing under set -e says where, not just exit 1.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport nbdcopy nbdinfo mksquashfs
# Debian's python3-libnbd, whatever python3 comes first on PATH.
/usr/bin/python3 -c 'import nbd' 2>/dev/null || skip "python3-libnbd is not installed"

mkimg() { # DIR OUT SEED
	mkdir -p "$1"
	head -c 2M /dev/urandom >"$1/data"
	echo "$3" >"$1/seed"
	mksquashfs "$1" "$2" -quiet -noappend >/dev/null
}
mkimg "$T/a" "$T/v1.sqfs" one
mkimg "$T/b" "$T/v2.sqfs" two
mkimg "$T/c" "$T/extra.sqfs" three
sum1=$(sha256sum <"$T/v1.sqfs" | cut -d' ' -f1)
sum2=$(sha256sum <"$T/v2.sqfs" | cut -d' ' -f1)
sumx=$(sha256sum <"$T/extra.sqfs" | cut -d' ' -f1)
cp "$T/v1.sqfs" "$T/root.sqfs"

port=$(free_port)
cat >"$T/conf" <<EOC
[global]
listen = 127.0.0.1:$port
[root]
path = $T/root.sqfs
description = the root
EOC
start_server -P "$T/pid" -w "$port" logged "$T/log" nbdexport -f -v -c "$T/conf" --pidfile "$T/pid"
uri=nbd://127.0.0.1:$port/root

# A client connects, reads a little, waits for the image to be replaced, then
# reads everything.
cat >"$T/client.py" <<'EOP'
import hashlib, os, sys, time
import nbd
h = nbd.NBD()
h.connect_uri(sys.argv[1])
h.pread(4096, 0)
open(sys.argv[2], "w").write("connected\n")
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
size = h.get_size()
m = hashlib.sha256()
off = 0
while off < size:
    n = min(1 << 20, size - off)
    m.update(h.pread(n, off))
    off += n
print(m.hexdigest())
h.shutdown()
EOP
/usr/bin/python3 "$T/client.py" "$uri" "$T/ready" "$T/go" >"$T/old-client" 2>&1 &
client=$!
for _ in $(seq 100); do [ -f "$T/ready" ] && break; sleep 0.1; done
[ -f "$T/ready" ] || fail "client did not connect"
cp "$T/v2.sqfs" "$T/root.sqfs.new"
mv "$T/root.sqfs.new" "$T/root.sqfs"
# New connections get the new image once its identity (the SHA-256 of its
# content) is computed, which the server does in the background.
for _ in $(seq 50); do
	got=$(nbdcopy "$uri" - | sha256sum | cut -d' ' -f1)
	[ "$got" = "$sum2" ] && break
	sleep 0.1
done
assert_eq "$sum2" "$got" "a new connection reads the new image"
touch "$T/go"
wait "$client" || fail "old client failed: $(cat "$T/old-client")"
assert_eq "$sum1" "$(tail -1 "$T/old-client")" "the connected client read the old image, whole"
grep -q "was replaced" "$T/log" || fail "replacement not logged"
ok "replacement logged"

# SIGHUP: add an export, drop none.
cat >>"$T/conf" <<EOC
[extra]
path = $T/extra.sqfs
EOC
kill -HUP "$(cat "$T/pid")"
for _ in $(seq 50); do grep -q "configuration reloaded" "$T/log" && break; sleep 0.1; done
got=$(nbdcopy "nbd://127.0.0.1:$port/extra" - | sha256sum | cut -d' ' -f1)
assert_eq "$sumx" "$got" "export added by SIGHUP"

# A broken file keeps the running configuration.
echo "[global" >>"$T/conf"
kill -HUP "$(cat "$T/pid")"
for _ in $(seq 50); do grep -q "reload failed" "$T/log" && break; sleep 0.1; done
grep -q "reload failed" "$T/log" || fail "bad configuration not reported"
got=$(nbdcopy "nbd://127.0.0.1:$port/extra" - | sha256sum | cut -d' ' -f1)
assert_eq "$sumx" "$got" "bad reload keeps serving"

# Remove the extra export.
head -n -4 "$T/conf" >"$T/conf.new" && mv "$T/conf.new" "$T/conf"
grep -q extra "$T/conf" && fail "test bug: extra still in the file"
kill -HUP "$(cat "$T/pid")"
for _ in $(seq 50); do [ "$(grep -c "configuration reloaded" "$T/log")" = 2 ] && break; sleep 0.1; done
if nbdinfo "nbd://127.0.0.1:$port/extra" >/dev/null 2>&1; then
	fail "removed export still served"
fi
ok "export removed by SIGHUP"
kill -0 "$(cat "$T/pid")" || fail "server died"
