#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# SIGHUP applies everything an admin changes at run time, for new clients,
# while connected clients go on as they were: allow lists, max-clients, the
# handshake timeout, TLS credentials (X.509 and PSK), listening addresses and
# unix sockets. A configuration that is wrong anywhere (syntax, a missing
# image, an address in use) is rejected as a whole, with one error line, and
# the running configuration stays.
. "$(dirname "$0")/../lib.sh"
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport nbdinfo nbdcopy mksquashfs certtool psktool
/usr/bin/python3 -c 'import nbd' 2>/dev/null || skip "python3-libnbd is not installed"

mkdir -p "$T/tree" && head -c 2M /dev/urandom >"$T/tree/f"
mksquashfs "$T/tree" "$T/root.sqfs" -quiet -noappend >/dev/null
want=$(sha256sum <"$T/root.sqfs" | cut -d' ' -f1)

# Two CAs, each with a server certificate for 127.0.0.1; two PSK files for alice.
mkpki() { # DIR
	mkdir -p "$1/client"
	certtool --generate-privkey --outfile "$1/ca-key.pem" 2>/dev/null
	printf 'cn = test CA %s\nca\ncert_signing_key\nexpiration_days = 2\n' "$1" >"$1/ca.info"
	certtool --generate-self-signed --load-privkey "$1/ca-key.pem" --template "$1/ca.info" \
		--outfile "$1/ca-cert.pem" 2>/dev/null
	certtool --generate-privkey --outfile "$1/server-key.pem" 2>/dev/null
	printf 'cn = localhost\nip_address = 127.0.0.1\ntls_www_server\nencryption_key\nsigning_key\nexpiration_days = 2\n' >"$1/server.info"
	certtool --generate-certificate --load-ca-certificate "$1/ca-cert.pem" \
		--load-ca-privkey "$1/ca-key.pem" --load-privkey "$1/server-key.pem" \
		--template "$1/server.info" --outfile "$1/server-cert.pem" 2>/dev/null
	cp "$1/ca-cert.pem" "$1/client/"
	# A CA in the server's directory means client certificates are verified.
	certtool --generate-privkey --outfile "$1/client/client-key.pem" 2>/dev/null
	printf 'cn = client\ntls_www_client\nsigning_key\nexpiration_days = 2\n' >"$1/client.info"
	certtool --generate-certificate --load-ca-certificate "$1/ca-cert.pem" \
		--load-ca-privkey "$1/ca-key.pem" --load-privkey "$1/client/client-key.pem" \
		--template "$1/client.info" --outfile "$1/client/client-cert.pem" 2>/dev/null
}
mkpki "$T/pki1"
mkpki "$T/pki2"
mkdir "$T/certs"
cp "$T/pki1"/{ca-cert,server-cert,server-key}.pem "$T/certs/"
psktool -u alice -p "$T/key1.psk" >/dev/null 2>&1
psktool -u alice -p "$T/key2.psk" >/dev/null 2>&1
cp "$T/key1.psk" "$T/keys.psk"

p1=$(free_port)
p2=$(free_port)
while [ "$p2" = "$p1" ]; do p2=$(free_port); done
# conf LISTEN [GLOBAL-LINES...]: write the configuration file.
conf() {
	local listen=$1 l
	shift
	{
		echo "[global]"
		echo "listen = $listen"
		echo "tls = on"
		echo "tls-certificates = $T/certs"
		echo "tls-psk = $T/keys.psk"
		for l in "$@"; do echo "$l"; done
		echo "[root]"
		echo "path = $T/root.sqfs"
	} >"$T/conf.new"
	mv "$T/conf.new" "$T/conf"
}
# hup: send SIGHUP and wait until the server says how it went.
hup() {
	local before
	before=$(grep -c -E "configuration reloaded|reload failed" "$T/log" || true)
	kill -HUP "$srv"
	for _ in $(seq 100); do
		[ "$(grep -c -E "configuration reloaded|reload failed" "$T/log")" -gt "$before" ] && return 0
		sleep 0.05
	done
	fail "no reload reported: $(tail -5 "$T/log")"
}
# served URI: does a client get the image through URI?
served() {
	local got
	got=$(nbdcopy "$1" - 2>/dev/null | sha256sum | cut -d' ' -f1) || return 1
	[ "$got" = "$want" ]
}

conf "127.0.0.1:$p1" "allow = 127.0.0.2"
nbdexport -f -c "$T/conf" 2>"$T/log" &
srv=$!
cleanup_fn kill -9 "$srv"
wait_port "$p1"
uri1=nbd://127.0.0.1:$p1/root

# Allow list.
served "$uri1" && fail "client outside the allow list served"
ok "allow list refuses 127.0.0.1"
conf "127.0.0.1:$p1" "allow = 127.0.0.0/8"
hup
served "$uri1" || fail "allow list not reloaded: $(tail -3 "$T/log")"
ok "allow list widened by SIGHUP"

# A client connected now stays through every reload below, TLS with the first PSK.
cat >"$T/hold.py" <<'EOP'
import hashlib, os, sys, time
import nbd
h = nbd.NBD()
h.set_uri_allow_local_file(True)
h.connect_uri(sys.argv[1])
h.pread(4096, 0)
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
size = h.get_size()
print(hashlib.sha256(h.pread(size, 0)).hexdigest())
h.shutdown()
EOP
/usr/bin/python3 "$T/hold.py" "nbds://alice@127.0.0.1:$p1/root?tls-psk-file=$T/key1.psk" \
	"$T/held" "$T/release" >"$T/hold.out" 2>&1 &
holder=$!
for _ in $(seq 100); do [ -f "$T/held" ] && break; sleep 0.1; done
[ -f "$T/held" ] || fail "holding client did not connect: $(cat "$T/hold.out")"

# max-clients: the holder is one client; with max-clients = 1 nobody else gets in.
conf "127.0.0.1:$p1" "max-clients = 1"
hup
served "$uri1" && fail "max-clients = 1 let a second client in"
grep -q "already serving 1 clients" "$T/log" || fail "refusal not logged"
ok "max-clients lowered by SIGHUP"
conf "127.0.0.1:$p1" "max-clients = 4"
hup
served "$uri1" || fail "max-clients not raised"
ok "max-clients raised by SIGHUP"

# Handshake timeout: a client that says nothing is dropped after the new limit.
conf "127.0.0.1:$p1" "handshake-timeout = 1"
hup
took=$(/usr/bin/python3 - "$p1" <<'EOP'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t = time.time()
s.settimeout(30)
while True:
    try:
        if not s.recv(4096):
            break
    except (ConnectionResetError, socket.timeout):
        break
print(int(time.time() - t))
EOP
)
[ "$took" -le 5 ] || fail "silent client kept ${took}s with handshake-timeout = 1"
ok "handshake timeout changed by SIGHUP (${took}s)"

# TLS credentials: new handshakes use the new ones, the holder keeps its session.
served "nbds://127.0.0.1:$p1/root?tls-certificates=$T/pki1/client" || fail "X.509 before renewal"
cp "$T/pki2"/{ca-cert,server-cert,server-key}.pem "$T/certs/"
cp "$T/key2.psk" "$T/keys.psk"
hup
served "nbds://127.0.0.1:$p1/root?tls-certificates=$T/pki2/client" ||
	fail "new certificate not served: $(tail -3 "$T/log")"
served "nbds://127.0.0.1:$p1/root?tls-certificates=$T/pki1/client" &&
	fail "old certificate still served after SIGHUP"
ok "renewed certificate used by new handshakes"
served "nbds://alice@127.0.0.1:$p1/root?tls-psk-file=$T/key2.psk" || fail "new PSK refused"
served "nbds://alice@127.0.0.1:$p1/root?tls-psk-file=$T/key1.psk" && fail "old PSK still accepted"
ok "new PSK file used by new handshakes"

# A bad key file is rejected as a whole: the old credentials stay.
echo "alice:nothex" >"$T/keys.psk"
conf "127.0.0.1:$p1" "max-clients = 2"
hup
assert_eq 1 "$(grep -c "reload failed" "$T/log")" "one error line for a bad key file"
grep "reload failed" "$T/log" | grep >/dev/null "keys.psk:1: key is not hexadecimal" ||
	fail "error does not say what is wrong: $(grep "reload failed" "$T/log")"
served "nbds://alice@127.0.0.1:$p1/root?tls-psk-file=$T/key2.psk" || fail "running PSK lost"
served "$uri1" || fail "plain client refused"
ok "running credentials kept after a bad reload"
cp "$T/key2.psk" "$T/keys.psk"

# Listening addresses: move to another port and add a unix socket; the old
# port is closed, the holder (connected through it) goes on.
conf "127.0.0.1:$p2" "unix = $T/sock"
hup
wait_port "$p2"
served "nbd://127.0.0.1:$p2/root" || fail "new port not served: $(tail -3 "$T/log")"
served "nbd+unix:///root?socket=$T/sock" || fail "new unix socket not served"
served "$uri1" && fail "old port still served"
ok "listening moved to a new port and a unix socket"
conf "127.0.0.1:$p2"
hup
[ -e "$T/sock" ] && fail "unix socket left after it was removed from the configuration"
served "nbd://127.0.0.1:$p2/root" || fail "kept port lost"
ok "unix socket removed, kept port still served"

# An address that cannot be bound rejects the whole reload.
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
open(sys.argv[2], "w").close(); time.sleep(60)' "$p1" "$T/squat" &
squatter=$!
cleanup_fn kill "$squatter"
for _ in $(seq 50); do [ -f "$T/squat" ] && break; sleep 0.1; done
cat >>"$T/conf" <<EOC
[extra]
path = $T/root.sqfs
EOC
sed -i "s/^listen = .*/listen = 127.0.0.1:$p2, 127.0.0.1:$p1/" "$T/conf"
hup
assert_eq 2 "$(grep -c "reload failed" "$T/log")" "one error line for an address in use"
grep "reload failed" "$T/log" | tail -1 | grep >/dev/null "cannot listen on 127.0.0.1:$p1: Address already in use" ||
	fail "error does not name the address: $(grep "reload failed" "$T/log" | tail -1)"
served "nbd://127.0.0.1:$p2/root" || fail "running socket lost"
nbdinfo "nbd://127.0.0.1:$p2/extra" >/dev/null 2>&1 && fail "export of a rejected reload served"
ok "rejected reload applied nothing"
kill "$squatter"

# A missing image, a syntax error: rejected as a whole.
sed -i "s/^listen = .*/listen = 127.0.0.1:$p2/; s|^path = $T/root.sqfs$|path = $T/missing.sqfs|" "$T/conf"
hup
grep "reload failed" "$T/log" | tail -1 | grep >/dev/null "cannot open $T/missing.sqfs: No such file or directory" ||
	fail "missing image not reported: $(tail -3 "$T/log")"
served "nbd://127.0.0.1:$p2/root" || fail "root lost after a rejected reload"
ok "missing image rejects the reload"
echo "bogus line" >>"$T/conf"
hup
grep "reload failed" "$T/log" | tail -1 | grep >/dev/null "conf:[0-9]*: expected 'key = value'" ||
	fail "syntax error not reported: $(tail -3 "$T/log")"
ok "syntax error rejects the reload"

# Settings read only at start say so.
conf "127.0.0.1:$p2" "threads = 3"
hup
grep -q "'threads' changed: takes effect when nbdexport is restarted" "$T/log" ||
	fail "threads change not reported"
ok "a setting that needs a restart is reported"

# The holder read the whole image through its TLS session.
touch "$T/release"
wait "$holder" || fail "holding client failed: $(cat "$T/hold.out")"
assert_eq "$want" "$(tail -1 "$T/hold.out")" "connected client unaffected by the reloads"
kill -0 "$srv" || fail "server died"
