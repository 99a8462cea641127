#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A Debian 12 tree with OpenRC (Debian's openrc package under sysvinit-core's
# /sbin/init, ifupdown, dhclient; built by debootstrap, cached) prepared by
# mkbootready and booted by two clients at once, one over NFS and one over
# NBD: see sysv_boot_test in lib-debian.sh.
# timeout: 1200
# Two TCG guests at once on a loaded machine take minutes to boot.
DEBIAN_BOOT_TIMEOUT=${DEBIAN_BOOT_TIMEOUT:-900}
. "$(dirname "$0")/lib-debian.sh"
# Debian's OpenRC stops its services one by one: 25-48 s on a loaded machine,
# 68 s once with another boot test beside it. The 30 s a SysV init client
# keeps is not met by OpenRC here; this bound still catches a hang on the
# network root.
SYSV_POWEROFF_MAX=120
sysv_boot_test openrc "$DEBIAN_OPENRC_PACKAGES"
