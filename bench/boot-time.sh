#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One real client's boot, power-on to its root running, by the two BIOS paths
# an admin chooses between, side by side in one run, on a LAN of the script's
# own (tests/e2e/lib-lan.sh): SeaBIOS with the NIC's iPXE ROM under QEMU
# (TCG), the root a squashfs over NBD served by nbdexport.
#
#   ipxe      pxebootsrv run: DHCP sends the ROM to pxebootsrv's iPXE script,
#             which loads the kernel and the initramfs by HTTP (lighttpd)
#   pxelinux  pxebootsrv's rendered boot directory, dnsmasq sending
#             pxelinux.0 to every client: pxelinux, its menu, the kernel and
#             the initramfs by TFTP
#
# The time runs from QEMU's start to the root's first line on the serial
# console (the root's /sbin/init prints it: tests/e2e/lib-boot.sh boot_root);
# the BusyBox root has no login, so this is "power-on to the root's init".
# The paths take turns within each repeat; medians and the ratio are printed.
# This is a benchmark, not a test.
#
# usage: bench/boot-time.sh [-r REPEATS]   (default 3)
set -u
export PXEROOT_SRC=${PXEROOT_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
. "$PXEROOT_SRC/tests/e2e/lib-lan.sh"
bench_mode

repeats=3
while getopts "r:" o; do
	case $o in
	r) repeats=$OPTARG ;;
	*) echo "usage: bench/boot-time.sh [-r REPEATS]" >&2; exit 2 ;;
	esac
done

boot_setup
lan_setup
requires nbdexport dnsmasq pxebootsrv lighttpd
boot_initramfs
lan_root "$T/tree"
boot_squashfs "$T/tree" "$T/root.sqfs"
args="console=ttyS0 panic=-1 rd.pxeroot.fail.timeout=0"
lan_conf "$T/pxebootsrv.conf" full "default = debian"
lan_entry "$T/pxebootsrv.conf" debian "Debian (NBD)" "$args pxeroot.test.mark=debian"

# boot NAME: one client until its root's mark; its time in LAN_SECS, empty
# when it did not boot.
boot() {
	lan_client "$1" bios 52:54:00:77:10:0$2
	if ! lan_wait "$1" '^MARK debian$' 300; then
		echo "# $1: no boot: $(tail -n 3 "$T/$1.log" | tr '\n' ' ')"
		LAN_SECS=
	fi
	lan_stop "$1"
}

declare -a t_ipxe t_pxelinux
for r in $(seq 1 "$repeats"); do
	lan_pxebootsrv "$T/pxebootsrv.conf"
	boot "ipxe$r" 1
	t_ipxe+=("${LAN_SECS:-nan}")
	lan_pxebootsrv_stop

	lan_pxebootsrv_render "$T/pxebootsrv.conf"
	start_server -P "$T/nbdexport.pid" \
		nbdexport -f -q --pidfile "$T/nbdexport.pid" -c "$LAN_RENDER/nbdexport.conf"
	lan_dnsmasq "dhcp-range=$LAN_NET.100,$LAN_NET.149,255.255.255.0,1h" \
		"enable-tftp" "tftp-root=$T/srv/boot" "dhcp-boot=pxelinux.0,,$LAN_SERVER"
	boot "pxelinux$r" 2
	t_pxelinux+=("${LAN_SECS:-nan}")
	lan_dnsmasq_stop
	_stop_server "$T/nbdexport.pid" "$(cat "$T/nbdexport.pid")" || true
	echo "# repeat $r: ipxe ${t_ipxe[-1]} s, pxelinux ${t_pxelinux[-1]} s"
done

median() { printf '%s\n' "$@" | grep -v nan | sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2); else print "nan" }'; }
mi=$(median "${t_ipxe[@]}")
mp=$(median "${t_pxelinux[@]}")
echo
echo "| path | power-on to root's init, median of $repeats (s) | runs (s) |"
echo "|---|---|---|"
echo "| PXE, iPXE, kernel + initramfs by HTTP | $mi | ${t_ipxe[*]} |"
echo "| PXE, pxelinux, kernel + initramfs by TFTP | $mp | ${t_pxelinux[*]} |"
awk -v a="$mp" -v b="$mi" 'BEGIN { if (a != "nan" && b != "nan" && b > 0) printf "\n- pxelinux : ipxe = %.2fx\n", a / b }'
