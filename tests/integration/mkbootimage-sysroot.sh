#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mkbootimage on SYSROOT trees as they come: a missing or stale modules.dep
# (depmod -b runs, or a private copy with --dry-run), compressed modules
# (.ko.xz/.ko.zst, stored decompressed), several kernels (version
# sort), --drivers host on this machine and on a given sysfs, SYSROOT's own
# BusyBox (static: used; dynamic: refused), and --add of a dynamic program.
. "$(dirname "$0")/../lib.sh"

requires mkbootimage busybox depmod modprobe cpio xz zstd ldd
kernel_fetch

root=$T/root
kernel_tree "$root"
mods=$root/lib/modules/$KVER
skel=$T/skel
mkdir -p "$skel"
printf '#!/bin/sh\n' >"$skel/init"
chmod 755 "$skel/init"
mkb() { mkbootimage -s "$skel" "$@"; }

# A missing modules.dep: depmod -b runs on the tree, and says so.
rm "$mods/modules.dep" "$mods/modules.dep.bin"
mkb -d e1000 -c none -o "$T/a.img" "$root" 2>"$T/err"
grep -q "^mkbootimage: modules.dep of $KVER is missing: running depmod -b $root $KVER$" "$T/err" ||
	fail "no depmod message: $(cat "$T/err")"
[ -s "$mods/modules.dep" ] && [ -s "$mods/modules.dep.bin" ] || fail "depmod did not write modules.dep"
grep -q "e1000/e1000.ko$" <(cpio -it --quiet <"$T/a.img") || fail "no e1000 in the image"
ok "a missing modules.dep is made by depmod -b SYSROOT KVER"

mkb -d none -o "$T/b.img" "$root" 2>"$T/err"
! grep -q depmod "$T/err" || fail "depmod ran on a fresh index"
grep -q "^mkbootimage: wrote $T/b.img: .* MiB zstd, [0-9]* modules, " "$T/err" ||
	fail "plain modules: $(cat "$T/err")"
ok "a fresh modules.dep is used as it is"

# Compressed modules, as other distributions ship them; they are newer than
# modules.dep, which is now stale. (Debian's depmod has no zlib: it cannot
# index .ko.gz, so neither can a build on Debian.)
rm "$mods/kernel/drivers/block/nbd.ko" "$mods/kernel/drivers/net/ethernet/intel/e1000/e1000.ko"
xz -c --check=crc32 "$KERNEL_ROOT/lib/modules/$KVER/kernel/drivers/block/nbd.ko" >"$mods/kernel/drivers/block/nbd.ko.xz"
zstd -q -c "$KERNEL_ROOT/lib/modules/$KVER/kernel/drivers/net/ethernet/intel/e1000/e1000.ko" \
	>"$mods/kernel/drivers/net/ethernet/intel/e1000/e1000.ko.zst"
touch -d '1 hour ago' "$mods/modules.dep"
before=$(stat -c %Y "$mods/modules.dep")
tmpbefore=$(find /tmp -maxdepth 1 -name 'mkbootimage.*' | wc -l)
mkb -n -d e1000 -o "$T/c.img" "$root" 2>"$T/err"
grep -q "^mkbootimage: modules.dep of $KVER is older than kernel/.*: running depmod on a private copy of the index$" "$T/err" ||
	fail "--dry-run on a stale index: $(cat "$T/err")"
[ "$(stat -c %Y "$mods/modules.dep")" = "$before" ] || fail "--dry-run changed SYSROOT's modules.dep"
[ "$(find /tmp -maxdepth 1 -name 'mkbootimage.*' | wc -l)" = "$tmpbefore" ] || fail "--dry-run left its private index behind"
[ ! -e "$T/c.img" ] || fail "--dry-run wrote an image"
ok "--dry-run on a stale index: depmod on a private copy, SYSROOT untouched"

mkb -d e1000 -c none -o "$T/c.img" "$root" 2>"$T/err"
grep -q "modules.dep of $KVER is older than kernel/.*\.ko\.[a-z]*: running depmod -b $root $KVER" "$T/err" ||
	fail "stale index: $(cat "$T/err")"
mkdir "$T/c" && (cd "$T/c" && cpio -id --quiet <"$T/c.img")
for m in kernel/drivers/block/nbd.ko kernel/drivers/net/ethernet/intel/e1000/e1000.ko; do
	cmp "$T/c/lib/modules/$KVER/$m" "$KERNEL_ROOT/lib/modules/$KVER/$m" || fail "$m is not the decompressed module"
	grep -q "^$m:" "$T/c/lib/modules/$KVER/modules.dep" || fail "modules.dep has no line for $m"
done
! grep -q '\.ko\.\(xz\|zst\|gz\)' "$T/c/lib/modules/$KVER/modules.dep" || fail "modules.dep names compressed files"
grep -q "^mkbootimage: wrote $T/c.img: .* MiB none, [0-9]* modules (2 decompressed), " "$T/err" ||
	fail "the summary does not count the 2 decompressed modules: $(cat "$T/err")"
ok "a stale index is remade; .ko.xz and .ko.zst are stored decompressed, named .ko, and the summary counts them"

# The image's index: every module of modules.dep is in the image, aliases only
# for included modules, modules.builtin as the kernel's.
while read -r line; do
	for f in ${line/:/}; do
		[ -f "$T/c/lib/modules/$KVER/$f" ] || fail "modules.dep names $f, not in the image"
	done
done <"$T/c/lib/modules/$KVER/modules.dep"
awk '{print $3}' "$T/c/lib/modules/$KVER/modules.alias" | sort -u >"$T/alias-mods"
sed 's/:.*//; s|.*/||; s/\.ko$//; s/-/_/g' "$T/c/lib/modules/$KVER/modules.dep" | sort -u >"$T/dep-mods"
comm -23 "$T/alias-mods" "$T/dep-mods" | grep >/dev/null . && fail "aliases for modules not in the image"
grep -q ' e1000$' "$T/c/lib/modules/$KVER/modules.alias" || fail "no alias for e1000"
cmp "$T/c/lib/modules/$KVER/modules.builtin" "$mods/modules.builtin" || fail "modules.builtin differs"
ok "modules.dep, modules.alias and modules.builtin are consistent with the image"

# Several kernels: the newest by version sort (6.1.0-100 > 6.1.0-56), and only
# directories that have modules.
mkdir -p "$root/lib/modules/9.0.0-leftover" "$root/lib/modules/5.10.0-9-amd64/kernel"
mkb -n -d none "$root" 2>"$T/err"
grep -q "would write $root/boot/initrd.img-$KVER-netboot" "$T/err" || fail "did not pick $KVER: $(cat "$T/err")"
newer=$(echo "$KVER" | sed 's/^\([0-9]*\.[0-9]*\.[0-9]*-\)[0-9]*/\1999/')
mkdir -p "$root/lib/modules/$newer"
cp -al "$mods/kernel" "$root/lib/modules/$newer/kernel"
mkb -n -d none "$root" 2>"$T/err"
grep -q "would write $root/boot/initrd.img-$newer-netboot" "$T/err" || fail "did not pick $newer: $(cat "$T/err")"
rm -rf "$root/lib/modules/$newer" "$root/lib/modules/9.0.0-leftover" "$root/lib/modules/5.10.0-9-amd64"
ok "KVER: the newest kernel by version sort, leftovers without modules ignored"

# --drivers host on this machine: what its NICs' modaliases resolve to in
# SYSROOT's modules (kmod's modprobe -R says which), unless built in.
mkb -l -d host "$root" >"$T/host.list" 2>"$T/err" || fail "--drivers host: $(cat "$T/err")"
n=0
for a in /sys/class/net/*/device/modalias; do
	[ -r "$a" ] || continue
	for m in $(modprobe -d "$root" -S "$KVER" -R "$(cat "$a")" 2>/dev/null); do
		grep -q "/$m.ko\$" <(sed 's/-/_/g' "$T/host.list") || fail "--drivers host misses $m for $(cat "$a")"
		n=$((n + 1))
	done
done
ok "--drivers host: the $n module(s) this machine's NICs need"

# ... and on a given sysfs: one e1000 NIC.
sys=$T/sys
mkdir -p "$sys/devices/pci0000:00/0000:00:03.0/net/eth0" "$sys/class/net"
echo "pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00" >"$sys/devices/pci0000:00/0000:00:03.0/modalias"
ln -s ../.. "$sys/devices/pci0000:00/0000:00:03.0/net/eth0/device"
ln -s ../../devices/pci0000:00/0000:00:03.0/net/eth0 "$sys/class/net/eth0"
MKBOOTIMAGE_SYSFS=$sys mkb -l -d host "$root" >"$T/fake.list"
grep -q '/e1000\.ko$' "$T/fake.list" || fail "--drivers host with an e1000: no e1000"
! grep -q '/virtio_net\.ko$\|/e1000e\.ko$' "$T/fake.list" || fail "--drivers host added other NIC drivers"
ok "--drivers host on a sysfs with an e1000: e1000 only"

# SYSROOT's BusyBox: a static one is used, a dynamic one is passed over.
mkdir -p "$root/bin" "$root/usr/bin"
cp /usr/bin/ls "$root/bin/busybox"
cp "$(command -v busybox)" "$root/usr/bin/busybox"
mkb -v -n -d none "$root" 2>"$T/err"
grep -q "not using $root/bin/busybox: dynamically linked" "$T/err" || fail "dynamic busybox: $(cat "$T/err")"
grep -q "using $root/usr/bin/busybox" "$T/err" || fail "static busybox of SYSROOT not used"
rm "$root/usr/bin/busybox"
mkb -v -n -d none "$root" 2>"$T/err"
grep -q "using the host's" "$T/err" || fail "no fallback to the host's BusyBox"
rm "$root/bin/busybox"
ok "SYSROOT's static BusyBox is used, a dynamic one passed over for the host's"

# --add: a dynamic program with its libraries, as ldd finds them on the host.
prog=/usr/bin/stat
mkdir -p "$root/usr/bin"
cp "$prog" "$root$prog"
for f in $(ldd "$prog" | grep -o '/[^ ]*'); do
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
done
mkb -l -d none -a "$prog" "$root" >"$T/add.list"
for f in $prog $(ldd "$prog" | grep -o '/[^ ]*'); do
	grep -q " $f\( \|$\)" "$T/add.list" || fail "--add $prog: $f is missing"
done
ok "--add $prog brings its interpreter and libraries"

# Firmware: what the included modules name (modinfo -F firmware says which),
# when SYSROOT has it, plain, compressed or through a link; nothing else.
fw=$(modinfo -b "$root" -k "$KVER" -F firmware r8169 | head -3)
[ "$(echo "$fw" | wc -l)" = 3 ] || fail "r8169 names no firmware"
set -- $fw
mkdir -p "$root/lib/firmware/$(dirname "$1")" "$root/lib/firmware/other"
echo one >"$root/lib/firmware/$1"
echo two | zstd -q >"$root/lib/firmware/$2.zst"
echo three >"$root/lib/firmware/other/three.bin"
ln -s "/lib/firmware/other/three.bin" "$root/lib/firmware/$3"
echo unrelated >"$root/lib/firmware/other/unrelated.bin"
mkb -l -d r8169 "$root" >"$T/fw.list"
grep -q "^-rw-r--r-- *4 /lib/firmware/$1\$" "$T/fw.list" || fail "firmware $1 missing"
grep -q " /lib/firmware/$2.zst\$" "$T/fw.list" || fail "compressed firmware $2.zst missing"
grep -q "^-rw-r--r-- *6 /lib/firmware/$3\$" "$T/fw.list" || fail "linked firmware $3 is not stored as a file"
! grep -q 'unrelated.bin\|three.bin' "$T/fw.list" || fail "firmware nobody names was added"
ok "firmware named by the modules is added (plain, .zst, through a link), nothing else"

# --drivers usb: the USB network adapters and host controllers, no PCI NICs.
mkb -l -d usb "$root" >"$T/usb.list"
want=$(grep -c '^kernel/drivers/net/usb/' "$mods/modules.dep") ||
	fail "the test kernel has no modules under drivers/net/usb"
got=$(grep -c " /lib/modules/$KVER/kernel/drivers/net/usb/.*\.ko$" "$T/usb.list") || got=0
[ "$got" = "$want" ] || fail "--drivers usb: $got of the $want USB network drivers"
! grep -q "/drivers/net/ethernet/intel/" "$T/usb.list" || fail "--drivers usb added Intel PCI NICs"
ok "--drivers usb: all $want USB network drivers"

# --drivers generic (the default): every module of drivers/net/ethernet,
# drivers/net/phy and drivers/net/mdio, and the virtio NIC with its transport.
mkb -l "$root" >"$T/generic.list"
for tree in ethernet phy mdio; do
	# grep -c prints 0 and fails when nothing matches: 0 of 0 would prove nothing.
	want=$(grep -c "^kernel/drivers/net/$tree/" "$mods/modules.dep") ||
		fail "the test kernel has no modules under drivers/net/$tree"
	got=$(grep -c " /lib/modules/$KVER/kernel/drivers/net/$tree/.*\.ko$" "$T/generic.list") ||
		got=0
	[ "$got" = "$want" ] || fail "--drivers generic: $got of the $want modules of drivers/net/$tree"
done
grep -q '/virtio_net\.ko$' "$T/generic.list" && grep -q '/virtio_pci\.ko$' "$T/generic.list" ||
	fail "--drivers generic: no virtio_net or virtio_pci"
ok "--drivers generic: all Ethernet, PHY and MDIO drivers, virtio_net and virtio_pci"

# The machine the modules are built for, when every module is compressed (as in
# Debian 13's kernel): read from a .ko.xz, so that a tree for another machine
# is refused this machine's BusyBox. Here nfs.ko, the first module looked at,
# says aarch64 (its e_machine patched), and the two looked at after it are
# compressed too.
xroot=$T/xroot
kernel_tree "$xroot"
xmods=$xroot/lib/modules/$KVER
for m in kernel/fs/nfs/nfs.ko kernel/drivers/block/loop.ko kernel/fs/squashfs/squashfs.ko; do
	cp "$KERNEL_ROOT/lib/modules/$KVER/$m" "$T/m.ko"
	# e_machine (offset 18, little-endian): 183, EM_AARCH64.
	[ "$m" = kernel/fs/nfs/nfs.ko ] && printf '\267\000' | dd of="$T/m.ko" bs=1 seek=18 conv=notrunc status=none
	rm "$xmods/$m"
	xz -c --check=crc32 "$T/m.ko" >"$xmods/$m.xz"
done
expect_exit 1 mkb -d none -c none -o "$T/x.img" "$xroot" 2>"$T/err"
grep -q "no static BusyBox for aarch64 in $xroot or on this machine" "$T/err" ||
	fail "an aarch64 tree with compressed modules: $(cat "$T/err")"
[ ! -e "$T/x.img" ] || fail "an image was written for the aarch64 tree"
ok "the modules' machine is read from a compressed module: an aarch64 tree is refused this machine's BusyBox"

# A kernel that could not mount a pxeroot root is refused before anything is
# written, naming its missing options: here nbd and squashfs are removed from
# the tree (neither a module nor in modules.builtin). A kernel whose own config
# says an option is built in (=y) passes for that option.
kroot=$T/kroot
kernel_tree "$kroot"
kmods=$kroot/lib/modules/$KVER
rm "$kmods/kernel/drivers/block/nbd.ko" "$kmods/kernel/fs/squashfs/squashfs.ko"
depmod -b "$kroot" "$KVER"
expect_exit 1 mkb -d none -c none -o "$T/k.img" "$kroot" 2>"$T/err"
[ "$(wc -l <"$T/err")" = 1 ] && grep -qx "mkbootimage: kernel $KVER lacks CONFIG_BLK_DEV_NBD, CONFIG_SQUASHFS (neither a module nor built in): it cannot mount a pxeroot root" "$T/err" ||
	fail "a kernel without nbd and squashfs: $(cat "$T/err")"
[ ! -e "$T/k.img" ] || fail "an image was written for a kernel without nbd"
mkdir -p "$kroot/boot"
rm -f "$kroot/boot/config-$KVER"
printf '# CONFIG_BLK_DEV_NBD is not set\nCONFIG_SQUASHFS=y\n' >"$kroot/boot/config-$KVER"
expect_exit 1 mkb -d none -c none -o "$T/k.img" "$kroot" 2>"$T/err"
grep -qx "mkbootimage: kernel $KVER lacks CONFIG_BLK_DEV_NBD (neither a module nor built in): it cannot mount a pxeroot root" "$T/err" ||
	fail "CONFIG_SQUASHFS=y in boot/config: $(cat "$T/err")"
printf 'CONFIG_BLK_DEV_NBD=y\nCONFIG_SQUASHFS=y\n' >"$kroot/boot/config-$KVER"
mkb -d none -c none -o "$T/k.img" "$kroot" 2>"$T/err" || fail "both built in by boot/config: $(cat "$T/err")"
ok "a kernel without CONFIG_BLK_DEV_NBD or CONFIG_SQUASHFS is refused, naming them; =y in its config passes"
