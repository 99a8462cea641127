// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "keep.h"
#include "log.h"
#include "rootdir.h"
#include "stage.h"
#include "util.h"

#define MARK "merging"
#define RETIRED_PARENT "/var/lib/pxeroot"
#define RETIRED_NAME "retired"
_Static_assert(sizeof(RETIRED_DIR) == sizeof(RETIRED_PARENT "/" RETIRED_NAME),
	       "RETIRED_DIR is RETIRED_PARENT/RETIRED_NAME");
#define OVL_XATTR "trusted.overlay."

struct stage {
	int rootfd; /* the tree */
	int treefd; /* the tree, opened in this mount namespace, while merging */
	int parentfd; /* the directory that holds the tree and the stage */
	char *name; /* the stage directory's name in it */
	int dirfd;
	int mntfd; /* the staged tree, while mounted */
	int retfd; /* this merge's directory in RETIRED_DIR, once made */
	unsigned n_retired;
	unsigned changed;
};

/* The directory holding the tree, and the stage directory's name in it. */
static int stage_place(int rootfd, int *ret_parent, char **ret_name)
{
	_cleanup_free_ char *name = NULL;
	char path[PATH_MAX];
	char *slash;
	int fd, r;

	r = fd_get_path(rootfd, path, sizeof(path));
	if (r < 0)
		return r;
	slash = strrchr(path, '/');
	if (!slash || !slash[1])
		return -EINVAL; /* the tree is / */
	if (asprintf(&name, ".%s%s", slash + 1, STAGE_SUFFIX) < 0)
		return -ENOMEM;
	*slash = '\0';
	fd = open(slash == path ? "/" : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_parent = fd;
	*ret_name = TAKE_PTR(name);
	return 0;
}

/* Every trusted.overlay.* attribute of name in dfd removed: they describe the
 * layers, not the object. */
static int strip_overlay_xattrs(int dfd, const char *name)
{
	char path[64 + NAME_MAX], list[4096];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, name);
	len = llistxattr(path, list, sizeof(list));
	if (len < 0)
		return errno == ENOTSUP || errno == ERANGE ? 0 : -errno;
	for (char *a = list; a < list + len; a += strlen(a) + 1)
		if (startswith(a, OVL_XATTR) && lremovexattr(path, a) < 0 &&
		    errno != ENODATA)
			return -errno;
	return 0;
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dfd, const char *name)
{
	char path[64 + NAME_MAX], v[2];

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, name);
	return lgetxattr(path, OVL_XATTR "opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

/* A new directory of the upper layer, made ready to be the tree's: no overlay
 * attributes, no whiteouts (nothing below it to hide). */
static int clean_new_dir(int dfd, const char *name, int depth)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	void *vd;
	int r;

	r = strip_overlay_xattrs(dfd, name);
	if (r < 0)
		return r;
	if (depth > 64)
		return -ELOOP;
	r = root_opendir(dfd, name, &vd);
	if (r < 0)
		return r;
	d = vd;
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		if (is_whiteout(&st))
			r = unlinkat(dirfd(d), de->d_name, 0) < 0 ? -errno : 0;
		else if (S_ISDIR(st.st_mode))
			r = clean_new_dir(dirfd(d), de->d_name, depth + 1);
		else
			r = strip_overlay_xattrs(dirfd(d), de->d_name);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A hard link in this merge's RETIRED_DIR directory to the tree's file or link
 * about to be replaced or removed. */
static void retire(struct stage *s, int dfd, const char *name)
{
	char n[32];

	if (s->retfd < 0) {
		_cleanup_close_ int pfd = -1;

		if (keep_retired_clean(s->treefd, RETIRED_SECS, false) < 0 ||
		    root_mkdir_p(s->treefd, RETIRED_DIR, 0700) < 0)
			return;
		pfd = root_open(s->treefd, RETIRED_DIR, O_RDONLY | O_DIRECTORY, 0);
		if (pfd < 0)
			return;
		for (unsigned i = 0; i < 1000; i++) {
			snprintf(n, sizeof(n), "%lld.%u", (long long)time(NULL), i);
			if (mkdirat(pfd, n, 0700) == 0 || errno != EEXIST)
				break;
		}
		s->retfd = openat(pfd, n, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->retfd < 0)
			return;
	}
	snprintf(n, sizeof(n), "%06u", ++s->n_retired);
	/* Best effort: without the link the object simply goes. */
	if (linkat(dfd, name, s->retfd, n, 0) < 0)
		log_debug_errno(-errno, "cannot retire %s", name);
}

/* Remove the tree's name in tdfd, after retiring it when it is no directory. */
static int remove_tree_obj(struct stage *s, int tdfd, const char *name,
			   const struct stat *st)
{
	if (!S_ISDIR(st->st_mode))
		retire(s, tdfd, name);
	s->changed++;
	return keep_remove_at(tdfd, name, 0);
}

static int merge_dir(struct stage *s, int udfd, int tdfd, const char *path, int depth);

static int merge_entry(struct stage *s, int udfd, int tdfd, const char *name,
		       const char *path, int depth)
{
	_cleanup_free_ char *sub = NULL;
	struct stat us, ts;
	bool in_tree;
	int r;

	if (asprintf(&sub, "%s/%s", path, name) < 0)
		return -ENOMEM;
	if (!strcmp(sub, RETIRED_DIR))
		/* Staged undo and preparation never touch it; nothing to merge. */
		return keep_remove_at(udfd, name, 0);
	if (fstatat(udfd, name, &us, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	in_tree = fstatat(tdfd, name, &ts, AT_SYMLINK_NOFOLLOW) == 0;
	if (!in_tree && errno != ENOENT)
		return log_errno(-errno, "cannot stat %s", sub);

	if (is_whiteout(&us)) {
		if (in_tree) {
			log_debug("merge: remove %s", sub);
			r = remove_tree_obj(s, tdfd, name, &ts);
			if (r < 0)
				return log_errno(r, "cannot remove %s", sub);
		}
		return unlinkat(udfd, name, 0) < 0 ? -errno : 0;
	}
	if (S_ISDIR(us.st_mode) && in_tree && S_ISDIR(ts.st_mode)) {
		_cleanup_close_ int u = -1, t = -1;

		u = openat(udfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		t = openat(tdfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (u < 0 || t < 0)
			return log_errno(-errno, "cannot open %s", sub);
		if (is_opaque(udfd, name)) {
			/* The tree's entries are hidden: what the upper one lacks goes. */
			_cleanup_closedir_ DIR *d = NULL;
			struct dirent *de;
			void *vd;

			r = root_opendir(t, ".", &vd);
			if (r < 0)
				return r;
			d = vd;
			while ((de = readdir(d))) {
				struct stat x;

				if (!strcmp(de->d_name, ".") ||
				    !strcmp(de->d_name, "..") ||
				    fstatat(u, de->d_name, &x, AT_SYMLINK_NOFOLLOW) == 0)
					continue;
				/* The retired objects are the tree's alone. */
				if (!strcmp(sub, RETIRED_PARENT) &&
				    !strcmp(de->d_name, RETIRED_NAME))
					continue;
				if (fstatat(t, de->d_name, &x, AT_SYMLINK_NOFOLLOW) < 0)
					continue;
				log_debug("merge: remove %s/%s", sub, de->d_name);
				r = remove_tree_obj(s, t, de->d_name, &x);
				if (r < 0)
					return log_errno(r, "cannot remove %s/%s", sub,
							 de->d_name);
			}
		}
		r = merge_dir(s, u, t, sub, depth + 1);
		if (r < 0)
			return r;
		if ((us.st_mode & 07777) != (ts.st_mode & 07777) &&
		    fchmod(t, us.st_mode & 07777) < 0)
			return log_errno(-errno, "cannot change the mode of %s", sub);
		if ((us.st_uid != ts.st_uid || us.st_gid != ts.st_gid) &&
		    fchown(t, us.st_uid, us.st_gid) < 0)
			return log_errno(-errno, "cannot change the owner of %s", sub);
		/* Merged: the upper directory goes (empty once all below went). */
		return unlinkat(udfd, name, AT_REMOVEDIR) < 0 && errno != ENOTEMPTY
			       ? -errno
			       : 0;
	}
	if (!S_ISDIR(us.st_mode) && in_tree && !S_ISDIR(ts.st_mode) &&
	    keep_same_object(udfd, name, tdfd, name)) {
		/* The same object: the tree's stays, with its inode. */
		return unlinkat(udfd, name, 0) < 0 ? -errno : 0;
	}
	/* New, or different: the upper object takes the name by one rename. */
	r = S_ISDIR(us.st_mode) ? clean_new_dir(udfd, name, depth)
				: strip_overlay_xattrs(udfd, name);
	if (r < 0)
		return log_errno(r, "cannot prepare %s", sub);
	if (in_tree && (S_ISDIR(ts.st_mode) || S_ISDIR(us.st_mode))) {
		/* rename(2) cannot put a directory over a file or the reverse. */
		r = remove_tree_obj(s, tdfd, name, &ts);
		if (r < 0)
			return log_errno(r, "cannot remove %s", sub);
	} else if (in_tree) {
		retire(s, tdfd, name);
	}
	log_debug("merge: %s %s", in_tree ? "replace" : "add", sub);
	if (renameat(udfd, name, tdfd, name) < 0)
		return log_errno(-errno, "cannot put %s in place", sub);
	s->changed++;
	return 0;
}

static int merge_dir(struct stage *s, int udfd, int tdfd, const char *path, int depth)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	void *vd;
	int r;

	if (depth > 256)
		return log_errno(-ELOOP, "%s is too deep", path);
	r = root_opendir(udfd, ".", &vd);
	if (r < 0)
		return r;
	d = vd;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		r = merge_entry(s, udfd, tdfd, de->d_name, path, depth);
		if (r < 0)
			return r;
	}
	return 0;
}

static int stage_new(int rootfd, struct stage **ret)
{
	_cleanup_free_ struct stage *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->rootfd = rootfd;
	s->dirfd = s->mntfd = s->retfd = s->treefd = -1;
	r = stage_place(rootfd, &s->parentfd, &s->name);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

static void unmount(struct stage *s)
{
	if (s->mntfd < 0)
		return;
	close(s->mntfd);
	s->mntfd = -1;
	/* By the directory's fd: the name of the mount point is ours alone. */
	{
		char p[64];

		snprintf(p, sizeof(p), "/proc/self/fd/%d/mnt", s->dirfd);
		if (umount2(p, 0) < 0 && umount2(p, MNT_DETACH) < 0)
			log_warn_errno(-errno, "cannot unmount the staged tree");
	}
}

void stage_free(struct stage *s)
{
	if (!s)
		return;
	unmount(s);
	if (s->dirfd >= 0)
		close(s->dirfd);
	if (s->name && s->parentfd >= 0)
		keep_remove_at(s->parentfd, s->name, 0);
	if (s->parentfd >= 0)
		close(s->parentfd);
	if (s->retfd >= 0)
		close(s->retfd);
	free(s->name);
	free(s);
}

int stage_open(int rootfd, struct stage **ret, int *ret_fd)
{
	_cleanup_(stage_freep) struct stage *s = NULL;
	_cleanup_close_ int fs = -1, mnt = -1, lower = -1, upper = -1, work = -1;
	struct stat a, b;
	char lp[64], up[64], wp[64];
	int r;

	r = stage_new(rootfd, &s);
	if (r < 0)
		return r;
	if (mkdirat(s->parentfd, s->name, 0700) < 0) {
		r = -errno;
		free(TAKE_PTR(s->name)); /* not ours to remove */
		return r;
	}
	s->dirfd = openat(s->parentfd, s->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return -errno;
	if (fstat(s->dirfd, &a) < 0 || fstat(rootfd, &b) < 0)
		return -errno;
	if (a.st_dev != b.st_dev)
		return -EXDEV;
	if (mkdirat(s->dirfd, "upper", 0755) < 0 || mkdirat(s->dirfd, "work", 0700) < 0 ||
	    mkdirat(s->dirfd, "mnt", 0755) < 0)
		return -errno;

	/* Our own mounts from here on: the staged tree is seen by this process
	 * and the command only. */
	if (unshare(CLONE_NEWNS) < 0)
		return log_errno(-errno, "cannot make a mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return log_errno(-errno, "cannot make the mounts private");

	/* The upper layer must be reached through a mount of this namespace:
	 * the stage directory again, by the path the kernel has for it. */
	r = fd_reopen_dir(s->dirfd);
	if (r < 0)
		return log_errno(r, "cannot open the stage directory again");
	close(s->dirfd);
	s->dirfd = r;
	lower = fd_reopen_dir(rootfd);
	upper = openat(s->dirfd, "upper", O_PATH | O_DIRECTORY | O_CLOEXEC);
	work = openat(s->dirfd, "work", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (lower < 0)
		return log_errno(lower, "cannot open the tree again");
	if (upper < 0 || work < 0)
		return -errno;
	/* Paths by fd: no comma or colon of a directory's name to escape. */
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", lower);
	snprintf(up, sizeof(up), "/proc/self/fd/%d", upper);
	snprintf(wp, sizeof(wp), "/proc/self/fd/%d", work);
	fs = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return log_errno(-errno, "cannot make an overlay file system");
	/* Plain copies in the upper layer, nothing that needs the overlay to
	 * read it back: whole files, no redirects, no index. */
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", "bootchroot", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lp, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", up, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "workdir", wp, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "redirect_dir", "off", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "index", "off", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "metacopy", "off", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "xino", "off", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return log_errno(-errno, "cannot set up the overlay file system");
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0)
		return log_errno(-errno, "cannot mount the overlay file system");
	{
		_cleanup_close_ int target =
			openat(s->dirfd, "mnt", O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (target < 0 ||
		    move_mount(mnt, "", target, "",
			       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return log_errno(-errno, "cannot mount the staged tree");
	}
	s->mntfd = openat(s->dirfd, "mnt", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->mntfd < 0)
		return -errno;
	*ret_fd = s->mntfd;
	*ret = TAKE_PTR(s);
	return 0;
}

static int merge(struct stage *s)
{
	_cleanup_close_ int u = -1;
	int r;

	/* The mark first: from here on, a killed run is finished, not undone. */
	{
		_cleanup_close_ int fd =
			openat(s->dirfd, MARK, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0 || fsync(fd) < 0 || fsync(s->dirfd) < 0)
			return log_errno(-errno, "cannot mark the merge");
	}
	/* Both through this mount namespace's mounts: rename(2) and link(2)
	 * do not cross from one mount to another, even of one file system. */
	u = openat(s->dirfd, "upper", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (u < 0)
		return -errno;
	s->treefd = fd_reopen_dir(s->rootfd);
	if (s->treefd < 0)
		return log_errno(s->treefd, "cannot open the tree again");
	r = merge_dir(s, u, s->treefd, "", 0);
	if (r == 0 && syncfs(s->treefd) < 0)
		r = log_errno(-errno, "cannot sync the tree");
	close(s->treefd);
	s->treefd = -1;
	return r < 0 ? r : (int)s->changed;
}

void stage_keep(struct stage *s)
{
	free(s->name);
	s->name = NULL;
}

int stage_commit(struct stage *s)
{
	unmount(s);
	return merge(s);
}

int stage_recover(int rootfd, bool dry_run)
{
	_cleanup_(stage_freep) struct stage *s = NULL;
	struct stat st;
	bool marked;
	int r;

	r = stage_new(rootfd, &s);
	if (r == -EINVAL)
		return 0;
	if (r < 0)
		return r;
	if (fstatat(s->parentfd, s->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		free(TAKE_PTR(s->name)); /* nothing to remove */
		return errno == ENOENT ? 0 : -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_error("%s beside the tree is not bootchroot's stage directory",
			  s->name);
		free(TAKE_PTR(s->name));
		return -EEXIST;
	}
	s->dirfd = openat(s->parentfd, s->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		return -errno;
	marked = faccessat(s->dirfd, MARK, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (dry_run) {
		free(TAKE_PTR(s->name));
		return marked ? 2 : 1;
	}
	if (marked) {
		r = merge(s);
		if (r < 0) {
			/* Kept for the next try. */
			free(TAKE_PTR(s->name));
			return r;
		}
	}
	return marked ? 2 : 1;
}
