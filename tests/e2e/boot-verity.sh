#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dm-verity: an image published with its hash tree (pxeroot-verity), served
# by this project's nbdexport and by HTTP, booted with a real Debian kernel
# and the initramfs mkbootimage makes with -m dm-verity:
#   - the intact image boots over NBD and over HTTP, its root on /dev/dm-0;
#   - one block changed on the server, read at mount: the client stops with
#     the dm-verity message and the failure policy, no retry;
#   - one block changed in a file read after boot: that read fails with an
#     I/O error and the kernel logs the block; the rest of the root works.
# timeout: 900
. "$(dirname "$0")/lib-boot.sh"

boot_setup
requires nbdexport veritysetup pxeroot-verity python3
kernel_fetch
for m in dm-verity dm-bufio dm-mod; do
	[ -n "$(find "$KERNEL_ROOT/lib/modules/$KVER" -name "$m.ko*")" ] ||
		fail "Debian's kernel $KVER has no $m module"
done
ok "Debian's kernel $KVER has dm-verity as a module (dm-verity.ko, dm-bufio.ko, dm-mod.ko)"

boot_initramfs -m dm-verity
with=$(stat -c %s "$INITRD")
mkbootimage -q -d virtio_net,e1000 -o "$T/plain.img" "$T/sysroot" "$KVER" || fail "mkbootimage"
without=$(stat -c %s "$T/plain.img")
mkbootimage -l -d virtio_net,e1000 -m dm-verity "$T/sysroot" "$KVER" >"$T/list" || fail "mkbootimage --list"
for m in dm-verity dm-bufio dm-mod; do
	grep -q "/$m\.ko" "$T/list" || fail "-m dm-verity: no $m.ko in the initramfs"
done
ok "-m dm-verity adds dm-verity.ko and its dependencies: $((with - without)) bytes ($without -> $with)"

boot_root "$T/tree"
# Random data: squashfs stores it as it is, so a block of it can be found in the image.
head -c 2M /dev/urandom >"$T/tree/data"
cat >"$T/tree/sbin/init.extra" <<'EXTRA'
if md5sum /data >/tmp/md5 2>/tmp/md5.err; then
	echo "DATA-READ ok"
else
	echo "DATA-READ failed: $(cat /tmp/md5.err)"
fi
dmesg | grep -i verity | sed 's/^/KMSG /'
EXTRA
chmod 0755 "$T/tree/sbin/init.extra"
boot_squashfs "$T/tree" "$T/root.sqfs"
params=$(pxeroot-verity "$T/root.sqfs" "$T/verity.sqfs") || fail "pxeroot-verity"
ok "pxeroot-verity: $params"

# Changed on the server: the first block (the squashfs superblock, read at
# mount), and one block in the middle of /data (read only after boot).
python3 - "$T/verity.sqfs" "$T/tree/data" "$T/bad-mount.sqfs" "$T/bad-late.sqfs" <<'EOP'
import sys
img = bytearray(open(sys.argv[1], "rb").read())
data = open(sys.argv[2], "rb").read()
bad = bytearray(img); bad[100] ^= 0xff
open(sys.argv[3], "wb").write(bad)
chunk = data[1 << 20:(1 << 20) + 64]
at = img.find(chunk)
assert at > 0, "the data block is not stored as it is"
late = bytearray(img); late[at + 10] ^= 0x01
open(sys.argv[4], "wb").write(late)
EOP
start_nbdexport "$T/verity.sqfs=root" "$T/bad-mount.sqfs=badmount" "$T/bad-late.sqfs=badlate"

boot "$T/nbd.log" "root=nbd:10.0.2.2:10809/root $params"
expect_booted "$T/nbd.log" "NBD, intact image"
expect_line "$T/nbd.log" 'pxeroot: root: /dev/nbd0 verified by dm-verity as /dev/dm-0' "NBD: the device is mapped through dm-verity"
expect_line "$T/nbd.log" '^MOUNT /run/pxeroot/lower squashfs /dev/dm-0$' "NBD: the lower layer is the verified device"
expect_line "$T/nbd.log" '^DATA-READ ok' "NBD: every block read matches"
expect_line "$T/nbd.log" "^ENV root.env VERITY='[0-9a-f]{64}'" "root.env names the root hash"

boot "$T/badmount.log" "root=nbd:10.0.2.2:10809/badmount $params"
expect_failed "$T/badmount.log" 'the root image failed dm-verity verification: a block read from /dev/dm-0 does not match root hash' "NBD, a block changed on the server"
expect_line "$T/badmount.log" 'device-mapper: verity: .*: data block 0 is corrupted' "the kernel names the block"
! grep -q 'trying again' "$T/badmount.log" || fail "a verification failure was retried"
ok "a verification failure is not retried"

boot "$T/badlate.log" "root=nbd:10.0.2.2:10809/badlate $params"
expect_booted "$T/badlate.log" "NBD, a block changed in a file read after boot"
expect_line "$T/badlate.log" '^DATA-READ failed: .*Input/output error' "the read of the changed block fails with an I/O error"
expect_line "$T/badlate.log" '^KMSG .*verity.*data block [0-9]+ is corrupted' "the failed read is in the kernel log"

mkdir -p "$T/www"
cp "$T/verity.sqfs" "$T/www/root.sqfs"
start_httpd "$T/www"
boot "$T/http.log" "root=live:http://10.0.2.2/root.sqfs $params"
expect_booted "$T/http.log" "HTTP, intact image"
expect_line "$T/http.log" 'pxeroot: root: .*root.sqfs verified by dm-verity as /dev/dm-0' "HTTP: the downloaded image is mapped through dm-verity"
expect_line "$T/http.log" 'dm-verity checks each block against the root hash' "HTTP: no checksum file needed with a root hash"

wrong=$(echo "$params" | sed 's/verity=\(.\)/verity=f\1/; s/verity=f\([0-9a-f]\{63\}\)[0-9a-f]/verity=f\1/')
boot "$T/wrong.log" "root=nbd:10.0.2.2:10809/root $wrong"
expect_failed "$T/wrong.log" 'the root image failed dm-verity verification' "NBD, a root hash that is not the image's"
