#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A Debian 12 tree with OpenRC (Debian's openrc package under sysvinit-core's
# /sbin/init, ifupdown, dhclient; built by debootstrap, cached) prepared by
# mkbootready and booted by two clients at once, one over NFS and one over
# NBD: see sysv_boot_test in lib-debian.sh. Each powers off in less than 30 s
# of its own time, as a SysV init client does: OpenRC leaves the boot scripts
# that SysV init never stops running (rc_nostop), and no dependency cache is
# saved into the client's RAM.
# timeout: 1200
# Two TCG guests at once on a loaded machine take minutes to boot.
DEBIAN_BOOT_TIMEOUT=${DEBIAN_BOOT_TIMEOUT:-900}
. "$(dirname "$0")/lib-debian.sh"
sysv_boot_test openrc "$DEBIAN_OPENRC_PACKAGES"
