#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mkbootready finds a Debian tree's init from /sbin/init: a link to systemd,
# SysV init (a program of its own), OpenRC under SysV init (/etc/init.d/rcS
# runs openrc); it says which, refuses an init the profile does not list, and
# prepares each as pxeroot-profile(5) says: under SysV init, client-setup runs
# from /etc/inittab ahead of rcS and dhclient as a respawn entry; under OpenRC
# the lease keeper is an OpenRC service; /etc/hostname says "localhost" (mode
# 0644); halt keeps the network up; the resume device is none. A second run
# changes nothing and --undo restores each tree byte for byte. (The QEMU boots
# of real trees: tests/e2e/debian-sysv-boot.sh, debian-openrc-boot.sh.)
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/lib-bootready.sh"
requires_root

# sysv_fixture DIR: the Debian fixture with SysV init's files.
sysv_fixture() {
	local d=$1
	fixture debian "$d"
	mkdir -p "$d/sbin" "$d/usr/sbin" "$d/etc/init.d" "$d/etc/default" "$d/lib/init" \
		"$d/etc/initramfs-tools/conf.d"
	printf '\177ELF sysvinit\n' >"$d/sbin/init"
	chmod 0755 "$d/sbin/init"
	printf '#!/bin/sh\nexit 0\n' >"$d/usr/sbin/dhclient"
	chmod 0755 "$d/usr/sbin/dhclient"
	cat >"$d/etc/inittab" <<-'EOF'
		# /etc/inittab: init(8) configuration.
		id:2:initdefault:
		si::sysinit:/etc/init.d/rcS
		l0:0:wait:/etc/init.d/rc 0
		l2:2:wait:/etc/init.d/rc 2
		1:2345:respawn:/sbin/getty --noclear 38400 tty1
	EOF
	printf '#!/bin/sh\nhalt -d -f $netdown\n' >"$d/etc/init.d/halt"
	printf '#!/bin/sh\nexec /etc/init.d/rc S\n' >"$d/etc/init.d/rcS"
	chmod 0755 "$d/etc/init.d/halt" "$d/etc/init.d/rcS"
	printf 'HALT=poweroff\n\n# Bring networking down.\nNETDOWN=yes\n' >"$d/etc/default/halt"
	echo '# mount functions' >"$d/lib/init/mount-functions.sh"
	echo 'RESUME=UUID=5e4b6c1a-77d2-4a8e-8f0e-2b9d3c4e5f60' >"$d/etc/initramfs-tools/conf.d/resume"
	echo installed-host >"$d/etc/hostname"
	# An optical drive mounted at boot (not noauto), besides the fixture's.
	echo '/dev/cdrom /mnt/cd iso9660 ro 0 0' >>"$d/etc/fstab"
	chmod 0755 "$d/etc/hostname"
}

# check_twice_and_undo NAME TREE ORIG-LISTING
check_twice_and_undo() {
	mkbootready -q --idmap-domain example.org --check "$2" || fail "$1: not ready after mkbootready"
	tree_listing "$2" >"$T/$1.p1"
	mkbootready --idmap-domain example.org "$2" | grep -q "nothing to change" ||
		fail "$1: a second run changed something"
	tree_listing "$2" >"$T/$1.p2"
	cmp -s "$T/$1.p1" "$T/$1.p2" || fail "$1: the second run changed the tree"
	mkbootready -q --undo "$2"
	tree_listing "$2" >"$T/$1.undone"
	diff -u "$3" "$T/$1.undone" || fail "$1: --undo did not restore the tree"
	ok "$1: ready, a second run changes nothing, --undo restores the tree byte for byte"
}

# SysV init.
tree=$T/sysv
sysv_fixture "$tree"
tree_listing "$tree" >"$T/sysv.orig"
mkbootready --idmap-domain example.org "$tree" >"$T/sysv.out"
head -n 1 "$T/sysv.out" | grep -qx 'profile: debian (init: sysvinit, lease keeper: dhclient)' ||
	fail "sysv: $(head -n 1 "$T/sysv.out")"
ok "sysv: '$(head -n 1 "$T/sysv.out")'"
grep -v '^#' "$tree/etc/inittab" >"$T/sysv.inittab"
cat >"$T/sysv.inittab.want" <<-'EOF'
	id:2:initdefault:
	pxc::sysinit:/usr/lib/pxeroot/client-setup sysinit
	si::sysinit:/etc/init.d/rcS
	l0:0:wait:/etc/init.d/rc 0
	l2:2:wait:/etc/init.d/rc 2
	1:2345:respawn:/sbin/getty --noclear 38400 tty1
	pxl:2345:respawn:/usr/lib/pxeroot/client-setup lease
EOF
diff -u "$T/sysv.inittab.want" "$T/sysv.inittab" || fail "sysv: /etc/inittab"
ok "sysv: /etc/inittab runs client-setup before rcS and the lease keeper in runlevels 2-5"
[ "$(stat -c '%a' "$tree/etc/hostname")" = 644 ] && [ "$(cat "$tree/etc/hostname")" = localhost ] ||
	fail "sysv: /etc/hostname is $(stat -c '%a' "$tree/etc/hostname") '$(cat "$tree/etc/hostname")'"
grep -qx 'NETDOWN=no' "$tree/etc/default/halt" && ! grep -q 'NETDOWN=yes' "$tree/etc/default/halt" ||
	fail "sysv: $(cat "$tree/etc/default/halt")"
[ "$(readlink "$tree/etc/mtab")" = /proc/mounts ] || fail "sysv: /etc/mtab -> $(readlink "$tree/etc/mtab")"
grep -qx 'RESUME=none' "$tree/etc/initramfs-tools/conf.d/resume" || fail "sysv: resume"
grep -qx '#pxeroot# /dev/cdrom /mnt/cd iso9660 ro 0 0' "$tree/etc/fstab" &&
	grep -q '^/dev/sr0 .*noauto' "$tree/etc/fstab" || fail "sysv: CD-ROM lines of fstab: $(cat "$tree/etc/fstab")"
ok "sysv: an optical drive mounted at boot is commented out of fstab, a noauto one stays"
grep -qx 'INIT=sysvinit' "$tree/etc/pxeroot/client.conf" || fail "sysv: client.conf"
[ ! -e "$tree/etc/systemd/system/pxeroot-client.service" ] || fail "sysv: systemd units installed"
ok "sysv: /etc/hostname 'localhost' 0644, NETDOWN=no, /etc/mtab -> /proc/mounts, RESUME=none, no systemd unit"
check_twice_and_undo sysv "$tree" "$T/sysv.orig"

# OpenRC under SysV init (Debian's openrc package).
tree=$T/openrc
sysv_fixture "$tree"
printf '#!/bin/sh\n# Wrapper of OpenRC called from inittab\nexec /sbin/openrc sysinit\n' >"$tree/etc/init.d/rcS"
mkdir -p "$tree/etc/runlevels/default" "$tree/etc/runlevels/sysinit"
tree_listing "$tree" >"$T/openrc.orig"
mkbootready --idmap-domain example.org "$tree" >"$T/openrc.out"
head -n 1 "$T/openrc.out" | grep -qx 'profile: debian (init: openrc, lease keeper: dhclient)' ||
	fail "openrc: $(head -n 1 "$T/openrc.out")"
grep -qx 'pxc::sysinit:/usr/lib/pxeroot/client-setup sysinit' "$tree/etc/inittab" || fail "openrc: no pxc entry"
! grep -q '^pxl:' "$tree/etc/inittab" || fail "openrc: the lease keeper is an inittab entry"
[ "$(readlink "$tree/etc/runlevels/default/pxeroot-lease")" = /etc/init.d/pxeroot-lease ] ||
	fail "openrc: pxeroot-lease is not in the default runlevel"
[ ! -e "$tree/etc/conf.d/networking" ] || fail "openrc: /etc/conf.d/networking written for a SysV networking script"
ok "openrc: '$(head -n 1 "$T/openrc.out")'; client-setup from inittab, pxeroot-lease in the default runlevel"
check_twice_and_undo openrc "$tree" "$T/openrc.orig"

# systemd: /sbin/init is a link to it.
tree=$T/systemd
sysv_fixture "$tree"
mkdir -p "$tree/lib/systemd"
printf '\177ELF systemd\n' >"$tree/lib/systemd/systemd"
ln -sf ../lib/systemd/systemd "$tree/sbin/init"
mkbootready -n --idmap-domain example.org "$tree" >"$T/systemd.out"
head -n 1 "$T/systemd.out" | grep -q '(init: systemd, ' || fail "systemd: $(head -n 1 "$T/systemd.out")"
ok "systemd: /sbin/init -> ../lib/systemd/systemd is systemd"

# An init the profile does not list.
tree=$T/refused
sysv_fixture "$tree"
expect_exit 1 mkbootready -q -p arch "$tree"
mkbootready -q -p arch "$tree" >"$T/refused.out" 2>&1 || true
grep -q "the tree's init is sysvinit (/sbin/init is /sbin/init), which profile arch does not handle" \
	"$T/refused.out" || fail "refused: $(cat "$T/refused.out")"
ok "a SysV init tree with a systemd-only profile is refused: $(cat "$T/refused.out")"

# An init mkbootready does not know (runit here): refused in one line naming
# it, nothing changed; with --profile, prepared as that profile's init, with
# a warning that says so.
tree=$T/runit
sysv_fixture "$tree"
printf '\177ELF runit-init\n' >"$tree/sbin/runit-init"
chmod 0755 "$tree/sbin/runit-init"
ln -sf runit-init "$tree/sbin/init"
tree_listing "$tree" >"$T/runit.orig"
expect_exit 1 mkbootready --idmap-domain example.org "$tree" >"$T/runit.out" 2>&1
[ "$(wc -l <"$T/runit.out")" = 1 ] &&
	grep -qx "mkbootready: the tree's init is /sbin/runit-init, not one mkbootready knows (systemd, sysvinit, openrc): give --profile to prepare it as that profile's init" "$T/runit.out" ||
	fail "runit: $(cat "$T/runit.out")"
tree_listing "$tree" >"$T/runit.after"
cmp -s "$T/runit.orig" "$T/runit.after" || fail "runit: the refused run changed the tree"
mkbootready -n -p debian --idmap-domain example.org "$tree" >"$T/runit.out" 2>"$T/runit.err" ||
	fail "runit with --profile debian: $(cat "$T/runit.err")"
grep -q "^mkbootready: the tree's init is /sbin/runit-init, not one mkbootready knows: preparing it as profile debian's systemd$" "$T/runit.err" ||
	fail "runit with --profile: no warning: $(cat "$T/runit.err")"
ok "an unknown init (runit) is refused in one line naming it; --profile prepares it with a warning"
