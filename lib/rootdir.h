/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

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
