/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "macro.h"

/*
 * Maintenance of a tree that clients run from, without showing them anything
 * but the result. An NFS client whose root is an overlay over the tree gets
 * ESTALE for good on a path whose object it saw replaced (overlayfs does not
 * look the path up again), so the tree itself must never pass through the
 * undone state that package tools are shown.
 *
 * bootchroot stages instead: in a private mount namespace it mounts an overlay
 * file system whose lower layer is the tree and whose upper layer is a
 * directory next to it (STAGE_SUFFIX, same file system), undoes the
 * preparation there, runs the command there and prepares again there. Then the
 * upper layer is merged into the tree, one rename(2) per object: an object the
 * same as the tree's (type, content or link target, mode, owner, extended
 * attributes) is dropped, so the tree's keeps its inode; a new or changed one
 * replaces the tree's (which is linked into RETIRED_DIR first, lib/keep.h); a
 * whiteout removes the tree's. A command that leaves the tree prepared as it
 * was changes nothing at all.
 *
 * The merge starts only once a mark file is in the stage directory: a stage
 * directory found later without it was left by a bootchroot killed before the
 * merge, and is removed (the tree never saw any of it); one with it is merged
 * again, which finishes the interrupted merge (every object merged is gone
 * from the upper layer).
 */
#define STAGE_SUFFIX ".bootchroot"

struct stage;

/*
 * Make the stage directory beside the tree rootfd (sysroot is its name for
 * messages), enter a private mount namespace and mount the overlay. *ret_fd is
 * the staged tree's root, valid until s is committed or freed. -EXDEV: the tree is a mount point of its own, so no
 * directory beside it is on its file system.
 */
int stage_open(int rootfd, struct stage **ret, int *ret_fd);

/* Unmount the overlay (every other fd opened in the staged tree closed) and
 * merge its upper layer into the tree. Returns how many objects changed in the tree. */
int stage_commit(struct stage *s);

/* Leave the stage directory where it is when s is freed (a merge that stopped
 * is finished by stage_recover()). */
void stage_keep(struct stage *s);

/* Unmount the overlay and remove the stage directory: the tree is unchanged. */
void stage_free(struct stage *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct stage *, stage_free);

/*
 * A stage directory left beside the tree by a killed bootchroot: merged when its
 * mark says the merge had begun, else removed. dry_run only reports. Returns 1
 * when there was one (2 when it was to be merged), 0 when not.
 */
int stage_recover(int rootfd, bool dry_run);
