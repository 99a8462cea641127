# SPDX-License-Identifier: GPL-2.0-or-later
# nbd/: nbdexport, the NBD export server.
PROGRAMS += nbdexport
NBD_CORE_SRCS := nbd/config.c nbd/export.c nbd/outq.c nbd/handshake.c \
	nbd/transmission.c nbd/cow.c nbd/listen.c
nbdexport_SRCS := nbd/main.c nbd/server.c nbd/tls.c $(NBD_CORE_SRCS)
nbdexport_PKGS := gnutls blkid
nbdexport_LDLIBS := -lpthread
nbdexport_INSTALLDIR = $(SBINDIR)
