# SPDX-License-Identifier: GPL-2.0-or-later
# mkbootready: prepare a distribution tree for a shared read-only root. Its data
# (the profiles and the files it installs into client trees) is staged into
# $(O)/share so the program finds it when run from the build tree.
PROGRAMS += mkbootready
mkbootready_SRCS := tools/mkbootready/main.c
mkbootready_PKGS := libnfsidmap
mkbootready_INSTALLDIR = $(SBINDIR)

BOOTREADY_CLIENT := $(wildcard data/client/*)
BOOTREADY_PROFILES := $(wildcard data/profiles/*.conf)
BOOTREADY_STAGED := $(patsubst data/client/%,$(O)/share/client/%,$(BOOTREADY_CLIENT)) \
	$(patsubst data/profiles/%,$(O)/share/profiles/%,$(BOOTREADY_PROFILES))
EXTRA_TARGETS += $(BOOTREADY_STAGED)

$(O)/share/client/%: data/client/%
	@mkdir -p $(@D)
	cp $< $@
$(O)/share/profiles/%: data/profiles/%
	@mkdir -p $(@D)
	cp $< $@

# (an explicit rule here would become the default goal otherwise)
# Scripts (#!) are installed executable, the rest read-only.
install-bootready-data:
	@for f in $(BOOTREADY_CLIENT); do \
		m=644; [ "$$(head -c2 $$f)" != '#!' ] || m=755; \
		install -Dm$$m $$f $(DESTDIR)$(DATADIR)/client/$${f##*/} || exit 1; done
	@for f in $(BOOTREADY_PROFILES); do install -Dm644 $$f $(DESTDIR)$(DATADIR)/profiles/$${f##*/}; done
INSTALL_TARGETS += install-bootready-data
.PHONY: install-bootready-data

UNIT_TESTS += test-mkbootready-profile
test-mkbootready-profile_SRCS := tests/unit/test-mkbootready-profile.c
test-mkbootready-profile_PKGS := libnfsidmap
