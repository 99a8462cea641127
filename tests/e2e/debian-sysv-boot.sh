#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A Debian 12 tree with SysV init (sysvinit-core, ifupdown, dhclient; built by
# debootstrap, cached), with the files a disk install leaves (fstab with the
# root and swap by UUID= and a CD-ROM, ifupdown bringing eth0 up by DHCP, a
# resume device, a host name), prepared by mkbootready and booted by two
# clients at once, one over NFS and one over NBD: see sysv_boot_test in
# lib-debian.sh.
# timeout: 1200
# Two TCG guests at once on a loaded machine take minutes to boot.
DEBIAN_BOOT_TIMEOUT=${DEBIAN_BOOT_TIMEOUT:-900}
. "$(dirname "$0")/lib-debian.sh"
sysv_boot_test sysvinit "$DEBIAN_SYSV_PACKAGES" disk
