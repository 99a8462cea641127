# SPDX-License-Identifier: GPL-2.0-or-later
# pxeroot-verity: an image with its dm-verity hash tree appended, for
# rd.pxeroot.verity= (lib/verity.c, shared with bootchroot --verity).
PROGRAMS += pxeroot-verity
pxeroot-verity_SRCS := tools/pxeroot-verity/main.c
