# SPDX-License-Identifier: GPL-2.0-or-later
# lib/: code shared by two or more programs, linked as $(O)/libpxeroot.a.
UNIT_TESTS += test-util
test-util_SRCS := tests/unit/test-util.c
UNIT_TESTS += test-rootdir
test-rootdir_SRCS := tests/unit/test-rootdir.c
UNIT_TESTS += test-hash
test-hash_SRCS := tests/unit/test-hash.c
UNIT_TESTS += test-ini
test-ini_SRCS := tests/unit/test-ini.c
