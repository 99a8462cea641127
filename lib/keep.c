// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "keep.h"
#include "log.h"
#include "profile.h"
#include "rootdir.h"
#include "util.h"
#include "vector.h"

struct keep_entry {
	char *path;
	char name[16]; /* in KEEP_DIR */
	bool dir;
	bool back; /* renamed back into the tree */
};

DEFINE_VECTOR(keep_entry_vector, struct keep_entry);
DEFINE_VECTOR(path_vector, char *);

struct keep {
	int rootfd;
	int dirfd;
	int retfd; /* this run's directory in RETIRED_DIR, once made */
	keep_entry_vector e;
	path_vector paths; /* every path the undo restored, kept or not */
	size_t n_retired;
	unsigned back;
};

/* Remove name in dfd, and what it holds when it is a directory (a few levels). */
int keep_remove_at(int dfd, const char *name, int depth)
{
	struct stat st;
	int r;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(dfd, name,
				O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_closedir_ DIR *d = NULL;
		struct dirent *de;

		if (fd < 0)
			return -errno;
		if (depth > 8) {
			close(fd);
			return -ELOOP;
		}
		d = fdopendir(fd);
		if (!d) {
			r = -errno;
			close(fd);
			return r;
		}
		r = 0;
		while (r == 0 && (de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				r = keep_remove_at(dirfd(d), de->d_name, depth + 1);
		if (r < 0)
			return r;
	}
	if (unlinkat(dfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

int keep_clean(int rootfd, bool dry_run)
{
	_cleanup_close_ int dfd = -1;
	const char *base;
	struct stat st;
	int r;

	r = root_stat(rootfd, KEEP_DIR, false, &st);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (dry_run)
		return 1;
	dfd = root_open_parent(rootfd, KEEP_DIR, &base);
	if (dfd < 0)
		return dfd;
	r = keep_remove_at(dfd, base, 0);
	return r < 0 ? r : 1;
}

int keep_open(int rootfd, struct keep **ret)
{
	struct keep *k;
	int r;

	r = keep_clean(rootfd, false);
	if (r >= 0)
		r = root_mkdir_p(rootfd, KEEP_DIR, 0700);
	if (r < 0)
		return r;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->rootfd = rootfd;
	k->retfd = -1;
	k->dirfd = root_open(rootfd, KEEP_DIR, O_RDONLY | O_DIRECTORY, 0);
	if (k->dirfd < 0) {
		r = k->dirfd;
		free(k);
		return r;
	}
	*ret = k;
	return 0;
}

void keep_free(struct keep *k)
{
	if (!k)
		return;
	vector_foreach(e, &k->e)
		free(e->path);
	keep_entry_vector_reset(&k->e);
	vector_foreach(p, &k->paths)
		free(*p);
	path_vector_reset(&k->paths);
	if (k->dirfd >= 0)
		close(k->dirfd);
	if (k->retfd >= 0)
		close(k->retfd);
	keep_clean(k->rootfd, false);
	free(k);
}

static bool dir_empty(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	if (fd < 0)
		return false;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return false;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			return false;
	return true;
}

int keep_save(struct keep *k, const char *path, bool created)
{
	_cleanup_close_ int dfd = -1;
	struct keep_entry *e;
	const char *base;
	char name[16];
	struct stat st;
	char *copy;
	int r;

	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	r = path_vector_append(&k->paths, copy);
	if (r < 0) {
		free(copy);
		return r;
	}

	dfd = root_open_parent(k->rootfd, path, &base);
	if (dfd == -ENOENT || dfd == -ENOTDIR)
		return 0;
	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	snprintf(name, sizeof(name), "%06zu", k->e.len + 1);
	if (S_ISDIR(st.st_mode)) {
		/* A directory of the distribution's, or one that holds more than
		 * the preparation put there, is the undo's business alone. */
		if (!created || !dir_empty(dfd, base))
			return 0;
		r = renameat2(dfd, base, k->dirfd, name, RENAME_NOREPLACE);
	} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
		/* No AT_SYMLINK_FOLLOW: a link to a symbolic link is one to the
		 * link itself. */
		r = linkat(dfd, base, k->dirfd, name, 0);
	} else {
		return 0;
	}
	if (r < 0) {
		r = -errno;
		/* Another file system, too many links: that path gets a new inode,
		 * as it would without keeping. */
		log_debug_errno(r, "cannot keep %s", path);
		return r == -ENOMEM ? r : 0;
	}
	r = keep_entry_vector_reserve(&k->e, 1);
	if (r < 0)
		return r;
	e = &k->e.ptr[k->e.len];
	memset(e, 0, sizeof(*e));
	memcpy(e->name, name, sizeof(name));
	e->dir = S_ISDIR(st.st_mode);
	e->path = strdup(path);
	if (!e->path)
		return -ENOMEM;
	k->e.len++;
	return 0;
}

int keep_take_dir(struct keep *k, const char *path, int dfd, const char *base,
		  mode_t mode)
{
	mode_t mask = umask(0);
	struct stat st;

	umask(mask);
	for (size_t i = k->e.len; i > 0; i--) {
		struct keep_entry *e = &k->e.ptr[i - 1];

		if (!e->dir || e->back || strcmp(e->path, path) != 0)
			continue;
		if (fstatat(k->dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode) ||
		    (st.st_mode & 07777) != (mode & ~mask & 07777) ||
		    st.st_uid != geteuid() || !dir_empty(k->dirfd, e->name))
			return -ENOENT;
		if (renameat2(k->dirfd, e->name, dfd, base, RENAME_NOREPLACE) < 0)
			return -errno;
		e->back = true;
		k->back++;
		return 0;
	}
	return -ENOENT;
}

/* The extended attributes of name in dfd, as a sorted list of "name\0value" items. */
static int xattrs_of(int dfd, const char *name, char ***ret)
{
	_cleanup_free_ char *list = NULL;
	_cleanup_strv_free_ char **items = NULL;
	char path[64 + NAME_MAX];
	ssize_t len;
	int r;

	*ret = NULL;
	/* The l* calls on the directory's magic link and the name: the object
	 * itself, a symbolic link included, found through the fd we hold. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, name);
	len = llistxattr(path, NULL, 0);
	if (len < 0)
		return errno == ENOTSUP ? 0 : -errno;
	if (len == 0)
		return 0;
	list = malloc(len);
	if (!list)
		return -ENOMEM;
	len = llistxattr(path, list, len);
	if (len < 0)
		return -errno;
	for (char *a = list; a < list + len; a += strlen(a) + 1) {
		char value[4096];
		ssize_t vl;
		char *item;

		/* What an overlay file system notes on its upper layer's copies
		 * (lib/stage.h) is not the object's own. */
		if (startswith(a, "trusted.overlay."))
			continue;
		vl = lgetxattr(path, a, value, sizeof(value));
		if (vl < 0)
			return -errno;
		item = malloc(strlen(a) + 1 + 2 * vl + 1);
		if (!item)
			return -ENOMEM;
		/* The value in hex: it may hold NULs. */
		char *w = item + sprintf(item, "%s=", a);
		for (ssize_t i = 0; i < vl; i++)
			w += sprintf(w, "%02x", (unsigned char)value[i]);
		r = strv_consume(&items, item);
		if (r < 0)
			return r;
	}
	strv_sort(items);
	*ret = TAKE_PTR(items);
	return 0;
}

static bool same_xattrs(int adfd, const char *a, int bdfd, const char *b)
{
	char **xa = NULL, **xb = NULL;
	bool same;
	size_t i;

	if (xattrs_of(adfd, a, &xa) < 0 || xattrs_of(bdfd, b, &xb) < 0) {
		strv_free(xa);
		strv_free(xb);
		return false;
	}
	for (i = 0; xa && xa[i] && xb && xb[i]; i++)
		if (strcmp(xa[i], xb[i]) != 0)
			break;
	same = (!xa || !xa[i]) && (!xb || !xb[i]);
	strv_free(xa);
	strv_free(xb);
	return same;
}

static bool same_content(int adfd, const char *a, int bdfd, const char *b)
{
	_cleanup_close_ int fa = openat(adfd, a, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int fb = openat(bdfd, b, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char ba[16384], bb[sizeof(ba)];

	if (fa < 0 || fb < 0)
		return false;
	for (;;) {
		ssize_t na = read_full_or_eof(fa, ba, sizeof(ba));
		ssize_t nb = read_full_or_eof(fb, bb, sizeof(bb));

		if (na < 0 || na != nb || memcmp(ba, bb, na) != 0)
			return false;
		if (na == 0)
			return true;
	}
}

/* Whether the object at b (in bdfd) is the same as the kept one, a in adfd. */
bool keep_same_object(int adfd, const char *a, int bdfd, const char *b)
{
	struct stat sa, sb;

	if (fstatat(adfd, a, &sa, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fstatat(bdfd, b, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT) || sa.st_size != sb.st_size ||
	    sa.st_uid != sb.st_uid || sa.st_gid != sb.st_gid)
		return false;
	if (sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)
		return false; /* already the kept one: nothing to rename */
	if (S_ISREG(sa.st_mode)) {
		if ((sa.st_mode & 07777) != (sb.st_mode & 07777) ||
		    !same_content(adfd, a, bdfd, b))
			return false;
	} else if (S_ISLNK(sa.st_mode)) {
		char ta[4096], tb[4096];
		ssize_t la = readlinkat(adfd, a, ta, sizeof(ta));
		ssize_t lb = readlinkat(bdfd, b, tb, sizeof(tb));

		if (la < 0 || la != lb || memcmp(ta, tb, la) != 0)
			return false;
	} else {
		return false;
	}
	return same_xattrs(adfd, a, bdfd, b);
}

/* A hard link in this run's RETIRED_DIR to the file or link at base in dfd. */
static void retire(struct keep *k, int dfd, const char *base)
{
	struct stat st;
	char name[16];

	if (k->retfd < 0 || fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
		return;
	snprintf(name, sizeof(name), "%06zu", ++k->n_retired);
	/* Best effort, like keep_save(): without the link the object goes, as
	 * it would without bootchroot's care. */
	if (linkat(dfd, base, k->retfd, name, 0) < 0)
		log_debug_errno(-errno, "cannot retire %s", base);
}

/* Remove the run directories in RETIRED_DIR older than min_age seconds (all of
 * them with 0), and RETIRED_DIR itself when it is left empty. */
int keep_retired_clean(int rootfd, unsigned min_age, bool dry_run)
{
	_cleanup_close_ int fd = -1;
	time_t now = time(NULL);
	unsigned n = 0, left = 0;
	struct dirent *de;
	_cleanup_closedir_ DIR *d = NULL;
	int r = 0;

	fd = root_open(rootfd, RETIRED_DIR, O_RDONLY | O_DIRECTORY, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	TAKE_FD(fd);
	while (r == 0 && (de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (min_age &&
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_mtime + (time_t)min_age > now) {
			left++;
			continue;
		}
		n++;
		if (!dry_run)
			r = keep_remove_at(dirfd(d), de->d_name, 0);
	}
	if (r < 0)
		return r;
	if (left == 0 && !dry_run) {
		r = root_unlink(rootfd, RETIRED_DIR, AT_REMOVEDIR);
		if (r < 0 && r != -ENOENT && r != -ENOTEMPTY)
			return r;
	}
	return n + (left == 0 && n == 0);
}

int keep_retire(struct keep *k)
{
	char name[32];
	int r;

	r = keep_retired_clean(k->rootfd, RETIRED_SECS, false);
	if (r < 0)
		return r;
	r = root_mkdir_p(k->rootfd, RETIRED_DIR, 0700);
	if (r < 0)
		return r;
	{
		_cleanup_close_ int pfd =
			root_open(k->rootfd, RETIRED_DIR, O_RDONLY | O_DIRECTORY, 0);

		if (pfd < 0)
			return pfd;
		/* Unique among runs: the time, and a counter for runs within it. */
		for (unsigned i = 0;; i++) {
			snprintf(name, sizeof(name), "%lld.%u", (long long)time(NULL), i);
			if (mkdirat(pfd, name, 0700) == 0)
				break;
			if (errno != EEXIST || i > 1000)
				return -errno;
		}
		k->retfd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (k->retfd < 0)
			return -errno;
	}
	for (size_t i = 0; i < k->paths.len; i++) {
		_cleanup_close_ int dfd = -1;
		const char *base;

		dfd = root_open_parent(k->rootfd, k->paths.ptr[i], &base);
		if (dfd >= 0)
			retire(k, dfd, base);
	}
	return 0;
}

int keep_finish(struct keep *k)
{
	for (size_t i = 0; i < k->e.len; i++) {
		struct keep_entry *e = &k->e.ptr[i];
		_cleanup_close_ int dfd = -1;
		const char *base;

		if (e->dir || e->back)
			continue;
		dfd = root_open_parent(k->rootfd, e->path, &base);
		if (dfd < 0)
			continue;
		if (!keep_same_object(k->dirfd, e->name, dfd, base))
			continue;
		/* The new object lived a moment: a client may have its handle. */
		retire(k, dfd, base);
		/* One rename: a reader sees the new object or the old one, both
		 * complete and the same. */
		if (renameat(k->dirfd, e->name, dfd, base) < 0)
			return log_errno(-errno, "cannot put %s back", e->path);
		e->back = true;
		k->back++;
	}
	close(k->dirfd);
	k->dirfd = -1;
	return keep_clean(k->rootfd, false) < 0 ? -EIO : (int)k->back;
}
