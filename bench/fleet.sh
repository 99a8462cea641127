#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A fleet of network boot clients starting at once against four boot server
# stacks, side by side in one run, on a LAN of the script's own (a bridge in
# a private network namespace, tests/e2e/lib-lan.sh):
#
#   pxebootsrv        "pxebootsrv run": dnsmasq (DHCP, TFTP), lighttpd (HTTP),
#                     nbdexport (NBD), all from one pxebootsrv.conf
#   pxebootsrv-nginx  the same, with [http] off and nginx serving the boot
#                     directory instead of lighttpd
#   pxebootsrv-tftp   "pxebootsrv run", kernel and initramfs by TFTP: what a
#                     PXELINUX client (bios = pxelinux, the default) loads
#   classic           dnsmasq (DHCP, and TFTP for every file) + nbd-server
#   nbdkit            dnsmasq (DHCP, and TFTP for every file) + nbdkit's file
#                     plugin
#
# Every simulated client, in one client namespace on the bridge:
#   1. DHCP as a BIOS PXE ROM: DISCOVER, OFFER, REQUEST, ACK with option 93 = 0
#      and vendor class PXEClient (tests/dhcp/dhcpprobe --first), retried after
#      4 and 8 s as the ROM retries; the leased address is added to the
#      namespace's interface and every later connection leaves from it;
#   2. the first-stage loader by TFTP (pxelinux.0, ldlinux.c32, the menu),
#      curl, block size 1456 as PXE ROMs ask;
#   3. kernel and initramfs: by HTTP on pxebootsrv and pxebootsrv-nginx (the
#      iPXE path), by TFTP on the others (the PXELINUX path);
#   4. the NBD reads of a real Debian 12 boot (bench/data/debian-boot-nbd-reads.txt,
#      recorded by bench/record-nbd-trace.sh), replayed in order by nbdreplay
#      (bench/nbdreplay.c, libnbd) on one connection, DEPTH reads in flight.
# Its time runs from the first DISCOVER to the end of the last read ("root read
# done"); a client fails when a step fails or it is not done by its deadline
# (-T, 120 s): a percentile that falls on a failed client is shown as ">120".
#
# Per stack and fleet size, medians over the repeats: failed clients, p50 and
# p99 of the client times, each step's median, server CPU seconds (user +
# system of the server processes and their children, /proc/PID/stat) and the
# bytes the servers sent (the client interface's received bytes). Stacks take
# turns within each repeat. Ratios: a stack's p99 against pxebootsrv's.
# This is a benchmark, not a test: it records failures and goes on.
#
# usage: bench/fleet.sh [-n "64 256"] [-r REPEATS] [-S STACKS] [-k KERNEL_MIB]
#                       [-i INITRD_MIB] [-d DEPTH] [-o OUT.md] [-t TRACE]
#                       [-T SECS] [-q]
#   -n  fleet sizes (default "64 256")   -r  repeats (default 3)
#   -S  stacks (default "pxebootsrv pxebootsrv-nginx pxebootsrv-tftp classic nbdkit")
#   -k  kernel size in MiB (default 8)   -i  initramfs size in MiB (default 3)
#   -d  NBD reads in flight per client (default 4)
#   -o  markdown table (default build/bench/fleet.md)
#   -t  the trace to replay (default bench/data/debian-boot-nbd-reads.txt)
#   -T  a client's deadline from its first DISCOVER (default 120 s)
#   -q  quick: 1 repeat, 32 clients
export PXEROOT_SRC=${PXEROOT_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
. "$PXEROOT_SRC/tests/e2e/lib-lan.sh"
bench_mode

sizes="64 256" repeats=3 kernel_mib=8 initrd_mib=3 depth=4 deadline=120
stacks="pxebootsrv pxebootsrv-nginx pxebootsrv-tftp classic nbdkit"
out=$BUILD/bench/fleet.md
usage() {
	echo "usage: bench/fleet.sh [-n \"64 256\"] [-r REPEATS] [-S STACKS] [-k KERNEL_MIB] [-i INITRD_MIB] [-d DEPTH] [-o OUT.md] [-t TRACE] [-T SECS] [-q]" >&2
	exit 2
}
trace=$SRC/bench/data/debian-boot-nbd-reads.txt
while getopts "n:r:S:k:i:d:o:t:T:q" o; do
	case $o in
	n) sizes=$OPTARG ;;
	r) repeats=$OPTARG ;;
	S) stacks=$OPTARG ;;
	k) kernel_mib=$OPTARG ;;
	i) initrd_mib=$OPTARG ;;
	d) depth=$OPTARG ;;
	o) out=$OPTARG ;;
	t) trace=$OPTARG ;;
	T) deadline=$OPTARG ;;
	q) repeats=1 sizes=32 ;;
	*) usage ;;
	esac
done
[ $# -eq $((OPTIND - 1)) ] || usage
case $out in /*) ;; *) out=$PWD/$out ;; esac
case $trace in /*) ;; *) trace=$PWD/$trace ;; esac
DHCPPROBE=$BUILD/tests/dhcpprobe
NBDREPLAY=$BUILD/bench/nbdreplay
for f in "$DHCPPROBE" "$NBDREPLAY" "$BUILD/pxebootsrv" "$BUILD/nbdexport"; do
	[ -x "$f" ] || { echo "bench/fleet.sh: $f is not built (scripts/install-deps bench; make)" >&2; exit 1; }
done
for c in dnsmasq lighttpd nginx nbd-server nbdkit curl mksquashfs; do
	command -v "$c" >/dev/null || { echo "bench/fleet.sh: $c is not installed (scripts/install-deps bench)" >&2; exit 1; }
done
[ -r "$trace" ] || { echo "bench/fleet.sh: cannot open $trace: No such file or directory" >&2; exit 1; }
PXELINUX=/usr/lib/PXELINUX/pxelinux.0 LDLINUX=/usr/lib/syslinux/modules/bios/ldlinux.c32
for f in "$PXELINUX" "$LDLINUX"; do
	[ -r "$f" ] || { echo "bench/fleet.sh: cannot open $f: No such file or directory" >&2; exit 1; }
done

lan_setup
# Room for 256 leases and more: the LAN is a /16 here.
ip addr del "$LAN_SERVER/24" dev "$LAN_BR"
ip addr add "$LAN_SERVER/16" dev "$LAN_BR"
lan_netns cli
# The clients' leased addresses answer ARP on the client interface.
ip netns exec cli sysctl -qw net.ipv4.ip_nonlocal_bind=1

# The files: random bytes of the sizes asked, and an image as large as the
# recorded client's, all in page cache.
files=$T/files
mkdir -p "$files"
chmod 0755 "$T" "$files"
image_size=$(sed -n 's/^# image_size \([0-9]*\) .*/\1/p' "$trace")
trace_reads=$(sed -n 's/^# image_size [0-9]* reads \([0-9]*\) .*/\1/p' "$trace")
trace_bytes=$(sed -n 's/^# image_size .* bytes \([0-9]*\).*/\1/p' "$trace")
head -c "${kernel_mib}M" /dev/urandom >"$files/vmlinuz"
head -c "${initrd_mib}M" /dev/urandom >"$files/initrd.img"
# nbdexport serves only what blkid knows: a squashfs, uncompressed, of random
# bytes, as large as the image.
mkdir -p "$T/imgtree"
head -c "$image_size" /dev/urandom >"$T/imgtree/data"
mksquashfs "$T/imgtree" "$files/root.img" -noappend -quiet -noI -noD -noF -noX >/dev/null ||
	{ echo "bench/fleet.sh: mksquashfs failed" >&2; exit 1; }
rm -rf "$T/imgtree"
cat "$files"/* >/dev/null
echo "# image $image_size bytes; trace: $trace_reads reads, $trace_bytes bytes; kernel $kernel_mib MiB, initramfs $initrd_mib MiB" >&2

# The classic stacks' TFTP root: every file a PXELINUX client loads.
classic=$T/classic
mkdir -p "$classic/pxelinux.cfg"
cp "$PXELINUX" "$LDLINUX" "$classic/"
ln -s "$files/vmlinuz" "$files/initrd.img" "$classic/"
cat >"$classic/pxelinux.cfg/default" <<EOF
default debian
label debian
  kernel vmlinuz
  initrd initrd.img
  append root=nbd:$LAN_SERVER:10809/debian ip=dhcp
EOF

# pxebootsrv.conf for the two pxebootsrv stacks; HTTP=no leaves it to nginx.
pxe_conf() {
	local http=$1
	cat >"$T/pxebootsrv.conf" <<-EOF
		[server]
		address = $LAN_SERVER
		interface = $LAN_BR
		boot-dir = $T/boot
		state-dir = $T/state

		[dhcp]
		mode = full
		range = 10.77.1.1 10.77.4.254
		netmask = 255.255.0.0

		[http]
		enable = $http

		[menu]
		timeout = 0

		[entry debian]
		kind = pxeroot
		kernel = $files/vmlinuz
		initrd = $files/initrd.img
		image = $files/root.img
	EOF
}

# The classic stacks' dnsmasq, as an administrator writes it: DHCP for PXE
# clients and TFTP, no DNS, dnsmasq's defaults otherwise (no log-dhcp), but
# no-ping and tftp-max=512, as pxebootsrv renders them: with dnsmasq's ping
# before each offer no stack gets a fleet of 256 clients through DHCP
# (doc/benchmarks-fleet.md), and its default of 50 TFTP transfers at once
# turns the rest of a fleet away while the first 50 load.
classic_dnsmasq() {
	rm -f "$T/dnsmasq.leases"
	cat >"$T/dnsmasq-classic.conf" <<-EOF
		port=0
		interface=$LAN_BR
		bind-interfaces
		dhcp-range=10.77.1.1,10.77.4.254,255.255.0.0,12h
		dhcp-match=set:bios,option:client-arch,0
		dhcp-boot=tag:bios,pxelinux.0,,$LAN_SERVER
		dhcp-option=option:root-path,nbd:$LAN_SERVER:10809/debian
		enable-tftp
		tftp-root=$classic
		tftp-max=512
		no-ping
	EOF
	lan_dnsmasq_file "$T/dnsmasq-classic.conf"
}

nginx_start() {
	mkdir -p "$T/nginx"
	cat >"$T/nginx/nginx.conf" <<-EOF
		# Static files, as Debian's default site serves them.
		worker_processes auto;
		pid $T/nginx/nginx.pid;
		error_log $T/nginx/error.log;
		events { worker_connections 1024; }
		http {
		    access_log off;
		    sendfile on;
		    tcp_nopush on;
		    default_type application/octet-stream;
		    server {
		        listen $LAN_SERVER:80;
		        root $T/boot;
		    }
		}
	EOF
	start_server -P "$T/nginx/nginx.pid" -w 80 nginx -c "$T/nginx/nginx.conf" -g "daemon off;"
	SERVER_PIDS="$SERVER_PIDS $(cat "$T/nginx/nginx.pid")"
}

nginx_stop() {
	local pid
	pid=$(cat "$T/nginx/nginx.pid" 2>/dev/null) || return 0
	_stop_server "$T/nginx/nginx.pid" "$pid"
}

# stack_start NAME: start the stack; sets SERVER_PIDS (the processes whose CPU
# time counts), PROTO (how kernel and initramfs are fetched) and their paths.
stack_start() {
	SERVER_PIDS=""
	rm -rf "$T/state" "$T/boot"
	mkdir -p "$T/boot"
	case $1 in
	pxebootsrv | pxebootsrv-nginx | pxebootsrv-tftp)
		PROTO=http KPATH=files/debian/vmlinuz IPATH=files/debian/initrd.img EXPORT=debian
		if [ "$1" != pxebootsrv-nginx ]; then
			pxe_conf yes
			[ "$1" = pxebootsrv ] || PROTO=tftp
		else
			pxe_conf no
			# The boot directory is placed by pxebootsrv run: nginx only
			# needs it to exist when it starts.
			nginx_start
		fi
		lan_pxebootsrv "$T/pxebootsrv.conf" >/dev/null
		SERVER_PIDS="$SERVER_PIDS $(cat "$T/pxebootsrv.pid")"
		;;
	classic | nbdkit)
		PROTO=tftp KPATH=vmlinuz IPATH=initrd.img EXPORT=debian
		classic_dnsmasq
		SERVER_PIDS=$(cat "$T/dnsmasq.pid")
		if [ "$1" = classic ]; then
			# nbd-server forks a process per client once it daemonizes.
			cat >"$T/nbd-server.conf" <<-EOF
				[generic]
				listenaddr = $LAN_SERVER
				port = 10809
				allowlist = true
				[debian]
				exportname = $files/root.img
				readonly = true
			EOF
			rm -f "$T/nbd-server.pid"
			nbd-server -C "$T/nbd-server.conf" -p "$T/nbd-server.pid" >"$T/nbd-server.log" 2>&1
			for _ in $(seq 1 100); do
				[ -s "$T/nbd-server.pid" ] && break
				sleep 0.05
			done
			SERVER_PIDS="$SERVER_PIDS $(cat "$T/nbd-server.pid")"
		else
			start_server -P "$T/nbdkit.pid" nbdkit -f -r -i "$LAN_SERVER" -p 10809 \
				-P "$T/nbdkit.pid" file "$files/root.img"
			SERVER_PIDS="$SERVER_PIDS $(cat "$T/nbdkit.pid")"
		fi
		wait_port_on 10809
		;;
	esac
}

# nbd-server daemonizes: only its pid file knows it.
nbd_server_stop() {
	local pid
	pid=$(cat "$T/nbd-server.pid" 2>/dev/null) || return 0
	_stop_server "$T/nbd-server.pid" "$pid"
	rm -f "$T/nbd-server.pid"
}
cleanup_fn nbd_server_stop

wait_port_on() {
	for _ in $(seq 1 100); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	echo "# nothing listens on port $1" >&2
}

stack_stop() {
	case $1 in
	pxebootsrv | pxebootsrv-tftp) lan_pxebootsrv_stop ;;
	pxebootsrv-nginx)
		lan_pxebootsrv_stop
		nginx_stop
		;;
	classic)
		nbd_server_stop
		lan_dnsmasq_stop
		;;
	nbdkit)
		_stop_server "$T/nbdkit.pid" "$(cat "$T/nbdkit.pid")"
		lan_dnsmasq_stop
		;;
	esac
	rm -f /var/lib/misc/dnsmasq.leases "$T/state/"*.leases 2>/dev/null
}

# The CPU ticks of the given processes and all their descendants, living and
# reaped (cutime, cstime).
cpu_ticks() {
	local total=0 p q
	local -a queue=("$@")
	while [ ${#queue[@]} -gt 0 ]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		[ -r "/proc/$p/stat" ] || continue
		total=$((total + $(sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 + $14 + $15 }')))
		for q in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
			queue+=("$q")
		done
	done
	echo "$total"
}

# failure ERRFILE END: why a step failed: the deadline passed, or its message.
failure() {
	if [ "$EPOCHSECONDS" -ge "$2" ]; then
		echo "deadline (${deadline} s)"
	else
		head -c 200 "$1" | tr '\n' ' '
	fi
}

# client I: one simulated client; prints "I ok TOTAL DHCP LOADER KERNEL NBD TRIES"
# (seconds) or "I fail STEP".
client() {
	local i=$1 mac ip t0 t1 t2 t3 t4 tries=0 to
	mac=$(printf '52:54:00:%02x:%02x:%02x' $((R & 255)) $((i >> 8)) $((i & 255)))
	local srv=$LAN_SERVER cl=(ip netns exec cli)
	t0=$EPOCHREALTIME
	# Every step ends by the client's deadline: a client not done by then failed.
	local end=$((${t0%.*} + deadline))
	ip=""
	for to in 4000 8000 16000; do
		tries=$((tries + 1))
		ip=$("${cl[@]}" "$DHCPPROBE" -i eth0 -m "$mac" -a 0 -c PXEClient:Arch:00000:UNDI:002001 \
			-r -1 -t "$to" 2>/dev/null | sed -n 's/^ack [0-9.]* yiaddr //p')
		[ -n "$ip" ] && [ "$ip" != 0.0.0.0 ] && break
		ip=""
	done
	[ -n "$ip" ] || { echo "$i fail dhcp no lease after $tries DISCOVERs"; return; }
	t1=$EPOCHREALTIME
	"${cl[@]}" ip addr add "$ip/16" dev eth0 2>/dev/null
	local curl=("${cl[@]}" curl -sSf --interface "$ip" --tftp-blksize 1456)
	timeout -k 2 $((end - EPOCHSECONDS)) "${curl[@]}" -o /dev/null "tftp://$srv/pxelinux.0" -o /dev/null "tftp://$srv/ldlinux.c32" \
		-o /dev/null "tftp://$srv/pxelinux.cfg/default" 2>"$T/c$i.err" ||
		{ echo "$i fail loader $(failure "$T/c$i.err" "$end")"; return; }
	t2=$EPOCHREALTIME
	timeout -k 2 $((end - EPOCHSECONDS)) "${curl[@]}" -o /dev/null "$PROTO://$srv/$KPATH" -o /dev/null "$PROTO://$srv/$IPATH" 2>"$T/c$i.err" ||
		{ echo "$i fail kernel $(failure "$T/c$i.err" "$end")"; return; }
	t3=$EPOCHREALTIME
	timeout -k 2 $((end - EPOCHSECONDS)) "${cl[@]}" "$NBDREPLAY" -d "$depth" -b "$ip" -e "$EXPORT" "$srv" 10809 "$trace" \
		>/dev/null 2>"$T/c$i.err" || { echo "$i fail nbd $(failure "$T/c$i.err" "$end")"; return; }
	t4=$EPOCHREALTIME
	echo "$i ok $t0 $t1 $t2 $t3 $t4 $tries" | awk '{ printf "%s ok %.3f %.3f %.3f %.3f %.3f %d\n", $1, $7 - $3, $4 - $3, $5 - $4, $6 - $5, $7 - $6, $8 }'
}

res=$T/results
: >"$res"
record() {
	echo "$1 $2 $3 $4" >>"$res"
}

# round STACK N REPEAT
round() {
	local s=$1 n=$2 rep=$3 c0 c1 b0 b1 i tick
	tick=$(getconf CLK_TCK)
	stack_start "$s"
	ip netns exec cli ip addr flush dev eth0
	sleep 1
	b0=$(ip netns exec cli cat /sys/class/net/eth0/statistics/rx_bytes)
	c0=$(cpu_ticks $SERVER_PIDS)
	local t0=$EPOCHREALTIME
	R=$((RANDOM))
	local pids=()
	for ((i = 0; i < n; i++)); do
		client "$i" >"$T/client.$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	local wall
	wall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	sleep 0.5
	c1=$(cpu_ticks $SERVER_PIDS)
	b1=$(ip netns exec cli cat /sys/class/net/eth0/statistics/rx_bytes)
	cat "$T"/client.* >"$T/round.$s.$n.$rep"
	rm -f "$T"/client.* "$T"/c*.err
	stack_stop "$s"
	local fails
	fails=$(grep -c ' fail ' "$T/round.$s.$n.$rep")
	grep ' fail ' "$T/round.$s.$n.$rep" | awk '{ print $3 }' | sort | uniq -c | sed "s/^/# $s n=$n: failed at /" >&2
	grep ' fail ' "$T/round.$s.$n.$rep" | head -n 3 | sed 's/^/#   /' >&2
	record "$s" "$n" fails "$fails"
	record "$s" "$n" wall "$wall"
	record "$s" "$n" cpu "$(awk -v a="$c0" -v b="$c1" -v t="$tick" 'BEGIN { printf "%.2f", (b - a) / t }')"
	record "$s" "$n" mib "$(awk -v a="$b0" -v b="$b1" 'BEGIN { printf "%.1f", (b - a) / 1048576 }')"
	# Percentiles over the clients that finished; a failed client counts as
	# the slowest for p99 (a fleet waits for it).
	awk -v n="$n" -v dl="$deadline" '$2 == "ok" { t[++k] = $3; d[k] = $4; l[k] = $5; kr[k] = $6; nb[k] = $7; if ($8 > 1) r++ }
		function sort(a, m,   i, j, x) { for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x } }
		function mid(a, m) { return m ? a[int((m + 1) / 2)] : "-" }
		function pct(a, m, p,   i) { i = int(p * n + 0.999999); if (i < 1) i = 1; if (i > m) return ">" dl; return a[i] }
		END {
			sort(t, k); sort(d, k); sort(l, k); sort(kr, k); sort(nb, k)
			print "p50", pct(t, k, 0.5); print "p99", pct(t, k, 0.99)
			print "dhcp50", mid(d, k); print "loader50", mid(l, k)
			print "kernel50", mid(kr, k); print "nbd50", mid(nb, k)
			print "retried", r + 0
		}' "$T/round.$s.$n.$rep" | while read -r k v; do record "$s" "$n" "$k" "$v"; done
	echo "# $s n=$n repeat $rep: $fails failed, $(grep "^$s $n p50 " "$res" | tail -n 1 | cut -d' ' -f4) s p50, $(grep "^$s $n p99 " "$res" | tail -n 1 | cut -d' ' -f4) s p99, wall $wall s, load $(cut -d' ' -f1 /proc/loadavg)" >&2
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)
for n in $sizes; do
	for ((rep = 1; rep <= repeats; rep++)); do
		for s in $stacks; do
			round "$s" "$n" "$rep"
		done
	done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
t_total=$(($(date +%s) - t_start))

# The table: medians over the repeats.
# med STACK N METRIC: the median over the repeats; ">T" (a deadline) sorts
# above every time.
med() {
	grep "^$1 $2 $3 " "$res" | cut -d' ' -f4 | awk '{ v = $1; if (v ~ /^>/) v = 1e9 + substr(v, 2); print v, $1 }' |
		sort -g | awk '{ k[++n] = $1; a[n] = $2 } END {
		if (n == 0 || a[1] == "-") { print "-"; exit }
		if (n % 2) { print a[(n + 1) / 2]; exit }
		if (a[n / 2] ~ /^>/ || a[n / 2 + 1] ~ /^>/) { print a[n / 2 + 1]; exit }
		printf "%.3f\n", (a[n / 2] + a[n / 2 + 1]) / 2 }'
}
ratio() { # a stack's / pxebootsrv's: above 1, pxebootsrv is faster or cheaper
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (b ~ /^>/ || b + 0 <= 0) print "-"
		else if (a ~ /^>/) printf "above %.2fx\n", substr(a, 2) / b
		else if (a + 0 > 0) printf "%.2fx\n", a / b
		else print "-" }'
}
mkdir -p "$(dirname "$out")"
{
	echo "Measured $(date -u +%Y-%m-%d) on $(uname -n) ($(nproc) cores, $(uname -r)), $repeats repeats, $t_total s in all."
	echo "Clients: DHCP (BIOS PXE), TFTP pxelinux.0 + ldlinux.c32 + menu, kernel $kernel_mib MiB + initramfs $initrd_mib MiB, NBD replay of $trace_reads reads ($((trace_bytes / 1048576)) MiB) with $depth in flight."
	echo "Versions: $(dnsmasq --version | head -n 1 | cut -d' ' -f1-3); $(lighttpd -v 2>&1 | head -n 1 | cut -d' ' -f1); $(nginx -v 2>&1 | sed 's/.*: //'); nbd-server $(nbd-server -V 2>&1 | grep -o '[0-9][0-9.]*' | head -n 1); nbdkit $(nbdkit --version | cut -d' ' -f2); curl $(curl --version | head -n 1 | cut -d' ' -f2)."
	echo "Load average at the start and the end: $load0 and $load1."
	echo
	for n in $sizes; do
		echo "#### $n clients"
		echo
		printf '| metric |'
		for s in $stacks; do printf ' %s |' "$s"; done
		echo
		printf '|---|'
		for s in $stacks; do printf -- '---|'; done
		echo
		for m in fails:"failed clients" p50:"p50 DISCOVER to root read (s)" p99:"p99 DISCOVER to root read (s)" \
			dhcp50:"median DHCP (s)" loader50:"median TFTP loader (s)" kernel50:"median kernel + initramfs (s)" \
			nbd50:"median NBD replay (s)" retried:"clients that repeated DISCOVER" wall:"wall time of the round (s)" \
			cpu:"server CPU (s)" mib:"MiB sent by the servers"; do
			printf '| %s |' "${m#*:}"
			for s in $stacks; do printf ' %s |' "$(med "$s" "$n" "${m%%:*}")"; done
			echo
		done
		echo
		case " $stacks " in *" pxebootsrv "*)
			for s in $stacks; do
				[ "$s" = pxebootsrv ] && continue
				echo "- p99 $s : pxebootsrv = $(ratio "$(med "$s" "$n" p99)" "$(med pxebootsrv "$n" p99)"), server CPU $s : pxebootsrv = $(ratio "$(med "$s" "$n" cpu)" "$(med pxebootsrv "$n" cpu)")"
			done
			echo
			;;
		esac
	done
} >"$out"
cat "$out"
