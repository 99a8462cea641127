#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Firmware boot matrix, UEFI: OVMF clients on a LAN of the test's own, served
# by "pxebootsrv run" (dnsmasq, lighttpd, nbdexport); the root is a squashfs
# over NBD. Each root prints the mark its entry put on the
# kernel command line.
# uefi = grub (the default), three clients at once:
#   grub     OVMF's PXE (option 93 = 7): shim, the signed network GRUB,
#            grub/grub.cfg, which hands this [host] its grub.cfg-01-MAC and
#            its default entry;
#   sb       the same with Secure Boot and Microsoft's keys: Debian's signed
#            kernel says so and locks down, the initramfs's signed modules load;
#   http     OVMF's HTTP boot (HTTPClient:Arch:00016): the boot file is the
#            URL of shimx64.efi; GRUB then stops at its prompt (pinned down).
# uefi = ipxe, three clients at once:
#   ipxe     OVMF's PXE: snponly.efi by TFTP, the iPXE script and menu, the
#            kernel over HTTP;
#   denied   Secure Boot: the unsigned snponly.efi is refused;
#   http     OVMF's HTTP boot: the URL of ipxe.efi, then the script.
# timeout: 1500
. "$(dirname "$0")/lib-lan.sh"

boot_setup
lan_setup
requires nbdexport dnsmasq pxebootsrv lighttpd
boot_initramfs
lan_root "$T/tree"
boot_squashfs "$T/tree" "$T/root.sqfs"

mac_grub=52:54:00:77:01:01
mac_sb=52:54:00:77:01:02
mac_http=52:54:00:77:01:03
mac_ipxe=52:54:00:77:01:04
mac_denied=52:54:00:77:01:05
mac_http2=52:54:00:77:01:06
args="console=ttyS0 panic=-1 rd.pxeroot.fail.timeout=0"

# conf UEFI-PATH: the configuration, every client of the test in it.
conf() {
	lan_conf "$T/pxebootsrv.conf" full "default = debian" "uefi = $1"
	lan_entry "$T/pxebootsrv.conf" debian "Debian (NBD)" "$args pxeroot.test.mark=debian"
	lan_entry "$T/pxebootsrv.conf" other "Another entry" "$args pxeroot.test.mark=other"
	cat >>"$T/pxebootsrv.conf" <<CONF

[host $mac_grub]
default = other
CONF
}

# Debian 12's signed network GRUB embeds tftp but no http module: the menus
# it reads must load kernels by TFTP, whatever else the server offers.
grub_menus_tftp() {
	! grep -q '(http,' "$T"/srv/boot/grub/grub.cfg* ||
		fail "a rendered GRUB menu loads over HTTP, which the signed GRUB cannot"
	grep -q "linux (tftp,$LAN_SERVER)/" "$T"/srv/boot/grub/grub.cfg ||
		fail "the rendered GRUB menu does not load its kernel by TFTP"
	ok "the rendered GRUB menus load kernels by TFTP"
}

conf grub
lan_pxebootsrv "$T/pxebootsrv.conf"
grub_menus_tftp
t0=$SECONDS
lan_client grub uefi $mac_grub
lan_client sb uefi-sb $mac_sb
lan_client http uefi-http $mac_http
lan_expect_booted grub "UEFI PXE, shim, signed GRUB, the host's grub.cfg-01-MAC" '^MARK other$'
lan_expect_booted sb "UEFI Secure Boot: shim, signed GRUB, signed kernel" \
	'^MARK debian$' 'Secure boot enabled' 'Kernel is locked down from EFI Secure Boot'
! lan_console_has sb 'module verification failed|Loading of unsigned module' ||
	fail "Secure Boot: a module was not signed"
ok "Secure Boot: the initramfs's modules loaded under lockdown (nbd, squashfs, overlay, virtio_net)"
! lan_console_has grub 'Secure boot enabled|locked down' ||
	fail "without Secure Boot, the kernel says it is on or locked down"
ok "without Secure Boot, the same kernel is neither in Secure Boot mode nor locked down"
# Shim loads GRUB from the same URL, but the signed GRUB cannot read its menu
# over HTTP (no http module) and has no TFTP server to ask: it stops at its
# prompt. Should a later GRUB boot, the test says so.
lan_wait http "^BOOTED $BOOT_TOKEN|grub>" || {
	_lan_show http
	fail "UEFI HTTP boot, shimx64.efi by URL: neither booted nor stopped at grub>"
}
if lan_console_has http "^BOOTED $BOOT_TOKEN"; then
	ok "UEFI HTTP boot, shimx64.efi by URL: booted in $LAN_SECS s"
else
	ok "UEFI HTTP boot, shimx64.efi by URL: shim and GRUB load, GRUB finds no menu and stops at grub> ($LAN_SECS s)"
fi
lan_stop http
ok "uefi = grub, three clients: $((SECONDS - t0)) s"
lan_pxebootsrv_stop

conf ipxe
lan_pxebootsrv "$T/pxebootsrv.conf"
t0=$SECONDS
lan_client ipxe uefi $mac_ipxe
lan_client denied uefi-sb $mac_denied
lan_client http2 uefi-http $mac_http2
if lan_wait denied 'Access Denied'; then
	ok "Secure Boot: the unsigned snponly.efi is refused (Access Denied) after $LAN_SECS s"
else
	_lan_show denied
	fail "Secure Boot: the unsigned snponly.efi was not refused"
fi
lan_stop denied
! lan_console_has denied "^BOOTED" || fail "Secure Boot: an unsigned loader booted"
lan_expect_booted ipxe "UEFI PXE, snponly.efi, pxebootsrv's iPXE menu over HTTP" '^MARK debian$' \
	"http://$LAN_SERVER/boot.ipxe"
lan_expect_booted http2 "UEFI HTTP boot, ipxe.efi by URL, pxebootsrv's iPXE menu" '^MARK debian$'
grep -q "HTTPClient" "$LAN_LOG" || fail "the HTTP boot client's class is not in dnsmasq's log"
ok "uefi = ipxe, three clients: $((SECONDS - t0)) s"
