# SPDX-License-Identifier: GPL-2.0-or-later
# tests/dhcp/: dhcpprobe, a DHCP client that prints every server's answer, for
# the boot server's tests. Built under $(O)/tests, not installed.
EXTRA_TARGETS += $(O)/tests/dhcpprobe
CLEAN_FILES += $(O)/tests/dhcpprobe

$(O)/tests/dhcpprobe: tests/dhcp/dhcpprobe.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<
