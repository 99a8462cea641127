// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The actions a step plans (write, link, remove, mkdir): whether each is done
 * already, and doing it with every path journaled first (lib/journal.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootready-internal.h"
#include "journal.h"
#include "keep.h"
#include "rootdir.h"
#include "util.h"

static void action_done(struct action *a)
{
	free(a->path);
	free(a->data);
}

void plan_clear(struct ctx *c)
{
	vector_foreach(a, &c->acts)
		action_done(a);
	action_vector_reset(&c->acts);
}

int plan_add(struct ctx *c, enum act_kind kind, const char *path, const char *data,
	     size_t len, mode_t mode)
{
	struct action a = { .kind = kind, .len = len, .mode = mode };
	int r;

	a.path = strdup(path);
	if (data) {
		a.data = malloc(len + 1);
		if (a.data) {
			memcpy(a.data, data, len);
			a.data[len] = '\0';
		}
	}
	if (!a.path || (data && !a.data)) {
		action_done(&a);
		return -ENOMEM;
	}
	r = action_vector_append(&c->acts, a);
	if (r < 0)
		action_done(&a);
	return r;
}

bool tree_has(int rootfd, const char *path)
{
	struct stat st;

	return root_stat(rootfd, path, false, &st) == 0;
}

bool action_satisfied(int rootfd, const struct action *a)
{
	_cleanup_free_ char *cur = NULL;
	struct stat st;
	size_t len;
	int r = root_stat(rootfd, a->path, false, &st);

	switch (a->kind) {
	case ACT_REMOVE:
		return r == -ENOENT;
	case ACT_MKDIR:
		/* A link to a directory will do. */
		return root_stat(rootfd, a->path, true, &st) == 0 && S_ISDIR(st.st_mode);
	case ACT_LINK:
		if (r < 0 || !S_ISLNK(st.st_mode))
			return false;
		return root_readlink(rootfd, a->path, &cur) == 0 &&
		       strcmp(cur, a->data) == 0;
	case ACT_WRITE:
		if (r < 0 || !S_ISREG(st.st_mode))
			return false;
		if (a->mode && (st.st_mode & 07777) != a->mode)
			return false;
		if ((size_t)st.st_size != a->len)
			return false;
		return root_read_file(rootfd, a->path, &cur, &len) == 0 &&
		       len == a->len && memcmp(cur, a->data, len) == 0;
	}
	return false;
}

void action_describe(const char *step, const struct action *a)
{
	switch (a->kind) {
	case ACT_WRITE:
		printf("%s: write %s\n", step, a->path);
		break;
	case ACT_LINK:
		printf("%s: link %s -> %s\n", step, a->path, a->data);
		break;
	case ACT_REMOVE:
		printf("%s: remove %s\n", step, a->path);
		break;
	case ACT_MKDIR:
		printf("%s: mkdir %s\n", step, a->path);
		break;
	}
}

static int ensure_dir(struct journal *j, struct keep *k, int rootfd, const char *path,
		      mode_t mode, int depth);

/* Create the missing directories above path, each journaled first. */
static int ensure_parents(struct journal *j, struct keep *k, int rootfd, const char *path,
			  int depth)
{
	_cleanup_free_ char *p = strdup(path);
	char *s;
	int r;

	if (!p)
		return -ENOMEM;
	for (s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		r = ensure_dir(j, k, rootfd, p, 0755, depth);
		if (r < 0)
			return r;
		*s = '/';
	}
	return 0;
}

/*
 * The target of the link at path as a path from the tree's root: an absolute
 * target is already one (RESOLVE_IN_ROOT reads it so), a relative one is
 * joined to the link's directory, "." and ".." folded.
 */
static int link_target_path(int rootfd, const char *path, char **ret)
{
	_cleanup_free_ char *target = NULL, *joined = NULL;
	char *out, *w, *seg, *save = NULL;
	int r;

	r = root_readlink(rootfd, path, &target);
	if (r < 0)
		return r;
	if (target[0] == '/')
		joined = strdup(target);
	else if (asprintf(&joined, "%.*s/%s", (int)(strrchr(path, '/') - path), path,
			  target) < 0)
		joined = NULL;
	if (!joined)
		return -ENOMEM;
	out = calloc(1, strlen(joined) + 2);
	if (!out)
		return -ENOMEM;
	w = out;
	for (seg = strtok_r(joined, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			char *up = strrchr(out, '/');

			w = up ? up : out;
			*w = '\0';
			continue;
		}
		w += sprintf(w, "/%s", seg);
	}
	if (!*out)
		strcpy(out, "/");
	*ret = out;
	return 0;
}

/*
 * Make path a directory (or leave the one there), journaled first. A dangling
 * link on the way (an absolute link into a /run or /var that the tree leaves
 * empty, say) is followed: what it names is created inside the tree, so the
 * link keeps the meaning its distribution gave it. A directory bootchroot kept
 * (k, may be NULL) is put back instead of a new one, so NFS clients' handles to
 * it stay good.
 */
static int ensure_dir(struct journal *j, struct keep *k, int rootfd, const char *path,
		      mode_t mode, int depth)
{
	_cleanup_close_ int dfd = -1;
	struct stat st;
	const char *base;
	int r;

	if (depth > 16)
		return -ELOOP;
	r = root_stat(rootfd, path, true, &st);
	if (r == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (r != -ENOENT)
		return r;
	r = ensure_parents(j, k, rootfd, path, depth);
	if (r < 0)
		return r;
	r = root_stat(rootfd, path, false, &st);
	if (r == 0 && S_ISLNK(st.st_mode)) {
		_cleanup_free_ char *target = NULL;

		r = link_target_path(rootfd, path, &target);
		if (r < 0)
			return r;
		return ensure_dir(j, k, rootfd, target, mode, depth + 1);
	}
	if (r == 0)
		return -ENOTDIR;
	r = journal_record(j, path);
	if (r < 0)
		return r;
	dfd = root_open_parent(rootfd, path, &base);
	if (dfd < 0)
		return dfd;
	if (k && keep_take_dir(k, path, dfd, base, mode) == 0)
		return 0;
	if (mkdirat(dfd, base, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int action_apply(struct journal *j, struct keep *k, int rootfd, const struct action *a)
{
	struct root_meta meta = { .mode = a->mode ? a->mode : 0644,
				  .uid = -1,
				  .gid = -1 };
	struct stat st;
	int r;

	if (a->kind == ACT_MKDIR)
		return ensure_dir(j, k, rootfd, a->path, a->mode ? a->mode : 0755, 0);
	r = ensure_parents(j, k, rootfd, a->path, 0);
	if (r < 0)
		return r;
	r = journal_record(j, a->path);
	if (r < 0)
		return r;
	r = root_stat(rootfd, a->path, false, &st);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0 && S_ISDIR(st.st_mode))
		return -EISDIR;
	switch (a->kind) {
	case ACT_WRITE:
		/* An edited file keeps its owner and, unless told, its mode. */
		if (r == 0 && S_ISREG(st.st_mode)) {
			meta.uid = st.st_uid;
			meta.gid = st.st_gid;
			if (!a->mode)
				meta.mode = st.st_mode & 07777;
		}
		return root_replace(rootfd, a->path, a->data, a->len, NULL, &meta);
	case ACT_LINK:
		return root_replace(rootfd, a->path, NULL, 0, a->data, NULL);
	case ACT_REMOVE:
		if (r == -ENOENT)
			return 0;
		r = root_unlink(rootfd, a->path, 0);
		return r == -ENOENT ? 0 : r;
	case ACT_MKDIR:
		break;
	}
	return -EINVAL;
}
