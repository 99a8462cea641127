# SPDX-License-Identifier: GPL-2.0-or-later
# nbd/: nbdexport, the NBD export server.
PROGRAMS += nbdexport
NBD_CORE_SRCS := nbd/config.c nbd/export.c nbd/identity.c nbd/outq.c nbd/handshake.c \
	nbd/transmission.c nbd/cow.c nbd/listen.c
nbdexport_SRCS := nbd/main.c nbd/server.c nbd/connection.c nbd/loop.c nbd/drain.c nbd/reload.c nbd/status.c nbd/tls.c nbd/daemon.c $(NBD_CORE_SRCS)
nbdexport_PKGS := gnutls blkid
nbdexport_LDLIBS := -lpthread
nbdexport_INSTALLDIR = $(SBINDIR)

UNIT_TESTS += test-nbd-config test-nbd-protocol test-nbd-status
test-nbd-status_SRCS := tests/unit/test-nbd-status.c nbd/status.c $(NBD_CORE_SRCS)
test-nbd-status_PKGS := blkid
test-nbd-status_LDLIBS := -lpthread
test-nbd-config_SRCS := tests/unit/test-nbd-config.c nbd/config.c nbd/listen.c
test-nbd-protocol_SRCS := tests/unit/test-nbd-protocol.c $(NBD_CORE_SRCS)
test-nbd-protocol_PKGS := blkid
test-nbd-protocol_LDLIBS := -lpthread
$(O)/tests/unit/test-nbd-config.o $(O)/tests/unit/test-nbd-protocol.o \
	$(O)/tests/unit/test-nbd-status.o: CPPFLAGS += -Inbd

# Fuzzing (clang, libFuzzer): `make fuzz` runs each target for FUZZ_TIME
# seconds with a corpus kept in $(O)/fuzz/corpus-*; tests/integration/
# nbdexport-fuzz.sh builds them with `make fuzz-build` and runs them briefly.
FUZZ_TARGETS := fuzz-handshake fuzz-transmission
FUZZ_CC ?= clang
FUZZ_TIME ?= 300
FUZZ_FLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -D_GNU_SOURCE -Ilib/basic -Ilib -Inbd
FUZZ_LIB_SRCS := $(BASIC_SRCS) lib/ini.c

$(O)/fuzz/%: tests/fuzz/%.c $(NBD_CORE_SRCS) $(FUZZ_LIB_SRCS) \
		$(wildcard nbd/*.h lib/*.h lib/basic/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(call pkg_cflags,blkid) -o $@ $(filter %.c,$^) \
		$(call pkg_libs,blkid) -lpthread

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
