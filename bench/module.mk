# SPDX-License-Identifier: GPL-2.0-or-later
# bench/: nbdreplay, the NBD part of bench/fleet.sh's simulated clients. Built
# under $(O)/bench when libnbd's headers are there (scripts/install-deps bench);
# never installed.
ifneq ($(shell $(PKG_CONFIG) --exists libnbd 2>/dev/null && echo y),)
EXTRA_TARGETS += $(O)/bench/nbdreplay
CLEAN_FILES += $(O)/bench/nbdreplay

$(O)/bench/nbdreplay: bench/nbdreplay.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(shell $(PKG_CONFIG) --cflags libnbd) $(ALL_CFLAGS) \
		$(ALL_LDFLAGS) -o $@ $< $(shell $(PKG_CONFIG) --libs libnbd)
endif
