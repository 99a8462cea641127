/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "image.h"
#include "macro.h"

/*
 * Programs from SYSROOT with what they need to run: their ELF interpreter and
 * shared libraries, found as the dynamic loader would find them (DT_RPATH,
 * DT_RUNPATH with $ORIGIN, SYSROOT's ld.so.conf, the multiarch and default
 * directories), by reading the ELF files, never by running anything. A script
 * brings its #! interpreter.
 */
struct libs;

int libs_new(int rootfd, const char *sysroot, struct libs **ret);
void libs_free(struct libs *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libs *, libs_free);

/* Add path (absolute, inside SYSROOT) at the same path, and all it needs. */
int libs_add_program(struct libs *l, struct image *img, const char *path);

/* The library directories of SYSROOT's ld.so.conf, in order (for tests). */
int libs_ldconfig_dirs(struct libs *l, char ***ret, size_t *ret_n);
