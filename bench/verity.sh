#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# What dm-verity costs a client, side by side with the same client without it,
# in one run:
#
#   boot      QEMU (TCG) boots the same Debian kernel and the same initramfs
#             (mkbootimage -m dm-verity) from the same root image served by
#             nbdexport: with verity, the image pxeroot-verity wrote (the
#             squashfs and its hash tree) and the two parameters it printed;
#             without, the plain squashfs and no parameters. Two times to the
#             root's init: the kernel's own timestamp at switch_root, and the
#             wall clock from QEMU's start to the root's "BOOTED" line. And
#             the part of the kernel time that is the initramfs's own, from
#             the kernel's "Run /init" to switch_root: the kernel's start
#             before it (the same kernel and initramfs in both) differs only
#             by the machine's load.
#   read      inside the booted client, page cache dropped, one sequential
#             read of a 64 MiB file of random bytes in the root (stored as it
#             is by squashfs), timed with the guest's /proc/uptime: MB/s
#             (10^6 bytes) through overlayfs, squashfs, [dm-verity,] NBD.
#   size      the initramfs with and without -m dm-verity.
#
# The two kinds of boot alternate (ABAB...) so that drift in the machine's
# load hits both; medians and the ratios verity : without are printed. The
# kernel log times of the pxeroot lines around the verity mapping are printed
# too, to show where a difference in boot time goes. This is a benchmark, not
# a test.
#
# usage: bench/verity.sh [-r REPEATS] [-s MIB]   (default 5 repeats, 64 MiB)
set -u
. "$(dirname "$0")/../tests/e2e/lib-boot.sh"
bench_mode

repeats=5
mib=64
while getopts "r:s:" o; do
	case $o in
	r) repeats=$OPTARG ;;
	s) mib=$OPTARG ;;
	*) echo "usage: bench/verity.sh [-r REPEATS] [-s MIB]" >&2; exit 2 ;;
	esac
done

boot_setup
requires nbdexport veritysetup pxeroot-verity mkbootimage
die() { echo "bench/verity.sh: $*" >&2; exit 1; }

boot_initramfs -m dm-verity >/dev/null
with_size=$(stat -c %s "$INITRD")
mkbootimage -q -d virtio_net,e1000 -o "$T/plain.img" "$T/sysroot" "$KVER" || die "mkbootimage failed"
without_size=$(stat -c %s "$T/plain.img")

boot_root "$T/tree"
head -c "${mib}M" /dev/urandom >"$T/tree/data"
cat >"$T/tree/sbin/init.extra" <<'EXTRA'
sync
echo 3 >/proc/sys/vm/drop_caches
a=$(cut -d ' ' -f 1 /proc/uptime)
if cat /data >/dev/null; then
	b=$(cut -d ' ' -f 1 /proc/uptime)
	echo "READ $a $b"
else
	echo "READ failed"
fi
EXTRA
chmod 0755 "$T/tree/sbin/init.extra"
boot_squashfs "$T/tree" "$T/root.sqfs"
params=$(pxeroot-verity "$T/root.sqfs" "$T/verity.sqfs") || die "pxeroot-verity failed"
start_nbdexport "$T/verity.sqfs=verity" "$T/root.sqfs=plain" >/dev/null
echo "# kernel $KVER, initramfs (-m dm-verity) $((with_size / 1024)) KiB, image $(($(stat -c %s "$T/root.sqfs") / 1048576)) MiB, with its hash tree $(($(stat -c %s "$T/verity.sqfs") / 1048576)) MiB; $repeats repeats"
echo "# load average at the start: $(cut -d ' ' -f 1-3 /proc/loadavg)"

# run NAME APPEND: one boot; BOOT_AT (wall clock to the BOOTED line), SWITCH_AT,
# READ_MBS, VERITY_STEP (kernel time from the pxeroot line before the mapping
# to the line that reports it) and AFTER_MAP (from there to switch_root).
run() {
	local log=$T/$1.log t0 watcher rc=0
	: >"$log"
	t0=$(date +%s%N)
	# The marker's wall-clock time: the console log polled every 20 ms.
	(
		while ! grep -q "^BOOTED $BOOT_TOKEN" "$log" 2>/dev/null; do sleep 0.02; done
		date +%s%N >"$T/$1.booted"
	) &
	watcher=$!
	qemu_boot -k "$VMLINUZ" -i "$INITRD" -a "$2 rd.pxeroot.fail.timeout=0" -l "$log" \
		-t "${BOOT_TIMEOUT:-600}" -- -netdev user,id=n0 -device virtio-net-pci,netdev=n0 || rc=$?
	sleep 0.1
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	sed -i 's/\r$//' "$log"
	BOOT_AT=nan SWITCH_AT=nan INITRD_SECS=nan READ_MBS=nan VERITY_STEP=nan AFTER_MAP=nan
	if [ "$rc" != 0 ] || ! grep -q "^BOOTED $BOOT_TOKEN" "$log"; then
		echo "# $1: no boot (QEMU $rc): $(grep -E 'pxeroot|panic' "$log" | tail -n 3 | tr '\n' ' ')"
		return
	fi
	[ -f "$T/$1.booted" ] &&
		BOOT_AT=$(awk -v a="$t0" -v b="$(cat "$T/$1.booted")" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	SWITCH_AT=$(sed -n 's/^\[ *\([0-9.]*\)\] pxeroot: switching to.*/\1/p' "$log" | tail -n 1)
	READ_MBS=$(awk -v m="$mib" '$1 == "READ" && $3 > $2 { printf "%.1f", m * 1048576 / 1e6 / ($3 - $2) }' "$log")
	[ -n "$READ_MBS" ] || READ_MBS=nan
	local times
	times=$(awk '/^\[ *[0-9.]+\] pxeroot: / {
			t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t)
			if (/verified by dm-verity/) { m = t; step = t - prev }
			else if (/pxeroot: switching to/ && m != "") after = t - m
			prev = t
		}
		END { if (m != "") printf "%.3f %.3f", step, after }' "$log")
	[ -n "$times" ] && read -r VERITY_STEP AFTER_MAP <<<"$times"
	SWITCH_AT=${SWITCH_AT:-nan}
	INITRD_SECS=$(awk -v s="$SWITCH_AT" '/Run \/init as init process/ {
			t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t)
			if (s != "nan") printf "%.2f", s - t
		}' "$log")
	INITRD_SECS=${INITRD_SECS:-nan}
}

declare -a b_v b_p s_v s_p i_v i_p r_v r_p step after
for r in $(seq 1 "$repeats"); do
	# ABAB: the order flips every repeat as well.
	if [ $((r % 2)) = 1 ]; then order="verity plain"; else order="plain verity"; fi
	for k in $order; do
		if [ "$k" = verity ]; then
			run "verity$r" "root=nbd:10.0.2.2:10809/verity $params"
			b_v+=("$BOOT_AT") s_v+=("$SWITCH_AT") i_v+=("$INITRD_SECS") r_v+=("$READ_MBS")
			step+=("$VERITY_STEP") after+=("$AFTER_MAP")
		else
			run "plain$r" "root=nbd:10.0.2.2:10809/plain"
			b_p+=("$BOOT_AT") s_p+=("$SWITCH_AT") i_p+=("$INITRD_SECS") r_p+=("$READ_MBS")
		fi
	done
	echo "# repeat $r ($order): verity ${s_v[-1]} s switch_root (${i_v[-1]} s in the initramfs), ${b_v[-1]} s wall, ${r_v[-1]} MB/s (mapping step ${step[-1]} s); without ${s_p[-1]} s (${i_p[-1]} s), ${b_p[-1]} s, ${r_p[-1]} MB/s"
done

median() { printf '%s\n' "$@" | grep -v nan | sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2); else print "nan" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "nan" && b != "nan" && b > 0) printf "%.2fx", a / b; else print "nan" }'; }
msv=$(median "${s_v[@]}") msp=$(median "${s_p[@]}")
miv=$(median "${i_v[@]}") mip=$(median "${i_p[@]}")
mbv=$(median "${b_v[@]}") mbp=$(median "${b_p[@]}")
mrv=$(median "${r_v[@]}") mrp=$(median "${r_p[@]}")

echo
echo "| | with dm-verity, median | without, median | verity : without |"
echo "|---|---|---|---|"
echo "| boot to the root's init, kernel time at switch_root (s) | $msv | $msp | $(ratio "$msv" "$msp") |"
echo "| of which the initramfs, 'Run /init' to switch_root (s) | $miv | $mip | $(ratio "$miv" "$mip") |"
echo "| boot to the root's init, wall clock from QEMU's start (s) | $mbv | $mbp | $(ratio "$mbv" "$mbp") |"
echo "| sequential read of $mib MiB, caches dropped (MB/s) | $mrv | $mrp | $(ratio "$mrv" "$mrp") |"
echo "| initramfs (bytes) | $with_size | $without_size | $(ratio "$with_size" "$without_size"), +$(((with_size - without_size) / 1024)) KiB |"
echo
echo "runs, switch_root (s): verity ${s_v[*]}; without ${s_p[*]}"
echo "runs, initramfs (s): verity ${i_v[*]}; without ${i_p[*]}"
echo "runs, wall clock (s): verity ${b_v[*]}; without ${b_p[*]}"
echo "runs, read (MB/s): verity ${r_v[*]}; without ${r_p[*]}"
echo "verity boots, kernel time of the mapping (pxeroot line before it to 'verified by dm-verity'), median $(median "${step[@]}") s: ${step[*]}"
echo "verity boots, from the mapping to switch_root, median $(median "${after[@]}") s: ${after[*]}"
echo "# load average at the end: $(cut -d ' ' -f 1-3 /proc/loadavg)"
