#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# nbdexport against nbdkit (file plugin), nbd-server and qemu-nbd, side by
# side in one run, on one read-only image in page cache, over loopback:
#
#   W1  sequential 256 KiB reads, queue depth 32 (fio, nbd engine)
#   W2  random 4 KiB reads, queue depth 32, 1 and 4 jobs (fio)
#   W3  nbdcopy to null: with 1 and 4 connections
#   W4  boot storm: 16, 64, 256 clients connect at once and read 32 MiB each
#       (nbdstorm): total time, p99 connect time, failed clients
#   server CPU seconds per GiB served (during W1), memory per connected idle
#   client (256 clients, proportional set size of the server and its children), and the loopback limit for the same bytes (iperf3,
#   and the image piped through socat).
#
# Servers take turns within each repeat; the table shows medians over the
# repeats and the ratio nbdexport : best peer (above 1: nbdexport is better,
# for times as for rates). This is a benchmark, not a test: it always runs
# every workload, records failures in the table and goes on.
#
# usage: bench/nbd.sh [-r REPEATS] [-s SIZE_MIB] [-S "SERVERS"] [-o OUT.md] [-q]
#   -r  repeats (default 3)        -s  image size in MiB (default 1024)
#   -S  servers (default "nbdexport nbdkit nbd-server qemu-nbd")
#   -o  markdown table (default build/bench/nbd.md)
#   -q  quick: 1 repeat, 256 MiB image, 3 s random-read runs
set -u
export PXEROOT_SRC=${PXEROOT_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
. "$PXEROOT_SRC/tests/lib.sh"
. "$SRC/tests/nbd/servers.sh"
bench_mode

repeats=3 size_mib=1024 rand_secs=8
servers="nbdexport nbdkit nbd-server qemu-nbd"
out=$BUILD/bench/nbd.md
while getopts "r:s:S:o:q" o; do
	case $o in
	r) repeats=$OPTARG ;;
	s) size_mib=$OPTARG ;;
	S) servers=$OPTARG ;;
	o) out=$OPTARG ;;
	q) repeats=1 size_mib=256 rand_secs=3 ;;
	*) echo "usage: bench/nbd.sh [-r REPEATS] [-s SIZE_MIB] [-S SERVERS] [-o OUT.md] [-q]" >&2; exit 2 ;;
	esac
done
storm=$BUILD/tests/nbdstorm
for c in fio nbdcopy python3; do
	command -v "$c" >/dev/null || { echo "bench/nbd.sh: $c is not installed (scripts/install-deps bench)" >&2; exit 1; }
done
[ -x "$storm" ] || { echo "bench/nbd.sh: $storm is not built (make)" >&2; exit 1; }
avail=()
for s in $servers; do
	if command -v "$s" >/dev/null; then
		avail+=("$s")
	else
		echo "bench/nbd.sh: $s is not installed: left out" >&2
	fi
done
servers=${avail[*]}

img=$T/image.raw
echo "# image: $size_mib MiB of random bytes, in page cache" >&2
head -c "${size_mib}M" /dev/urandom >"$img"
cat "$img" >/dev/null
bytes=$((size_mib * 1048576))
res=$T/results
: >"$res"

# record SERVER METRIC VALUE
record() {
	echo "$1 $2 $3" >>"$res"
}

# The CPU ticks a server and its children (dead or alive) have used.
cpu_ticks() {
	local pid=$1 total=0 p
	for p in $pid $(pgrep -P "$pid"); do
		[ -r "/proc/$p/stat" ] || continue
		total=$((total + $(sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 + $14 + $15 }')))
	done
	echo "$total"
}

# Proportional memory (KiB) of a server and its children.
pss_kib() {
	local pid=$1 total=0 p v
	for p in $pid $(pgrep -P "$pid"); do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null) || v=0
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

fio_json() {
	local name=$1
	shift
	timeout -k 5 120 fio --name="$name" --ioengine=nbd --uri="$NBD_URI" --output-format=json \
		--output="$T/fio.json" "$@" >/dev/null 2>&1 || return 1
	python3 - "$T/fio.json" <<-'EOF'
		import json, sys
		jobs = json.load(open(sys.argv[1]))["jobs"]
		if any(j["error"] for j in jobs):
		    sys.exit(1)
		print(sum(j["read"]["bw_bytes"] for j in jobs) / 1048576,
		      sum(j["read"]["iops"] for j in jobs))
	EOF
}

run_server() {
	local s=$1 r v t0 t1 c0 c1 n line
	NBD_SERVER=$s
	nbd_serve -n image "$img" >/dev/null 2>&1 || {
		echo "# $s did not start" >&2
		return
	}
	echo "# $s: $NBD_URI (pid $NBD_PID)" >&2
	local tick=$(getconf CLK_TCK)

	# Memory per idle connected client, first, on a fresh server: memory
	# freed by earlier workloads would hide what new clients cost.
	local m0 m1
	m0=$(pss_kib "$NBD_PID")
	rm -f "$T/ready"
	timeout -k 5 60 "$storm" -p "$NBD_PORT" -e "$NBD_EXPORT" -n 256 --hold 4 \
		--ready-file "$T/ready" -t 20 --quiet >/dev/null 2>&1 &
	local spid=$!
	for ((n = 0; n < 250; n++)); do
		[ -e "$T/ready" ] && break
		sleep 0.1
	done
	if [ -e "$T/ready" ]; then
		sleep 0.5
		m1=$(pss_kib "$NBD_PID")
		record "$s" mem_kib_per_client "$(echo "$m0 $m1" | awk '{ printf "%.2f", ($2 - $1) / 256 }')"
	else
		record "$s" mem_kib_per_client fail
	fi
	wait "$spid" 2>/dev/null

	# W1, with the server's CPU time around it.
	c0=$(cpu_ticks "$NBD_PID")
	if v=$(fio_json w1 --rw=read --bs=256k --iodepth=32 --size="$bytes"); then
		sleep 0.3
		c1=$(cpu_ticks "$NBD_PID")
		record "$s" w1_mibs "${v% *}"
		record "$s" cpu_s_per_gib "$(echo "$c0 $c1 $tick $bytes" | awk '{ printf "%.3f", ($2 - $1) / $3 / ($4 / 1073741824) }')"
	else
		record "$s" w1_mibs fail
	fi

	# W2: 1 and 4 jobs (4 connections).
	for n in 1 4; do
		if v=$(fio_json w2 --rw=randread --bs=4k --iodepth=32 --numjobs="$n" --size="$bytes" \
			--time_based --runtime="$rand_secs" --group_reporting=0); then
			record "$s" "w2_j${n}_iops" "${v#* }"
		else
			record "$s" "w2_j${n}_iops" fail
		fi
	done

	# W3
	for n in 1 4; do
		t0=$(date +%s.%N)
		if timeout -k 5 120 nbdcopy -C "$n" "$NBD_URI" null: >/dev/null 2>&1; then
			t1=$(date +%s.%N)
			record "$s" "w3_c${n}_mibs" "$(echo "$t0 $t1 $bytes" | awk '{ printf "%.1f", $3 / 1048576 / ($2 - $1) }')"
		else
			record "$s" "w3_c${n}_mibs" fail
		fi
	done

	# W4: 16, 64, 256 clients at once, 32 MiB each.
	for n in 16 64 256; do
		line=$(timeout -k 5 150 "$storm" -p "$NBD_PORT" -e "$NBD_EXPORT" -n "$n" -b 32M \
			-r 256K -q 4 -t 30 --quiet 2>/dev/null)
		[ -n "$line" ] || line="clients=$n ok=0 failed=$n secs=-1 connect_p99_ms=-1"
		for v in $line; do
			case $v in
			failed=*) record "$s" "w4_${n}_failed" "${v#*=}" ;;
			secs=*) record "$s" "w4_${n}_secs" "${v#*=}" ;;
			connect_p99_ms=*) record "$s" "w4_${n}_p99ms" "${v#*=}" ;;
			esac
		done
		sleep 1
	done

	nbd_stop
}

loopback_limit() {
	local port t0 t1
	if command -v iperf3 >/dev/null; then
		port=$(_nbd_free_port)
		iperf3 -s -B 127.0.0.1 -p "$port" -1 >/dev/null 2>&1 &
		sleep 0.5
		local v
		v=$(timeout 30 iperf3 -c 127.0.0.1 -p "$port" -t 3 -J 2>/dev/null |
			python3 -c 'import json,sys; print("%.1f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 8 / 1048576))') &&
			record loopback iperf3_mibs "$v"
		wait
	fi
	if command -v socat >/dev/null; then
		port=$(_nbd_free_port)
		socat -b 1048576 -u "FILE:$img" "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr" &
		local spid=$!
		wait_port "$port" 5
		t0=$(date +%s.%N)
		timeout 60 socat -b 1048576 -u "TCP:127.0.0.1:$port" - | dd of=/dev/null bs=1M status=none
		t1=$(date +%s.%N)
		wait "$spid"
		record loopback socat_mibs "$(echo "$t0 $t1 $bytes" | awk '{ printf "%.1f", $3 / 1048576 / ($2 - $1) }')"
	fi
}

load_start=$(cut -d' ' -f1 /proc/loadavg)
for ((rep = 1; rep <= repeats; rep++)); do
	echo "# repeat $rep of $repeats" >&2
	for s in $servers; do
		run_server "$s"
	done
	loopback_limit
done

load_end=$(cut -d' ' -f1 /proc/loadavg)
python3 - "$res" "$servers" "$out" "$repeats" "$size_mib" "$load_start" "$load_end" <<'EOF'
import os, platform, re, statistics, subprocess, sys, time
res, servers, out, repeats, size_mib = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4], sys.argv[5]
load = (sys.argv[6], sys.argv[7])
vals = {}
for line in open(res):
    s, m, v = line.split()
    vals.setdefault((s, m), []).append(v)

def med(s, m):
    v = vals.get((s, m), [])
    nums = [float(x) for x in v if x != "fail"]
    if not nums:
        return None, len(v)
    return statistics.median(nums), len(v) - len(nums)

# (metric, label, better): "high" or "low" is better; "zero": failures.
rows = [("w1_mibs", "W1 seq 256K qd32 (MiB/s)", "high"),
        ("w2_j1_iops", "W2 rand 4K qd32, 1 job (IOPS)", "high"),
        ("w2_j4_iops", "W2 rand 4K qd32, 4 jobs (IOPS)", "high"),
        ("w3_c1_mibs", "W3 nbdcopy -C 1 (MiB/s)", "high"),
        ("w3_c4_mibs", "W3 nbdcopy -C 4 (MiB/s)", "high")]
for n in (16, 64, 256):
    rows += [("w4_%d_secs" % n, "W4 %d clients x 32 MiB: total (s)" % n, "low"),
             ("w4_%d_p99ms" % n, "W4 %d clients: p99 connect (ms)" % n, "low"),
             ("w4_%d_failed" % n, "W4 %d clients: failed clients" % n, "zero")]
rows += [("cpu_s_per_gib", "server CPU s per GiB (W1)", "low"),
         ("mem_kib_per_client", "memory per idle client (KiB)", "low")]

def fmt(v, m):
    if v is None:
        return "fail"
    if m.endswith("failed"):
        return "%d" % v
    if abs(v) >= 100:
        return "%.0f" % v
    return "%.2f" % v

peers = [s for s in servers if s != "nbdexport"]
head = ["workload"] + servers + (["nbdexport : best peer"] if "nbdexport" in servers and peers else [])
lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
for m, label, better in rows:
    cells = [label]
    for s in servers:
        v, nfail = med(s, m)
        cells.append(fmt(v, m) + (" (%d failed runs)" % nfail if nfail and v is not None else ""))
    if len(head) > len(servers) + 1:
        x, _ = med("nbdexport", m)
        pv = [med(p, m)[0] for p in peers]
        pv = [p for p in pv if p is not None]
        if better == "zero" or x is None or not pv:
            cells.append("")
        elif better == "high":
            best = max(pv)
            cells.append("%.2fx" % (x / best) if best else "")
        else:
            best = min(pv)
            cells.append("%.2fx" % (best / x) if x else "")
    lines.append("| " + " | ".join(cells) + " |")
lim = []
for m, label in (("iperf3_mibs", "iperf3"), ("socat_mibs", "socat pipe of the image")):
    v, _ = med("loopback", m)
    if v is not None:
        lim.append("%s %.0f MiB/s" % (label, v))
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                     capture_output=True, text=True).stdout.strip()
vers = []
for cmd in (["nbdkit", "--version"], ["qemu-nbd", "--version"]):
    try:
        vers.append(subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0])
    except Exception:
        pass
try:
    p = subprocess.run(["nbd-server", "-V"], capture_output=True, text=True)
    m = re.search(r"version ([0-9][0-9.]*)", p.stdout + p.stderr)
    if m:
        vers.append("nbd-server " + m.group(1))
except Exception:
    pass
hdr = ["Measured %s on %s (%d cores, %s, kernel %s), %s MiB image in page cache, "
       "loopback, median of %s repeats." % (time.strftime("%Y-%m-%d"), platform.node(),
                                           os.cpu_count(), cpu, platform.release(),
                                           size_mib, repeats),
       "Peers: %s. nbd-server's listen backlog is 10: clients beyond it wait for SYN "
       "retries or hang." % "; ".join(vers),
       "Ratio: nbdexport divided by the best peer for rates, best peer divided by "
       "nbdexport for times and costs; above 1 means nbdexport is better.",
       "Loopback limit for the same bytes: %s." % (", ".join(lim) or "not measured"),
       "Load average (1 min) at the start and the end of the run: %s and %s; on a "
       "shared machine, single numbers move by tens of percent between runs." % load]
text = "\n".join(hdr) + "\n\n" + "\n".join(lines) + "\n"
os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
open(out, "w").write(text)
print(text)
print("(markdown written to %s)" % out)
EOF
