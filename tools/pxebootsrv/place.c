// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The boot directory: links to the loaders and the entries' files, and the
 * generated menus. Links rather than copies: a package upgrade or a new
 * image generation (renamed over the old name) is served without a re-run,
 * and dnsmasq and lighttpd both follow links.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "log.h"
#include "render.h"
#include "util.h"

static int mkdir_p(const char *path)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return log_errno(-errno, "cannot create %s", p);
		if (!s)
			return 0;
		*s = '/';
	}
}

/* Make dir/name a symlink to target, atomically; 1 when it changed. */
static int link_atomic(const char *path, const char *target)
{
	_cleanup_free_ char *tmp = NULL;
	char cur[4096];
	ssize_t n = readlink(path, cur, sizeof(cur) - 1);

	if (n >= 0) {
		cur[n] = '\0';
		if (strcmp(cur, target) == 0)
			return 0;
	}
	if (asprintf(&tmp, "%s.tmp-%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	unlink(tmp);
	if (symlink(target, tmp) < 0 || rename(tmp, path) < 0) {
		int r = -errno;

		unlink(tmp);
		return log_errno(r, "cannot link %s", path);
	}
	return 1;
}

static int write_if_changed(const char *path, const char *text, size_t len)
{
	_cleanup_free_ char *cur = NULL;
	size_t cur_len;
	int r;

	if (read_file_at(AT_FDCWD, path, &cur, &cur_len) == 0 && cur_len == len &&
	    memcmp(cur, text, len) == 0)
		return 0;
	r = write_file_atomic_at(AT_FDCWD, path, text, len, 0644);
	return r < 0 ? log_errno(r, "cannot write %s", path) : 1;
}

static int parent_dir(const char *path)
{
	_cleanup_free_ char *d = strdup(path);
	char *slash;

	if (!d)
		return -ENOMEM;
	slash = strrchr(d, '/');
	if (!slash || slash == d)
		return 0;
	*slash = '\0';
	return mkdir_p(d);
}

/*
 * The initramfs refuses an image downloaded into RAM without a checksum file
 * beside it (URL.sha256): write one for each HTTP root, again only when the
 * image is newer than it (a new generation renamed over the old name is).
 */
static int place_checksums(const struct render *r, const char *dir)
{
	int changed = 0;

	for (size_t i = 0; i < r->n_boot; i++) {
		const struct bootfile *b = &r->boot[i];
		_cleanup_free_ char *path = NULL, *text = NULL;
		_cleanup_close_ int fd = -1;
		const char *base;
		struct stat img, sum;
		char hex[65];
		int k;

		if (!b->entry || b->entry->kind != KIND_PXEROOT ||
		    b->entry->root != ROOT_HTTP || b->entry->url ||
		    strcmp(b->source, b->entry->image) != 0)
			continue;
		if (asprintf(&path, "%s/%s.sha256", dir, b->name) < 0)
			return -ENOMEM;
		fd = open(b->source, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &img) < 0)
			return log_errno(-errno, "cannot open %s", b->source);
		if (stat(path, &sum) == 0 &&
		    (sum.st_mtim.tv_sec > img.st_mtim.tv_sec ||
		     (sum.st_mtim.tv_sec == img.st_mtim.tv_sec &&
		      sum.st_mtim.tv_nsec > img.st_mtim.tv_nsec)))
			continue;
		k = sha256_fd(fd, hex);
		if (k < 0)
			return log_errno(k, "cannot read %s", b->source);
		base = strrchr(b->name, '/');
		if (asprintf(&text, "%s  %s\n", hex, base ? base + 1 : b->name) < 0)
			return -ENOMEM;
		k = write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0644);
		if (k < 0)
			return log_errno(k, "cannot write %s", path);
		changed++;
	}
	return changed;
}

int render_place_boot(const struct render *r, const char *dir)
{
	int changed = 0, k;

	k = mkdir_p(dir);
	if (k < 0)
		return k;
	for (size_t i = 0; i < r->n_boot; i++) {
		const struct bootfile *b = &r->boot[i];
		_cleanup_free_ char *path = NULL;
		struct stat st;

		if (asprintf(&path, "%s/%s", dir, b->name) < 0)
			return -ENOMEM;
		if (b->in_boot_dir)
			continue;
		/* An administrator's own copy of a loader is left in place. */
		if (b->package && lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			continue;
		k = parent_dir(path);
		k = k ?: link_atomic(path, b->source);
		if (k < 0)
			return k;
		changed += k;
	}
	for (size_t i = 0; i < r->n_files; i++) {
		const struct gen *g = &r->files[i];
		_cleanup_free_ char *path = NULL;

		if (!startswith(g->path, R_BOOT))
			continue;
		if (asprintf(&path, "%s/%s", dir, g->path + strlen(R_BOOT)) < 0)
			return -ENOMEM;
		k = parent_dir(path);
		k = k ?: write_if_changed(path, g->text, g->len);
		if (k < 0)
			return k;
		changed += k;
	}
	k = place_checksums(r, dir);
	return k < 0 ? k : changed + k;
}
