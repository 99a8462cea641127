#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Records the NBD reads of one real Debian 12 client boot, for bench/fleet.sh
# to replay: the cached Debian tree (tests/e2e/lib-debian.sh) is prepared by
# mkbootready and packed as a squashfs image, nbdkit serves the image through
# its log filter, and QEMU boots the tree's kernel with an initramfs from
# mkbootimage, root=nbd:, until the probe powers the client off after
# multi-user.target. Every read the kernel's NBD client asked for becomes one
# line "CONNECTION OFFSET LENGTH" (decimal, in the order the server received
# them); the header says the image size and the totals.
#
# usage: bench/record-nbd-trace.sh [OUT]   (default bench/data/debian-boot-nbd-reads.txt)
# Root, QEMU, debootstrap (the first time: it builds the cached tree), nbdkit.
# Runs in a network namespace of its own (lib-boot.sh): nothing leaves it.
out=${1:-$(cd "$(dirname "$0")" && pwd)/data/debian-boot-nbd-reads.txt}
case $out in /*) ;; *) out=$PWD/$out ;; esac
export PXEROOT_SRC=${PXEROOT_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
. "$PXEROOT_SRC/tests/e2e/lib-debian.sh"
bench_mode
set -e

requires nbdkit mksquashfs mkbootready mkbootimage qemu-system-x86_64
debian_setup
tree=$T/tree
debian_client_tree "$tree"
mkbootready -q "$tree" || fail "mkbootready failed"
debian_initramfs "$tree"
image=$T/debian.sqfs
boot_squashfs "$tree" "$image"
size=$(stat -c %s "$image")
echo "# image: $image, $size bytes" >&2

log=$T/nbdkit.log
start_server -P "$T/nbdkit.pid" -w 10809 nbdkit -f -r -i 127.0.0.1 -p 10809 -P "$T/nbdkit.pid" \
	--filter=log file "$image" logfile="$log"
t0=$(date +%s%N)
debian_boot n "root=nbd:10.0.2.2:10809 pxrt.client=n" \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0
debian_wait n
[ "$(probe n root)" = overlay ] || fail "the client did not boot to its overlay root"

# nbdkit's log filter: "... connection=C Read id=I offset=0xO count=0xN ..."
# when the request arrives (its answer is a second line with "return=").
mkdir -p "$(dirname "$out")"
{
	echo "# NBD reads of one Debian 12 client boot (kernel $KVER, root=nbd:, to multi-user.target"
	echo "# and poweroff), recorded by bench/record-nbd-trace.sh with nbdkit's log filter."
	echo "# Fields: connection offset length (bytes, decimal), in arrival order."
	python3 - "$size" "$log" <<-'EOF'
		import re, sys
		reads = []
		for line in open(sys.argv[2]):
		    m = re.search(r"connection=(\d+) Read id=\d+ offset=(0x[0-9a-f]+) count=(0x[0-9a-f]+)", line)
		    if m and "return=" not in line:
		        reads.append((m[1], int(m[2], 16), int(m[3], 16)))
		print("# image_size %s reads %d bytes %d" % (sys.argv[1], len(reads), sum(r[2] for r in reads)))
		for c, o, n in reads:
		    print(c, o, n)
	EOF
} >"$out.tmp"
mv "$out.tmp" "$out"
grep '^# image_size' "$out" >&2
echo "# boot: multi-user after $BOOTED_SECS s; trace in $out" >&2
