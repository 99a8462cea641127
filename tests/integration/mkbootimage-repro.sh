#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mkbootimage's images are reproducible: two builds of the same inputs are
# byte-identical in every compression, also with another umask, other file
# time stamps and another directory order of the skeleton; the archive has
# root-owned entries, numbered inodes, no hard links, clamped time stamps, and
# the gzip header no time stamp or name.
. "$(dirname "$0")/../lib.sh"

requires mkbootimage busybox depmod cpio zstd xz lz4 gzip cmp
kernel_fetch

root=$T/root
kernel_tree "$root"

make_skel() { # DIR: the same files, created in a given order
	local d=$1 order=$2 f
	mkdir -p "$d/lib/pxeroot" "$d/sbin"
	for f in $order; do
		case $f in
		init) printf '#!/bin/sh\necho init\n' >"$d/init"; chmod 755 "$d/init" ;;
		lib) printf 'x=1\n' >"$d/lib/pxeroot/lib.sh" ;;
		helper) printf 'helper\n' >"$d/sbin/helper"; chmod 700 "$d/sbin/helper" ;;
		link) ln -s ../init "$d/sbin/init" ;;
		esac
	done
}
make_skel "$T/skel1" "init lib helper link"
(umask 077 && make_skel "$T/skel2" "link helper lib init")
touch -d '2001-01-01' "$T/skel2/init" "$T/skel2/lib/pxeroot/lib.sh"
touch -d '2031-05-05' "$T/skel2/sbin/helper"

for c in zstd gzip xz lz4 none; do
	mkbootimage -q -s "$T/skel1" -d e1000,virtio_net -c "$c" -o "$T/a.$c" "$root"
	(umask 077 && mkbootimage -q -s "$T/skel2" -d e1000,virtio_net -c "$c" -o "$T/b.$c" "$root")
	cmp "$T/a.$c" "$T/b.$c" || fail "$c: two builds differ"
	ok "$c: two builds (other umask, mtimes, creation order) are byte-identical"
done

# The decompressed archives of every format are the same cpio, up to
# /etc/pxeroot/build's COMPRESS= line.
for c in zstd gzip xz lz4; do
	case $c in
	zstd) zstd -dc "$T/a.$c" ;;
	gzip) gzip -dc "$T/a.$c" ;;
	xz) xz -dc "$T/a.$c" ;;
	lz4) lz4 -dc "$T/a.$c" ;;
	esac >"$T/raw.$c" || fail "$c: the system's $c cannot decompress the image"
	cmp <(cpio -it --quiet <"$T/raw.$c") <(cpio -it --quiet <"$T/a.none") ||
		fail "$c: another archive inside"
done
ok "gzip, zstd, xz and lz4 images decompress with the standard tools to the same archive"

# gzip: no MTIME, no FNAME (header bytes 3 = FLG, 4-7 = MTIME).
hdr=$(od -An -tx1 -N10 "$T/a.gzip" | tr -d ' \n')
[ "${hdr:0:4}" = 1f8b ] || fail "not gzip"
[ "${hdr:6:2}" = 00 ] || fail "gzip FLG is ${hdr:6:2}: a name or comment is stored"
[ "${hdr:8:8}" = 00000000 ] || fail "gzip MTIME is ${hdr:8:8}"
ok "the gzip header has no time stamp and no name"
# xz: CRC32 check (stream flags byte 7 = 0x01), which the kernel can verify.
[ "$(od -An -tx1 -j7 -N1 "$T/a.xz" | tr -d ' ')" = 01 ] || fail "xz check is not CRC32"
# lz4: the legacy magic 0x184C2102, the only one the kernel reads.
[ "$(od -An -tx1 -N4 "$T/a.lz4" | tr -d ' ')" = 02214c18 ] || fail "lz4 is not the legacy format"
ok "xz uses CRC32, lz4 the legacy format"

# The newc headers: 070701, ino, mode, uid, gid, nlink, mtime, ... (8 hex each).
grep -a -o '070701[0-9a-fA-F]\{104\}' "$T/a.none" >"$T/headers" || true
n=$(cpio -it --quiet <"$T/a.none" | wc -l)
[ "$(wc -l <"$T/headers")" -ge "$n" ] || fail "found $(wc -l <"$T/headers") headers for $n entries"
i=0
while read -r h && [ "$i" -lt "$n" ]; do
	i=$((i + 1))
	ino=$((16#${h:6:8})) mode=$((16#${h:14:8})) uid=$((16#${h:22:8})) gid=$((16#${h:30:8}))
	nlink=$((16#${h:38:8})) mtime=$((16#${h:46:8}))
	[ "$ino" = "$i" ] || fail "entry $i has inode $ino"
	[ "$uid" = 0 ] && [ "$gid" = 0 ] || fail "entry $i is owned by $uid:$gid"
	[ "$mtime" = 0 ] || fail "entry $i has mtime $mtime"
	if [ $((mode & 8#170000)) = $((8#100000)) ] && [ "$nlink" != 1 ]; then
		fail "entry $i is a file with $nlink links"
	fi
done <"$T/headers"
ok "inodes 1..$n in order, owner 0:0, mtime 0, one link per file"

# Paths are sorted, parents first; modes are normalised.
cpio -it --quiet <"$T/a.none" >"$T/names"
LC_ALL=C sort -c "$T/names" || fail "entries are not sorted"
cpio -itv --quiet <"$T/a.none" >"$T/long"
grep -q '^-rwxr-xr-x .* sbin/helper$' "$T/long" || fail "a 0700 file is not 0755 in the image"
grep -q '^-rw-r--r-- .* lib/pxeroot/lib.sh$' "$T/long" || fail "a 0600 file is not 0644 in the image"
ok "sorted entries, normalised modes"

# SOURCE_DATE_EPOCH: every time stamp is that value.
SOURCE_DATE_EPOCH=1700000000 mkbootimage -q -s "$T/skel1" -d none -c none -o "$T/sde1" "$root"
SOURCE_DATE_EPOCH=1700000000 mkbootimage -q -s "$T/skel2" -d none -c none -o "$T/sde2" "$root"
cmp "$T/sde1" "$T/sde2" || fail "builds with the same SOURCE_DATE_EPOCH differ"
mkdir "$T/x" && (cd "$T/x" && cpio -id --quiet --preserve-modification-time <"$T/sde1")
[ "$(stat -c %Y "$T/x/init")" = 1700000000 ] || fail "mtime is not SOURCE_DATE_EPOCH"
[ "$(find "$T/x" -newermt @1700000000 -type f | wc -l)" = 0 ] || fail "an entry is newer than SOURCE_DATE_EPOCH"
ok "SOURCE_DATE_EPOCH sets every time stamp"
