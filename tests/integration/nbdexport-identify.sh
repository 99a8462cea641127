#!/bin/bash
# Images are identified with libblkid at start and the result logged:
# squashfs, ext4, ISO 9660, EROFS and a partitioned disk image; each is then
# served as is.
. "$(dirname "$0")/../lib.sh"
# A command failing under set -e says where, not just exit 1.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
requires nbdexport nbdcopy mksquashfs mkfs.ext4 genisoimage mkfs.erofs

mkdir -p "$T/tree" && echo hello >"$T/tree/hello" && head -c 64K /dev/urandom >"$T/tree/r"
mksquashfs "$T/tree" "$T/a.sqfs" -quiet -noappend >/dev/null
truncate -s 8M "$T/b.ext4" && mkfs.ext4 -q -F "$T/b.ext4"
genisoimage -quiet -o "$T/c.iso" "$T/tree" 2>/dev/null
mkfs.erofs -q "$T/d.erofs" "$T/tree" >/dev/null 2>&1 || mkfs.erofs "$T/d.erofs" "$T/tree" >/dev/null
# A disk image with an MBR: one Linux partition from sector 2048, 4096 sectors.
truncate -s 4M "$T/e.disk"
/usr/bin/python3 -c '
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(440)
    f.write(struct.pack("<I", 0x12345678) + b"\0\0")
    f.write(struct.pack("<B3sB3sII", 0, b"\0\0\0", 0x83, b"\0\0\0", 2048, 4096))
    f.seek(510)
    f.write(b"\x55\xaa")' "$T/e.disk"

port=$(free_port)
start_server -P "$T/pid" -w "$port" logged "$T/log" nbdexport -f -l 127.0.0.1 -p "$port" --pidfile "$T/pid" \
	"$T/a.sqfs" "$T/b.ext4" "$T/c.iso" "$T/d.erofs" "$T/e.disk"
for pair in a.sqfs:squashfs b.ext4:ext4 c.iso:iso9660 d.erofs:erofs e.disk:dos; do
	name=${pair%%:*} type=${pair#*:}
	grep -q "export '$name': .* ($type, " "$T/log" || fail "$name not identified as $type: $(cat "$T/log")"
	got=$(nbdcopy "nbd://127.0.0.1:$port/$name" - | sha256sum | cut -d' ' -f1)
	[ "$got" = "$(sha256sum <"$T/$name" | cut -d' ' -f1)" ] || fail "$name read back wrong"
	ok "$name identified as $type and served"
done
