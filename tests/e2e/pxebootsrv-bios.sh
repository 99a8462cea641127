#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Firmware boot matrix, BIOS: SeaBIOS and the NIC's iPXE ROM on a LAN of the
# test's own, served by "pxebootsrv run" (dnsmasq, lighttpd, nbdexport); the
# root is a squashfs over NBD. Each root prints the mark its
# entry put on the kernel command line.
# First seven clients at once, with pxebootsrv's own DHCP answers; the ROM is
# iPXE, so it is sent to the iPXE script (boot.ipxe) and its menu:
#   menu     the menu's default entry;
#   host     a [host] whose default is another entry (ipxe/01-MAC.ipxe), one
#            whose root is an NFS tree (root = nfs), served by nfs-ganesha with
#            the EXPORT block "pxebootsrv render" writes;
#   local    a [host] whose default is the local disk: iPXE's sanboot runs
#            the disk's boot sector, which prints its own mark;
#   install  a [host] whose default is the installer entry: the kernel gets
#            the preseed URL on its command line;
#   iso      a [host] whose default is an ISO entry: memdisk boots the ISO,
#            whose El Torito boot image prints its own mark;
#   memtest  a [host] whose default is memtest86+, with append =
#            console=ttyS0,115200: iPXE loads it with that command line, and
#            memtest86+ (which writes to the serial console only when told
#            so) shows its banner there;
#   shell    a [host] whose default is the iPXE shell entry: iPXE's prompt.
# Then four clients at once with pxelinux.0 sent to every BIOS client (QEMU
# has no PXE ROM but iPXE, which pxebootsrv sends to its script): the
# rendered pxelinux.cfg/default and pxelinux.cfg/01-MAC menus (the host's
# NFS root again), a host's local disk entry (LOCALBOOT 0: the BIOS boots the
# next device, the disk), and a host's installer entry with a kickstart: its
# kernel gets inst.ks= on its command line.
# timeout: 1200
. "$(dirname "$0")/lib-lan.sh"

boot_setup
lan_setup
requires nbdexport dnsmasq pxebootsrv lighttpd genisoimage
[ -f /boot/memtest86+x64.bin ] || skip "memtest86+ is not installed"
boot_initramfs
lan_root "$T/tree"
boot_squashfs "$T/tree" "$T/root.sqfs"

mac_menu=52:54:00:77:00:01
mac_host=52:54:00:77:00:02
mac_local=52:54:00:77:00:03
mac_install=52:54:00:77:00:04
mac_iso=52:54:00:77:00:06
mac_memtest=52:54:00:77:00:07
mac_shell=52:54:00:77:00:08
mac_ks=52:54:00:77:00:09
# no_timer_check: a guest starved of CPU by other load fails the kernel's
# IO-APIC timer check and panics ("IO-APIC + timer doesn't work").
args="console=ttyS0 panic=-1 rd.pxeroot.fail.timeout=0 no_timer_check"

lan_conf "$T/pxebootsrv.conf" full "default = debian"
lan_entry "$T/pxebootsrv.conf" debian "Debian (NBD)" "$args pxeroot.test.mark=debian"
lan_entry "$T/pxebootsrv.conf" other "Another entry" "$args pxeroot.test.mark=other"
cat >>"$T/pxebootsrv.conf" <<CONF

[entry nfs]
kind = pxeroot
label = Debian (NFS)
root = nfs
tree = $T/tree
kernel = $VMLINUZ
initrd = $INITRD
append = $args pxeroot.test.mark=nfs

[entry shell]
kind = ipxe-shell
label = iPXE shell

[entry ks]
kind = installer
label = Kickstart installer
kernel = $VMLINUZ
initrd = $INITRD
kickstart = http://$LAN_SERVER/ks.cfg

[entry local]
kind = localboot

[entry rescue]
kind = iso
label = Rescue ISO
iso = $T/rescue.iso

[entry memtest]
kind = memtest
label = Memory test

[entry install]
kind = installer
kernel = $VMLINUZ
initrd = $INITRD
preseed = http://$LAN_SERVER/preseed.cfg

[host $mac_host]
default = nfs

[host $mac_shell]
default = shell

[host $mac_ks]
default = ks
append = console=ttyS0

[host $mac_local]
default = local

[host $mac_iso]
default = rescue

[host $mac_memtest]
default = memtest
append = console=ttyS0,115200

[host $mac_install]
default = install
append = console=ttyS0
CONF

# boot_sector FILE MARK: a boot sector, loaded at 0x7c00, that writes MARK to
# the first serial port and halts: xor ax,ax; mov ds,ax; cld; mov dx,0x3f8;
# mov si,msg; lodsb; test al,al; jz done; out dx,al; jmp lodsb; done: cli;
# hlt; jmp hlt.
boot_sector() {
	{
		printf '\x31\xc0\x8e\xd8\xfc\xba\xf8\x03\xbe\x17\x7c\xac\x84\xc0\x74\x03\xee\xeb\xf8'
		printf '\xfa\xf4\xeb\xfd'
		printf '%s\r\n\0' "$2"
	} >"$1"
	truncate -s 510 "$1"
	printf '\x55\xaa' >>"$1"
}
# A local disk, and an ISO whose El Torito image (no emulation) is the same
# code with another mark.
boot_sector "$T/disk.img" LOCAL-DISK-BOOTED
truncate -s 1M "$T/disk.img"
mkdir -p "$T/iso"
boot_sector "$T/iso/boot.img" ISO-IMAGE-BOOTED
truncate -s 2048 "$T/iso/boot.img"
genisoimage -quiet -o "$T/rescue.iso" -b boot.img -no-emul-boot -boot-load-size 4 "$T/iso" ||
	fail "genisoimage"

# The NFS root: nfs-ganesha with the EXPORT block that render writes (the
# server's NFSv4 settings are the test's: no grace period, a private
# recovery directory).
pxebootsrv -c "$T/pxebootsrv.conf" render "$T/render-nfs" || fail "pxebootsrv render"
sed -n '/^EXPORT {/,/^}/p' "$T/render-nfs/ganesha.conf" >"$T/exports.ganesha"
grep -q "Path = \"$T/tree\"" "$T/exports.ganesha" || fail "render wrote no EXPORT block for the NFS root"
start_rpcbind
GANESHA_NFSV4="Only_Numeric_Owners = true;" start_ganesha "$(cat "$T/exports.ganesha")"
lan_pxebootsrv "$T/pxebootsrv.conf"
t0=$SECONDS
lan_client menu bios $mac_menu
lan_client host bios $mac_host
lan_client local bios $mac_local -drive "file=$T/disk.img,format=raw,if=ide"
lan_client install bios $mac_install
lan_client iso bios $mac_iso
lan_client memtest bios $mac_memtest
lan_client shell bios $mac_shell

if lan_wait install "Kernel command line: .*auto=true priority=critical url=http://$LAN_SERVER/preseed.cfg"; then
	ok "BIOS, iPXE menu, a host's installer entry: the kernel got the preseed URL in $LAN_SECS s"
else
	_lan_show install
	fail "the installer entry's kernel did not get the preseed URL"
fi
lan_stop install
if lan_wait shell 'iPXE>'; then
	ok "BIOS, iPXE menu, a host's iPXE shell entry: the iPXE> prompt in $LAN_SECS s"
else
	_lan_show shell
	fail "the iPXE shell entry did not reach the iPXE> prompt"
fi
lan_stop shell
# (SeaBIOS's serial mirror may lose the last character of iPXE's line when the
# boot sector starts writing: "0x8" is enough to name the first disk.)
if lan_wait local 'LOCAL-DISK-BOOTED' && lan_console_has local 'Booting from SAN device 0x8'; then
	ok "BIOS, iPXE menu, a host's local disk entry: the disk's boot sector ran in $LAN_SECS s"
else
	_lan_show local
	fail "the local disk entry did not boot the disk"
fi
lan_stop local
if lan_wait iso 'ISO-IMAGE-BOOTED'; then
	ok "BIOS, iPXE menu, a host's ISO entry: memdisk booted the ISO in $LAN_SECS s"
else
	_lan_show iso
	fail "the ISO entry did not boot the ISO"
fi
lan_stop iso
if ! lan_wait memtest 'memtest86\+x64\.bin\.\.\.'; then
	_lan_show memtest
	fail "the memtest entry did not load memtest86+x64.bin"
fi
ok "BIOS, iPXE menu, a host's memtest entry: memtest86+x64.bin loaded in $LAN_SECS s"
if ! lan_wait memtest 'Memtest86\+ v[0-9]' 300; then
	_lan_show memtest
	fail "memtest86+ shows no banner on the serial console: the host's append did not reach it"
fi
ok "memtest86+ got the host's append (console=ttyS0,115200): its banner is on the serial console after $LAN_SECS s"
lan_stop memtest
lan_expect_booted menu "BIOS, iPXE ROM, pxebootsrv's iPXE menu, default entry" '^MARK debian$' \
	"Filename: http://$LAN_SERVER/boot.ipxe"
lan_expect_booted host "BIOS, iPXE ROM, the host's own iPXE menu (ipxe/01-MAC.ipxe), an NFS root" \
	'^MARK nfs$' "01-${mac_host//:/-}.ipxe" "^MOUNT /run/pxeroot/lower nfs4 $LAN_SERVER:$T/tree\$"
ok "seven BIOS clients at once: $((SECONDS - t0)) s"

# pxelinux.0 to every BIOS client, the rendered pxelinux menus: the boot
# directory as pxebootsrv left it, its nbdexport configuration.
lan_pxebootsrv_stop
lan_pxebootsrv_render "$T/pxebootsrv.conf"
start_server -P "$T/nbdexport.pid" \
	nbdexport -f -q --pidfile "$T/nbdexport.pid" -c "$LAN_RENDER/nbdexport.conf"
lan_dnsmasq "dhcp-range=$LAN_NET.100,$LAN_NET.149,255.255.255.0,1h" \
	"enable-tftp" "tftp-root=$T/srv/boot" \
	"dhcp-boot=pxelinux.0,,$LAN_SERVER"
t0=$SECONDS
lan_client pxelinux bios 52:54:00:77:00:05
lan_client pxehost bios $mac_host
cp "$T/disk.img" "$T/disk2.img"
lan_client pxelocal bios $mac_local -drive "file=$T/disk2.img,format=raw,if=ide" \
	-boot order=nc
lan_client pxeks bios $mac_ks
if lan_wait pxeks "Kernel command line: .*inst\.ks=http://$LAN_SERVER/ks\.cfg console=ttyS0"; then
	ok "BIOS, pxelinux, a host's installer entry with a kickstart: the kernel got inst.ks= in $LAN_SECS s"
else
	_lan_show pxeks
	fail "the kickstart installer entry's kernel did not get inst.ks="
fi
lan_stop pxeks
if lan_wait pxelocal 'LOCAL-DISK-BOOTED' && lan_console_has pxelocal 'PXELINUX'; then
	ok "BIOS, pxelinux, a host's local disk entry (LOCALBOOT 0): the disk's boot sector ran in $LAN_SECS s"
else
	_lan_show pxelocal
	fail "pxelinux's LOCALBOOT 0 did not boot the disk"
fi
lan_stop pxelocal
lan_expect_booted pxelinux "BIOS, pxelinux, pxebootsrv's menu, default entry" '^MARK debian$' \
	'PXELINUX' 'Automatic boot in' '^MOUNT /run/pxeroot/lower squashfs /dev/nbd0$'
lan_expect_booted pxehost "BIOS, pxelinux, the host's pxelinux.cfg/01-MAC, an NFS root" '^MARK nfs$' \
	"^MOUNT /run/pxeroot/lower nfs4 $LAN_SERVER:$T/tree\$"
grep -q "sent .*/pxelinux.cfg/01-${mac_host//:/-}" "$T/dnsmasq.log" ||
	fail "pxelinux did not fetch the per-MAC file"
ok "pxelinux fetched pxelinux.cfg/01-${mac_host//:/-} by TFTP"
ok "four pxelinux clients at once: $((SECONDS - t0)) s"
