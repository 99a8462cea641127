#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The Linux kernel's NBD client, in a QEMU guest, against the server named by
# NBD_SERVER (default nbdexport) serving a squashfs image on loopback. The
# guest (Debian's kernel, a BusyBox initramfs) attaches /dev/nbd0 with
# Debian's nbd-client (fixed newstyle, GO, netlink) and /dev/nbd1 with
# nbdattach (plain newstyle: client flags 0, EXPORT_NAME, ioctls, as
# BusyBox-style clients do), mounts both, and prints a marker file and the
# sha256 of a data file from each. User-mode networking: the guest reaches
# the host's 127.0.0.1:PORT at 10.0.2.2:PORT.
# timeout: 600
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/nbd/servers.sh"

requires "$(nbd_server_cmd)" qemu-system-x86_64 mksquashfs busybox nbd-client cpio sha256sum
attach=$BUILD/tests/nbdattach
[ -x "$attach" ] || fail "$attach is not built (make)"
kernel_fetch

# The image: a marker and 4 MiB of random data, in a squashfs.
marker="pxeroot-nbd-marker-$RANDOM$RANDOM"
mkdir -p "$T/tree/etc"
echo "$marker" >"$T/tree/etc/marker"
head -c 4M /dev/urandom >"$T/tree/data"
want=$(sha256sum <"$T/tree/data" | cut -d' ' -f1)
mksquashfs "$T/tree" "$T/root.sqfs" -noappend -quiet -comp xz >/dev/null
nbd_serve -n root.sqfs "$T/root.sqfs"
[ -n "$NBD_PORT" ] || fail "no TCP port"

# The initramfs.
root=$T/initramfs
busybox_tree "$root"
moddir=lib/modules/$KVER
mkdir -p "$root/$moddir" "$root/mnt/a" "$root/mnt/b"
loadlist=()
# add_module NAME: NAME and what it depends on (modules.dep), deps first.
add_module() {
	local rel dep
	rel=$(sed -n "s|^\(kernel/.*/$1\.ko\):.*|\1|p" "$KERNEL_ROOT/$moddir/modules.dep")
	[ -n "$rel" ] || fail "module $1 not in $KERNEL_ROOT/$moddir/modules.dep"
	for dep in $(sed -n "s|^$rel: *||p" "$KERNEL_ROOT/$moddir/modules.dep"); do
		dep=${dep##*/}
		add_module "${dep%.ko}"
	done
	case " ${loadlist[*]} " in *" $rel "*) return ;; esac
	mkdir -p "$root/$moddir/$(dirname "$rel")"
	cp "$KERNEL_ROOT/$moddir/$rel" "$root/$moddir/$rel"
	loadlist+=("$rel")
}
for m in virtio_pci virtio_net nbd squashfs; do
	add_module "$m"
done

# Debian's nbd-client and the shared libraries it needs.
client=$(command -v nbd-client)
mkdir -p "$root/sbin"
cp "$client" "$root/sbin/nbd-client"
for lib in $(ldd "$client" | sed -n 's|.*=> \(/[^ ]*\) .*|\1|p; s|^\s*\(/[^ ]*\) .*|\1|p'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
[ -e "$root/lib64" ] || ln -s lib "$root/lib64"
cp "$attach" "$root/sbin/nbdattach"

cat >"$root/init" <<EOF
#!/bin/sh
export PATH=/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in ${loadlist[*]}; do
	insmod /$moddir/\$m || echo "GUEST: insmod \$m failed"
done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
i=0
while [ ! -e /dev/nbd1 ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
echo "GUEST: attaching /dev/nbd0 with nbd-client"
if nbd-client 10.0.2.2 $NBD_PORT /dev/nbd0 -N '$NBD_EXPORT' -b 4096; then
	if mount -t squashfs -o ro /dev/nbd0 /mnt/a; then
		echo "GUEST-A-MARKER: \$(cat /mnt/a/etc/marker)"
		echo "GUEST-A-SHA256: \$(sha256sum /mnt/a/data | cut -d' ' -f1)"
		umount /mnt/a
	fi
	nbd-client -d /dev/nbd0
fi
echo "GUEST: attaching /dev/nbd1 with a plain newstyle client"
if nbdattach 10.0.2.2 $NBD_PORT /dev/nbd1 ''; then
	if mount -t squashfs -o ro /dev/nbd1 /mnt/b; then
		echo "GUEST-B-MARKER: \$(cat /mnt/b/etc/marker)"
		echo "GUEST-B-SHA256: \$(sha256sum /mnt/b/data | cut -d' ' -f1)"
		umount /mnt/b
	fi
fi
echo "GUEST: done"
poweroff -f
EOF
chmod +x "$root/init"
mkcpio "$root" "$T/initrd.gz"

rc=0
qemu_boot -k "$VMLINUZ" -i "$T/initrd.gz" -a "rdinit=/init quiet" -l "$T/console.log" -t 240 \
	-- -netdev user,id=n0 -device virtio-net-pci,netdev=n0 || rc=$?
grep -E '^(GUEST|nbdattach|Negotiation|size|bs=|Connected)' "$T/console.log" | sed 's/^/# /' || true
[ "$rc" = 0 ] || fail "QEMU exited with $rc (124: time-out); console: $(tail -20 "$T/console.log")"

got=$(sed -n 's/^GUEST-A-MARKER: //p' "$T/console.log" | tr -d '\r')
assert_eq "$marker" "$got" "Debian's nbd-client: the kernel mounts the squashfs and reads the marker"
got=$(sed -n 's/^GUEST-A-SHA256: //p' "$T/console.log" | tr -d '\r')
assert_eq "$want" "$got" "Debian's nbd-client: sha256 of a 4 MiB file read through the kernel"
got=$(sed -n 's/^GUEST-B-MARKER: //p' "$T/console.log" | tr -d '\r')
assert_eq "$marker" "$got" "plain newstyle client: the kernel mounts the default export and reads the marker"
got=$(sed -n 's/^GUEST-B-SHA256: //p' "$T/console.log" | tr -d '\r')
assert_eq "$want" "$got" "plain newstyle client: sha256 of a 4 MiB file"
nbd_alive
