/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/*
 * The undo journal of a prepared tree, kept inside it in JOURNAL_DIR. Before a
 * path is changed for the first time, its original state (absent, a file with
 * its content, a symlink with its target, a directory; mode, owner, mtime) is
 * written there as one entry file, atomically. Undo restores the entries newest
 * first and deletes each one once its path is back, so an undo that is killed
 * can simply be run again; a run that is killed leaves entries for everything it
 * may have touched, and at most a temporary file with a fixed name (see
 * root_tmpname()) next to a journaled path, which both undo and a re-run remove.
 */
#define JOURNAL_DIR "/var/lib/pxeroot/journal"

struct journal;

/* Load the journal of the tree; with create, make its directory if needed. */
int journal_open(int rootfd, bool create, struct journal **ret);
void journal_free(struct journal *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct journal *, journal_free);

size_t journal_count(const struct journal *j);
bool journal_has(const struct journal *j, const char *path);
/* The nth journaled path, oldest first. */
const char *journal_path(const struct journal *j, size_t n);

/* Save path's original state unless it is journaled already. */
int journal_record(struct journal *j, const char *path);

/* Remove the temporary files an interrupted run may have left. */
int journal_recover(struct journal *j);

/*
 * Called with each journaled path just before it is restored, with whether the
 * path was absent originally (so what is there now was made by the
 * preparation); it may take what is there away (bootchroot keeps it, see
 * lib/keep.h). A negative return stops the undo.
 */
typedef int (*journal_keep_fn)(void *data, const char *path, bool created);

/*
 * Restore every journaled path, newest first, then remove the journal. keep
 * (may be NULL) is called before each path is restored.
 */
int journal_undo(struct journal *j, journal_keep_fn keep, void *data);
