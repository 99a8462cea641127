#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One real client's boot, power-on to its login prompt, by the two BIOS paths
# an admin chooses between, side by side in one run, on a LAN of the script's
# own (tests/e2e/lib-lan.sh): SeaBIOS with the NIC's iPXE ROM under QEMU
# (TCG), the root a squashfs over NBD served by nbdexport: the Debian 12 tree
# the end-to-end tests use (debootstrap, cached: tests/lib-bootready.sh),
# prepared by mkbootready, with its own kernel and an initramfs from
# mkbootimage.
#
#   ipxe      pxebootsrv run: DHCP sends the ROM to pxebootsrv's iPXE script,
#             which loads the kernel and the initramfs by HTTP (lighttpd)
#   pxelinux  pxebootsrv's rendered boot directory, dnsmasq sending
#             pxelinux.0 to every client: pxelinux, its menu, the kernel and
#             the initramfs by TFTP
#
# The time runs from QEMU's start to the "login:" prompt of the getty systemd
# starts on the serial console. The paths take turns within each repeat;
# medians and the ratio are printed. This is a benchmark, not a test.
#
# usage: bench/boot-time.sh [-r REPEATS]   (default 3)
set -u
export PXEROOT_SRC=${PXEROOT_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
. "$PXEROOT_SRC/tests/e2e/lib-lan.sh"
. "$PXEROOT_SRC/tests/lib-bootready.sh"
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
requires nbdexport dnsmasq pxebootsrv lighttpd mkbootready mkbootimage debootstrap
# The Debian archive (for a first debootstrap) is outside the namespace.
DEBIAN_TREE_NET=host_net
t0=$SECONDS
debian_tree "$T/tree"
mkbootready -q "$T/tree" || { echo "bench/boot-time.sh: mkbootready failed" >&2; exit 1; }
KVER=$(ls "$T/tree/lib/modules" | sort -V | tail -n 1)
# Debian installs its kernels readable by root only; the servers drop
# privileges.
VMLINUZ=$T/vmlinuz
install -m 0644 "$T/tree/boot/vmlinuz-$KVER" "$VMLINUZ"
INITRD=$T/initrd.img
mkbootimage -q -d virtio_net,e1000 -o "$INITRD" "$T/tree" "$KVER" ||
	{ echo "bench/boot-time.sh: mkbootimage failed" >&2; exit 1; }
chmod 0644 "$INITRD"
mksquashfs "$T/tree" "$T/root.sqfs" -noappend -quiet -comp zstd >/dev/null ||
	{ echo "bench/boot-time.sh: mksquashfs failed" >&2; exit 1; }
echo "# Debian 12 tree, kernel $KVER ($(($(stat -c %s "$VMLINUZ") / 1024)) KiB), initramfs $(($(stat -c %s "$INITRD") / 1024)) KiB, image $(($(stat -c %s "$T/root.sqfs") / 1048576)) MiB, ready in $((SECONDS - t0)) s"
args="console=ttyS0 panic=-1 rd.pxeroot.fail.timeout=0"
lan_conf "$T/pxebootsrv.conf" full "default = debian"
lan_entry "$T/pxebootsrv.conf" debian "Debian (NBD)" "$args"
# What a Debian client needs under TCG: memory, and RDRAND to seed the
# kernel's random pool at once (without it systemd waits for entropy).
qemu_args=(-m 1024 -cpu qemu64,+rdrand)

# boot NAME: one client until its login prompt; its time in LAN_SECS, empty
# when it did not get there, and the time to the kernel's first line (the
# loader's work done: DHCP, loader, menu, kernel and initramfs) in KERNEL_SECS.
boot() {
	lan_client "$1" bios 52:54:00:77:10:0$2 "${qemu_args[@]}"
	KERNEL_SECS=
	lan_wait "$1" 'Linux version' 600 && KERNEL_SECS=$LAN_SECS
	if ! lan_wait "$1" ' login: ?$' 600; then
		echo "# $1: no boot: $(tail -n 3 "$T/$1.log" | tr '\n' ' ')"
		LAN_SECS=
	fi
	lan_stop "$1"
}

declare -a t_ipxe t_pxelinux k_ipxe k_pxelinux
for r in $(seq 1 "$repeats"); do
	lan_pxebootsrv "$T/pxebootsrv.conf"
	boot "ipxe$r" 1
	t_ipxe+=("${LAN_SECS:-nan}")
	k_ipxe+=("${KERNEL_SECS:-nan}")
	lan_pxebootsrv_stop

	lan_pxebootsrv_render "$T/pxebootsrv.conf"
	start_server -P "$T/nbdexport.pid" \
		nbdexport -f -q --pidfile "$T/nbdexport.pid" -c "$LAN_RENDER/nbdexport.conf"
	lan_dnsmasq "dhcp-range=$LAN_NET.100,$LAN_NET.149,255.255.255.0,1h" \
		"enable-tftp" "tftp-root=$T/srv/boot" "dhcp-boot=pxelinux.0,,$LAN_SERVER"
	boot "pxelinux$r" 2
	t_pxelinux+=("${LAN_SECS:-nan}")
	k_pxelinux+=("${KERNEL_SECS:-nan}")
	lan_dnsmasq_stop
	_stop_server "$T/nbdexport.pid" "$(cat "$T/nbdexport.pid")" || true
	echo "# repeat $r: ipxe ${k_ipxe[-1]} s to the kernel, ${t_ipxe[-1]} s to login; pxelinux ${k_pxelinux[-1]} s, ${t_pxelinux[-1]} s"
done

median() { printf '%s\n' "$@" | grep -v nan | sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2); else print "nan" }'; }
mi=$(median "${t_ipxe[@]}")
mp=$(median "${t_pxelinux[@]}")
ki=$(median "${k_ipxe[@]}")
kp=$(median "${k_pxelinux[@]}")
echo
echo "| path | to the kernel, median (s) | to the login prompt, median (s) | login prompt, runs (s) |"
echo "|---|---|---|---|"
echo "| PXE, iPXE, kernel + initramfs by HTTP | $ki | $mi | ${t_ipxe[*]} |"
echo "| PXE, pxelinux, kernel + initramfs by TFTP | $kp | $mp | ${t_pxelinux[*]} |"
echo
echo "$repeats repeats; to the kernel, runs: iPXE ${k_ipxe[*]}; pxelinux ${k_pxelinux[*]}"
awk -v a="$kp" -v b="$ki" 'BEGIN { if (a != "nan" && b != "nan" && b > 0) printf "\n- to the kernel, pxelinux : ipxe = %.2fx\n", a / b }'
awk -v a="$mp" -v b="$mi" 'BEGIN { if (a != "nan" && b != "nan" && b > 0) printf "- to the login prompt, pxelinux : ipxe = %.2fx\n", a / b }'
