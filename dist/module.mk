# SPDX-License-Identifier: GPL-2.0-or-later
#
# dist/: what an installed pxeroot needs besides programs and man pages:
#   systemd/*.in          units for nbdexport (socket activation) and pxebootsrv
#   bash-completion/      completion for every program: common.bash, shared,
#                         is put in front of each NAME.bash as $(O)/completions/NAME
# The @SBINDIR@-style names in them are replaced with this build's paths.

DIST_UNITS := $(patsubst dist/systemd/%.in,$(O)/systemd/%,$(wildcard dist/systemd/*.in))
DIST_COMPLETIONS := $(patsubst dist/bash-completion/%.bash,$(O)/completions/%,\
	$(filter-out dist/bash-completion/common.bash,$(wildcard dist/bash-completion/*.bash)))
EXTRA_TARGETS += $(DIST_UNITS) $(DIST_COMPLETIONS)
INSTALL_TARGETS += install-dist

DIST_SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
	-e 's|@DATADIR@|$(DATADIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

$(O)/systemd/%: dist/systemd/%.in $(PATHS_STAMP)
	@mkdir -p $(@D)
	$(DIST_SUBST) $< >$@.tmp && mv $@.tmp $@

$(O)/completions/%: dist/bash-completion/common.bash dist/bash-completion/%.bash $(PATHS_STAMP)
	@mkdir -p $(@D)
	cat $(filter %.bash,$^) | $(DIST_SUBST) >$@.tmp && mv $@.tmp $@

# Documentation for administrators: the README (the man pages are installed
# by the top Makefile).
DIST_DOCS := README.md

install-dist: $(DIST_UNITS) $(DIST_COMPLETIONS)
	@for f in $(DIST_UNITS); do \
		install -Dm644 $$f $(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/} || exit 1; done
	@for f in $(DIST_COMPLETIONS); do \
		install -Dm644 $$f $(DESTDIR)$(BASHCOMPDIR)/$${f##*/} || exit 1; done
	@for f in $(DIST_DOCS); do \
		install -Dm644 $$f $(DESTDIR)$(DOCDIR)/$${f##*/} || exit 1; done
.PHONY: install-dist
