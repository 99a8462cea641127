# SPDX-License-Identifier: GPL-2.0-or-later
#
# The one build of pxeroot. Each part of the tree describes itself in a
# module.mk that this file includes; nothing here needs editing to add a
# program, a static initramfs helper, a unit test or a man page.
#
#   make                 build everything into build/
#   make check           build, then run every test (tests/run)
#   make check SANITIZE=1  the same under ASan+UBSan, in build-asan/
#   make asan            shorthand for the line above
#   make install PREFIX=/usr DESTDIR=/tmp/stage
#   make format-check    clang-format, as CI runs it

# The version is said once, in debian/changelog's top entry (a native
# package: no Debian revision), and read from there by this build and by
# dpkg-buildpackage alike.
VERSION := $(shell sed -n '1s/^[^ ]* [(]\([^ ]*\)[)] .*/\1/p' debian/changelog)
$(if $(VERSION),,$(error cannot read the version from debian/changelog))

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/lib/pxeroot
DATADIR ?= $(PREFIX)/share/pxeroot
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DOCDIR ?= $(PREFIX)/share/doc/pxeroot
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Under /usr, where systemd looks (/lib/systemd/system on Debian 12); else
# under PREFIX, for a systemd that is told to look there.
SYSTEMDUNITDIR ?= $(if $(filter /usr,$(PREFIX)),$(or $(shell pkg-config \
	--variable=systemdsystemunitdir systemd 2>/dev/null),/usr/lib/systemd/system),$(PREFIX)/lib/systemd/system)
DESTDIR ?=

ifeq ($(SANITIZE),1)
O ?= build-asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
O ?= build
SAN_FLAGS :=
endif

CFLAGS ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2 \
	-Wmissing-prototypes -Wstrict-prototypes -Wvla
BASE_CPPFLAGS := -D_GNU_SOURCE -DPXEROOT_VERSION='"$(VERSION)"' \
	-DPXEROOT_DATADIR='"$(DATADIR)"' -DPXEROOT_LIBEXECDIR='"$(LIBEXECDIR)"' \
	-DPXEROOT_SYSCONFDIR='"$(SYSCONFDIR)"' -Ilib/basic -Ilib
ALL_CFLAGS = -std=gnu11 $(WARNFLAGS) $(SAN_FLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)
PKG_CONFIG ?= pkg-config

# The installation paths compiled into the programs and written into the
# units: a build with other paths (make PREFIX=/usr after make) rebuilds what
# holds them. The file changes only when the paths do.
PATHS_STAMP := $(O)/.paths
PATHS_LINE := $(VERSION) $(BINDIR) $(SBINDIR) $(LIBEXECDIR) $(DATADIR) $(SYSCONFDIR)
ifneq ($(PATHS_LINE),$(shell cat $(PATHS_STAMP) 2>/dev/null))
$(shell mkdir -p $(O) && echo '$(PATHS_LINE)' >$(PATHS_STAMP))
endif

# Filled in by the module.mk files.
PROGRAMS :=
UNIT_TESTS :=
MANPAGES :=
EXTRA_TARGETS :=
INSTALL_TARGETS :=
CLEAN_FILES :=

.DEFAULT_GOAL := all

# lib/basic/: needs nothing but libc (the static initramfs helper links all of
# it); lib/: code shared by programs that may need other libraries.
BASIC_SRCS := $(wildcard lib/basic/*.c)
LIB_SRCS := $(wildcard lib/*.c) $(BASIC_SRCS)
LIB_A := $(O)/libpxeroot.a

include $(sort $(wildcard */module.mk */*/module.mk))

# pkg-config flags, asked once per package set.
pkg_cflags = $(if $(1),$(shell $(PKG_CONFIG) --cflags $(1)))
pkg_libs = $(if $(1),$(shell $(PKG_CONFIG) --libs $(1)))

all: $(addprefix $(O)/,$(PROGRAMS)) $(EXTRA_TARGETS) man
.PHONY: all

$(O)/%.o: %.c $(PATHS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(ALL_CFLAGS) $(OBJ_CFLAGS_$(dir $<)) -MMD -MP -c -o $@ $<

$(LIB_A): $(patsubst %.c,$(O)/%.o,$(LIB_SRCS))
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# A program: NAME_SRCS, NAME_PKGS (pkg-config names), NAME_LDLIBS.
define PROGRAM_template
$(O)/$(1): $$(patsubst %.c,$(O)/%.o,$$($(1)_SRCS)) $(LIB_A)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) -o $$@ $$^ $$(call pkg_libs,$$($(1)_PKGS)) $$($(1)_LDLIBS)
$$(patsubst %.c,$(O)/%.o,$$($(1)_SRCS)): CPPFLAGS += $$(call pkg_cflags,$$($(1)_PKGS))
endef
$(foreach p,$(PROGRAMS),$(eval $(call PROGRAM_template,$(p))))

# A unit test: NAME_SRCS (the test and the modules it covers), NAME_PKGS, NAME_LDLIBS.
define UNIT_template
$(O)/tests/$(1): $$(patsubst %.c,$(O)/%.o,$$($(1)_SRCS)) $(LIB_A)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) -o $$@ $$^ $$(call pkg_libs,$$($(1)_PKGS)) $$($(1)_LDLIBS)
$$(patsubst %.c,$(O)/%.o,$$($(1)_SRCS)): CPPFLAGS += $$(call pkg_cflags,$$($(1)_PKGS)) -Itests/unit
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call UNIT_template,$(t))))

unit-tests: $(addprefix $(O)/tests/,$(UNIT_TESTS))
.PHONY: unit-tests

# A libFuzzer target (clang, ASan, UBSan): tests/fuzz/NAME.c with NAME_FUZZ_SRCS
# (the code it drives), NAME_FUZZ_PKGS, NAME_FUZZ_CPPFLAGS, NAME_FUZZ_LDLIBS;
# lib/basic and lib/ini.c come with every target. `make fuzz` runs each for
# FUZZ_TIME seconds from tests/fuzz/seeds.sh's corpus, kept in
# $(O)/fuzz/corpus-NAME; `make fuzz FUZZ_TARGETS=NAME` runs one.
FUZZ_CC ?= clang
FUZZ_TIME ?= 300
FUZZ_FLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all $(BASE_CPPFLAGS)
FUZZ_LIB_SRCS := $(BASIC_SRCS) lib/ini.c
define FUZZ_template
$(O)/fuzz/$(1): tests/fuzz/$(1).c $$($(1)_FUZZ_SRCS) $(FUZZ_LIB_SRCS) \
		$$(wildcard lib/*.h lib/basic/*.h $$(addsuffix /*.h,$$(sort $$(dir $$($(1)_FUZZ_SRCS)))))
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_FLAGS) $$($(1)_FUZZ_CPPFLAGS) $$(call pkg_cflags,$$($(1)_FUZZ_PKGS)) \
		-o $$@ $$(filter %.c,$$^) $$(call pkg_libs,$$($(1)_FUZZ_PKGS)) $$($(1)_FUZZ_LDLIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_template,$(t))))

fuzz-build: $(addprefix $(O)/fuzz/,$(FUZZ_TARGETS))
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(O)/fuzz/corpus-$$t; \
		tests/fuzz/seeds.sh $$t $(O)/fuzz/corpus-$$t; \
		echo "fuzz: $$t for $(FUZZ_TIME)s"; \
		$(O)/fuzz/$$t -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
			$(O)/fuzz/corpus-$$t || exit 1; \
	done
.PHONY: fuzz fuzz-build

# Man pages from scdoc sources: doc/NAME.SECTION.scd -> $(O)/doc/NAME.SECTION
MANPAGES += $(patsubst doc/%.scd,%,$(wildcard doc/*.scd))
SCDOC := $(shell command -v scdoc 2>/dev/null)
ifneq ($(SCDOC),)
man: $(addprefix $(O)/doc/,$(MANPAGES))
else
man:
	@echo "warning: scdoc not found, man pages not built (scripts/install-deps build)" >&2
endif
$(O)/doc/%: doc/%.scd
	@mkdir -p $(@D)
	$(SCDOC) < $< > $@.tmp && mv $@.tmp $@
.PHONY: man

# Every test: unit tests, integration tests, end-to-end boots.
# STRICT=1 turns a skipped test into a failure (CI has everything installed).
# J=N runs N tests at a time; TESTS="name ..." picks some.
check: all unit-tests
	PXEROOT_BUILD=$(abspath $(O)) PXEROOT_STRICT=$(STRICT) tests/run $(if $(J),-j $(J)) $(TESTS)
.PHONY: check

asan:
	$(MAKE) SANITIZE=1 check
.PHONY: asan

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format-check:
	@clang-format --dry-run --Werror $(FORMAT_SRCS) && echo "format-check: $(words $(FORMAT_SRCS)) files clean"
format:
	clang-format -i $(FORMAT_SRCS)
.PHONY: format-check format

# Programs install into BINDIR unless their module.mk sets NAME_INSTALLDIR.
install: all $(INSTALL_TARGETS)
	@$(foreach p,$(PROGRAMS),install -Dm755 $(O)/$(p) $(DESTDIR)$(or $($(p)_INSTALLDIR),$(BINDIR))/$(notdir $(p)) && echo "install $(notdir $(p))" &&) true
	@for m in $(MANPAGES); do \
		[ -f $(O)/doc/$$m ] || continue; \
		s=$${m##*.}; install -Dm644 $(O)/doc/$$m $(DESTDIR)$(MANDIR)/man$$s/$$m; \
	done
.PHONY: install

clean:
	rm -rf build build-asan $(CLEAN_FILES)
.PHONY: clean

print-%:
	@echo '$($*)'

$(INITRD_HELPER_OBJS): $(PATHS_STAMP)

-include $(shell find $(O) -name '*.d' 2>/dev/null)
