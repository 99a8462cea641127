/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * What the parts of struct kmods share (kmods.h is the interface):
 *   kmods.c         opening a kernel's modules, resolution with libkmod
 *   kmods-depmod.c  is modules.dep fresh, and depmod when it is not
 *   kmods-host.c    what this machine's network devices need
 *   kmods-emit.c    the modules, their index files and firmware in the image
 */
#include <libkmod.h>
#include <stdbool.h>
#include <stddef.h>

#include "kmods.h"
#include "vector.h"

/* A module in the set. */
struct kmods_entry {
	char *name; /* normalised: '_' for '-' */
	char *rel; /* path under lib/modules/KVER, as in SYSROOT */
	char *out; /* the same, without a compression suffix */
	struct kmod_module *mod;
	char **deps; /* modules.dep order (names), a strv */
	unsigned int mark;
};

DEFINE_VECTOR(entry_vector, struct kmods_entry *)

struct kmods {
	int rootfd;
	char *kver;
	char *moddir; /* "lib/modules/KVER" */
	int moddirfd; /* SYSROOT's lib/modules/KVER (O_PATH) */
	int indexfd; /* where modules.dep & co are (SYSROOT's or the shadow's) */
	char *kmoddir; /* the directory libkmod is given */
	char *shadow; /* a private directory with a fresh index, removed at the end */
	int conffds[4]; /* SYSROOT's modprobe.d directories */
	struct kmod_ctx *ctx;
	void *tree; /* by name */
	entry_vector v;
	char **builtin; /* names in modules.builtin, a strv */
	unsigned int gen;
};

/* "kernel/x/foo-bar.ko.xz" or "foo-bar" -> "foo_bar": the name libkmod uses. */
char *modname_from_path(const char *path);
struct kmods_entry *entry_find(struct kmods *m, const char *name);

/* kmods-depmod.c */
bool is_depmod_output(const char *name);
int depmod_prepare(struct kmods *m, const struct kmods_opts *opts, const char *realdir,
		   const char *fdpath);
void shadow_remove(struct kmods *m);

/* kmods.c: an index file, what depmod writes from the index in use, the rest from
 * SYSROOT. */
int index_open(struct kmods *m, const char *name);
int index_read(struct kmods *m, const char *name, char **ret);
