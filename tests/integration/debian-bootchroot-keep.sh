#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bootchroot-keep on the cached Debian 12 tree (debootstrap): its real
# preparation and its own /bin/sh.
# timeout: 900
DEBIAN=1 exec bash "$(dirname "$0")/bootchroot-keep.sh"
