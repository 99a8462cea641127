# SPDX-License-Identifier: GPL-2.0-or-later
#
# initrd/: what runs inside the initramfs. `make` stages it as a skeleton tree
# in $(O)/initrd/skel/ that mkbootimage copies verbatim (doc/initramfs.md):
#   init                       /init, POSIX sh for BusyBox ash
#   lib/pxeroot/*.sh           its shell libraries and the udhcpc script
#   sbin/pxeroot-helper        static multi-call helper (command line, NFS mount,
#                              NBD attach and reconnect, file system probe)
# and builds pxeroot-cmdline, the same command line parser for administrators.

# The parser (cmdline-internal.h says what each part holds) and its front end.
CMDLINE_SRCS := initrd/cmdline.c initrd/cmdline-lex.c initrd/cmdline-check.c \
	initrd/cmdline-root.c initrd/cmdline-net.c initrd/cmdline-text.c \
	initrd/cmdline-links.c

PROGRAMS += pxeroot-cmdline
pxeroot-cmdline_SRCS := initrd/pxeroot-cmdline.c initrd/cmdline-main.c $(CMDLINE_SRCS)

UNIT_TESTS += test-cmdline test-helper-fetch test-helper-verity
test-cmdline_SRCS := tests/unit/test-cmdline.c $(CMDLINE_SRCS)
test-helper-fetch_SRCS := tests/unit/test-helper-fetch.c initrd/helper/fetch.c \
	initrd/helper/net.c
test-helper-verity_SRCS := tests/unit/test-helper-verity.c initrd/helper/verity.c
$(O)/tests/unit/test-helper-fetch.o $(O)/tests/unit/test-helper-verity.o: CPPFLAGS += -Iinitrd/helper

# libFuzzer targets for what the client reads from the network (the
# FUZZ_template in the Makefile); tests/integration/initrd-fuzz.sh runs them.
FUZZ_TARGETS += fuzz-cmdline fuzz-root-path fuzz-http fuzz-nbd-client fuzz-probe \
	fuzz-verity-sb
fuzz-cmdline_FUZZ_SRCS := $(CMDLINE_SRCS)
fuzz-cmdline_FUZZ_CPPFLAGS := -Iinitrd
fuzz-root-path_FUZZ_SRCS := $(CMDLINE_SRCS)
fuzz-root-path_FUZZ_CPPFLAGS := -Iinitrd
fuzz-http_FUZZ_SRCS := initrd/helper/fetch.c initrd/helper/net.c
fuzz-http_FUZZ_CPPFLAGS := -Iinitrd/helper
fuzz-nbd-client_FUZZ_SRCS := initrd/helper/nbd.c initrd/helper/net.c initrd/helper/netlink.c
fuzz-nbd-client_FUZZ_CPPFLAGS := -Iinitrd/helper
fuzz-probe_FUZZ_SRCS := initrd/helper/probe.c
fuzz-probe_FUZZ_CPPFLAGS := -Iinitrd/helper
fuzz-verity-sb_FUZZ_SRCS := initrd/helper/verity.c
fuzz-verity-sb_FUZZ_CPPFLAGS := -Iinitrd/helper

# The DHCPv6 client's messages (the helper's only module that reads the network).
UNIT_TESTS += test-dhcp6
test-dhcp6_SRCS := tests/unit/test-dhcp6.c initrd/helper/dhcp6-msg.c

# The helper runs before any library exists: static, musl when available (a
# tenth of glibc's size), glibc -static otherwise. musl ships no kernel
# headers, so a directory of links to the host's linux/ and asm/ headers is
# put on its include path and nothing else from glibc.
INITRD_STATIC_CC ?= $(shell command -v musl-gcc >/dev/null 2>&1 && echo musl-gcc || echo '$(CC)')
INITRD_MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
INITRD_KHDR := $(O)/initrd/kheaders
INITRD_STATIC_CFLAGS := -Os -g0 -ffunction-sections -fdata-sections
INITRD_STATIC_LDFLAGS := -static -Wl,--gc-sections -s
ifeq ($(findstring musl,$(INITRD_STATIC_CC)),musl)
INITRD_STATIC_CPPFLAGS := -idirafter $(INITRD_KHDR)
else
INITRD_STATIC_CPPFLAGS :=
endif

# The whole basic layer: --gc-sections drops what the helper does not call.
INITRD_HELPER_SRCS := $(wildcard initrd/helper/*.c) $(CMDLINE_SRCS) initrd/cmdline-main.c \
	$(BASIC_SRCS)
INITRD_HELPER_OBJS := $(patsubst %.c,$(O)/initrd/static/%.o,$(INITRD_HELPER_SRCS))
INITRD_HELPER := $(O)/initrd/skel/sbin/pxeroot-helper

INITRD_SCRIPTS := $(notdir $(wildcard initrd/scripts/*))
INITRD_SKEL := $(O)/initrd/skel/init $(addprefix $(O)/initrd/skel/lib/pxeroot/,$(INITRD_SCRIPTS)) \
	$(INITRD_HELPER)

EXTRA_TARGETS += $(INITRD_SKEL)
INSTALL_TARGETS += install-initrd

$(INITRD_KHDR)/.stamp:
	@mkdir -p $(@D)
	ln -sfn /usr/include/linux $(@D)/linux
	ln -sfn /usr/include/asm-generic $(@D)/asm-generic
	ln -sfn $(if $(wildcard /usr/include/$(INITRD_MULTIARCH)/asm),/usr/include/$(INITRD_MULTIARCH)/asm,/usr/include/asm) $(@D)/asm
	touch $@

$(O)/initrd/static/%.o: %.c $(INITRD_KHDR)/.stamp
	@mkdir -p $(@D)
	$(INITRD_STATIC_CC) $(BASE_CPPFLAGS) -Iinitrd $(INITRD_STATIC_CPPFLAGS) -std=gnu11 \
		$(WARNFLAGS) $(INITRD_STATIC_CFLAGS) -MMD -MP -c -o $@ $<

$(INITRD_HELPER): $(INITRD_HELPER_OBJS)
	@mkdir -p $(@D)
	$(INITRD_STATIC_CC) $(INITRD_STATIC_LDFLAGS) -o $@ $^

$(O)/initrd/skel/init: initrd/init
	install -D -m 0755 $< $@

$(O)/initrd/skel/lib/pxeroot/%: initrd/scripts/%
	install -D -m $(if $(filter %.script,$<),0755,0644) $< $@

install-initrd: $(INITRD_SKEL)
	install -D -m 0755 $(O)/initrd/skel/init $(DESTDIR)$(LIBEXECDIR)/initrd/skel/init
	install -D -m 0755 $(INITRD_HELPER) $(DESTDIR)$(LIBEXECDIR)/initrd/skel/sbin/pxeroot-helper
	for f in $(INITRD_SCRIPTS); do \
		install -D -m $$(case $$f in *.script) echo 0755;; *) echo 0644;; esac) \
			$(O)/initrd/skel/lib/pxeroot/$$f \
			$(DESTDIR)$(LIBEXECDIR)/initrd/skel/lib/pxeroot/$$f || exit 1; \
	done
.PHONY: install-initrd
