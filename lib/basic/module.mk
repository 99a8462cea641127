# SPDX-License-Identifier: GPL-2.0-or-later
# lib/basic/: what every program and the static initramfs helper build on, with
# nothing but libc: logging, full reads and writes, number parsing, string
# vectors and buffers, growable arrays, big-endian access, hashes, cleanup
# attributes. One unit test per module.
UNIT_TESTS += test-util test-hash test-strv test-strbuf test-vector test-unaligned
test-util_SRCS := tests/unit/test-util.c
test-hash_SRCS := tests/unit/test-hash.c
test-strv_SRCS := tests/unit/test-strv.c
test-strbuf_SRCS := tests/unit/test-strbuf.c
test-vector_SRCS := tests/unit/test-vector.c
test-unaligned_SRCS := tests/unit/test-unaligned.c
