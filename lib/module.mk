# SPDX-License-Identifier: GPL-2.0-or-later
# lib/: code shared by two or more programs, linked as $(O)/libpxeroot.a with
# lib/basic/ (see lib/basic/module.mk).
UNIT_TESTS += test-rootdir
test-rootdir_SRCS := tests/unit/test-rootdir.c
UNIT_TESTS += test-ini
test-ini_SRCS := tests/unit/test-ini.c
