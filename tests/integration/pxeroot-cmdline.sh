#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pxeroot-cmdline, the administrator's view of the initramfs' command line
# parser: its options and man page, exit codes and messages, the shell form
# evaluated by BusyBox's sh as /init does, defaults, files and root-paths, and
# that the initramfs helper prints exactly the same.
. "$(dirname "$0")/../lib.sh"

requires pxeroot-cmdline busybox
helper=$BUILD/initrd/skel/sbin/pxeroot-helper
[ -x "$helper" ] || fail "$helper is not built (make)"

# Every long option of --help is in the man page.
pxeroot-cmdline --help >"$T/help"
for opt in $(grep -o -- '--[a-z][a-z-]*' "$T/help" | sort -u); do
	grep -q -- "$opt" "$SRC/doc/pxeroot-cmdline.1.scd" || fail "$opt is not in doc/pxeroot-cmdline.1.scd"
done
ok "every long option of --help is in the man page"
pxeroot-cmdline --version | grep >/dev/null '^pxeroot-cmdline (pxeroot) ' || fail "--version"
ok "--version"

expect_exit 2 pxeroot-cmdline --bogus
pxeroot-cmdline --bogus 2>"$T/err" || true
grep -q "^Try 'pxeroot-cmdline --help' for more information.$" "$T/err" || fail "usage error message"
expect_exit 2 pxeroot-cmdline --root-only root=dhcp
ok "usage errors exit 2"

# A valid line: exit 0, what it means on standard output.
pxeroot-cmdline 'root=/dev/nfs nfsroot=10.0.2.2:/srv/root,vers=4.1' >"$T/out"
grep -q '^root        directory 10.0.2.2:/srv/root over NFSv4.1$' "$T/out" || fail "readable form: $(cat "$T/out")"
ok "a valid line is explained"

# A malformed one: exit 1, one line naming the parameter, nothing on stdout.
rc=0
pxeroot-cmdline root=nfs:10.0.2.2:srv/root >"$T/out" 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "a malformed line exits 1"
assert_eq "pxeroot-cmdline: root=nfs:10.0.2.2:srv/root: the NFS path must be absolute" "$(cat "$T/err")" "the message names the parameter"
[ ! -s "$T/out" ] || fail "output for an invalid line"

# Warnings go to standard error, and -q silences them.
pxeroot-cmdline root=/dev/sda1 netboot=http://10.0.0.1/i.sqfs 2>"$T/err" >/dev/null
grep -q '^pxeroot-cmdline: root=/dev/sda1 ignored: netboot=http://10.0.0.1/i.sqfs names the root$' "$T/err" || fail "warning: $(cat "$T/err")"
pxeroot-cmdline -q root=/dev/sda1 netboot=http://10.0.0.1/i.sqfs 2>"$T/err" >/dev/null
[ ! -s "$T/err" ] || fail "-q still warns"
ok "warnings, and -q"

# The shell form, as /init evaluates it with BusyBox.
line='root=nbd:10.0.2.2:10809/root:squashfs ip=10.0.2.15:10.0.2.2:10.0.2.2:255.255.255.0:c1:eth0:off BOOTIF=01-52-54-00-ab-cd-ef rd.shell rd.break=pre-mount'
pxeroot-cmdline --shell "$line" >"$T/shell"
compare_expected pxeroot-cmdline-shell "$T/shell"
got=$(busybox sh -c '. "$1"; echo "$PX_ROOT $PX_SERVER $PX_PORT $PX_EXPORT $PX_FSTYPE $PX_IP $PX_IP_ADDR/$PX_IP_PREFIX $PX_BOOTIF $PX_ON_FAIL $PX_BREAK"' sh "$T/shell")
assert_eq "nbd 10.0.2.2 10809 root squashfs static 10.0.2.15/24 52:54:00:ab:cd:ef shell pre-mount" "$got" "BusyBox sh evaluates the shell form"
[ "$(grep -c '^PX_[A-Z0-9_]*=' "$T/shell")" = "$(wc -l <"$T/shell")" ] || fail "a line of --shell is not PX_KEY=value"

# The helper in the initramfs prints exactly the same: one parser.
"$helper" cmdline --shell "$line" >"$T/helper"
cmp -s "$T/shell" "$T/helper" || fail "pxeroot-helper cmdline differs from pxeroot-cmdline"
ok "pxeroot-helper cmdline and pxeroot-cmdline agree"

# Baked defaults, overridden parameter by parameter; --file; --root-path.
echo 'root=nbd:10.0.0.1:10809 rd.pxeroot.overlay=tmpfs rd.retry=10' >"$T/defaults"
printf '# a comment\nnetboot=http://10.0.0.2/img.sqfs\nrd.retry=20\n' >"$T/cmdline"
pxeroot-cmdline --shell --defaults "$T/defaults" --file "$T/cmdline" >"$T/shell"
for kv in "PX_ROOT='url'" "PX_URL='http://10.0.0.2/img.sqfs'" "PX_OVERLAY='tmpfs'" "PX_RETRY='20'" "PX_SERVER=''"; do
	grep -qx "$kv" "$T/shell" || fail "defaults: no $kv"
done
ok "defaults are overridden parameter by parameter, the root as a whole"
pxeroot-cmdline --shell --defaults "$T/missing" root=dhcp >/dev/null || fail "a missing defaults file"
ok "a missing defaults file means no defaults"
pxeroot-cmdline --shell --root-only --root-path '/srv/root' root=dhcp >"$T/shell"
grep -qx "PX_ROOT='nfs'" "$T/shell" && grep -qx "PX_PATH='/srv/root'" "$T/shell" &&
	grep -qx "PX_SERVER=''" "$T/shell" || fail "--root-path: $(cat "$T/shell")"
! grep -q '^PX_IP=' "$T/shell" || fail "--root-only printed a network key"
ok "--root-path and --root-only"
expect_exit 1 pxeroot-cmdline --root-path '' root=dhcp

# Lines from real menus: what each means, shown before a client boots.
pxeroot-cmdline 'bond=bond0:eth0,eth1:mode=active-backup,miimon=100 vlan=bond0.100:bond0 ip=bond0.100:dhcp ip=eth2:dhcp root=nbd:10.0.0.1:10809/debian' >"$T/net"
compare_expected pxeroot-cmdline-net "$T/net"
pxeroot-cmdline 'root=/dev/nfs nfsroot=10.0.0.1:/srv/ltsp ltsp.image=images/x86_64.img loop.max_part=9 BOOTIF=01-52-54-00-12-34-56' >"$T/ltsp"
compare_expected pxeroot-cmdline-ltsp "$T/ltsp"
pxeroot-cmdline 'root=/dev/nfs nfsroot=10.0.0.1:/srv/clients/%s rw eth0=10.0.0.20/24 eth1=10.1.0.20/16 bootdev=eth0' >"$T/rw"
compare_expected pxeroot-cmdline-rw "$T/rw"
ok "bond, VLAN, LTSP, rw and several interfaces are explained"

# The shell form of the virtual interfaces, as /init evaluates it.
pxeroot-cmdline --shell 'bridge=br0:eth0,eth1 ifname=lan0:52:54:00:12:34:56 ip=br0:dhcp ip=lan0:dhcp bootdev=br0' >"$T/shell"
got=$(busybox sh -c '. "$1"; echo "$PX_BRIDGE|$PX_IFNAME|$PX_IP_DEV|$PX_IP_MORE|$PX_IP_WHY"' sh "$T/shell")
assert_eq "br0:eth0,eth1|lan0=52:54:00:12:34:56|br0|lan0:dhcp|bootdev=br0" "$got" "--shell gives /init the bridge, the rename and both interfaces"

# Refused: one line naming the parameter, exit 1.
for p in team=team0:eth0,eth1 rd.route=10.1.0.0/16:10.0.0.1 rd.iscsi.initiator=iqn.x root=nbd:10.0.0.1:10809:debian; do
	rc=0
	pxeroot-cmdline "$p" >/dev/null 2>"$T/err" || rc=$?
	assert_eq 1 "$rc" "$p is refused"
	[ "$(wc -l <"$T/err")" = 1 ] && grep -q "^pxeroot-cmdline: $p: " "$T/err" ||
		fail "$p: not one line naming it: $(cat "$T/err")"
done
ok "unimplemented dracut parameters and unknown file system types are refused"
