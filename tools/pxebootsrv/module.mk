# SPDX-License-Identifier: GPL-2.0-or-later
# pxebootsrv: the PXE boot server (dnsmasq, lighttpd, nbdexport) from one file.
PROGRAMS += pxebootsrv
pxebootsrv_SRCS := tools/pxebootsrv/main.c tools/pxebootsrv/config.c \
	tools/pxebootsrv/srcd.c tools/pxebootsrv/render.c \
	tools/pxebootsrv/render-dnsmasq.c tools/pxebootsrv/render-menus.c \
	tools/pxebootsrv/render-servers.c tools/pxebootsrv/commands.c \
	tools/pxebootsrv/place.c tools/pxebootsrv/check.c tools/pxebootsrv/dhcpprobe.c \
	tools/pxebootsrv/install.c tools/pxebootsrv/run.c tools/pxebootsrv/supervise.c
pxebootsrv_INSTALLDIR = $(SBINDIR)

# The configuration parser under libFuzzer (tests/integration/initrd-fuzz.sh).
FUZZ_TARGETS += fuzz-pxebootsrv-config
fuzz-pxebootsrv-config_FUZZ_SRCS := tools/pxebootsrv/config.c tools/pxebootsrv/srcd.c
fuzz-pxebootsrv-config_FUZZ_CPPFLAGS := -Itools/pxebootsrv

UNIT_TESTS += test-pxebootsrv-config
test-pxebootsrv-config_SRCS := tests/unit/test-pxebootsrv-config.c \
	tools/pxebootsrv/config.c tools/pxebootsrv/srcd.c tools/pxebootsrv/render.c \
	tools/pxebootsrv/render-dnsmasq.c tools/pxebootsrv/render-menus.c \
	tools/pxebootsrv/render-servers.c
$(O)/tests/unit/test-pxebootsrv-config.o: CPPFLAGS += -Itools/pxebootsrv
