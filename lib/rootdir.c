// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rootdir.h"
#include "util.h"

static int sys_openat2(int dirfd, const char *path, struct open_how *how)
{
	return syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

int root_open_tree(const char *sysroot)
{
	int fd = open(sysroot, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int root_open(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned)flags | O_CLOEXEC,
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	fd = sys_openat2(rootfd, path, &how);
	if (fd < 0 && errno == ENOSYS)
		return root_open_walk(rootfd, path, flags, mode);
	return fd < 0 ? -errno : fd;
}

/* Replace *cur by fd (closing the old one); fd < 0 is passed back as -errno. */
static int walk_step(int *cur, int fd)
{
	if (fd < 0)
		return -errno;
	close(*cur);
	*cur = fd;
	return 0;
}

static bool same_inode(int fd, const struct stat *st)
{
	struct stat cur;

	return fstat(fd, &cur) == 0 && cur.st_dev == st->st_dev &&
	       cur.st_ino == st->st_ino;
}

/* The target of link NAME in dirfd followed by "/" and REST (when not empty). */
static char *walk_splice(int dirfd, const char *name, const char *rest)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
	char *joined;

	if (n < 0)
		return NULL;
	target[n] = '\0';
	if (asprintf(&joined, "%s%s%s", target, *rest ? "/" : "", rest) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return joined;
}

/*
 * RESOLVE_IN_ROOT by hand, for kernels older than 5.6 (no openat2) and for
 * qemu-user, which does not emulate it (cross-built tools are tested under it).
 * One component at a time with O_NOFOLLOW; a link's target is spliced into what
 * is left of the path, from the root when it is absolute; ".." at the root stays
 * there. Hand-written because no library in Debian does this (libpathrs is not
 * packaged). Unlike openat2 it cannot stop a concurrent rename from moving a
 * directory out from under the walk between two steps: a tree that someone else
 * rearranges while a tool runs on it is only safe with openat2.
 */
int root_open_walk(int rootfd, const char *path, int flags, mode_t mode)
{
	_cleanup_free_ char *buf = strdup(path);
	_cleanup_close_ int cur = -1;
	struct stat rootst, st;
	int links = 0, r;
	char *p = buf;

	if (!buf)
		return -ENOMEM;
	if (fstat(rootfd, &rootst) < 0)
		return -errno;
	cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return -errno;
	for (;;) {
		bool last, dir_wanted = false,
			   follow = !(flags & O_NOFOLLOW) &&
				    !((flags & O_CREAT) && (flags & O_EXCL));
		const char *name;
		char *end;

		while (*p == '/')
			p++;
		if (!*p)
			name = ".";
		else {
			name = p;
			end = strchrnul(p, '/');
			p = end;
			if (*end) {
				*end = '\0';
				p = end + 1;
				while (*p == '/')
					p++;
				dir_wanted = !*p;
			}
		}
		last = !*p;
		if (strcmp(name, "..") == 0 && !same_inode(cur, &rootst)) {
			r = walk_step(&cur, openat(cur, "..",
						   O_PATH | O_DIRECTORY | O_CLOEXEC));
			if (r < 0)
				return r;
			name = ".";
		} else if (strcmp(name, "..") == 0)
			name = ".";
		if (strcmp(name, ".") == 0) {
			if (!last)
				continue;
			r = openat(cur, ".", flags | O_CLOEXEC, mode);
			return r < 0 ? -errno : r;
		}
		if (!last || follow) {
			r = fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW);
			if (r == 0 && S_ISLNK(st.st_mode)) {
				char *joined;

				if (++links > 40)
					return -ELOOP;
				joined = walk_splice(cur, name, dir_wanted ? "." : p);
				if (!joined)
					return -errno;
				if (joined[0] == '/') {
					r = walk_step(&cur,
						      fcntl(rootfd, F_DUPFD_CLOEXEC, 3));
					if (r < 0) {
						free(joined);
						return r;
					}
				}
				free(buf);
				buf = p = joined;
				continue;
			}
			if (!last) {
				if (r < 0)
					return -errno;
				if (!S_ISDIR(st.st_mode))
					return -ENOTDIR;
				r = walk_step(&cur,
					      openat(cur, name,
						     O_PATH | O_DIRECTORY | O_NOFOLLOW |
							     O_CLOEXEC));
				if (r < 0)
					return r;
				continue;
			}
		}
		/* Checked above not to be a link: one that appears now fails (ELOOP). */
		r = openat(cur, name,
			   flags | O_CLOEXEC | O_NOFOLLOW |
				   (dir_wanted ? O_DIRECTORY : 0),
			   mode);
		return r < 0 ? -errno : r;
	}
}

int root_open_parent(int rootfd, const char *path, const char **ret_base)
{
	_cleanup_free_ char *dir = NULL;
	const char *slash, *base;
	size_t len;

	while (*path == '/')
		path++;
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	if (len == 0)
		return -EINVAL;
	dir = strndup(path, len);
	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	base = slash ? slash + 1 : dir;
	if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EINVAL;
	*ret_base = path + (base - dir);
	if (!slash)
		return root_open(rootfd, ".", O_PATH | O_DIRECTORY, 0);
	dir[slash - dir] = '\0';
	return root_open(rootfd, dir[0] ? dir : ".", O_PATH | O_DIRECTORY, 0);
}

int root_stat(int rootfd, const char *path, bool follow, struct stat *st)
{
	_cleanup_close_ int fd = -1;
	const char *base;

	if (follow) {
		fd = root_open(rootfd, path, O_PATH, 0);
		if (fd < 0)
			return fd;
		return fstat(fd, st) < 0 ? -errno : 0;
	}
	while (*path == '/')
		path++;
	if (!*path)
		return fstat(rootfd, st) < 0 ? -errno : 0;
	fd = root_open_parent(rootfd, path, &base);
	if (fd < 0)
		return fd;
	/* A trailing slash was stripped for the parent; base may still carry it. */
	_cleanup_free_ char *name = strndup(base, strcspn(base, "/"));
	if (!name)
		return -ENOMEM;
	return fstatat(fd, name, st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

int root_mkdir_p(int rootfd, const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);
	char *s;

	if (!p)
		return -ENOMEM;
	s = p;
	while (*s == '/')
		s++;
	while (*s) {
		char *end = s + strcspn(s, "/");
		char saved = *end;
		_cleanup_close_ int dfd = -1;
		const char *base;
		struct stat st;

		*end = '\0';
		dfd = root_open_parent(rootfd, p, &base);
		if (dfd < 0)
			return dfd;
		if (mkdirat(dfd, base, mode) < 0 && errno != EEXIST)
			return -errno;
		/* What exists there must be a directory, or a link to one inside the
		 * tree. */
		if (root_stat(rootfd, p, true, &st) < 0 || !S_ISDIR(st.st_mode))
			return -ENOTDIR;
		*end = saved;
		s = end;
		while (*s == '/')
			s++;
	}
	return 0;
}

int root_read_file(int rootfd, const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = root_open(rootfd, path, O_RDONLY, 0);

	if (fd < 0)
		return fd;
	return read_fd_all(fd, ret, ret_len);
}

int root_write_file_atomic(int rootfd, const char *path, const void *data, size_t len,
			   mode_t mode)
{
	_cleanup_close_ int dfd = -1;
	const char *base;

	dfd = root_open_parent(rootfd, path, &base);
	if (dfd < 0)
		return dfd;
	return write_file_atomic_at(dfd, base, data, len, mode);
}

int root_readlink(int rootfd, const char *path, char **ret)
{
	_cleanup_close_ int dfd = -1;
	const char *base;
	char buf[PATH_MAX];
	ssize_t n;

	dfd = root_open_parent(rootfd, path, &base);
	if (dfd < 0)
		return dfd;
	n = readlinkat(dfd, base, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

int root_tmpname(const char *base, char **ret)
{
	return asprintf(ret, ".%s.pxeroot-new", base) < 0 ? -ENOMEM : 0;
}

int root_remove_tmp(int rootfd, const char *path)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *tmp = NULL;
	const char *base;
	int r;

	dfd = root_open_parent(rootfd, path, &base);
	if (dfd < 0)
		return dfd == -ENOENT || dfd == -ENOTDIR ? 0 : dfd;
	r = root_tmpname(base, &tmp);
	if (r < 0)
		return r;
	if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int root_unlink(int rootfd, const char *path, int flags)
{
	_cleanup_close_ int dfd = -1;
	const char *base;

	dfd = root_open_parent(rootfd, path, &base);
	if (dfd < 0)
		return dfd;
	return unlinkat(dfd, base, flags) < 0 ? -errno : 0;
}

int root_replace(int rootfd, const char *path, const void *data, size_t len,
		 const char *target, const struct root_meta *meta)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *tmp = NULL;
	const char *base;
	int r = 0;

	dfd = root_open_parent(rootfd, path, &base);
	if (dfd < 0)
		return dfd;
	r = root_tmpname(base, &tmp);
	if (r < 0)
		return r;
	unlinkat(dfd, tmp, 0);
	if (target) {
		if (symlinkat(target, dfd, tmp) < 0)
			return -errno;
		if (meta && (meta->uid != (uid_t)-1 || meta->gid != (gid_t)-1) &&
		    fchownat(dfd, tmp, meta->uid, meta->gid, AT_SYMLINK_NOFOLLOW) < 0)
			r = -errno;
	} else {
		_cleanup_close_ int fd = openat(
			dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			0600);

		if (fd < 0)
			return -errno;
		r = write_full(fd, data, len);
		if (r == 0 && meta &&
		    (meta->uid != (uid_t)-1 || meta->gid != (gid_t)-1) &&
		    fchown(fd, meta->uid, meta->gid) < 0)
			r = -errno;
		if (r == 0 && fchmod(fd, meta ? meta->mode & 07777 : 0644) < 0)
			r = -errno;
		if (r == 0 && meta && meta->mtime) {
			struct timespec ts[2] = { *meta->mtime, *meta->mtime };

			if (futimens(fd, ts) < 0)
				r = -errno;
		}
		if (r == 0 && fsync(fd) < 0)
			r = -errno;
	}
	if (r == 0 && renameat(dfd, tmp, dfd, base) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dfd, tmp, 0);
	return r;
}

int root_opendir(int rootfd, const char *path, void **ret_dir)
{
	int fd = root_open(rootfd, path, O_RDONLY | O_DIRECTORY, 0);
	DIR *d;

	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		int r = -errno;

		close(fd);
		return r;
	}
	*ret_dir = d;
	return 0;
}
