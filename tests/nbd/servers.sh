# SPDX-License-Identifier: GPL-2.0-or-later
#
# Start an NBD server under test, read-only, on loopback: nbdexport or one of
# its peers, the same way for every NBD test and for bench/nbd.sh. Source it
# after tests/lib.sh.
#
#   nbd_serve [-U] [-n NAME] IMAGE
#       Serve IMAGE read-only with the server named by $NBD_SERVER (nbdexport,
#       nbdkit, nbd-server or qemu-nbd; default nbdexport) as export NAME (default:
#       the image's file name), which is also the default export (empty name).
#       -U listens on a unix socket instead of TCP. Sets:
#         NBD_PORT   TCP port on 127.0.0.1 (empty with -U)
#         NBD_SOCK   unix socket path (empty without -U)
#         NBD_EXPORT the export name to ask for (qemu-nbd: always empty)
#         NBD_URI    nbd://127.0.0.1:PORT/NAME or nbd+unix:///NAME?socket=PATH
#         NBD_PID    the server's process id
#       The server is stopped at exit. Each call starts a new server.
#       NBDEXPORT_ARGS / NBD_PEER_ARGS: extra options for nbdexport / nbdkit or qemu-nbd.
#   nbd_server_cmd      the program $NBD_SERVER names (for `requires`)
#   nbd_stop            stop the server the last nbd_serve started
#
# Peers are configured to be as close to nbdexport's defaults as they allow:
# nbdkit's file plugin (directory mode, so unknown export names are refused,
# and the exportname filter for the default export), nbd-server with a config
# file written here, qemu-nbd -r -t with shared connections (-e).

NBD_SERVER=${NBD_SERVER:-nbdexport}
_nbd_n=0

# A free port below the kernel's ephemeral range: the storms here open
# thousands of client connections, whose local ports would otherwise collide
# with the port a server is about to bind.
_nbd_free_port() {
	local lo p
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null) || lo=32768
	for _ in $(seq 1 200); do
		p=$((10000 + RANDOM % (lo - 10000)))
		if ! ss -Htan "sport = :$p" | grep >/dev/null .; then
			echo "$p"
			return 0
		fi
	done
	fail "no free port"
}

nbd_server_cmd() {
	case $NBD_SERVER in
	nbdexport | nbdkit | nbd-server | qemu-nbd) echo "$NBD_SERVER" ;;
	*) fail "NBD_SERVER=$NBD_SERVER: unknown server (nbdexport nbdkit nbd-server qemu-nbd)" ;;
	esac
}

_nbd_wait_pidfile() {
	local pidfile=$1 what=$2 i
	for ((i = 0; i < 200; i++)); do
		[ -s "$pidfile" ] && return 0
		sleep 0.05
	done
	fail "$what wrote no pidfile $pidfile"
}

_nbd_wait_unix() {
	local sock=$1 i
	for ((i = 0; i < 200; i++)); do
		[ -S "$sock" ] && return 0
		sleep 0.05
	done
	fail "nothing listens on $sock"
}

_nbd_logged() {
	local log=$1
	shift
	exec "$@" >"$log" 2>&1
}

nbd_serve() {
	local unix=0 name="" image
	while [ $# -gt 0 ]; do
		case $1 in
		-U) unix=1; shift ;;
		-n) name=$2; shift 2 ;;
		*) break ;;
		esac
	done
	image=$(realpath "$1")
	[ -n "$name" ] || name=$(basename "$image")
	_nbd_n=$((_nbd_n + 1))
	local dir=$T/nbd-server.$_nbd_n
	mkdir -p "$dir"
	local pidfile=$dir/pid log=$dir/log
	NBD_PORT="" NBD_SOCK=""
	if [ "$unix" = 1 ]; then
		NBD_SOCK=$dir/sock
	else
		NBD_PORT=$(_nbd_free_port)
	fi
	NBD_EXPORT=$name
	NBD_LOG=$log
	case $NBD_SERVER in
	nbdexport)
		local listen=(-l 127.0.0.1 -p "$NBD_PORT")
		[ "$unix" = 1 ] && listen=(-U "$NBD_SOCK")
		start_server -P "$pidfile" ${NBD_PORT:+-w "$NBD_PORT"} _nbd_logged "$log" \
			nbdexport -f --force --pidfile "$pidfile" "${listen[@]}" \
			${NBDEXPORT_ARGS:-} "$image=$name"
		;;
	nbdkit)
		# Directory mode serves DIR/NAME for export NAME and refuses other names.
		mkdir -p "$dir/exports"
		ln -s "$image" "$dir/exports/$name"
		local listen=(-i 127.0.0.1 -p "$NBD_PORT")
		[ "$unix" = 1 ] && listen=(-U "$NBD_SOCK")
		start_server -P "$pidfile" ${NBD_PORT:+-w "$NBD_PORT"} _nbd_logged "$log" \
			nbdkit -f -r -P "$pidfile" "${listen[@]}" ${NBD_PEER_ARGS:-} --filter=exportname \
			file dir="$dir/exports" default-export="$name" \
			exportname-list=explicit exportname="$name"
		;;
	nbd-server)
		# nbd-server forks a process per client only when it daemonizes, so
		# let it daemonize and follow its pidfile.
		{
			echo "[generic]"
			if [ "$unix" = 1 ]; then
				echo "unixsock = $NBD_SOCK"
				echo "listenaddr = 127.0.0.1"
				echo "port = $(_nbd_free_port)"
			else
				echo "listenaddr = 127.0.0.1"
				echo "port = $NBD_PORT"
			fi
			echo "allowlist = true"
			echo "[$name]"
			echo "exportname = $image"
			echo "readonly = true"
		} >"$dir/config"
		nbd-server -C "$dir/config" -p "$pidfile" >"$log" 2>&1 || fail "nbd-server did not start: $(cat "$log")"
		_nbd_wait_pidfile "$pidfile" nbd-server
		cleanup_fn _stop_server "$pidfile" "$(cat "$pidfile")"
		[ "$unix" = 1 ] || wait_port "$NBD_PORT"
		;;
	qemu-nbd)
		# qemu-nbd's -x name is not the default export; it serves "" alone.
		NBD_EXPORT=""
		local listen=(-b 127.0.0.1 -p "$NBD_PORT")
		[ "$unix" = 1 ] && listen=(-k "$NBD_SOCK")
		start_server -P "$pidfile" ${NBD_PORT:+-w "$NBD_PORT"} _nbd_logged "$log" \
			qemu-nbd -r -t -e 1024 -f raw --cache=writeback --aio=threads ${NBD_PEER_ARGS:-} \
			--pid-file "$pidfile" "${listen[@]}" "$image"
		;;
	*) nbd_server_cmd >/dev/null ;;
	esac
	[ "$unix" = 1 ] && _nbd_wait_unix "$NBD_SOCK"
	NBD_PID=$(cat "$pidfile")
	if [ "$unix" = 1 ]; then
		NBD_URI="nbd+unix:///$NBD_EXPORT?socket=$NBD_SOCK"
	else
		NBD_URI="nbd://127.0.0.1:$NBD_PORT/$NBD_EXPORT"
	fi
	NBD_PIDFILE=$pidfile
	export NBD_PORT NBD_SOCK NBD_EXPORT NBD_URI NBD_PID NBD_LOG
}

# nbd_stop: stop the server the last nbd_serve started (it is also stopped at exit).
nbd_stop() {
	_stop_server "$NBD_PIDFILE" "$NBD_PID" 2>/dev/null || true
}

# nbd_alive: fail unless the last server started still runs.
nbd_alive() {
	kill -0 "$NBD_PID" 2>/dev/null || fail "$NBD_SERVER (pid $NBD_PID) is gone: $(tail -5 "$NBD_LOG")"
}
