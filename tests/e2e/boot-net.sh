#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The network setups of dracut's grammar, booted for real (few boots, several
# checks each):
#   1. two NICs, the server reachable only through the second, which the
#      client bridges: bridge=br0:eth1 ip=eth0:dhcp ip=br0:dhcp bootdev=br0;
#      each interface configured, bootdev= picks br0, net.env says why;
#   2. the same two NICs with BOOTIF= naming the second and ip= for both (the
#      first listed first, renamed by ifname= and given a static address),
#      rd.peerdns=0 with nameserver=, and a kernel-style rw NFS root: BOOTIF=
#      picks the second, resolv.conf holds only the given server, and a file
#      the client writes is on the server after poweroff;
#   3. a server reachable only on VLAN 100 (a user-space switch that passes
#      only frames tagged 100 to it): the client bonds two NICs
#      (active-backup), puts VLAN 100 on the bond and boots from NBD over it;
#      the active NIC's link is then cut and the root keeps reading;
#   4. the same with a real Linux bridge in vlan_filtering mode as the switch:
#      the host's kernel has no VLAN filtering, so the switch is a second
#      QEMU guest (the same kernel, the initramfs's BusyBox, iproute2's
#      bridge): its client port is a trunk carrying only VLAN 100 (tagged),
#      its server port an access port on VLAN 100 (untagged). The client
#      gets no DHCP answer untagged, and boots over vlan=eth0.100:eth0.
# timeout: 1200
. "$(dirname "$0")/lib-lan.sh"

boot_setup
lan_setup
requires nbdexport socat python3 bridge cpio gzip ldd
# bonding and bridge are not in every image (8021q is).
boot_initramfs -m bonding,bridge

boot_root "$T/tree"
head -c 2M /dev/urandom >"$T/tree/data"
want_md5=$(md5sum <"$T/tree/data" | cut -d ' ' -f 1)
cat >"$T/tree/sbin/init.extra" <<'EXTRA'
for f in /sys/class/net/*; do
	echo "IFACE ${f##*/} $(cat "$f/operstate") $(ip -4 -o addr show dev "${f##*/}" 2>/dev/null | awk '{print $4}')"
done
case " $(cat /proc/cmdline) " in
*" pxeroot.test.write "*)
	cat /etc/boot-token >/written-by-client && sync && echo "WROTE"
	;;
*" pxeroot.test.untagged "*)
	# The switch passes only VLAN 100: nothing answers on the bare NIC.
	ip link set eth0 up
	if udhcpc -i eth0 -n -q -t 2 -T 1 -s /bin/true >/var/log/untagged.log 2>&1; then
		echo "UNTAGGED-DHCP answered"
	elif grep -q 'broadcasting discover' /var/log/untagged.log; then
		echo "UNTAGGED-DHCP none"
	else
		echo "UNTAGGED-DHCP error $(cat /var/log/untagged.log)"
	fi
	;;
*" pxeroot.test.failover "*)
	echo "ACTIVE-BEFORE $(sed -n 's/^Currently Active Slave: //p' /proc/net/bonding/bond0)"
	echo "FAILOVER-READY"
	# The test cuts the active NIC's link now; the bond's MII check sees it.
	sleep 4
	echo 3 >/proc/sys/vm/drop_caches
	echo "ACTIVE-AFTER $(sed -n 's/^Currently Active Slave: //p' /proc/net/bonding/bond0)"
	echo "FAILOVER-MD5 $(md5sum </data | cut -d ' ' -f 1)"
	;;
esac
[ -f /run/pxeroot/resolv.conf ] && sed 's/^/RESOLV /' /run/pxeroot/resolv.conf
EXTRA
chmod 0755 "$T/tree/sbin/init.extra"
boot_squashfs "$T/tree" "$T/root.sqfs"

# Listens on every address of the test's namespace: 127.0.0.1 for QEMU's
# user-mode networking, the VLAN's address for the LAN.
start_server -P "$T/nbdexport.pid" -w 10809 \
	nbdexport -f -q --pidfile "$T/nbdexport.pid" -l 0.0.0.0 -p 10809 "$T/root.sqfs=root"

# Two NICs on QEMU's user-mode networking: the first on a network of its own
# that cannot reach the host, the second with the server at 10.0.2.2.
two_nics=(-netdev user,id=n0,net=10.9.0.0/24,restrict=on
	-device virtio-net-pci,netdev=n0,mac=52:54:00:00:00:10
	-netdev user,id=n1 -device virtio-net-pci,netdev=n1,mac=52:54:00:00:00:11)

# 1. bridge=, several ip=, bootdev=.
boot "$T/bridge.log" "root=nbd:10.0.2.2:10809/root bridge=br0:eth1 ip=eth0:dhcp ip=br0:dhcp bootdev=br0" \
	"${two_nics[@]}"
expect_booted "$T/bridge.log" "bridge=br0:eth1 bootdev=br0"
ok "bridge + bootdev= booted in $BOOT_SECS s"
expect_line "$T/bridge.log" 'pxeroot: network: bridge br0 over eth1' "bridge=: the bridge is built"
expect_line "$T/bridge.log" "^ENV net.env INTERFACE='br0'" "bootdev=br0: the root goes through the bridge"
expect_line "$T/bridge.log" "^ENV net.env CHOSEN_BY='bootdev=br0'" "net.env says bootdev= chose it"
expect_line "$T/bridge.log" "^ENV net.env OTHER_INTERFACES='eth0=10\.9\.0\.[0-9]+/24'" "ip=eth0:dhcp: the first NIC is configured too"
expect_line "$T/bridge.log" '^IFACE eth1 up $' "eth1 is a bridge port without an address"
expect_line "$T/bridge.log" '^IFACE br0 up 10\.0\.2\.[0-9]+/24$' "br0 holds the second NIC's lease"

# 2. BOOTIF= with ip= for both NICs, the first renamed and static; DNS from
# the command line only; a writable NFS root (the kernel's rw).
start_rpcbind
cp -a "$T/tree" "$T/rwtree"
start_ganesha "EXPORT { Export_Id = 1; Path = \"$T/rwtree\"; Pseudo = /rwroot; Access_Type = RW; Squash = No_Root_Squash; Protocols = 3, 4; Transports = TCP; SecType = sys; FSAL { Name = VFS; } }"
boot "$T/bootif.log" "root=/dev/nfs nfsroot=10.0.2.2:$T/rwtree,vers=3 rw ifname=lan0:52:54:00:00:00:10 ip=10.9.0.50:::255.255.255.0::lan0:none ip=eth1:dhcp BOOTIF=01-52-54-00-00-00-11 rd.peerdns=0 nameserver=10.0.2.9 pxeroot.test.write" \
	"${two_nics[@]}"
expect_booted "$T/bootif.log" "BOOTIF= and rw"
ok "BOOTIF= + rw NFS booted in $BOOT_SECS s"
expect_line "$T/bootif.log" "^ENV net.env INTERFACE='eth1'" "BOOTIF= picks the second NIC over the first ip="
expect_line "$T/bootif.log" "^ENV net.env CHOSEN_BY='BOOTIF=52:54:00:00:00:11 " "net.env says BOOTIF= chose it"
expect_line "$T/bootif.log" 'pxeroot: network: eth0 renamed lan0 \(52:54:00:00:00:10\)' "ifname=: the first NIC is renamed"
expect_line "$T/bootif.log" "^ENV net.env OTHER_INTERFACES='lan0=10\.9\.0\.50/24'" "the renamed NIC has ip='s static address"
expect_line "$T/bootif.log" '^IFACE lan0 up 10\.9\.0\.50/24$' "lan0 is up with the static address"
expect_line "$T/bootif.log" "^ENV net.env DNS='10\.0\.2\.9'" "rd.peerdns=0: net.env has only nameserver="
expect_line "$T/bootif.log" '^RESOLV nameserver 10\.0\.2\.9$' "resolv.conf has nameserver="
if grep -q '^RESOLV nameserver 10\.0\.2\.3' "$T/bootif.log" || grep -q '^RESOLV \(search\|domain\)' "$T/bootif.log"; then
	fail "rd.peerdns=0: resolv.conf holds what DHCP sent"
fi
ok "rd.peerdns=0: resolv.conf holds only the command line's server"
expect_line "$T/bootif.log" "^ENV root.env WRITABLE='nfs-rw'" "rw: no overlay, the NFS root itself"
expect_line "$T/bootif.log" '^MOUNT / nfs ' "rw: / is the NFS mount"
expect_line "$T/bootif.log" '^WROTE$' "the client wrote a file"
[ "$(cat "$T/rwtree/written-by-client" 2>/dev/null)" = "$BOOT_TOKEN" ] ||
	fail "rw: the file the client wrote is not on the server"
[ "$(cat "$T/rwtree/var/log/probe" 2>/dev/null)" = test ] ||
	fail "rw: /var/log/probe is not on the server"
ok "rw: what the client wrote is on the server after poweroff"

# 3. The server only on VLAN 100; the client's bond carries it. The switch is
# tests/e2e/vlan-switch.py: the host's kernel needs no VLAN support.
start_server -P "$T/vlan.pid" python3 "$SRC/tests/e2e/vlan-switch.py" pxrvlan 100 "$T/vlan.pid" \
	20010:20011 20020:20021
ip addr add 10.77.100.1/24 dev pxrvlan
ip link set pxrvlan up
{
	echo "port=0"
	echo "interface=pxrvlan"
	echo "bind-interfaces"
	echo "log-dhcp"
	echo "dhcp-range=10.77.100.50,10.77.100.99,255.255.255.0,1h"
} >"$T/dnsmasq-vlan.conf"
lan_dnsmasq_file "$T/dnsmasq-vlan.conf"

rm -f "$T/bond.log"
t0=$(date +%s%N)
boot "$T/bond.log" "root=nbd:10.77.100.1:10809/root bond=bond0:eth0,eth1:mode=active-backup,miimon=100 vlan=bond0.100:bond0 ip=bond0.100:dhcp pxeroot.test.failover" \
	-netdev socket,id=n0,udp=127.0.0.1:20010,localaddr=127.0.0.1:20011 -device virtio-net-pci,netdev=n0,mac=52:54:00:00:01:10 \
	-netdev socket,id=n1,udp=127.0.0.1:20020,localaddr=127.0.0.1:20021 -device virtio-net-pci,netdev=n1,mac=52:54:00:00:01:11 \
	-monitor "unix:$T/monitor,server=on,wait=off" &
qemu_pid=$!
for _ in $(seq 1 3000); do
	grep -q '^FAILOVER-READY' "$T/bond.log" 2>/dev/null && break
	kill -0 "$qemu_pid" 2>/dev/null || break
	sleep 0.1
done
active=$(sed -n 's/^ACTIVE-BEFORE \(eth[01]\)\r*$/\1/p' "$T/bond.log")
if grep -q '^FAILOVER-READY' "$T/bond.log" && [ -n "$active" ]; then
	echo "set_link n${active#eth} off" | socat - "UNIX-CONNECT:$T/monitor" >/dev/null ||
		fail "cannot cut $active's link through the QEMU monitor"
fi
wait "$qemu_pid" || fail "the bond boot failed"
boot_times "$T/bond.log" "$t0"
expect_booted "$T/bond.log" "bond + VLAN"
ok "bond + VLAN booted in $BOOT_SECS s"
expect_line "$T/bond.log" 'pxeroot: network: bond bond0 over eth0,eth1 \(mode=active-backup,miimon=100\)' "bond=: the bond is built"
expect_line "$T/bond.log" 'pxeroot: network: VLAN 100 on bond0 as bond0\.100' "vlan=: VLAN 100 on the bond"
expect_line "$T/bond.log" "^ENV net.env INTERFACE='bond0\.100'" "the root goes through the VLAN"
expect_line "$T/bond.log" "^ENV net.env ADDRESS='10\.77\.100\.[0-9]+'" "DHCP answered on the tagged VLAN only"
[ -n "$active" ] || fail "the bond has no active slave"
after=$(sed -n 's/^ACTIVE-AFTER \(eth[01]\)\r*$/\1/p' "$T/bond.log")
[ -n "$after" ] && [ "$after" != "$active" ] || fail "the bond did not fail over from $active (now '$after')"
expect_line "$T/bond.log" "^FAILOVER-MD5 $want_md5\$" "the root reads on after $active's link is cut"
ok "bond: $active's link cut, $after took over, the root kept reading"

# 4. A bridge with vlan_filtering as the switch, in a guest of its own.
lan_dnsmasq_stop
sw=$T/switch
mkdir -p "$sw/usr/sbin" "$sw/lib/x86_64-linux-gnu" "$sw/lib64"
cp /sbin/bridge "$sw/usr/sbin/bridge" || skip "iproute2's bridge is missing"
for lib in $(ldd /sbin/bridge | grep -o '/lib[^ ]*'); do
	mkdir -p "$sw$(dirname "$lib")"
	cp -L "$lib" "$sw$lib"
done
cat >"$sw/switch.sh" <<'SWITCH'
#!/bin/sh
# A two-port switch: eth0 a trunk with VLAN 100 tagged only, eth1 an access
# port on VLAN 100. VLAN 1 is on neither.
export PATH=/usr/sbin:/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
modprobe -a virtio_pci virtio_net bridge 2>/dev/null
while [ ! -e /sys/class/net/eth1 ]; do sleep 0.1; done
ip link add br0 type bridge
echo 0 >/sys/class/net/br0/bridge/stp_state
echo 0 >/sys/class/net/br0/bridge/forward_delay
echo 1 >/sys/class/net/br0/bridge/vlan_filtering
for p in eth0 eth1; do
	ip link set "$p" master br0
	ip link set "$p" up
	bridge vlan del dev "$p" vid 1
done
bridge vlan del dev br0 vid 1 self
bridge vlan add dev eth0 vid 100
bridge vlan add dev eth1 vid 100 pvid untagged
ip link set br0 up
echo "SWITCH vlan_filtering=$(cat /sys/class/net/br0/bridge/vlan_filtering)"
bridge vlan show | sed 's/^/SWITCH /'
echo SWITCH-READY
while :; do sleep 3600; done
SWITCH
chmod 0755 "$sw/switch.sh"
(cd "$sw" && find . -mindepth 1 | cpio -o -H newc --quiet | gzip) >"$T/switch.cpio.gz"
cat "$INITRD" "$T/switch.cpio.gz" >"$T/switch.img"

ip tuntap add dev pxrvf0 mode tap || fail "ip tuntap add pxrvf0"
ip addr add 10.77.101.1/24 dev pxrvf0
ip link set pxrvf0 up
{
	echo "port=0"
	echo "interface=pxrvf0"
	echo "bind-interfaces"
	echo "log-dhcp"
	echo "dhcp-range=10.77.101.50,10.77.101.99,255.255.255.0,1h"
} >"$T/dnsmasq-vf.conf"
lan_dnsmasq_file "$T/dnsmasq-vf.conf"
timeout -k 5 600 qemu-system-x86_64 -accel tcg -m 256 -nographic -no-reboot -nodefaults \
	-serial stdio -monitor none -kernel "$VMLINUZ" -initrd "$T/switch.img" \
	-append "console=ttyS0 panic=-1 rdinit=/switch.sh" \
	-netdev socket,id=t0,udp=127.0.0.1:20030,localaddr=127.0.0.1:20031 \
	-device virtio-net-pci,netdev=t0,mac=52:54:00:00:02:01 \
	-netdev tap,id=s0,ifname=pxrvf0,script=no,downscript=no \
	-device virtio-net-pci,netdev=s0,mac=52:54:00:00:02:02 </dev/null >"$T/switch.log" 2>&1 &
switch_pid=$!
cleanup_fn kill "$switch_pid"
for _ in $(seq 1 1500); do
	grep -q '^SWITCH-READY' "$T/switch.log" && break
	kill -0 "$switch_pid" 2>/dev/null || break
	sleep 0.2
done
sed -i 's/\r$//' "$T/switch.log"
grep -q '^SWITCH-READY' "$T/switch.log" || {
	tail -n 20 "$T/switch.log"
	fail "the switch guest did not come up"
}
expect_line "$T/switch.log" '^SWITCH vlan_filtering=1$' "the switch is a bridge with vlan_filtering"
expect_line "$T/switch.log" '^SWITCH eth0 +100 *$' "the client port carries VLAN 100 tagged, nothing else"
expect_line "$T/switch.log" '^SWITCH eth1 +100 PVID Egress Untagged *$' "the server port is an access port on VLAN 100"
boot "$T/vf.log" "root=nbd:10.77.101.1:10809/root vlan=eth0.100:eth0 ip=eth0.100:dhcp pxeroot.test.untagged" \
	-netdev socket,id=n0,udp=127.0.0.1:20031,localaddr=127.0.0.1:20030 \
	-device virtio-net-pci,netdev=n0,mac=52:54:00:00:02:10
kill "$switch_pid" 2>/dev/null
expect_booted "$T/vf.log" "VLAN 100 through a vlan_filtering bridge"
expect_line "$T/vf.log" "^ENV net.env INTERFACE='eth0\.100'" "the root goes through eth0.100"
expect_line "$T/vf.log" "^ENV net.env ADDRESS='10\.77\.101\.[0-9]+'" "DHCP answered on the tagged VLAN"
expect_line "$T/vf.log" '^UNTAGGED-DHCP none$' "untagged, the server is out of reach"
