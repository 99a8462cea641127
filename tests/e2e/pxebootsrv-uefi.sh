#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Firmware boot matrix, UEFI: OVMF clients on a LAN of the test's own, a full
# DHCP server (dnsmasq) answering by architecture and MAC, a squashfs root
# over NBD. Five clients boot at once:
#   grub     OVMF's PXE (option 93 = 7) gets the default UEFI path: shim, the
#            signed network GRUB, grub/grub.cfg, kernel and initramfs by TFTP;
#   ipxe     OVMF's PXE, its MAC set to the iPXE path: snponly.efi by TFTP,
#            then the iPXE script and the kernel over HTTP;
#   http     OVMF's HTTP boot (option 60 HTTPClient:Arch:00016): the boot file
#            is a URL (snponly.efi), iPXE then asks again and gets the script;
#   sb       Secure Boot with Microsoft's keys: shim, signed GRUB, Debian's
#            signed kernel; the kernel says so and locks down, and the
#            initramfs's signed modules load;
#   denied   Secure Boot, its MAC set to the iPXE path: the unsigned
#            snponly.efi is refused by the firmware.
# timeout: 1200
. "$(dirname "$0")/lib-lan.sh"

boot_setup
lan_setup
requires nbdexport dnsmasq
boot_initramfs
lan_root "$T/tree"
boot_squashfs "$T/tree" "$T/root.sqfs"
lan_boot_dir "$T/boot"

mac_grub=52:54:00:77:01:01
mac_ipxe=52:54:00:77:01:02
mac_http=52:54:00:77:01:03
mac_sb=52:54:00:77:01:04
mac_denied=52:54:00:77:01:05
args="console=ttyS0 panic=-1 rd.pxeroot.fail.timeout=0 root=nbd:$LAN_SERVER:10809/root"

# Debian 12's signed network GRUB has no HTTP: "(http,SERVER)/vmlinuz" fails
# with "disk not found" (and Secure Boot forbids loading modules). The kernel
# comes by TFTP from the server that sent GRUB (its root).
cat >"$T/boot/grub/grub.cfg" <<GRUB
set timeout=1
set default=debian
menuentry 'Debian (NBD)' --id debian {
	echo 'pxeroot: GRUB loads the kernel by TFTP'
	linux /vmlinuz $args pxeroot.test.mark=grub-\$net_default_mac
	initrd /initrd.img
}
GRUB
# Debian's 2019 iPXE EFI build hands the kernel its initrd only when the
# kernel line names it (initrd=).
cat >"$T/boot/boot.ipxe" <<IPXE
#!ipxe
echo pxeroot iPXE script
kernel http://$LAN_SERVER/vmlinuz initrd=initrd.img $args pxeroot.test.mark=ipxe-\${net0/mac:hexhyp}
initrd http://$LAN_SERVER/initrd.img
boot
IPXE

lan_nbdexport "$T/root.sqfs=root"
lan_httpd "$T/boot"
lan_dnsmasq "dhcp-range=$LAN_NET.100,$LAN_NET.149,255.255.255.0,1h" \
	"enable-tftp" "tftp-root=$T/boot" \
	"dhcp-match=set:ipxe,175" \
	"dhcp-match=set:efi64,option:client-arch,7" \
	"dhcp-match=set:efi64,option:client-arch,9" \
	"dhcp-match=set:efihttp,option:client-arch,16" \
	"dhcp-host=$mac_ipxe,set:uefi-ipxe" \
	"dhcp-host=$mac_denied,set:uefi-ipxe" \
	"dhcp-boot=tag:ipxe,http://$LAN_SERVER/boot.ipxe" \
	"dhcp-boot=tag:!ipxe,tag:efi64,tag:!uefi-ipxe,shimx64.efi,,$LAN_SERVER" \
	"dhcp-boot=tag:!ipxe,tag:efi64,tag:uefi-ipxe,snponly.efi,,$LAN_SERVER" \
	"dhcp-boot=tag:!ipxe,tag:efihttp,http://$LAN_SERVER/snponly.efi" \
	"dhcp-option-force=tag:efihttp,60,HTTPClient"

t0=$SECONDS
lan_client grub uefi $mac_grub
lan_client ipxe uefi $mac_ipxe
lan_client http uefi-http $mac_http
lan_client sb uefi-sb $mac_sb
lan_client denied uefi-sb $mac_denied

if lan_wait denied 'Access Denied'; then
	ok "Secure Boot: the unsigned snponly.efi is refused (Access Denied) after $LAN_SECS s"
else
	_lan_show denied
	fail "Secure Boot: the unsigned snponly.efi was not refused"
fi
lan_stop denied
! tr -d '\r' <"$T/denied.log" | grep -q "^BOOTED" || fail "Secure Boot: an unsigned loader booted"

lan_expect_booted grub "UEFI PXE, shim, signed GRUB, kernel by TFTP" \
	"^MARK grub-${mac_grub}$" 'pxeroot: GRUB loads the kernel by TFTP'
lan_expect_booted ipxe "UEFI PXE, snponly.efi, iPXE script over HTTP" \
	"^MARK ipxe-${mac_ipxe//:/-}$" 'pxeroot iPXE script'
lan_expect_booted http "UEFI HTTP boot, snponly.efi by URL, iPXE script" \
	"^MARK ipxe-${mac_http//:/-}$"
lan_expect_booted sb "UEFI Secure Boot: shim, signed GRUB, signed kernel" \
	"^MARK grub-${mac_sb}$" 'Secure boot enabled' 'Kernel is locked down|[Ll]ockdown'
! tr -d '\r' <"$T/sb.log" | grep -Eq 'module verification failed|Loading of unsigned module' ||
	fail "Secure Boot: a module was not signed"
ok "Secure Boot: the initramfs's modules loaded under lockdown (nbd, squashfs, overlay, virtio_net)"
grep -q "HTTPClient" "$T/dnsmasq.log" || fail "the HTTP boot client's class is not in dnsmasq's log"
ok "five UEFI clients at once: $((SECONDS - t0)) s"
