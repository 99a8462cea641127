#!/bin/bash
# Start-up as a daemon: detaches, writes its pidfile, logs to syslog, stops on
# SIGTERM removing the pidfile; a unix socket; systemd socket activation
# (LISTEN_FDS); dropping privileges with -u.
. "$(dirname "$0")/../lib.sh"
# A command failing under set -e says where, not just exit 1.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport nbdinfo nbdcopy mksquashfs

mkdir -p "$T/tree" && head -c 512K /dev/urandom >"$T/tree/f"
mksquashfs "$T/tree" "$T/root.sqfs" -quiet -noappend >/dev/null
want=$(sha256sum <"$T/root.sqfs" | cut -d' ' -f1)

# Daemon mode: the command returns once the server is up.
port=$(free_port)
nbdexport -l 127.0.0.1 -p "$port" --pidfile "$T/pid" "$T/root.sqfs" || fail "daemon start failed"
stop_daemon() { [ -s "$1" ] && kill "$(cat "$1")"; }
cleanup_fn stop_daemon "$T/pid"
[ -s "$T/pid" ] || fail "no pidfile"
pid=$(cat "$T/pid")
kill -0 "$pid" || fail "daemon not running"
[ "$(ps -o ppid= -p "$pid" | tr -d ' ')" = 1 ] || [ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] ||
	fail "daemon did not detach"
ok "daemon detached and wrote its pidfile"
got=$(nbdcopy "nbd://127.0.0.1:$port/" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "daemon serves"
kill "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "daemon ignores SIGTERM"
[ -e "$T/pid" ] && fail "pidfile left behind"
ok "SIGTERM stops the daemon and removes the pidfile"
# A daemon that cannot start says so with its exit status.
expect_exit 1 nbdexport -l 127.0.0.1 -p "$port" "$T/missing.sqfs"

# Unix socket.
start_server -P "$T/upid" nbdexport -f -U "$T/sock" --pidfile "$T/upid" "$T/root.sqfs"
got=$(nbdcopy "nbd+unix:///root.sqfs?socket=$T/sock" - | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "unix socket"
kill "$(cat "$T/upid")"
for _ in $(seq 50); do [ -e "$T/sock" ] || break; sleep 0.1; done
[ -e "$T/sock" ] && fail "unix socket left behind"
ok "unix socket removed at exit"

# Socket activation: systemd-socket-activate binds and passes the socket.
if command -v systemd-socket-activate >/dev/null; then
	port=$(free_port)
	systemd-socket-activate -l "127.0.0.1:$port" nbdexport -f --pidfile "$T/apid" "$T/root.sqfs" \
		>/dev/null 2>"$T/alog" &
	act=$!
	cleanup_fn kill "$act"
	wait_port "$port"
	got=$(nbdcopy "nbd://127.0.0.1:$port/" - | sha256sum | cut -d' ' -f1)
	assert_eq "$want" "$got" "socket activation"
	grep -q "listening on 127.0.0.1:$port" "$T/alog" || fail "activated socket not used: $(cat "$T/alog")"
	ok "activated socket used as is"
	kill "$act"
else
	skip "systemd-socket-activate is not installed (package systemd)"
fi

# -u: bind as root, serve as nobody.
if [ "$(id -u)" = 0 ]; then
	port=$(free_port)
	chmod 755 "$T"
	chmod 644 "$T/root.sqfs"
	start_server -P "$T/npid" -w "$port" nbdexport -f -l 127.0.0.1 -p "$port" --pidfile "$T/npid" \
		-u nobody "$T/root.sqfs"
	npid=$(cat "$T/npid")
	assert_eq nobody "$(ps -o user= -p "$npid" | tr -d ' ')" "server runs as nobody"
	grep -q '^Groups:[[:space:]]*65534[[:space:]]*$\|^Groups:[[:space:]]*$' "/proc/$npid/status" ||
		fail "supplementary groups kept: $(grep Groups "/proc/$npid/status")"
	ok "root's groups dropped"
	got=$(nbdcopy "nbd://127.0.0.1:$port/" - | sha256sum | cut -d' ' -f1)
	assert_eq "$want" "$got" "serves after dropping privileges"
else
	expect_exit 1 nbdexport -f -p 0 -u nobody "$T/root.sqfs"
fi
