#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Does one client writing to its copy-on-write overlay slow the others down?
# A reader does random 4 KiB reads (queue depth 8, fio's nbd engine) from a
# writable export, alone and then while another client writes 1 MiB blocks
# (queue depth 8) with a flush every 64 writes. Servers, side by side:
#
#   nbdexport-1loop  nbdexport --cow with one data loop (the two clients share it)
#   nbdexport        nbdexport --cow with its default loops
#   nbdkit-cow       nbdkit --filter=cow file (one overlay for all clients)
#   NAME=PATH        any other nbdexport binary, one loop (-b, e.g. an older build)
#
# Printed: medians over the repeats of the reader's IOPS alone and with the
# writer, their ratio (1.0: the writer costs the reader nothing), the reader's
# p99 latency with the writer, and the writer's MB/s. A benchmark, not a test.
#
# usage: bench/nbd-cow.sh [-r REPEATS] [-t SECONDS] [-b NAME=PATH]... [-o OUT.md]
set -u
export PXEROOT_SRC=${PXEROOT_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
. "$PXEROOT_SRC/tests/lib.sh"
bench_mode

repeats=3 secs=6 out=$BUILD/bench/nbd-cow.md
extra=()
while getopts "r:t:b:o:" o; do
	case $o in
	r) repeats=$OPTARG ;;
	t) secs=$OPTARG ;;
	b) extra+=("$OPTARG") ;;
	o) out=$OPTARG ;;
	*) echo "usage: bench/nbd-cow.sh [-r REPEATS] [-t SECONDS] [-b NAME=PATH]... [-o OUT.md]" >&2; exit 2 ;;
	esac
done
for c in fio nbdexport python3; do
	command -v "$c" >/dev/null || { echo "bench/nbd-cow.sh: $c is not installed" >&2; exit 1; }
done
servers="nbdexport-1loop nbdexport"
command -v nbdkit >/dev/null && servers="$servers nbdkit-cow"
declare -A bin
for e in "${extra[@]}"; do
	bin[${e%%=*}]=${e#*=}
	servers="$servers ${e%%=*}"
done

# Image: 256 MiB of data (in page cache for the reader), then 1.75 GiB of
# room for the writer.
img=$T/img
head -c 256M /dev/urandom >"$img"
truncate -s 2G "$img"
cat "$img" >/dev/null

srv=""
start() { # NAME PORT
	mkdir -p "$T/cow"
	rm -rf "$T/cow"/*
	case $1 in
	nbdexport-1loop) nbdexport -f -q -l 127.0.0.1 -p "$2" --force --cow "$T/cow" -t 1 "$img=disk" & ;;
	nbdexport) nbdexport -f -q -l 127.0.0.1 -p "$2" --force --cow "$T/cow" "$img=disk" & ;;
	nbdkit-cow) TMPDIR=$T/cow nbdkit -f -i 127.0.0.1 -p "$2" -e disk --filter=cow file "$img" & ;;
	*) "${bin[$1]}" -f -q -l 127.0.0.1 -p "$2" --force --cow "$T/cow" -t 1 "$img=disk" & ;;
	esac
	srv=$!
	wait_port "$2"
}
stop() {
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
}
reader() { # PORT -> "IOPS P99_US"
	fio --name=r --ioengine=nbd --uri="nbd://127.0.0.1:$1/disk" --rw=randread --bs=4k \
		--iodepth=8 --size=256M --time_based --runtime="$secs" --output-format=json \
		2>/dev/null | python3 -c '
import json, sys
t = sys.stdin.read()
j = json.JSONDecoder().raw_decode(t[t.index("{"):])[0]["jobs"][0]["read"]
print("%.0f %.0f" % (j["iops"], j["clat_ns"]["percentile"]["99.000000"] / 1000))'
}

declare -A res
for ((rep = 1; rep <= repeats; rep++)); do
	for s in $servers; do
		port=$(free_port)
		start "$s" "$port"
		read -r alone _ < <(reader "$port")
		fio --name=w --ioengine=nbd --uri="nbd://127.0.0.1:$port/disk" --rw=write --bs=1M \
			--iodepth=8 --offset=512M --size=1G --fsync=64 --time_based \
			--runtime=$((secs + 3)) --output-format=json >"$T/w.json" 2>/dev/null &
		wp=$!
		sleep 1.5
		read -r busy p99 < <(reader "$port")
		wait "$wp"
		wmb=$(python3 -c '
import json, sys
t = open(sys.argv[1]).read()
j = json.JSONDecoder().raw_decode(t[t.index("{"):])[0]["jobs"][0]["write"]
print("%.0f" % (j["bw"] / 1024))' "$T/w.json" 2>/dev/null || echo 0)
		stop
		echo "$s repeat $rep: reader alone ${alone:-0} IOPS, with writer ${busy:-0} IOPS (p99 ${p99:-?} us), writer $wmb MB/s" >&2
		res[$s]+="${alone:-0} ${busy:-0} ${p99:-0} $wmb;"
	done
done

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
mkdir -p "$(dirname "$out")"
{
	echo "Reader: fio randread 4 KiB, queue depth 8, ${secs} s; writer: fio write 1 MiB, queue depth 8, fsync every 64."
	echo "Medians of $repeats repeats, $(date -u +%Y-%m-%d), $(nproc) CPUs."
	echo
	echo "| server | reader alone (IOPS) | reader with writer (IOPS) | with/alone | reader p99 with writer (us) | writer (MB/s) |"
	echo "|---|---|---|---|---|---|"
	for s in $servers; do
		rows=$(echo "${res[$s]}" | tr ';' '\n' | grep .)
		a=$(echo "$rows" | awk '{print $1}' | median)
		b=$(echo "$rows" | awk '{print $2}' | median)
		p=$(echo "$rows" | awk '{print $3}' | median)
		w=$(echo "$rows" | awk '{print $4}' | median)
		r=$(echo "$rows" | awk '$1 > 0 {print $2 / $1}' | median)
		printf '| %s | %.0f | %.0f | %.2f | %.0f | %.0f |\n' "$s" "$a" "$b" "${r:-0}" "$p" "$w"
	done
} | tee "$out"
