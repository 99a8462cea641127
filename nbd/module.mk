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

# libFuzzer targets (the FUZZ_template in the Makefile): the handshake and the
# request parser; tests/integration/nbdexport-fuzz.sh runs them briefly.
FUZZ_TARGETS += fuzz-handshake fuzz-transmission
fuzz-handshake_FUZZ_SRCS := $(NBD_CORE_SRCS)
fuzz-handshake_FUZZ_PKGS := blkid
fuzz-handshake_FUZZ_CPPFLAGS := -Inbd
fuzz-handshake_FUZZ_LDLIBS := -lpthread
fuzz-transmission_FUZZ_SRCS := $(NBD_CORE_SRCS)
fuzz-transmission_FUZZ_PKGS := blkid
fuzz-transmission_FUZZ_CPPFLAGS := -Inbd
fuzz-transmission_FUZZ_LDLIBS := -lpthread
