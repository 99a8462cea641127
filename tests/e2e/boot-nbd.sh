#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Boot matrix, NBD: a squashfs root served by this project's nbdexport, booted
# with the initramfs mkbootimage makes from a real Debian kernel:
#   - dracut's root=nbd:SERVER:PORT/EXPORT, virtio-net, DHCP, overlayfs;
#   - SystemRescueCd's netboot=nbd:// with ethx=/gateway= (static address),
#     e1000, an ext4 image (the type is probed), the HOWTO's tmpfs root with
#     links, init= naming another init;
#   - nbdboot=SERVER:PORT while nbdexport is stopped and started again under
#     the booted root: its reads wait and complete after the reconnection;
#   - failures: nothing listens (server down), an export that does not exist.
# timeout: 900
. "$(dirname "$0")/lib-boot.sh"

boot_setup
requires nbdexport mke2fs
# ext4 is not among the modules mkbootimage always adds.
boot_initramfs -m ext4

boot_root "$T/tree"
head -c 3M /dev/urandom >"$T/tree/data"
want_md5=$(md5sum <"$T/tree/data" | cut -d ' ' -f 1)
cp "$T/tree/sbin/init" "$T/tree/sbin/init.other"
cat >"$T/tree/sbin/init.extra" <<'EXTRA'
case " $(cat /proc/cmdline) " in
*" pxeroot.test.reconnect "*)
	echo "RECONNECT-READY"
	sleep 3
	echo 3 >/proc/sys/vm/drop_caches
	echo "RECONNECT-READING"
	echo "RECONNECT-MD5 $(md5sum </data | cut -d ' ' -f 1)"
	dmesg | grep -E 'pxeroot-nbd|nbd0' | sed 's/^/KMSG /'
	ps | grep '[p]xeroot-helper' | sed 's/^/PS /'
	;;
esac
case $0 in
*init.other) echo "INIT-OTHER" ;;
esac
EXTRA
chmod 0755 "$T/tree/sbin/init.extra"
boot_squashfs "$T/tree" "$T/root.sqfs"
truncate -s 64M "$T/root.ext4"
mke2fs -q -F -t ext4 -d "$T/tree" "$T/root.ext4" || fail "mke2fs"
start_nbdexport "$T/root.sqfs=root" "$T/root.ext4=ext4"

# dracut's grammar, virtio-net, DHCP, overlayfs over the NBD device.
boot "$T/dracut.log" "root=nbd:10.0.2.2:10809/root"
expect_booted "$T/dracut.log" "root=nbd: virtio-net"
expect_line "$T/dracut.log" '^MOUNT /run/pxeroot/lower squashfs /dev/nbd0$' "root=nbd: squashfs on /dev/nbd0 is the lower layer"
expect_line "$T/dracut.log" '^MOUNT / overlay pxeroot$' "root=nbd: / is overlayfs"
expect_line "$T/dracut.log" "^ENV root.env TRANSPORT='nbd'" "root=nbd: /run/pxeroot/root.env names the transport"
expect_line "$T/dracut.log" "^ENV net.env METHOD='dhcp'" "root=nbd: the DHCP lease is in /run/pxeroot/net.env"
expect_line "$T/dracut.log" "^ENV net.env LEASE_TIME='[0-9]+'" "root=nbd: the lease time is recorded"
expect_line "$T/dracut.log" 'pxeroot: coldplug: .* after [2-9] passes' "coldplug needed more than one pass (virtio_pci, then virtio_net)"

# SystemRescueCd's grammar, a static address, e1000, tmpfs with links, init=.
boot "$T/sysrcd.log" "netboot=nbd://10.0.2.2/ext4 ethx=10.0.2.15/24 gateway=10.0.2.2 rd.pxeroot.overlay=tmpfs init=/sbin/init.other" \
	-netdev user,id=n0 -device e1000,netdev=n0
expect_booted "$T/sysrcd.log" "netboot=nbd:// ethx=: e1000"
expect_line "$T/sysrcd.log" '^INIT-OTHER' "init= started the named init"
expect_line "$T/sysrcd.log" '^MOUNT / tmpfs pxeroot-root$' "rd.pxeroot.overlay=tmpfs: / is a tmpfs"
expect_line "$T/sysrcd.log" '^MOUNT /run/pxeroot/lower ext4 /dev/nbd0$' "an ext4 export is probed and mounted"
expect_line "$T/sysrcd.log" "^ENV net.env METHOD='static'" "ethx=: a static address"
expect_line "$T/sysrcd.log" "^ENV net.env GATEWAY='10.0.2.2'" "gateway=: the default route"
expect_line "$T/sysrcd.log" "^ENV root.env WRITABLE='tmpfs'" "root.env says tmpfs"

# nbdboot=, and the server goes away and comes back under the booted root.
rm -f "$T/reconnect.log"
t0=$(date +%s%N)
boot "$T/reconnect.log" "nbdboot=10.0.2.2:10809 pxeroot.test.reconnect rd.pxeroot.nbd.timeout=10" &
qemu_pid=$!
for _ in $(seq 1 1500); do
	grep -q '^RECONNECT-READY' "$T/reconnect.log" 2>/dev/null && break
	kill -0 "$qemu_pid" 2>/dev/null || break
	sleep 0.1
done
grep -q '^RECONNECT-READY' "$T/reconnect.log" || {
	wait "$qemu_pid"
	fail "nbdboot=: the root did not get to the reconnection test"
}
# A clean stop, as a restart or an upgrade of the server does.
kill "$(cat "$T/nbdexport.pid")"
sleep 5
start_nbdexport "$T/root.sqfs=root" "$T/root.ext4=ext4"
wait "$qemu_pid" || fail "nbdboot=: the boot failed"
boot_times "$T/reconnect.log" "$t0"
expect_booted "$T/reconnect.log" "nbdboot=: virtio-net"
expect_line "$T/reconnect.log" 'pxeroot-nbd: nbd0: lost the connection to 10.0.2.2:10809' "the watcher saw the server go"
expect_line "$T/reconnect.log" 'pxeroot-nbd: nbd0: reconnected to 10.0.2.2:10809' "the watcher reconnected when it came back"
expect_line "$T/reconnect.log" "^RECONNECT-MD5 $want_md5\$" "reads across the server restart return the right data"
expect_line "$T/reconnect.log" '^PS .*@sbin/pxeroot-helper nbd-connect' "the watcher outlives switch_root, named for systemd to spare it"

# Failures: a port nobody listens on, an export that does not exist.
boot "$T/down.log" "root=nbd:10.0.2.2:10900 rd.retry=3"
expect_failed "$T/down.log" 'cannot connect to NBD server 10.0.2.2:10900: Connection refused' "server down"
expect_line "$T/down.log" 'pxeroot: warning: cannot connect to NBD server .*; trying again in 1 s' "server down: retried before giving up"
boot "$T/noexport.log" "root=nbd:10.0.2.2:10809/nosuch rd.retry=3"
expect_failed "$T/noexport.log" "NBD server 10.0.2.2:10809 has no export 'nosuch'" "wrong export"
