// SPDX-License-Identifier: GPL-2.0-or-later
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "compress.h"
#include "image.h"
#include "kostrip.h"
#include "log.h"
#include "rootdir.h"
#include "util.h"
#include "vector.h"

struct image {
	int rootfd;
	void *tree; /* tsearch() index of entries by path */
	struct img_entry **v;
	size_t n, cap;
	bool strip_modules;
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct img_entry *)a)->path,
		      ((const struct img_entry *)b)->path);
}

static int entryp_cmp(const void *a, const void *b)
{
	return strcmp((*(struct img_entry *const *)a)->path,
		      (*(struct img_entry *const *)b)->path);
}

int image_new(int rootfd, struct image **ret)
{
	struct image *img = calloc(1, sizeof(*img));

	if (!img)
		return -ENOMEM;
	img->rootfd = rootfd;
	*ret = img;
	return 0;
}

static void entry_free(struct img_entry *e)
{
	if (!e)
		return;
	free(e->path);
	free(e->from);
	free(e->data);
	free(e);
}

static void noop_free(void *p)
{
}

void image_free(struct image *img)
{
	if (!img)
		return;
	tdestroy(img->tree, noop_free);
	for (size_t i = 0; i < img->n; i++)
		entry_free(img->v[i]);
	free(img->v);
	free(img);
}

const struct img_entry *image_get(struct image *img, const char *path)
{
	struct img_entry key = { .path = (char *)path };
	void *p;

	while (*key.path == '/')
		key.path++;
	p = tfind(&key, &img->tree, entry_cmp);
	return p ? *(struct img_entry **)p : NULL;
}

bool image_has(struct image *img, const char *path)
{
	return image_get(img, path) != NULL;
}

void image_set_strip_modules(struct image *img, bool strip)
{
	img->strip_modules = strip;
}

size_t image_count(struct image *img)
{
	return img->n;
}

static bool valid_path(const char *p)
{
	/* No empty, "." or ".." component: the kernel would take it literally. */
	if (!*p)
		return false;
	for (const char *s = p; *s;) {
		size_t len = strcspn(s, "/");

		if (len == 0 || (len == 1 && s[0] == '.') ||
		    (len == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += len;
		if (*s == '/') {
			s++;
			if (!*s)
				return false;
		}
	}
	return true;
}

static int insert(struct image *img, struct img_entry *e)
{
	void *p;

	if (vector_reserve((void **)&img->v, &img->cap, img->n + 1, sizeof(*img->v)) < 0)
		return -ENOMEM;
	p = tsearch(e, &img->tree, entry_cmp);
	if (!p)
		return -ENOMEM;
	if (*(struct img_entry **)p != e)
		return -EEXIST;
	img->v[img->n++] = e;
	return 0;
}

/* Make sure every parent of path is a directory entry. */
static int add_parents(struct image *img, const char *path)
{
	_cleanup_free_ char *p = strdup(path);
	char *slash;
	int k;

	if (!p)
		return -ENOMEM;
	for (slash = strchr(p, '/'); slash; slash = strchr(slash + 1, '/')) {
		const struct img_entry *e;

		*slash = '\0';
		e = image_get(img, p);
		if (e) {
			if (!S_ISDIR(e->mode))
				return -ENOTDIR;
		} else {
			struct img_entry *d = calloc(1, sizeof(*d));

			if (!d)
				return -ENOMEM;
			d->path = strdup(p);
			d->mode = S_IFDIR | 0755;
			if (!d->path) {
				free(d);
				return -ENOMEM;
			}
			k = insert(img, d);
			if (k < 0) {
				entry_free(d);
				return k;
			}
		}
		*slash = '/';
	}
	return 0;
}

static int add_entry(struct image *img, const char *path, mode_t mode,
		     struct img_entry **ret)
{
	struct img_entry *e;
	int k;

	while (*path == '/')
		path++;
	if (!valid_path(path))
		return -EINVAL;
	if (image_has(img, path))
		return -EEXIST;
	k = add_parents(img, path);
	if (k < 0)
		return k;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->path = strdup(path);
	e->mode = mode;
	if (!e->path) {
		free(e);
		return -ENOMEM;
	}
	k = insert(img, e);
	if (k < 0) {
		entry_free(e);
		return k;
	}
	*ret = e;
	return 0;
}

int image_add_dir(struct image *img, const char *path)
{
	struct img_entry *e;
	const struct img_entry *old = image_get(img, path);

	if (old)
		return S_ISDIR(old->mode) ? 0 : -EEXIST;
	return add_entry(img, path, S_IFDIR | 0755, &e);
}

int image_add_symlink(struct image *img, const char *path, const char *target)
{
	struct img_entry *e;
	int k = add_entry(img, path, S_IFLNK | 0777, &e);

	if (k < 0)
		return k;
	e->from = strdup(target);
	return e->from ? 0 : -ENOMEM;
}

int image_add_chardev(struct image *img, const char *path, unsigned int major,
		      unsigned int minor, mode_t perm)
{
	struct img_entry *e;
	int k = add_entry(img, path, S_IFCHR | (perm & 0777), &e);

	if (k < 0)
		return k;
	e->rdev = makedev(major, minor);
	return 0;
}

static mode_t file_perm(mode_t perm)
{
	return (perm & 0111) ? 0755 : 0644;
}

int image_add_file(struct image *img, const char *path, enum entry_source src,
		   const char *from, mode_t perm)
{
	struct img_entry *e;
	int k = add_entry(img, path, S_IFREG | file_perm(perm), &e);

	if (k < 0)
		return k;
	e->src = src;
	e->from = strdup(from);
	return e->from ? 0 : -ENOMEM;
}

int image_add_data(struct image *img, const char *path, void *data, size_t size,
		   mode_t perm)
{
	struct img_entry *e;
	int k = add_entry(img, path, S_IFREG | file_perm(perm), &e);

	if (k < 0) {
		free(data);
		return k;
	}
	e->src = SRC_DATA;
	e->data = data;
	e->size = size;
	return 0;
}

/* The bytes of one regular file, from wherever they are. */
struct content {
	const void *p;
	size_t size;
	void *map; /* munmap */
	void *heap; /* free */
};

static void content_done(struct content *c)
{
	if (c->map)
		munmap(c->map, c->size);
	free(c->heap);
	memset(c, 0, sizeof(*c));
}

static bool is_compressed_module(const char *name)
{
	size_t n = strlen(name);

	return (n > 6 && strcmp(name + n - 6, ".ko.xz") == 0) ||
	       (n > 7 && strcmp(name + n - 7, ".ko.zst") == 0) ||
	       (n > 6 && strcmp(name + n - 6, ".ko.gz") == 0);
}

static int map_fd(int fd, struct content *c)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	c->size = st.st_size;
	if (st.st_size == 0) {
		c->p = "";
		return 0;
	}
	c->map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		return -errno;
	}
	c->p = c->map;
	return 0;
}

/* --strip-modules: a private copy of the module, made smaller. */
static int strip(const struct img_entry *e, struct content *c)
{
	size_t size = c->size;
	int k;

	if (!c->heap) {
		void *copy = malloc(MAX(size, (size_t)1));

		if (!copy)
			return -ENOMEM;
		memcpy(copy, c->p, size);
		content_done(c);
		c->heap = copy;
		c->p = copy;
		c->size = size;
	}
	k = kostrip_module(c->heap, &size);
	if (k < 0) {
		log_debug("%s: not stripped (not a module this build understands)",
			  e->from);
		return 0;
	}
	c->size = size;
	return 0;
}

static int load(struct image *img, const struct img_entry *e, struct content *c)
{
	_cleanup_close_ int fd = -1;
	int k;

	memset(c, 0, sizeof(*c));
	switch (e->src) {
	case SRC_DATA:
		c->p = e->data;
		c->size = e->size;
		return 0;
	case SRC_HOST:
		fd = open(e->from, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		break;
	case SRC_ROOT:
	case SRC_ROOT_KMOD:
		fd = root_open(img->rootfd, e->from, O_RDONLY, 0);
		if (fd < 0)
			return fd;
		break;
	default:
		return -EINVAL;
	}
	if (e->src == SRC_ROOT_KMOD && is_compressed_module(e->from)) {
		struct content raw = { 0 };

		k = map_fd(fd, &raw);
		if (k < 0)
			return k;
		k = decompress_buffer(raw.p, raw.size, &c->heap, &c->size);
		content_done(&raw);
		if (k < 0)
			return k;
		c->p = c->heap;
	} else {
		k = map_fd(fd, c);
		if (k < 0)
			return k;
	}
	if (e->src == SRC_ROOT_KMOD && img->strip_modules)
		return strip(e, c);
	return 0;
}

static const char *where(const struct img_entry *e)
{
	return e->src == SRC_DATA ? e->path : e->from;
}

int64_t image_write(struct image *img, int fd, const struct image_write_opts *opts)
{
	_cleanup_(compress_sink_freep) struct compress_sink *sink = NULL;
	struct archive *a = NULL;
	struct archive_entry *ae = NULL;
	int64_t total = -1;
	int k;

	qsort(img->v, img->n, sizeof(*img->v), entryp_cmp);
	k = compress_sink_new(fd, opts->compress, opts->level, &sink);
	if (k < 0)
		return log_errno(k, "cannot set up %s compression",
				 compression_name(opts->compress));
	a = archive_write_new();
	ae = archive_entry_new();
	if (!a || !ae) {
		k = log_errno(-ENOMEM, "cannot write the image");
		goto out;
	}
	k = compress_sink_attach(sink, a);
	if (k < 0)
		goto out;
	for (size_t i = 0; i < img->n; i++) {
		const struct img_entry *e = img->v[i];
		struct content c = { 0 };

		if (S_ISREG(e->mode)) {
			k = load(img, e, &c);
			if (k < 0) {
				log_errno(k, "cannot read %s", where(e));
				goto out;
			}
		}
		archive_entry_clear(ae);
		archive_entry_set_pathname(ae, e->path);
		archive_entry_set_mode(ae, e->mode);
		archive_entry_set_uid(ae, 0);
		archive_entry_set_gid(ae, 0);
		archive_entry_set_mtime(ae, (time_t)opts->epoch, 0);
		/* Inode numbers by position: stable, unique, no file a hard link. */
		archive_entry_set_ino64(ae, (int64_t)i + 1);
		archive_entry_set_nlink(ae, S_ISDIR(e->mode) ? 2 : 1);
		archive_entry_set_dev(ae, 0);
		if (S_ISCHR(e->mode) || S_ISBLK(e->mode))
			archive_entry_set_rdev(ae, e->rdev);
		if (S_ISLNK(e->mode)) {
			archive_entry_set_symlink(ae, e->from);
			archive_entry_set_size(ae, strlen(e->from));
		} else {
			archive_entry_set_size(ae,
					       S_ISREG(e->mode) ? (int64_t)c.size : 0);
		}
		if (archive_write_header(a, ae) != ARCHIVE_OK) {
			k = compress_archive_error(sink, a, "cannot write the image");
			content_done(&c);
			goto out;
		}
		if (c.size > 0 &&
		    archive_write_data(a, c.p, c.size) != (la_ssize_t)c.size) {
			k = compress_archive_error(sink, a, "cannot write the image");
			content_done(&c);
			goto out;
		}
		content_done(&c);
		if (opts->progress_fn && (i % 64 == 0 || i + 1 == img->n))
			opts->progress_fn(i + 1, img->n, opts->userdata);
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		k = compress_archive_error(sink, a, "cannot write the image");
		goto out;
	}
	total = compress_sink_bytes(sink);
	k = 0;
out:
	archive_entry_free(ae);
	if (a)
		archive_write_free(a);
	return k < 0 ? k : total;
}

static void mode_string(mode_t m, char buf[11])
{
	static const char rwx[] = "rwxrwxrwx";

	buf[0] = S_ISDIR(m)   ? 'd'
		 : S_ISLNK(m) ? 'l'
		 : S_ISCHR(m) ? 'c'
		 : S_ISBLK(m) ? 'b'
			      : '-';
	for (int i = 0; i < 9; i++)
		buf[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
	buf[10] = '\0';
}

int image_list(struct image *img, FILE *f)
{
	qsort(img->v, img->n, sizeof(*img->v), entryp_cmp);
	for (size_t i = 0; i < img->n; i++) {
		const struct img_entry *e = img->v[i];
		char mode[11];

		mode_string(e->mode, mode);
		if (S_ISREG(e->mode)) {
			struct content c;
			int k = load(img, e, &c);

			if (k < 0)
				return log_errno(k, "cannot read %s", where(e));
			fprintf(f, "%s %10zu /%s\n", mode, c.size, e->path);
			content_done(&c);
		} else if (S_ISLNK(e->mode)) {
			fprintf(f, "%s %10zu /%s -> %s\n", mode, strlen(e->from), e->path,
				e->from);
		} else if (S_ISCHR(e->mode) || S_ISBLK(e->mode)) {
			fprintf(f, "%s %4u, %4u /%s\n", mode, major(e->rdev),
				minor(e->rdev), e->path);
		} else {
			fprintf(f, "%s %10d /%s\n", mode, 0, e->path);
		}
	}
	return fflush(f) == 0 ? 0 : -errno;
}
