#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Boot matrix, an image downloaded into RAM: a squashfs root served over HTTP
# (BusyBox httpd on the test's own loopback) and over TFTP (QEMU's user-mode
# TFTP server), checked against a checksum before it is used:
#   - SystemRescueCd's netboot=http://.../sysrcd.dat with sysrcd.md5 next to
#     it, e1000;
#   - dracut's root=live:http:// with rd.pxeroot.sha256=, virtio-net;
#   - netboot=tftp:// with rd.pxeroot.sha256=;
#   - failures: a corrupted image (its .sha256 file disagrees), an image with
#     no checksum anywhere, an image the server does not have.
# timeout: 900
. "$(dirname "$0")/lib-boot.sh"

boot_setup
boot_initramfs

boot_root "$T/tree"
mkdir -p "$T/www"
boot_squashfs "$T/tree" "$T/www/root.sqfs"
good=$(sha256sum "$T/www/root.sqfs" | cut -d ' ' -f 1)
cp "$T/www/root.sqfs" "$T/www/sysrcd.dat"
(cd "$T/www" && md5sum sysrcd.dat >sysrcd.md5)
# The corrupted image: one changed block; its checksum file is the good one's.
cp "$T/www/root.sqfs" "$T/www/bad.sqfs"
printf 'corrupted' | dd of="$T/www/bad.sqfs" bs=1 seek=65536 conv=notrunc 2>/dev/null
echo "$good  bad.sqfs" >"$T/www/bad.sqfs.sha256"
cp "$T/www/root.sqfs" "$T/www/nosum.sqfs"
start_httpd "$T/www"

boot "$T/sysrcd.log" "netboot=http://10.0.2.2/sysrcd.dat dodhcp" -netdev user,id=n0 -device e1000,netdev=n0
expect_booted "$T/sysrcd.log" "netboot=http://.../sysrcd.dat: e1000"
expect_line "$T/sysrcd.log" 'pxeroot: root: md5 of sysrcd.dat match http://10.0.2.2/sysrcd.md5' "sysrcd.md5 next to the image was checked"
expect_line "$T/sysrcd.log" '^MOUNT /run/pxeroot/lower squashfs /dev/loop0$' "the image is loop-mounted from RAM"
expect_line "$T/sysrcd.log" '^MOUNT /run/pxeroot/image tmpfs pxeroot-image$' "the image is in a tmpfs"

boot "$T/live.log" "root=live:http://10.0.2.2/root.sqfs rd.pxeroot.sha256=$good"
expect_booted "$T/live.log" "root=live:http:// rd.pxeroot.sha256=: virtio-net"
expect_line "$T/live.log" 'pxeroot: root: sha256 of root.sqfs match the command line' "the sha256 from the command line was checked"

boot "$T/tftp.log" "netboot=tftp://10.0.2.2/root.sqfs rd.pxeroot.sha256=$good" \
	-netdev user,id=n0,tftp="$T/www" -device virtio-net-pci,netdev=n0
expect_booted "$T/tftp.log" "netboot=tftp://: virtio-net"
expect_line "$T/tftp.log" 'pxeroot: root: downloaded tftp://10.0.2.2/root.sqfs' "downloaded by TFTP"

boot "$T/bad.log" "netboot=http://10.0.2.2/bad.sqfs"
expect_failed "$T/bad.log" "checksum mismatch for http://10.0.2.2/bad.sqfs: sha256 [0-9a-f]{64}, expected $good \\(from http://10.0.2.2/bad.sqfs.sha256\\); image refused" "corrupted image"
! grep -q 'MOUNT /run/pxeroot/lower' "$T/bad.log" || fail "corrupted image: it was mounted"

boot "$T/nosum.log" "netboot=http://10.0.2.2/nosum.sqfs"
expect_failed "$T/nosum.log" 'no checksum for http://10.0.2.2/nosum.sqfs \(give rd.pxeroot.sha256=' "image without a checksum"

boot "$T/missing.log" "netboot=http://10.0.2.2/missing.sqfs rd.pxeroot.sha256=$good rd.retry=2"
expect_failed "$T/missing.log" 'cannot download http://10.0.2.2/missing.sqfs: HTTP 404 Not Found' "image not on the server"
