#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Boot matrix, NFS: the tiny root exported read-only by nfs-ganesha (NFSv3 and
# NFSv4, with rpcbind for NFSv3's MOUNT protocol), all on the test's own
# loopback and on its own DHCP network:
#   - dracut's root=nfs4:SERVER:/PATH, virtio-net, DHCP;
#   - the kernel's root=/dev/nfs nfsroot=SERVER:/PATH with a static ip= in the
#     kernel's long form, e1000, NFSv3 through rpcbind, no writable layer;
#   - SystemRescueCd's nfsboot=SERVER:/PATH: a sysrcd.dat squashfs on NFSv3,
#     loop-mounted, dodhcp;
#   - root=/dev/nfs with the root-path from our own DHCP server (udhcpd on a
#     tap device): a bare path, the server is DHCP's next-server; the client
#     has two NICs and nothing names one (no bootdev=, no BOOTIF=): the
#     first, on QEMU's user-mode network, gets a lease without a root-path,
#     the second's lease names the root, and the second wins;
#   - LTSP's own kernel line: root=/dev/nfs nfsroot=SERVER:/PATH
#     ltsp.image=images/x86_64.img loop.max_part=9, a squashfs inside the
#     NFS root, loop-mounted;
#   - failure: an export that does not exist.
# timeout: 900
. "$(dirname "$0")/lib-boot.sh"

boot_setup
requires rpcbind ganesha.nfsd
boot_initramfs

boot_root "$T/tree"
cat >"$T/tree/sbin/init.extra" <<'EXTRA'
[ -r /sys/module/loop/parameters/max_part ] &&
	echo "LOOP-MAX-PART $(cat /sys/module/loop/parameters/max_part)"
# The leases of the NICs that raced for the root (several NICs, none named).
for f in /run/pxeroot/race-*.env; do
	[ -f "$f" ] || continue
	n=${f##*/race-}
	(. "$f" && echo "RACE ${n%.env} ip=$dhcp_ip rootpath=$dhcp_rootpath")
done
EXTRA
chmod 0755 "$T/tree/sbin/init.extra"
mkdir -p "$T/images"
boot_squashfs "$T/tree" "$T/images/sysrcd.dat"
start_rpcbind
mkdir -p "$T/ltsp"
start_ganesha "$(ganesha_export 1 "$T/tree" /root)" "$(ganesha_export 2 "$T/images" /images)" \
	"$(ganesha_export 3 "$T/ltsp" /ltsp)"

# dracut: NFSv4, the export's pseudo path.
boot "$T/nfs4.log" "root=nfs4:10.0.2.2:/root"
expect_booted "$T/nfs4.log" "root=nfs4: virtio-net"
expect_line "$T/nfs4.log" '^MOUNT /run/pxeroot/lower nfs4 10.0.2.2:/root$' "root=nfs4: NFSv4 is the lower layer"
expect_line "$T/nfs4.log" '^MOUNT / overlay pxeroot$' "root=nfs4: / is overlayfs over NFS"
expect_line "$T/nfs4.log" 'pxeroot: root: mounted 10.0.2.2:/root \(nfs4\.[0-2] ' "root=nfs4: the version was negotiated"

# The kernel's grammar: NFSv3 by default, rpcbind finds the ports, static ip=.
boot "$T/kernel.log" "root=/dev/nfs nfsroot=10.0.2.2:$T/tree ip=10.0.2.15:10.0.2.2:10.0.2.2:255.255.255.0:client1:eth0:off:10.0.2.3 rd.pxeroot.overlay=none" \
	-netdev user,id=n0 -device e1000,netdev=n0
expect_booted "$T/kernel.log" "root=/dev/nfs nfsroot= ip=...:off: e1000" ro
expect_line "$T/kernel.log" "^MOUNT / nfs 10.0.2.2:$T/tree\$" "nfsroot=: / is the NFSv3 export itself (rd.pxeroot.overlay=none)"
expect_line "$T/kernel.log" 'pxeroot: root: mounted .* \(nfs3 ' "nfsroot=: NFSv3, the kernel's default"
expect_line "$T/kernel.log" "^ENV net.env HOSTNAME='client1'" "ip=: the host name field"
expect_line "$T/kernel.log" "^ENV net.env DNS='10.0.2.3'" "ip=: the DNS field"
expect_line "$T/kernel.log" "^ENV net.env METHOD='static'" "ip=...:off: a static address"

# SystemRescueCd: the directory holds sysrcd.dat, mounted through a loop device.
boot "$T/nfsboot.log" "nfsboot=10.0.2.2:$T/images dodhcp"
expect_booted "$T/nfsboot.log" "nfsboot= dodhcp: virtio-net"
expect_line "$T/nfsboot.log" '^MOUNT /run/pxeroot/lower squashfs /dev/loop0$' "nfsboot=: sysrcd.dat is loop-mounted"
expect_line "$T/nfsboot.log" "^MOUNT /run/pxeroot/nfs nfs 10.0.2.2:$T/images\$" "nfsboot=: over NFSv3"

# The root-path comes from DHCP: our own server on a tap device.
ip tuntap add dev pxrtap0 mode tap
ip addr add 192.168.77.1/24 dev pxrtap0
ip link set pxrtap0 up
cat >"$T/udhcpd.conf" <<EOF
start 192.168.77.100
end 192.168.77.150
interface pxrtap0
lease_file $T/udhcpd.leases
pidfile $T/udhcpd.pid
siaddr 192.168.77.1
opt subnet 255.255.255.0
opt router 192.168.77.1
opt dns 192.168.77.1
opt domain pxeroot.test
opt lease 600
opt rootpath /root
EOF
: >"$T/udhcpd.leases"
start_server -P "$T/udhcpd.pid" busybox udhcpd -f "$T/udhcpd.conf"
boot "$T/dhcp.log" "root=/dev/nfs ip=dhcp" \
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=52:54:00:00:07:01 \
	-netdev tap,id=n1,ifname=pxrtap0,script=no,downscript=no \
	-device virtio-net-pci,netdev=n1,mac=52:54:00:00:07:02
expect_booted "$T/dhcp.log" "root=/dev/nfs + DHCP root-path: virtio-net on a tap"
expect_line "$T/dhcp.log" 'pxeroot: network: DHCP on eth0 eth1 at once' "two NICs with a link, none named: both ask DHCP"
# QEMU's user network answers at once, so the first NIC's lease is usually
# in by then (the race stops the others once a root is named).
if grep -q '^RACE eth0 ' "$T/dhcp.log"; then
	expect_line "$T/dhcp.log" '^RACE eth0 ip=10\.0\.2\.15 rootpath=$' "the first NIC got a lease without a root-path"
fi
expect_line "$T/dhcp.log" '^RACE eth1 ip=192\.168\.77\.[0-9]+ rootpath=/root$' "the second NIC's lease names the root"
expect_line "$T/dhcp.log" "^ENV net.env INTERFACE='eth1'" "the second NIC, whose answer names the root, wins"
expect_line "$T/dhcp.log" "^ENV net.env CHOSEN_BY='its DHCP answer, which names the root \(root-path\)'" "net.env says why"
expect_line "$T/dhcp.log" "pxeroot: root: DHCP root-path '/root'" "DHCP option 17 was read"
expect_line "$T/dhcp.log" 'pxeroot: root: no server named; using 192.168.77.1' "the server is DHCP's next-server"
expect_line "$T/dhcp.log" '^MOUNT /run/pxeroot/lower nfs4 192.168.77.1:/root$' "the root-path's NFS export is the lower layer"
expect_line "$T/dhcp.log" "^ENV net.env ROOT_PATH='/root'" "net.env records the root-path"
expect_line "$T/dhcp.log" "^ENV net.env NEXT_SERVER='192.168.77.1'" "net.env records the next-server"
expect_line "$T/dhcp.log" "^ENV net.env DOMAIN='pxeroot.test'" "net.env records the domain"
expect_line "$T/dhcp.log" "^ENV net.env LEASE_TIME='600'" "net.env records the lease time"

# LTSP: its NFS root holds images/x86_64.img; ltsp.ipxe's kernel line as is.
mkdir -p "$T/ltsp/images"
boot_squashfs "$T/tree" "$T/ltsp/images/x86_64.img"
boot "$T/ltsp.log" "root=/dev/nfs nfsroot=10.0.2.2:$T/ltsp ltsp.image=images/x86_64.img loop.max_part=9"
expect_booted "$T/ltsp.log" "LTSP: ltsp.image= inside nfsroot="
expect_line "$T/ltsp.log" "^MOUNT /run/pxeroot/nfs nfs 10.0.2.2:$T/ltsp\$" "LTSP: the NFS root is mounted (NFSv3)"
expect_line "$T/ltsp.log" '^MOUNT /run/pxeroot/lower squashfs /dev/loop0$' "LTSP: images/x86_64.img is loop-mounted as the root"
# The loop driver rounds max_part up to a power of two less one (0 without).
expect_line "$T/ltsp.log" '^LOOP-MAX-PART 15$' "LTSP: loop.max_part=9 reached the loop driver"

# Failure: an export the server does not have.
boot "$T/noexport.log" "root=nfs4:10.0.2.2:/nosuch rd.retry=2"
expect_failed "$T/noexport.log" 'cannot mount 10.0.2.2:/nosuch ' "NFS: wrong export"
