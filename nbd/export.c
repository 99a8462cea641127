// SPDX-License-Identifier: GPL-2.0-or-later
#include <blkid.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"
#include "log.h"
#include "macro.h"
#include "proto.h"
#include "util.h"

static atomic_uint generation_counter;

bool export_writable(const struct export *e)
{
	return !e->readonly || e->cow != COW_OFF;
}

uint16_t export_tflags(const struct export *e, bool structured)
{
	uint16_t f = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_CACHE;

	if (structured)
		f |= NBD_FLAG_SEND_DF;
	if (export_writable(e))
		f |= NBD_FLAG_SEND_FUA | NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES;
	else
		f |= NBD_FLAG_READ_ONLY;
	/*
	 * Every connection shares one image through the page cache, and a flush
	 * syncs that file; a copy-on-write overlay is private to its connection
	 * (or address) and so is not.
	 */
	if (e->cow == COW_OFF)
		f |= NBD_FLAG_CAN_MULTI_CONN;
	return f;
}

struct export *export_ref(struct export *e)
{
	atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
	return e;
}

bool export_cached(const struct export *e, uint64_t off, uint64_t len)
{
	static const long page = 4096;
	unsigned char vec[256];
	uint64_t start = off & ~(uint64_t)(page - 1), end = off + len;

	if (!e->map || len == 0)
		return true;
	while (start < end) {
		uint64_t n = MIN((end - start + page - 1) / page, (uint64_t)sizeof(vec));

		if (mincore((uint8_t *)e->map + start, n * page, vec) < 0)
			return true; /* cannot tell: just read */
		for (uint64_t i = 0; i < n; i++) {
			if (!(vec[i] & 1)) {
				posix_fadvise(e->fd, start + i * page,
					      end - start - i * page,
					      POSIX_FADV_WILLNEED);
				return false;
			}
		}
		start += n * page;
	}
	return true;
}

static void export_free(struct export *e)
{
	if (e->map)
		munmap(e->map, e->size);
	if (e->fd >= 0)
		close(e->fd);
	free(e->name);
	free(e->description);
	free(e->path);
	free(e->cow_dir);
	acl_free(&e->allow);
	free(e);
}

void export_unref(struct export *e)
{
	if (e && atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
		export_free(e);
}

static int identify(struct export *e, bool force, bool quiet)
{
	blkid_probe pr;
	const char *v = NULL;
	int r;

	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, e->fd, 0, 0) < 0) {
		blkid_free_probe(pr);
		return -EIO;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
	blkid_probe_enable_partitions(pr, 1);
	r = blkid_do_safeprobe(pr);
	if (r == 0 && (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0 ||
		       blkid_probe_lookup_value(pr, "PTTYPE", &v, NULL) == 0))
		snprintf(e->fstype, sizeof(e->fstype), "%s", v);
	blkid_free_probe(pr);
	if (!e->fstype[0]) {
		if (!force) {
			log_error(
				"%s: %s; use --force to serve it anyway", e->path,
				r == -2 ? "content is ambiguous (several signatures)"
					: "unknown content (not a file system or disk image blkid knows)");
			return -EMEDIUMTYPE;
		}
		snprintf(e->fstype, sizeof(e->fstype), "unknown");
	}
	if (!quiet)
		log_notice("export '%s': %s (%s, %" PRIu64 " bytes)", e->name, e->path,
			   e->fstype, e->size);
	return 0;
}

static int export_alloc(struct export **ret)
{
	struct export *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	atomic_init(&e->refs, 1);
	e->fd = -1;
	e->generation = atomic_fetch_add(&generation_counter, 1) + 1;
	*ret = e;
	return 0;
}

int export_new_fd(const char *name, int fd, bool readonly, struct export **ret)
{
	struct export *e;
	struct stat st;
	int r = export_alloc(&e);

	if (r < 0) {
		close(fd);
		return r;
	}
	e->fd = fd;
	e->readonly = readonly;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		export_free(e);
		return r;
	}
	e->size = st.st_size;
	e->name = strdup(name);
	e->path = strdup(name);
	if (!e->name || !e->path) {
		export_free(e);
		return -ENOMEM;
	}
	if (e->size) {
		e->map = mmap(NULL, e->size, PROT_READ, MAP_SHARED, e->fd, 0);
		if (e->map == MAP_FAILED)
			e->map = NULL;
	}
	*ret = e;
	return 0;
}

static int export_open_internal(const struct export_conf *ec, const char *cow_dir,
				bool force, bool quiet, struct export **ret)
{
	struct export *e;
	struct stat st;
	int r;

	r = export_alloc(&e);
	if (r < 0)
		return r;
	e->readonly = ec->readonly;
	e->cow = ec->cow;
	e->name = strdup(ec->name);
	e->path = strdup(ec->path);
	e->description = ec->description ? strdup(ec->description) : NULL;
	e->cow_dir = cow_dir ? strdup(cow_dir) : NULL;
	if (!e->name || !e->path || (ec->description && !e->description) ||
	    (cow_dir && !e->cow_dir)) {
		export_free(e);
		return log_errno(-ENOMEM, "export '%s'", ec->name);
	}
	for (size_t i = 0; i < ec->allow.n; i++) {
		struct cidr *v = realloc(e->allow.v, (e->allow.n + 1) * sizeof(*v));

		if (!v) {
			export_free(e);
			return -ENOMEM;
		}
		e->allow.v = v;
		v[e->allow.n++] = ec->allow.v[i];
	}
	e->fd = open(e->path, (e->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
	if (e->fd < 0) {
		r = log_errno(-errno, "cannot open %s", e->path);
		export_free(e);
		return r;
	}
	if (fstat(e->fd, &st) < 0) {
		r = log_errno(-errno, "cannot stat %s", e->path);
		export_free(e);
		return r;
	}
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	if (S_ISREG(st.st_mode)) {
		e->size = st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		e->blockdev = true;
		if (ioctl(e->fd, BLKGETSIZE64, &e->size) < 0) {
			r = log_errno(-errno, "cannot get the size of %s", e->path);
			export_free(e);
			return r;
		}
	} else {
		log_error("%s: not a regular file or block device", e->path);
		export_free(e);
		return -EINVAL;
	}
	if (e->size == 0) {
		log_error("%s: image is empty", e->path);
		export_free(e);
		return -EINVAL;
	}
	r = identify(e, force, quiet);
	if (r < 0) {
		export_free(e);
		return r;
	}
	/* Only for mincore(); a failure just means reads may block on a cold cache. */
	e->map = mmap(NULL, e->size, PROT_READ, MAP_SHARED, e->fd, 0);
	if (e->map == MAP_FAILED)
		e->map = NULL;
	*ret = e;
	return 0;
}

int export_open(const struct export_conf *ec, const char *cow_dir, bool force,
		struct export **ret)
{
	return export_open_internal(ec, cow_dir, force, false, ret);
}

int export_table_init(struct export_table *t)
{
	*t = (struct export_table){ 0 };
	return -pthread_mutex_init(&t->lock, NULL);
}

void export_table_free(struct export_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		export_unref(t->v[i]);
	free(t->v);
	pthread_mutex_destroy(&t->lock);
}

int export_table_prepare(const struct config *c, struct export_set *ret)
{
	struct export_set set = { .force = c->force };
	int r;

	set.v = calloc(c->n_exports, sizeof(*set.v));
	if (!set.v)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_exports; i++) {
		const struct export_conf *ec = &c->exports[i];

		r = export_open(ec, c->cow_dir, c->force, &set.v[set.n]);
		if (r < 0) {
			export_set_free(&set);
			return r;
		}
		if (c->default_export && strcmp(c->default_export, ec->name) == 0)
			set.def = set.n;
		set.n++;
	}
	*ret = set;
	return 0;
}

void export_set_free(struct export_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		export_unref(set->v[i]);
	free(set->v);
	*set = (struct export_set){ 0 };
}

void export_table_commit(struct export_table *t, struct export_set *set)
{
	struct export_set old;

	pthread_mutex_lock(&t->lock);
	old = (struct export_set){ .v = t->v, .n = t->n };
	t->v = set->v;
	t->n = set->n;
	t->default_index = set->def;
	t->force = set->force;
	pthread_mutex_unlock(&t->lock);
	*set = (struct export_set){ 0 };
	/* Connected clients hold their own references. */
	export_set_free(&old);
}

int export_table_load(struct export_table *t, const struct config *c)
{
	struct export_set set;
	int r = export_table_prepare(c, &set);

	if (r < 0)
		return r;
	export_table_commit(t, &set);
	return 0;
}

/* Called with the lock held: if the file was replaced by a new inode, open it. */
static void refresh(struct export_table *t, size_t i)
{
	struct export *e = t->v[i], *ne = NULL;
	struct stat st;
	struct export_conf ec;

	if (e->blockdev || stat(e->path, &st) < 0)
		return;
	if (st.st_dev == e->dev && st.st_ino == e->ino)
		return;
	ec = (struct export_conf){
		.name = e->name,
		.path = e->path,
		.description = e->description,
		.allow = e->allow,
		.readonly = e->readonly,
		.cow = e->cow,
	};
	if (export_open_internal(&ec, e->cow_dir, t->force, true, &ne) < 0) {
		log_warn(
			"export '%s': %s was replaced but cannot be served; still serving the previous image",
			e->name, e->path);
		/* Do not try again for this inode. */
		e->dev = st.st_dev;
		e->ino = st.st_ino;
		return;
	}
	log_notice("export '%s': %s was replaced (%s, %" PRIu64
		   " bytes); new connections get the new image",
		   ne->name, ne->path, ne->fstype, ne->size);
	t->v[i] = ne;
	export_unref(e);
}

int export_table_get(struct export_table *t, const char *name,
		     const struct sockaddr *peer, struct export **ret)
{
	int r = -ENOENT;

	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n; i++) {
		if (*name ? strcmp(t->v[i]->name, name) != 0 : i != t->default_index)
			continue;
		if (peer && !acl_allows(&t->v[i]->allow, peer)) {
			r = -EACCES;
			break;
		}
		refresh(t, i);
		*ret = export_ref(t->v[i]);
		r = 0;
		break;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

int export_table_list(struct export_table *t, const struct sockaddr *peer,
		      int (*fn)(void *data, const char *name, const char *description),
		      void *data)
{
	int r = 0;

	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n && r >= 0; i++)
		if (!peer || acl_allows(&t->v[i]->allow, peer))
			r = fn(data, t->v[i]->name, t->v[i]->description);
	pthread_mutex_unlock(&t->lock);
	return r;
}
