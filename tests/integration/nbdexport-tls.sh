#!/bin/bash
# TLS with real clients: nbdinfo/nbdcopy over nbds:// with certtool-made X.509
# certificates and with a psktool-made pre-shared key; --tls require refuses
# plain clients, and a client with a wrong key gets nothing. With a CA
# configured, client certificates are verified unless the admin opts out.
. "$(dirname "$0")/../lib.sh"
# A command failing under set -e says where, not just exit 1.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport nbdinfo nbdcopy certtool psktool mksquashfs

mkdir -p "$T/tree" && head -c 1M /dev/urandom >"$T/tree/f"
mksquashfs "$T/tree" "$T/root.sqfs" -quiet -noappend >/dev/null
want=$(sha256sum <"$T/root.sqfs" | cut -d' ' -f1)

# A CA, and a server certificate for 127.0.0.1 signed by it.
pki=$T/pki
mkdir -p "$pki" "$T/client"
certtool --generate-privkey --outfile "$pki/ca-key.pem" 2>/dev/null
printf 'cn = pxeroot test CA\nca\ncert_signing_key\nexpiration_days = 2\n' >"$T/ca.info"
certtool --generate-self-signed --load-privkey "$pki/ca-key.pem" --template "$T/ca.info" \
	--outfile "$pki/ca-cert.pem" 2>/dev/null
certtool --generate-privkey --outfile "$pki/server-key.pem" 2>/dev/null
printf 'cn = localhost\ndns_name = localhost\nip_address = 127.0.0.1\ntls_www_server\nencryption_key\nsigning_key\nexpiration_days = 2\n' >"$T/server.info"
certtool --generate-certificate --load-ca-certificate "$pki/ca-cert.pem" \
	--load-ca-privkey "$pki/ca-key.pem" --load-privkey "$pki/server-key.pem" \
	--template "$T/server.info" --outfile "$pki/server-cert.pem" 2>/dev/null
cp "$pki/ca-cert.pem" "$T/client/"
psktool -u alice -p "$T/keys.psk" >/dev/null 2>&1
psktool -u mallory -p "$T/wrong.psk" >/dev/null 2>&1
sed -i 's/^mallory:/alice:/' "$T/wrong.psk"

# Client certificates: one signed by our CA, one signed by another CA (the
# client still trusts our CA for the server's certificate).
client_cert() { # DIR CA-DIR: a client key and certificate in DIR signed by CA-DIR's CA
	mkdir -p "$1"
	cp "$pki/ca-cert.pem" "$1/"
	certtool --generate-privkey --outfile "$1/client-key.pem" 2>/dev/null
	certtool --generate-certificate --load-ca-certificate "$2/ca-cert.pem" \
		--load-ca-privkey "$2/ca-key.pem" --load-privkey "$1/client-key.pem" \
		--template "$T/client.info" --outfile "$1/client-cert.pem" 2>/dev/null
}
printf 'cn = client\ntls_www_client\nencryption_key\nsigning_key\nexpiration_days = 2\n' >"$T/client.info"
mkdir "$T/otherca"
certtool --generate-privkey --outfile "$T/otherca/ca-key.pem" 2>/dev/null
certtool --generate-self-signed --load-privkey "$T/otherca/ca-key.pem" --template "$T/ca.info" \
	--outfile "$T/otherca/ca-cert.pem" 2>/dev/null
client_cert "$T/client-auth" "$pki"
client_cert "$T/client-other" "$T/otherca"

# X.509, TLS optional; ca-cert.pem is there, so client certificates are verified.
port=$(free_port)
start_server -P "$T/pid" -w "$port" logged "$T/log" nbdexport -f -v -l 127.0.0.1 -p "$port" --pidfile "$T/pid" \
	--tls on --tls-certificates "$pki" "$T/root.sqfs"
uri="nbds://127.0.0.1:$port/root.sqfs?tls-certificates=$T/client-auth"
nbdinfo "$uri" >"$T/info" 2>&1 || fail "nbdinfo over TLS: $(cat "$T/info")"
grep -q "newstyle-fixed with TLS" "$T/info" || fail "TLS not in use: $(head -3 "$T/info")"
ok "nbdinfo negotiates TLS with X.509"
got=$(nbdcopy "$uri" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "nbdcopy over TLS reads the image"
got=$(nbdcopy -C 4 "$uri" "$T/copy" && sha256sum <"$T/copy" | cut -d' ' -f1)
assert_eq "$want" "$got" "nbdcopy over TLS with 4 connections"
got=$(nbdcopy "nbd://127.0.0.1:$port/root.sqfs" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "plain clients still served in --tls on"
# A client that does not trust our CA gives up.
if nbdinfo "nbds://127.0.0.1:$port/root.sqfs?tls-certificates=$T/otherca" >/dev/null 2>&1; then
	fail "client accepted a certificate from an unknown CA"
fi
ok "untrusted certificate rejected by the client"
# With a CA configured, the server verifies client certificates by default.
if nbdinfo "nbds://127.0.0.1:$port/root.sqfs?tls-certificates=$T/client-other" >/dev/null 2>&1; then
	fail "client certificate from another CA accepted by default"
fi
ok "client certificate from another CA refused by default"
if nbdinfo "nbds://127.0.0.1:$port/root.sqfs?tls-certificates=$T/client" >/dev/null 2>&1; then
	fail "client without a certificate served although a CA is configured"
fi
ok "client without a certificate refused when a CA is configured"
grep -q "TLS handshake" "$T/log" || fail "refused handshakes not logged: $(tail -3 "$T/log")"
kill -0 "$(cat "$T/pid")" || fail "server died"
kill "$(cat "$T/pid")"

# --tls-verify-peer says the same explicitly, and refuses to start without a CA.
port=$(free_port)
start_server -P "$T/pidv" -w "$port" logged "$T/logv" nbdexport -f -v -l 127.0.0.1 -p "$port" --pidfile "$T/pidv" \
	--tls require --tls-certificates "$pki" --tls-verify-peer "$T/root.sqfs"
got=$(nbdcopy "nbds://127.0.0.1:$port/root.sqfs?tls-certificates=$T/client-auth" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "client with a certificate from our CA served"
if nbdinfo "nbds://127.0.0.1:$port/root.sqfs?tls-certificates=$T/client" >/dev/null 2>&1; then
	fail "client without a certificate served under --tls-verify-peer"
fi
ok "--tls-verify-peer refuses a client without a certificate"
kill "$(cat "$T/pidv")"
mkdir "$T/noca" && cp "$pki"/server-*.pem "$T/noca/"
if nbdexport -f -l 127.0.0.1 -p "$(free_port)" --tls on --tls-certificates "$T/noca" \
	--tls-verify-peer "$T/root.sqfs" 2>"$T/noca.err"; then
	fail "--tls-verify-peer started without ca-cert.pem"
fi
grep -q "client certificates need $T/noca/ca-cert.pem" "$T/noca.err" ||
	fail "no clear error without ca-cert.pem: $(cat "$T/noca.err")"
ok "--tls-verify-peer without ca-cert.pem refused"

# Opting out: --no-tls-verify-peer, or tls-verify-peer = no in the file.
port=$(free_port)
start_server -P "$T/pidn" -w "$port" logged "$T/logn" nbdexport -f -v -l 127.0.0.1 -p "$port" --pidfile "$T/pidn" \
	--tls on --tls-certificates "$pki" --no-tls-verify-peer "$T/root.sqfs"
got=$(nbdcopy "nbds://127.0.0.1:$port/root.sqfs?tls-certificates=$T/client-other" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "--no-tls-verify-peer: client certificate from another CA served"
got=$(nbdcopy "nbds://127.0.0.1:$port/root.sqfs?tls-certificates=$T/client" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "--no-tls-verify-peer: client without a certificate served"
grep -q "client certificates are not verified" "$T/logn" || fail "opt-out not logged"
ok "the opt-out is logged"
kill "$(cat "$T/pidn")"
port=$(free_port)
printf '[global]\nlisten = 127.0.0.1:%s\ntls = on\ntls-certificates = %s\ntls-verify-peer = no\n[root.sqfs]\npath = %s\n' \
	"$port" "$pki" "$T/root.sqfs" >"$T/optout.conf"
start_server -P "$T/pidc" -w "$port" logged "$T/logc" nbdexport -f -v -c "$T/optout.conf" --pidfile "$T/pidc"
got=$(nbdcopy "nbds://127.0.0.1:$port/root.sqfs?tls-certificates=$T/client-other" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "tls-verify-peer = no: client certificate from another CA served"
kill "$(cat "$T/pidc")"
port=$(free_port)
sed -i "s/^listen = .*/listen = 127.0.0.1:$port/" "$T/optout.conf"
start_server -P "$T/pidc" -w "$port" logged "$T/logc2" nbdexport -f -v -c "$T/optout.conf" \
	--tls-verify-peer --pidfile "$T/pidc"
if nbdinfo "nbds://127.0.0.1:$port/root.sqfs?tls-certificates=$T/client-other" >/dev/null 2>&1; then
	fail "--tls-verify-peer did not override tls-verify-peer = no"
fi
ok "the command line overrides tls-verify-peer in the file"
kill "$(cat "$T/pidc")"

# PSK, TLS required.
port=$(free_port)
start_server -P "$T/pid2" -w "$port" logged "$T/log2" nbdexport -f -v -l 127.0.0.1 -p "$port" --pidfile "$T/pid2" \
	--tls require --tls-psk "$T/keys.psk" "$T/root.sqfs"
uri="nbds://alice@127.0.0.1:$port/root.sqfs?tls-psk-file=$T/keys.psk"
got=$(nbdcopy "$uri" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "nbdcopy with a pre-shared key"
grep -q "PSK identity 'alice'" "$T/log2" || fail "PSK identity not logged"
if nbdinfo "nbd://127.0.0.1:$port/root.sqfs" >"$T/plain" 2>&1; then
	fail "plain client served although TLS is required"
fi
grep -qi "tls" "$T/plain" || fail "plain client not told about TLS: $(cat "$T/plain")"
ok "--tls require refuses plain clients"
if nbdinfo "nbds://alice@127.0.0.1:$port/root.sqfs?tls-psk-file=$T/wrong.psk" >/dev/null 2>&1; then
	fail "wrong key accepted"
fi
ok "wrong pre-shared key refused"
nbdinfo --list "nbds://alice@127.0.0.1:$port/?tls-psk-file=$T/keys.psk" | grep -E >/dev/null 'export="root.sqfs(@[0-9a-f]{16})?"' ||
	fail "list over TLS"
ok "export list over TLS"
kill -0 "$(cat "$T/pid2")" || fail "server died"
