#!/bin/bash
# Start-up as a daemon: detaches, writes its pidfile, logs to syslog, stops on
# SIGTERM removing the pidfile; without a syslog socket it says so before
# detaching and logs to the standard error it was started with; --log-file; a unix socket; systemd socket activation
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

# No syslog socket: one line says so before detaching, naming the options,
# and the logs go to the stderr the daemon was started with.
nosyslog() {
	if [ -e /dev/log ]; then
		[ "$(id -u)" = 0 ] || return 77
		: >"$T/nolog"
		unshare -m sh -c 'mount --bind "$0" /dev/log && exec "$@"' "$T/nolog" "$@"
	else
		"$@"
	fi
}
port=$(free_port)
rc=0
nosyslog nbdexport -v -l 127.0.0.1 -p "$port" --pidfile "$T/spid" "$T/root.sqfs" 2>"$T/serr" || rc=$?
[ "$rc" = 77 ] && skip "/dev/log exists and cannot be hidden without root"
assert_eq 0 "$rc" "daemon without syslog starts"
cleanup_fn stop_daemon "$T/spid"
n=$(grep -c 'no syslog at /dev/log' "$T/serr" || true)
assert_eq 1 "$n" "one line says there is no syslog"
grep 'no syslog at /dev/log' "$T/serr" | grep -q -- '--log-file FILE or --foreground' ||
	fail "the line names no option: $(cat "$T/serr")"
ok "it names --log-file and --foreground"
nbdinfo "nbd://127.0.0.1:$port/" >/dev/null
spid=$(cat "$T/spid")
kill "$spid"
for _ in $(seq 50); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
grep -q 'nbdexport: listening on 127.0.0.1' "$T/serr" || fail "no log after detaching: $(cat "$T/serr")"
grep -q "export 'root.sqfs'" "$T/serr" || fail "client not logged: $(cat "$T/serr")"
grep -q 'SIGTERM received' "$T/serr" || fail "shutdown not logged: $(cat "$T/serr")"
ok "the detached daemon logs to the stderr it was started with"

# --log-file: the daemon logs there (with timestamps), and says nothing of syslog.
port=$(free_port)
nbdexport -v -l 127.0.0.1 -p "$port" --pidfile "$T/lpid" --log-file "$T/nbd.log" "$T/root.sqfs" \
	2>"$T/lerr" || fail "daemon with --log-file: $(cat "$T/lerr")"
cleanup_fn stop_daemon "$T/lpid"
if grep -q 'syslog' "$T/lerr"; then fail "syslog mentioned with --log-file: $(cat "$T/lerr")"; fi
nbdinfo "nbd://127.0.0.1:$port/" >/dev/null
lpid=$(cat "$T/lpid")
kill "$lpid"
for _ in $(seq 50); do kill -0 "$lpid" 2>/dev/null || break; sleep 0.1; done
grep -Eq '^[0-9-]+T[0-9:.]+Z nbdexport: listening on 127.0.0.1' "$T/nbd.log" ||
	fail "--log-file: $(cat "$T/nbd.log")"
grep -q "export 'root.sqfs'" "$T/nbd.log" || fail "client not in --log-file: $(cat "$T/nbd.log")"
grep -q 'SIGTERM received' "$T/nbd.log" || fail "shutdown not in --log-file: $(cat "$T/nbd.log")"
ok "--log-file gets the daemon's log"
expect_exit 1 nbdexport -l 127.0.0.1 -p "$port" --log-file "$T/no/such/dir/log" "$T/root.sqfs"
ok "a log file that cannot be opened is an error at start"

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

# -u: bind as root, serve as nobody. PXEROOT_TEST_NO_SETUID=1 leaves it out:
# tests/integration/nbdexport-seccomp.sh runs this test under
# nbdexport.service's system call filter, which denies setuid and initgroups
# (~@privileged) because the unit never switches users itself (DynamicUser=).
if [ "${PXEROOT_TEST_NO_SETUID:-}" = 1 ]; then
	echo "-u not tested: PXEROOT_TEST_NO_SETUID=1"
elif [ "$(id -u)" = 0 ]; then
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
