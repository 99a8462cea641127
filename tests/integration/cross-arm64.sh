#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pxeroot cross-built for arm64 (scripts/cross): every program and the static
# initramfs helper are AArch64 ELF files, and every unit test passes under
# qemu-aarch64 (cases that compare with a host tool are the only ones that may
# skip there). The sysroot is extracted from Debian's archive once and cached.
# timeout: 900
. "$(dirname "$0")/../lib.sh"
requires mmdebstrap aarch64-linux-gnu-gcc qemu-aarch64 file

"$SRC/scripts/cross" arm64 unit >"$T/cross.log" 2>&1 || {
	tail -30 "$T/cross.log"
	fail "scripts/cross arm64 unit failed"
}
tail -1 "$T/cross.log" | grep -q ' of [0-9]* unit tests pass' || fail "no summary: $(tail -1 "$T/cross.log")"
ok "$(tail -1 "$T/cross.log" | sed 's/^cross: //')"
for p in nbdexport mkbootready mkbootimage bootchroot pxebootsrv pxeroot-cmdline \
	initrd/skel/sbin/pxeroot-helper; do
	file -b "$SRC/build-arm64/$p" | grep -q 'ARM aarch64' || fail "build-arm64/$p is not AArch64: $(file -b "$SRC/build-arm64/$p")"
done
file -b "$SRC/build-arm64/initrd/skel/sbin/pxeroot-helper" | grep -q 'statically linked' ||
	fail "the arm64 helper is not static"
ok "nbdexport, mkbootready, mkbootimage, bootchroot, pxebootsrv and the static helper are AArch64"
