#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Real NBD clients against the server named by NBD_SERVER (default nbdexport),
# over TCP and over a unix socket: nbdinfo (plain, --list, --map, --can
# multi-conn), nbdcopy to a file and to null: with 1 and 4 connections,
# nbdsh, qemu-img convert and compare, fio's nbd engine. Every copy is checked
# by sha256 against the image.
# timeout: 600
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/nbd/servers.sh"

requires "$(nbd_server_cmd)" nbdinfo nbdcopy nbdsh qemu-img fio python3 sha256sum

# 64 MiB: 32 MiB of data, an 8 MiB hole, 8 MiB of data, a 16 MiB hole.
img=$T/boot.img
truncate -s 64M "$img"
head -c 32M /dev/urandom | dd of="$img" conv=notrunc status=none
head -c 8M /dev/urandom | dd of="$img" bs=1M seek=40 conv=notrunc status=none
size=$(stat -c %s "$img")
want=$(sha256sum <"$img" | cut -d' ' -f1)

sum_of() {
	sha256sum <"$1" | cut -d' ' -f1
}

check_sum() {
	local file=$1 what=$2
	[ "$(stat -c %s "$file")" = "$size" ] || fail "$what: $(stat -c %s "$file") bytes, want $size"
	assert_eq "$want" "$(sum_of "$file")" "$what: sha256 matches the image"
}

# nbdsh runs "python3 -mnbd": make sure that is Debian's python3, which has
# the nbd module, even when another python3 comes first on PATH.
run_nbdsh() {
	PATH=/usr/bin:$PATH nbdsh "$@"
}

map_matches() {
	python3 - "$1" <<-'EOF' || fail "nbdinfo --map does not match the image's layout: $(cat "$1")"
		import sys
		MiB = 1 << 20
		ext = []
		for line in open(sys.argv[1]):
		    f = line.split()
		    ext.append((int(f[0]), int(f[1]), int(f[2])))
		end = 0
		for off, ln, typ in ext:
		    assert off == end, "extents are not contiguous at %d" % off
		    end = off + ln
		assert end == 64 * MiB, "extents end at %d" % end
		def types(a, b):
		    return {t for off, ln, t in ext if off < b and a < off + ln}
		for a, b in ((0, 32 * MiB), (40 * MiB, 48 * MiB)):
		    assert types(a, b) == {0}, "data [%d, %d) mapped as %s" % (a, b, types(a, b))
		for a, b in ((32 * MiB, 40 * MiB), (48 * MiB, 64 * MiB)):
		    assert types(a, b) == {3}, "hole [%d, %d) mapped as %s" % (a, b, types(a, b))
	EOF
}

clients() {
	local how=$1 uri=$NBD_URI out
	echo "# $NBD_SERVER over $how: $uri"

	# nbdinfo
	nbdinfo "$uri" >"$T/info" 2>&1 || fail "nbdinfo $uri: $(cat "$T/info")"
	if grep -q "export-size: $size " "$T/info"; then
		ok "$how: nbdinfo reports the export size"
	elif [ "$NBD_SERVER" = nbd-server ]; then
		# nbdinfo asks NBD_OPT_INFO, which nbd-server 3.24 answers with size 0.
		echo "# known deviation of nbd-server: $(grep export-size "$T/info")"
	else
		fail "nbdinfo reports no export-size $size: $(cat "$T/info")"
	fi
	if [ "$NBD_SERVER" != qemu-nbd ]; then
		nbdinfo --list "$uri" >"$T/list" 2>&1 || fail "nbdinfo --list: $(cat "$T/list")"
		# nbdinfo shows the canonical name, which nbdexport gives as NAME@ID.
		grep -Eq "^export=\"$NBD_EXPORT(@[0-9a-f]{16})?\":" "$T/list" || fail "nbdinfo --list does not list $NBD_EXPORT: $(cat "$T/list")"
		ok "$how: nbdinfo --list lists the export"
	fi
	local rc=0
	nbdinfo --can multi-conn "$uri" || rc=$?
	if [ "$rc" = 0 ]; then
		ok "$how: nbdinfo --can multi-conn: yes"
	elif [ "$NBD_SERVER" = nbdexport ]; then
		fail "nbdinfo --can multi-conn: exit $rc (a read-only export must offer multi-conn)"
	else
		echo "# $NBD_SERVER does not offer multi-conn (exit $rc)"
	fi
	if [ "$NBD_SERVER" = nbd-server ]; then
		echo "# nbd-server has no base:allocation: nbdinfo --map not checked"
	else
		nbdinfo --map "$uri" >"$T/map" 2>&1 || fail "nbdinfo --map: $(cat "$T/map")"
		map_matches "$T/map"
		ok "$how: nbdinfo --map shows data as data and holes as hole,zero"
	fi

	# nbdcopy, to a file and to null:, with 1 and 4 connections.
	for n in 1 4; do
		rm -f "$T/copy"
		nbdcopy -C "$n" "$uri" "$T/copy" || fail "nbdcopy -C $n failed"
		check_sum "$T/copy" "$how: nbdcopy -C $n to a file"
		nbdcopy -C "$n" "$uri" null: || fail "nbdcopy -C $n to null: failed"
		ok "$how: nbdcopy -C $n to null:"
	done

	# nbdsh: read it all in 4 MiB pieces, and a write must be refused.
	out=$(run_nbdsh -u "$uri" -c - <<-'EOF'
		import hashlib
		size = h.get_size()
		m = hashlib.sha256()
		off = 0
		while off < size:
		    n = min(4 << 20, size - off)
		    m.update(h.pread(n, off))
		    off += n
		assert h.is_read_only(), "export is not read-only"
		try:
		    h.pwrite(b"x" * 512, 0)
		    raise SystemExit("pwrite on a read-only export succeeded")
		except nbd.Error:
		    pass
		print(m.hexdigest())
	EOF
	) || fail "nbdsh: $out"
	assert_eq "$want" "$out" "$how: nbdsh reads the image (sha256) and cannot write"

	# qemu-img
	rm -f "$T/qemu.raw"
	qemu-img convert -f raw -O raw "$uri" "$T/qemu.raw" || fail "qemu-img convert failed"
	check_sum "$T/qemu.raw" "$how: qemu-img convert"
	qemu-img compare -f raw -F raw "$img" "$uri" >"$T/cmp" 2>&1 || fail "qemu-img compare: $(cat "$T/cmp")"
	ok "$how: qemu-img compare: identical"

	# fio's nbd engine: sequential and random reads, no errors, every byte read.
	local rw
	for rw in read randread; do
		fio --name="$rw" --ioengine=nbd --uri="$uri" --rw="$rw" --bs=64k --iodepth=16 \
			--size="$size" --output-format=json --output="$T/fio.json" >"$T/fio.err" 2>&1 ||
			fail "fio $rw: $(cat "$T/fio.err")"
		python3 - "$T/fio.json" "$size" <<-'EOF' || fail "fio $rw: $(cat "$T/fio.err")"
			import json, sys
			j = json.load(open(sys.argv[1]))["jobs"][0]
			assert j["error"] == 0, "error %d" % j["error"]
			assert j["read"]["io_bytes"] == int(sys.argv[2]), "read %d bytes" % j["read"]["io_bytes"]
		EOF
		ok "$how: fio --ioengine=nbd --rw=$rw read every byte without errors"
	done
}

nbd_serve -n boot "$img"
clients TCP
nbd_alive
nbd_serve -U -n boot "$img"
clients "unix socket"
nbd_alive
