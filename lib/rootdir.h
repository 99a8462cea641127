/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/*
 * Paths inside a SYSROOT, resolved as if SYSROOT were "/": absolute symlinks and
 * ".." never leave it (openat2 with RESOLVE_IN_ROOT). Every tool that reads or
 * writes a distribution tree goes through these, so a hostile or merely odd tree
 * (an absolute link /etc/resolv.conf -> /run/...) cannot reach the host.
 *
 * rootfd comes from root_open_tree(). Paths may be absolute or relative; both
 * are taken from the tree's root.
 */

/* Open SYSROOT itself (a directory), O_PATH. */
int root_open_tree(const char *sysroot);

/* openat2(rootfd, path, flags, mode) confined to the tree; returns an fd. */
int root_open(int rootfd, const char *path, int flags, mode_t mode);

/*
 * The same resolution done one component at a time, which root_open() falls back
 * to where the kernel has no openat2 (before 5.6; qemu-user). Exposed for tests.
 */
int root_open_walk(int rootfd, const char *path, int flags, mode_t mode);

/*
 * Open the directory that holds path's last component, confined to the tree,
 * and return it; *ret_base points into path at that component. The last
 * component itself is not followed, so it can be lstat'ed, unlinked, renamed or
 * read as a link with the *at calls.
 */
int root_open_parent(int rootfd, const char *path, const char **ret_base);

/* lstat (follow=false) or stat (follow=true) inside the tree. */
int root_stat(int rootfd, const char *path, bool follow, struct stat *st);

/* mkdir -p inside the tree; existing directories are fine. */
int root_mkdir_p(int rootfd, const char *path, mode_t mode);

int root_read_file(int rootfd, const char *path, char **ret, size_t *ret_len);
int root_write_file_atomic(int rootfd, const char *path, const void *data, size_t len,
			   mode_t mode);
/* The target of a symlink (not followed); -EINVAL when path is not a link. */
int root_readlink(int rootfd, const char *path, char **ret);

/*
 * The name a file is written under before it is renamed into place, in the same
 * directory: ".BASE.pxeroot-new". It is fixed, not random, so a run interrupted
 * by a kill leaves a name that the next run (or an undo) knows to remove.
 */
int root_tmpname(const char *base, char **ret);

/* Remove path's leftover temporary name, if any (see root_tmpname()). */
int root_remove_tmp(int rootfd, const char *path);

/* unlinkat inside the tree; flags may be AT_REMOVEDIR. */
int root_unlink(int rootfd, const char *path, int flags);

/*
 * Replace path atomically, through its fixed temporary name: a regular file with
 * data (when target is NULL) or a symlink to target. Mode applies to files; uid
 * and gid (when not -1) to both; mtime (when not NULL) to files.
 */
struct root_meta {
	mode_t mode;
	uid_t uid;
	gid_t gid;
	const struct timespec *mtime;
};
int root_replace(int rootfd, const char *path, const void *data, size_t len,
		 const char *target, const struct root_meta *meta);

/* opendir inside the tree; the caller closedir()s the result. */
int root_opendir(int rootfd, const char *path, void **ret_dir);
