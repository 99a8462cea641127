# SPDX-License-Identifier: GPL-2.0-or-later
# mkbootimage: the initramfs builder (see doc/mkbootimage.8.scd).
MKBOOTIMAGE_LIB_SRCS := tools/mkbootimage/build.c tools/mkbootimage/busybox.c \
	tools/mkbootimage/compress.c tools/mkbootimage/elfinfo.c tools/mkbootimage/image.c \
	tools/mkbootimage/kmods.c tools/mkbootimage/kmods-depmod.c tools/mkbootimage/kmods-emit.c \
	tools/mkbootimage/kmods-host.c tools/mkbootimage/kostrip.c tools/mkbootimage/libs.c \
	tools/mkbootimage/uki.c
MKBOOTIMAGE_PKGS := libarchive libkmod liblzma liblz4

PROGRAMS += mkbootimage
mkbootimage_SRCS := tools/mkbootimage/main.c $(MKBOOTIMAGE_LIB_SRCS)
mkbootimage_PKGS := $(MKBOOTIMAGE_PKGS)
mkbootimage_INSTALLDIR = $(SBINDIR)

UNIT_TESTS += test-mkbootimage-elf
test-mkbootimage-elf_SRCS := tests/unit/test-mkbootimage-elf.c $(MKBOOTIMAGE_LIB_SRCS)
test-mkbootimage-elf_PKGS := $(MKBOOTIMAGE_PKGS)

UNIT_TESTS += test-mkbootimage-kmods
test-mkbootimage-kmods_SRCS := tests/unit/test-mkbootimage-kmods.c $(MKBOOTIMAGE_LIB_SRCS)
test-mkbootimage-kmods_PKGS := $(MKBOOTIMAGE_PKGS)

UNIT_TESTS += test-mkbootimage-image
test-mkbootimage-image_SRCS := tests/unit/test-mkbootimage-image.c $(MKBOOTIMAGE_LIB_SRCS)
test-mkbootimage-image_PKGS := $(MKBOOTIMAGE_PKGS)

$(O)/tests/unit/test-mkbootimage-%.o: CPPFLAGS += -Itools/mkbootimage

UNIT_TESTS += test-mkbootimage-uki
test-mkbootimage-uki_SRCS := tests/unit/test-mkbootimage-uki.c tools/mkbootimage/uki.c
