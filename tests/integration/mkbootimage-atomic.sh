#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mkbootimage writes atomically: a build that fails (bad input, a full disk)
# or is interrupted leaves the old image as it was and nothing else behind; a
# build that succeeds replaces it in one rename.
. "$(dirname "$0")/../lib.sh"

requires mkbootimage busybox depmod
requires_root
kernel_fetch

root=$T/root
kernel_tree "$root"
skel=$T/skel
mkdir -p "$skel"
printf '#!/bin/sh\n' >"$skel/init"
chmod 755 "$skel/init"

out=$T/out
mkdir -p "$out"
echo "the old image" >"$out/initrd.img"
old_sum=$(md5sum <"$out/initrd.img")

same_as_before() {
	[ "$(md5sum <"$1/initrd.img")" = "$old_sum" ] || fail "$2: the old image changed"
	[ "$(ls -A "$1")" = initrd.img ] || fail "$2: left files behind: $(ls -A "$1")"
	ok "$2: the old image is intact, nothing left behind"
}

# A failure before writing.
expect_exit 1 mkbootimage -q -s "$skel" -d nosuchnic -o "$out/initrd.img" "$root" 2>/dev/null
same_as_before "$out" "unknown driver"

# A failure while writing: a disk too small for the image.
mkdir -p "$T/small"
mount -t tmpfs -o size=2m tmpfs "$T/small" || skip "cannot mount a tmpfs"
cleanup_fn umount "$T/small"
cp "$out/initrd.img" "$T/small/initrd.img"
rc=0
mkbootimage -q -s "$skel" -c none -o "$T/small/initrd.img" "$root" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "a full disk: exit $rc"
grep -q 'No space left on device' "$T/err" || fail "a full disk: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" = 1 ] || fail "a full disk: more than one line: $(cat "$T/err")"
same_as_before "$T/small" "no space left"

# An interrupt while writing (a slow compression, so it is still writing).
# Background jobs of a script ignore SIGINT: give it back its default.
for sig in INT TERM; do
	env --default-signal=INT mkbootimage -q -s "$skel" -c xz:9 -o "$out/initrd.img" "$root" &
	pid=$!
	sleep 2
	kill -0 "$pid" 2>/dev/null || fail "the build ended before it could be interrupted"
	kill -"$sig" "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -ge 128 ] || fail "SIG$sig: exit $rc"
	same_as_before "$out" "interrupted by SIG$sig"
done

# Success: a new inode renamed over the old name; a reader of the old one
# still has the old content.
exec 8<"$out/initrd.img"
old_ino=$(stat -c %i "$out/initrd.img")
mkbootimage -q -s "$skel" -d none -o "$out/initrd.img" "$root"
[ "$(stat -c %i "$out/initrd.img")" != "$old_ino" ] || fail "the image was rewritten in place"
[ "$(cat <&8)" = "the old image" ] || fail "an open reader saw the new content"
exec 8<&-
[ "$(stat -c %a "$out/initrd.img")" = 644 ] || fail "mode $(stat -c %a "$out/initrd.img")"
zstd -t -q "$out/initrd.img" || fail "the new image is not a complete zstd stream"
[ "$(ls -A "$out")" = initrd.img ] || fail "left files behind: $(ls -A "$out")"
ok "a successful build replaces the image by a rename, mode 0644"

# The default output: SYSROOT/boot/initrd.img-KVER-netboot.
mkbootimage -q -s "$skel" -d none "$root"
[ -s "$root/boot/initrd.img-$KVER-netboot" ] || fail "no image at the default path"
[ ! -e "$KERNEL_ROOT/boot/initrd.img-$KVER-netboot" ] || fail "wrote into the shared kernel cache"
ok "the default output is SYSROOT/boot/initrd.img-KVER-netboot"
