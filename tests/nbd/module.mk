# SPDX-License-Identifier: GPL-2.0-or-later
# tests/nbd/: NBD test clients. nbdstorm is a test and benchmark tool, built
# under $(O)/tests but not named test-* (it is not a unit test) nor installed.
EXTRA_TARGETS += $(O)/tests/nbdstorm
CLEAN_FILES += $(O)/tests/nbdstorm

$(O)/tests/nbdstorm: tests/nbd/nbdstorm.c lib/basic/nbd-protocol.h lib/basic/unaligned.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

# nbdattach runs inside test guests: static, and never sanitized.
EXTRA_TARGETS += $(O)/tests/nbdattach
CLEAN_FILES += $(O)/tests/nbdattach

$(O)/tests/nbdattach: tests/nbd/nbdattach.c lib/basic/nbd-protocol.h lib/basic/unaligned.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) -std=gnu11 $(WARNFLAGS) $(CFLAGS) -static -o $@ $<
