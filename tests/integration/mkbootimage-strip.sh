#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mkbootimage --strip-modules on a real Debian kernel's modules: each module in
# the image loses its appended signature and the bytes of its .BTF section and
# nothing else: the same sections in the same order, .BTF empty, identical
# symbols, relocations and section contents, valid offsets; a module without
# .BTF or signature is stored as it is; the default leaves modules untouched;
# and the image is smaller. (tests/e2e/mkbootimage-boot.sh boots such an image.)
. "$(dirname "$0")/../lib.sh"

requires mkbootimage busybox depmod cpio readelf objcopy cmp
kernel_fetch

root=$T/root
kernel_tree "$root"
mods=lib/modules/$KVER

mkdir -p "$T/skel"
printf '#!/bin/sh\n' >"$T/skel/init"
chmod 755 "$T/skel/init"
# A module with neither .BTF nor a signature must come out byte for byte.
plain=$root/$mods/kernel/drivers/block/loop.ko
rm "$plain"
objcopy --remove-section=.BTF "$KERNEL_ROOT/$mods/kernel/drivers/block/loop.ko" "$plain"
readelf -S -W "$plain" | grep >/dev/null '\.BTF' && fail "objcopy did not remove .BTF from loop.ko"

mkbootimage -q -s "$T/skel" -d e1000,virtio_net -c none -o "$T/plain.cpio" "$root"
mkbootimage -q -s "$T/skel" -d e1000,virtio_net -c none -S -o "$T/strip.cpio" "$root"
mkdir "$T/a" "$T/b"
(cd "$T/a" && cpio -idm --quiet <"$T/plain.cpio")
(cd "$T/b" && cpio -idm --quiet <"$T/strip.cpio")

n=0
for f in $(cd "$T/a" && find . -name '*.ko' | sort); do
	a=$T/a/$f b=$T/b/$f
	n=$((n + 1))
	cmp -s "$a" "$root/$mods/${f#./lib/modules/$KVER/}" || fail "$f: the default changed the module"
	if [ "${f##*/}" = loop.ko ]; then
		cmp -s "$a" "$b" || fail "$f: a module with nothing to strip was changed"
		continue
	fi
	[ "$(stat -c %s "$b")" -lt "$(stat -c %s "$a")" ] || fail "$f: not smaller when stripped"
	tail -c 28 "$a" | grep >/dev/null 'Module signature appended' || fail "$f: the kernel's module is not signed"
	! tail -c 28 "$b" | grep >/dev/null 'Module signature appended' || fail "$f: the signature is still there"
	[ "$(readelf -S -W "$b" | awk '$2 == ".BTF" { print $6 }')" = 000000 ] ||
		fail "$f: .BTF is not empty"
	# The same sections, in the same order (offsets apart).
	diff <(readelf -S -W "$a" | awk '/^ *\[ *[0-9]+\]/ { sub(/^ *\[ *[0-9]+\] */, ""); print $1, $2 }') \
		<(readelf -S -W "$b" | awk '/^ *\[ *[0-9]+\]/ { sub(/^ *\[ *[0-9]+\] */, ""); print $1, $2 }') >/dev/null ||
		fail "$f: the section list changed"
	diff <(readelf -r -s -W "$a" | grep -v '^Relocation section') \
		<(readelf -r -s -W "$b" | grep -v '^Relocation section') >/dev/null ||
		fail "$f: symbols or relocations changed"
	for s in .text .rodata .data .modinfo __versions .symtab .strtab .rela.text; do
		cmp -s <(objcopy -O binary --only-section="$s" "$a" /dev/stdout 2>/dev/null) \
			<(objcopy -O binary --only-section="$s" "$b" /dev/stdout 2>/dev/null) ||
			fail "$f: section $s changed"
	done
	readelf -a -W "$b" 2>&1 >/dev/null | grep >/dev/null . && fail "$f: readelf complains about the stripped module"
done
[ "$n" -ge 10 ] || fail "only $n modules in the image"
ok "$n modules: signature and .BTF bytes gone, sections, symbols, relocations and contents unchanged"

[ "$(stat -c %s "$T/strip.cpio")" -lt "$(stat -c %s "$T/plain.cpio")" ] || fail "the stripped image is not smaller"
ok "--strip-modules: $(($(stat -c %s "$T/plain.cpio") / 1024)) KiB -> $(($(stat -c %s "$T/strip.cpio") / 1024)) KiB uncompressed"
# --list shows the sizes that go in.
mkbootimage -q -s "$T/skel" -d e1000,virtio_net -S --list "$root" >"$T/list"
want=$(stat -c %s "$T/b/$mods/kernel/drivers/block/nbd.ko")
grep -Eq " $want /$mods/kernel/drivers/block/nbd.ko\$" "$T/list" || fail "--list -S does not show the stripped size"
ok "--list --strip-modules shows the stripped sizes"
