# SPDX-License-Identifier: GPL-2.0-or-later
# nbd/: nbdexport, the NBD export server.
PROGRAMS += nbdexport
NBD_CORE_SRCS := nbd/config.c nbd/export.c nbd/outq.c nbd/handshake.c \
	nbd/transmission.c nbd/cow.c nbd/listen.c
nbdexport_SRCS := nbd/main.c nbd/server.c nbd/tls.c $(NBD_CORE_SRCS)
nbdexport_PKGS := gnutls blkid
nbdexport_LDLIBS := -lpthread
nbdexport_INSTALLDIR = $(SBINDIR)

UNIT_TESTS += test-nbd-config test-nbd-protocol
test-nbd-config_SRCS := tests/unit/test-nbd-config.c nbd/config.c nbd/listen.c
test-nbd-protocol_SRCS := tests/unit/test-nbd-protocol.c $(NBD_CORE_SRCS)
test-nbd-protocol_PKGS := blkid
test-nbd-protocol_LDLIBS := -lpthread
$(O)/tests/unit/test-nbd-config.o $(O)/tests/unit/test-nbd-protocol.o: CPPFLAGS += -Inbd
