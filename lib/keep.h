/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"

/*
 * What bootchroot keeps of a prepared tree while the preparation is undone and
 * the command runs. NFS clients running from the tree name its files by handle,
 * and a handle is good only while its inode lives. Before a path is restored by
 * the undo, the prepared file or symbolic link there gets a hard link in
 * KEEP_DIR, and an (empty) directory that the preparation made is moved there
 * instead of being removed, so every handle stays valid while the command runs.
 * When the tree is prepared again, a directory the preparation makes is the kept
 * one, moved back; and a path whose new object is the same as the kept one
 * (type, content or link target, mode, owner, extended attributes) gets the
 * kept one back by rename(2): the same inode as before. Then KEEP_DIR goes.
 *
 * Nothing here is needed to undo: the journal alone restores the tree. A
 * KEEP_DIR found later was left by a bootchroot that was killed, and is only
 * removed (keep_clean()).
 */
#define KEEP_DIR "/var/lib/pxeroot/keep"

/*
 * The objects the new preparation replaces or removes (the distribution's files
 * that the undo restored for the command, and new objects that keep_finish()
 * swaps for kept ones) are not the tree's any more, but an NFS client or server
 * that looked them up while the command ran may still name them by handle (an
 * NFS server's own cache of names can hold one for a minute). Each gets a hard
 * link in a directory of RETIRED_DIR named after the run, so that such a reader
 * finds the complete old object, not ESTALE, until it looks the path up again.
 * A later run removes the directories older than RETIRED_SECS; mkbootready
 * --undo removes them all. Images (bootchroot --image) leave RETIRED_DIR out.
 */
#define RETIRED_DIR "/var/lib/pxeroot/retired"
#define RETIRED_SECS 600

struct keep;

/* Make an empty KEEP_DIR in the tree (removing one left behind). */
int keep_open(int rootfd, struct keep **ret);
/* Remove KEEP_DIR with what it still holds, and free k. */
void keep_free(struct keep *k);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct keep *, keep_free);

/*
 * Keep what is at path now, before the undo restores it: a file or a link by a
 * hard link; a directory, when created (the preparation made it) and empty, by
 * moving it. Objects that cannot be kept (another file system) are left alone.
 */
int keep_save(struct keep *k, const char *path, bool created);

/*
 * Put the directory kept for path back at base in dfd instead of making a new
 * one: 0 when done, -ENOENT when none is kept or it is not what mkdirat(dfd,
 * base, mode) would make.
 */
int keep_take_dir(struct keep *k, const char *path, int dfd, const char *base,
		  mode_t mode);

/*
 * After the command, before the new preparation: link every path the undo
 * restored, as the command left it, into a new run directory of RETIRED_DIR
 * (removing the ones older than RETIRED_SECS).
 */
int keep_retire(struct keep *k);

/* Remove RETIRED_DIR's run directories older than min_age seconds (0: all) and
 * RETIRED_DIR once empty. Returns how many were (or, dry_run, would be)
 * removed, counting an empty RETIRED_DIR as one. */
int keep_retired_clean(int rootfd, unsigned min_age, bool dry_run);

/*
 * After the new preparation: rename each kept file or link back over its path
 * when the object there is the same, then remove KEEP_DIR. Returns how many
 * paths have their old inode again (directories included).
 */
int keep_finish(struct keep *k);

/* Remove name in dfd, with what it holds when it is a directory (depth: 0). */
int keep_remove_at(int dfd, const char *name, int depth);

/* Whether two objects are the same: type, content or link target, mode, owner
 * and extended attributes. */
bool keep_same_object(int adfd, const char *a, int bdfd, const char *b);

/* Remove a KEEP_DIR left in the tree; 1 when there was one, 0 when not. */
int keep_clean(int rootfd, bool dry_run);
