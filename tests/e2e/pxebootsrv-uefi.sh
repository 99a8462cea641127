#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Firmware boot matrix, UEFI: OVMF clients on a LAN of the test's own, served
# by "pxebootsrv run" (dnsmasq, lighttpd, nbdexport); the root is a squashfs
# over NBD. Each root prints the mark its entry put on the
# kernel command line.
# uefi = grub (the default), four clients at once:
#   grub     OVMF's PXE (option 93 = 7): shim, the signed network GRUB,
#            grub/grub.cfg, which hands this [host] its grub.cfg-01-MAC and
#            its default entry; the menu shows the ISO entry as BIOS only;
#   gmem     the same, a [host] whose default is memtest86+ with append =
#            console=ttyS0,115200: GRUB chainloads memtest86+x64.efi, which
#            shows its banner on the serial console (the client has a display:
#            memtest86+ 6.10's EFI build needs one);
#   sb       the same with Secure Boot and Microsoft's keys: Debian's signed
#            kernel says so and locks down, the initramfs's signed modules load;
#   http     OVMF's HTTP boot (HTTPClient:Arch:00016): the boot file is the
#            URL of shimx64.efi; GRUB then stops at its prompt (pinned down).
# uefi = ipxe, five clients at once:
#   ipxe     OVMF's PXE: snponly.efi by TFTP, the iPXE script and menu, the
#            kernel over HTTP;
#   denied   Secure Boot: the unsigned snponly.efi is refused;
#   http2    OVMF's HTTP boot: the URL of ipxe.efi, then the script; its
#            [host]'s default entry has an HTTP root (root = http): the
#            initramfs downloads the image into RAM;
#   iso      a [host] whose default is an ISO entry: iPXE's sanboot over HTTP
#            hands the firmware the ISO, whose EFI loader (GRUB, made by
#            grub-mkrescue) prints its own mark;
#   imem     a [host] whose default is memtest86+, on a client without a
#            display: iPXE starts memtest86+x64.efi, which stops at once with
#            "efi_setup() failed" (pinned down: it needs a display).
# timeout: 1500
. "$(dirname "$0")/lib-lan.sh"

boot_setup
lan_setup
requires nbdexport dnsmasq pxebootsrv lighttpd
boot_initramfs
lan_root "$T/tree"
boot_squashfs "$T/tree" "$T/root.sqfs"
lan_efi_iso "$T/efi.iso" ISO-EFI-BOOTED

mac_grub=52:54:00:77:01:01
mac_sb=52:54:00:77:01:02
mac_http=52:54:00:77:01:03
mac_ipxe=52:54:00:77:01:04
mac_denied=52:54:00:77:01:05
mac_http2=52:54:00:77:01:06
mac_gmem=52:54:00:77:01:07
mac_iso=52:54:00:77:01:08
mac_imem=52:54:00:77:01:09
# no_timer_check: a guest starved of CPU by other load fails the kernel's
# IO-APIC timer check and panics ("IO-APIC + timer doesn't work").
args="console=ttyS0 panic=-1 rd.pxeroot.fail.timeout=0 no_timer_check"

# conf UEFI-PATH: the configuration, every client of the test in it.
conf() {
	lan_conf "$T/pxebootsrv.conf" full "default = debian" "uefi = $1"
	lan_entry "$T/pxebootsrv.conf" debian "Debian (NBD)" "$args pxeroot.test.mark=debian"
	lan_entry "$T/pxebootsrv.conf" other "Another entry" "$args pxeroot.test.mark=other"
	lan_entry "$T/pxebootsrv.conf" web "Debian (HTTP)" "$args pxeroot.test.mark=web"
	cat >>"$T/pxebootsrv.conf" <<CONF
root = http

[entry rescue]
kind = iso
label = EFI ISO
iso = $T/efi.iso

[entry memtest]
kind = memtest
label = Memory test

[host $mac_grub]
default = other

[host $mac_gmem]
default = memtest
append = console=ttyS0,115200

[host $mac_http2]
default = web

[host $mac_iso]
default = rescue

[host $mac_imem]
default = memtest
append = console=ttyS0,115200
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
lan_client gmem uefi $mac_gmem -device VGA
if lan_wait gmem 'Memtest86\+ v[0-9]'; then
	ok "UEFI PXE, shim, signed GRUB, a host's memtest entry: memtest86+x64.efi shows its banner on the serial console after $LAN_SECS s"
else
	_lan_show gmem
	fail "GRUB's memtest entry: no memtest86+ banner on the serial console"
fi
lan_stop gmem
lan_expect_booted grub "UEFI PXE, shim, signed GRUB, the host's grub.cfg-01-MAC" '^MARK other$'
lan_expect_booted sb "UEFI Secure Boot: shim, signed GRUB, signed kernel" \
	'^MARK debian$' 'Secure boot enabled' 'Kernel is locked down from EFI Secure Boot'
! lan_console_has sb 'module verification failed|Loading of unsigned module' ||
	fail "Secure Boot: a module was not signed"
ok "Secure Boot: the initramfs's modules loaded under lockdown (nbd, squashfs, overlay, virtio_net)"
! lan_console_has grub 'Secure boot enabled|locked down' ||
	fail "without Secure Boot, the kernel says it is on or locked down"
ok "without Secure Boot, the same kernel is neither in Secure Boot mode nor locked down"
lan_console_has grub 'EFI ISO \(BIOS only\)' || {
	_lan_show grub
	fail "GRUB's menu does not show the ISO entry as BIOS only"
}
ok "GRUB's menu shows the ISO entry as 'EFI ISO (BIOS only)'"
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
ok "uefi = grub, four clients: $((SECONDS - t0)) s"
lan_pxebootsrv_stop

conf ipxe
lan_pxebootsrv "$T/pxebootsrv.conf"
t0=$SECONDS
lan_client ipxe uefi $mac_ipxe
lan_client denied uefi-sb $mac_denied
lan_client http2 uefi-http $mac_http2
lan_client iso uefi $mac_iso
lan_client imem uefi $mac_imem
if lan_wait denied 'Access Denied'; then
	ok "Secure Boot: the unsigned snponly.efi is refused (Access Denied) after $LAN_SECS s"
else
	_lan_show denied
	fail "Secure Boot: the unsigned snponly.efi was not refused"
fi
lan_stop denied
! lan_console_has denied "^BOOTED" || fail "Secure Boot: an unsigned loader booted"
if lan_wait imem 'efi_setup\(\) failed' && lan_console_has imem 'memtest86\+x64\.efi\.\.\. ok'; then
	ok "UEFI PXE, snponly.efi, a host's memtest entry: iPXE started memtest86+x64.efi, which stops without a display (efi_setup() failed) after $LAN_SECS s"
else
	_lan_show imem
	fail "iPXE's memtest entry on UEFI: memtest86+x64.efi did not start"
fi
lan_stop imem
if lan_wait iso 'ISO-EFI-BOOTED'; then
	ok "UEFI PXE, snponly.efi, a host's ISO entry: iPXE's sanboot booted the ISO's EFI loader over HTTP in $LAN_SECS s"
else
	_lan_show iso
	fail "iPXE's sanboot did not boot the ISO on UEFI"
fi
lan_stop iso
lan_expect_booted ipxe "UEFI PXE, snponly.efi, pxebootsrv's iPXE menu over HTTP" '^MARK debian$' \
	"http://$LAN_SERVER/boot.ipxe"
lan_expect_booted http2 "UEFI HTTP boot, ipxe.efi by URL, the host's iPXE menu, an HTTP root in RAM" '^MARK web$' \
	"netboot=http://$LAN_SERVER/files/web/root.sqfs" '^MOUNT /run/pxeroot/lower squashfs /dev/loop0$'
grep -q "HTTPClient" "$LAN_LOG" || fail "the HTTP boot client's class is not in dnsmasq's log"
ok "uefi = ipxe, five clients: $((SECONDS - t0)) s"
