#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# debian-mkbootready's checks on a Debian 13 (trixie) tree: prepared as the
# profile says, a second run changes nothing, --undo restores it byte for byte,
# SSH host keys under a read-only /etc, a root password set through bootchroot.
# timeout: 900
DEBIAN_RELEASE=trixie
. "$(dirname "$0")/debian-mkbootready.sh"
