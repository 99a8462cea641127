# SPDX-License-Identifier: GPL-2.0-or-later
# bootchroot: maintain a client tree in private namespaces, publish its image.
PROGRAMS += bootchroot
bootchroot_SRCS := tools/bootchroot/main.c tools/bootchroot/chroot.c \
	tools/bootchroot/image.c tools/bootchroot/prune.c \
	tools/bootchroot/copy.c tools/bootchroot/maintain.c \
	tools/bootchroot/policy.c
bootchroot_PKGS := libnfsidmap
bootchroot_INSTALLDIR = $(SBINDIR)
