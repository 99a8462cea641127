/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "image.h"
#include "macro.h"

/*
 * The kernel modules of one kernel of a SYSROOT, resolved with libkmod on
 * SYSROOT/lib/modules/KVER and SYSROOT's modprobe.d (never the host's), and the
 * set of them that goes into the image: each with its dependencies and soft
 * dependencies, and the firmware it names.
 */
struct kmods;

/* The newest kernel (version sort) with modules under SYSROOT/lib/modules. */
int kmods_find_kver(int rootfd, char **ret);

enum moddep_state {
	MODDEP_FRESH,
	MODDEP_MISSING, /* no modules.dep, an empty one, or no modules.dep.bin */
	MODDEP_STALE, /* a module is newer than modules.dep */
};
/* *ret_newer: the first module found newer than modules.dep (when stale). */
int kmods_moddep_state(int rootfd, const char *kver, enum moddep_state *ret,
		       char **ret_newer);

struct kmods_opts {
	const char *sysroot;
	const char *kver;
	/* modules.dep is missing or stale: depmod runs in SYSROOT (fixing the tree)
	 * or, when shadow is set (--dry-run, a read-only tree), on a private copy of
	 * the index only. */
	bool shadow;
};

int kmods_open(int rootfd, const struct kmods_opts *opts, struct kmods **ret);
void kmods_free(struct kmods *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct kmods *, kmods_free);

/*
 * Add what NAME (a module name or an alias such as a modalias) resolves to, with
 * its dependencies and soft dependencies. Returns the number of modules it
 * resolved to (built-in ones count: nothing to add for them), 0 when nothing
 * matches.
 */
int kmods_add(struct kmods *m, const char *name);
/* Every module under kernel/PREFIX (e.g. "drivers/net/ethernet/"); returns a count. */
int kmods_add_tree(struct kmods *m, const char *prefix);
/*
 * What the network devices of this machine need: for each /sys/class/net/X with
 * a device, the module bound to it and what the modaliases of the device and
 * its parents resolve to. sysfs is normally "/sys". Returns the number of
 * devices found.
 */
int kmods_add_host_nics(struct kmods *m, const char *sysfs);

/* Is this name (with '-' or '_') in the set? */
bool kmods_has(struct kmods *m, const char *name);
size_t kmods_count(struct kmods *m);
/* How many of them SYSROOT has compressed (.ko.xz, .ko.zst, .ko.gz). */
size_t kmods_count_compressed(struct kmods *m);
/* A sorted list of the names in the set, one string; for --verbose and tests. */
char *kmods_names(struct kmods *m);

/*
 * Add the modules (decompressed), their index files (modules.dep, .alias,
 * .softdep, .symbols restricted to the set; modules.builtin* as they are) and
 * the firmware files SYSROOT has for them to the image. *ret_fw: the number of
 * firmware files added; *ret_fw_missing: those named but absent.
 */
int kmods_emit(struct kmods *m, struct image *img, size_t *ret_fw,
	       size_t *ret_fw_missing);

/* The load order of NAME and what it needs, as modules.dep lists it (last first). */
int kmods_dep_line(struct kmods *m, const char *name, char **ret);
