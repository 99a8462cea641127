// SPDX-License-Identifier: GPL-2.0-or-later
#include <blkid.h>
#include <dirent.h>
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
#include "strv.h"
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
	free(e->canonical);
	free(e->real);
	free(e->info_desc);
	acl_free(&e->allow);
	free(e);
}

void export_unref(struct export *e)
{
	if (e && atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
		export_free(e);
}

static int identify(struct export *e, bool force)
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
	e->canonical = strdup(name);
	if (!e->name || !e->path || !e->canonical) {
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

/* The file fd refers to, as the kernel names it: the link it was opened by resolved. */
static char *real_path(int fd, const char *path)
{
	char proc[64], buf[4096];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, sizeof(buf) - 1);
	if (n > 0 && buf[0] == '/') {
		buf[n] = '\0';
		return strdup(buf);
	}
	return realpath(path, NULL);
}

/*
 * Find the identity of what e opened. -EWOULDBLOCK when it would have to be
 * computed and may_hash is false.
 */
static int set_identity(struct export *e, const struct stat *st, bool may_hash)
{
	const char *base = strrchr(e->real, '/');
	int r;

	base = base ? base + 1 : e->real;
	/*
	 * A block device or an image clients write to has no fixed content:
	 * no identity, whatever its name, so nothing is pinned to it and
	 * NAME@ID is refused for it.
	 */
	if (!S_ISREG(st->st_mode) || !e->readonly)
		goto named;
	if (identity_from_name(base, e->id, NULL, NULL))
		goto named;
	if (identity_cached(e->fd, st, e->id) == 0)
		goto named;
	if (!may_hash)
		return -EWOULDBLOCK;
	log_info("export '%s': computing the identity of %s (%" PRIu64 " bytes)", e->name,
		 e->real, e->size);
	r = identity_compute(e->fd, st, e->id);
	if (r < 0)
		return log_errno(r, "cannot read %s", e->real);
named:
	if (e->id[0]) {
		if (asprintf(&e->canonical, "%s@%s", e->name, e->id) < 0)
			e->canonical = NULL;
		if (asprintf(&e->info_desc, "%s%sgeneration %s",
			     e->description ? e->description : "",
			     e->description ? ", " : "", e->id) < 0)
			e->info_desc = NULL;
	} else {
		e->canonical = strdup(e->name);
		e->info_desc = e->description ? strdup(e->description) : NULL;
	}
	if (!e->canonical || (!e->info_desc && (e->id[0] || e->description)))
		return -ENOMEM;
	return 0;
}

static int export_open_internal(const struct export_conf *ec, const char *cow_dir,
				bool force, bool quiet, bool may_hash,
				struct export **ret)
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
	if (acl_copy(&ec->allow, &e->allow) < 0) {
		export_free(e);
		return -ENOMEM;
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
	e->real = real_path(e->fd, e->path);
	if (!e->real) {
		export_free(e);
		return log_errno(-ENOMEM, "export '%s'", ec->name);
	}
	r = identify(e, force);
	if (r < 0) {
		export_free(e);
		return r;
	}
	/* After blkid: an image that is refused is not read whole first. */
	r = set_identity(e, &st, may_hash);
	if (r < 0) {
		export_free(e);
		return r;
	}
	if (e->cow == COW_KEEP && !e->id[0]) {
		/* A kept overlay is applied only to the generation it was made on;
		   what has no identity cannot be told apart from another. */
		if (!quiet)
			log_warn(
				"export '%s': %s has no identity; each connection gets a "
				"private overlay, none is kept",
				e->name, e->path);
		e->cow = COW_ON;
	}
	if (!quiet)
		log_notice("export '%s': %s (%s, %" PRIu64 " bytes%s%s)", e->name,
			   e->path, e->fstype, e->size, e->id[0] ? ", generation " : "",
			   e->id);
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
	return export_open_internal(ec, cow_dir, force, false, true, ret);
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
	vector_foreach(g, &t->gens)
		export_unref(*g);
	export_vector_reset(&t->gens);
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
	struct export_set old, oldgens;

	pthread_mutex_lock(&t->lock);
	old = (struct export_set){ .v = t->v, .n = t->n };
	/* Older generations are opened again, with the new settings, when asked. */
	oldgens = (struct export_set){ .v = t->gens.ptr, .n = t->gens.len };
	t->gens = (export_vector){ 0 };
	t->v = set->v;
	t->n = set->n;
	t->default_index = set->def;
	t->force = set->force;
	pthread_mutex_unlock(&t->lock);
	*set = (struct export_set){ 0 };
	/* Connected clients hold their own references. */
	export_set_free(&old);
	export_set_free(&oldgens);
	if (t->changed)
		t->changed(t->changed_data);
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

static struct export_conf conf_of(const struct export *e, const char *path)
{
	return (struct export_conf){
		.name = e->name,
		.path = (char *)path,
		.description = e->description,
		.allow = e->allow,
		.readonly = e->readonly,
		.cow = e->cow,
	};
}

/* Called with the lock held: if the file was replaced by a new inode, open it. */
static void refresh(struct export_table *t, size_t i)
{
	struct export *e = t->v[i], *ne = NULL;
	struct stat st;
	struct export_conf ec;
	int r;

	if (e->blockdev || stat(e->path, &st) < 0)
		return;
	if (st.st_dev == e->dev && st.st_ino == e->ino)
		return;
	ec = conf_of(e, e->path);
	/* The front loop calls this: it must not wait for a whole image to be read. */
	r = export_open_internal(&ec, e->cow_dir, t->force, true, false, &ne);
	if (r == -EWOULDBLOCK) {
		if (identity_compute_async(e->path) < 0) {
			log_warn("export '%s': cannot compute the identity of the new %s",
				 e->name, e->path);
			e->dev = st.st_dev;
			e->ino = st.st_ino;
		} else if (st.st_ino != e->pending_ino || st.st_dev != e->pending_dev) {
			log_notice(
				"export '%s': %s was replaced; computing its identity, "
				"serving the previous image meanwhile",
				e->name, e->path);
		}
		e->pending_dev = st.st_dev;
		e->pending_ino = st.st_ino;
		return;
	}
	if (r < 0) {
		log_warn(
			"export '%s': %s was replaced but cannot be served; still serving the previous image",
			e->name, e->path);
		/* Do not try again for this inode. */
		e->dev = st.st_dev;
		e->ino = st.st_ino;
		return;
	}
	log_notice("export '%s': %s was replaced (%s, %" PRIu64 " bytes%s%s); "
		   "new connections get the new image",
		   ne->name, ne->path, ne->fstype, ne->size,
		   ne->id[0] ? ", generation " : "", ne->id);
	t->v[i] = ne;
	export_unref(e);
	if (t->changed)
		t->changed(t->changed_data);
}

bool export_split_generation(const char *name, size_t *name_len, const char **id)
{
	const char *at = strrchr(name, '@');

	if (!at || at == name || !identity_valid(at + 1, strlen(at + 1)))
		return false;
	*name_len = at - name;
	*id = at + 1;
	return true;
}

/* Called with the lock held: drop older generations that only the table holds. */
static void gens_gc(struct export_table *t)
{
	size_t k = 0;

	vector_foreach(g, &t->gens) {
		if (atomic_load(&(*g)->refs) == 1)
			export_unref(*g);
		else
			t->gens.ptr[k++] = *g;
	}
	t->gens.len = k;
}

/* Is the file e opened still there under its name? */
static bool still_on_disk(const struct export *e)
{
	struct stat st;

	return stat(e->real, &st) == 0 && st.st_dev == e->dev && st.st_ino == e->ino;
}

/*
 * The path of generation id beside cur (bootchroot's STEM-ID.EXT), or NULL when
 * cur is not such a generation. id has been checked to be hex.
 */
static char *sibling_path(const struct export *cur, const char *id)
{
	const char *base = strrchr(cur->real, '/');
	char curid[IDENTITY_LEN + 1];
	size_t stem, ext;
	char *p;

	if (!base)
		return NULL;
	base++;
	if (!identity_from_name(base, curid, &stem, &ext))
		return NULL;
	if (asprintf(&p, "%.*s%.*s-%s%s", (int)(base - cur->real), cur->real, (int)stem,
		     base, id, base + ext) < 0)
		return NULL;
	return p;
}

/* Called with the lock held: generation id of the export cur, with a reference. */
static int get_generation(struct export_table *t, struct export *cur, const char *id,
			  struct export **ret)
{
	_cleanup_free_ char *path = NULL;
	struct export_conf ec;
	struct export *g;
	int r;

	if (!cur->id[0])
		return -ENOENT; /* a block device: no generations */
	if (strcmp(cur->id, id) == 0) {
		*ret = export_ref(cur);
		return 0;
	}
	for (size_t i = 0; i < t->gens.len; i++) {
		g = t->gens.ptr[i];
		if (strcmp(g->name, cur->name) != 0 || strcmp(g->id, id) != 0)
			continue;
		if (still_on_disk(g)) {
			*ret = export_ref(g);
			return 0;
		}
		/* Removed: clients that have it read on, nobody new attaches. */
		export_vector_remove(&t->gens, i);
		export_unref(g);
		break;
	}
	path = sibling_path(cur, id);
	if (!path || access(path, F_OK) < 0)
		return -ENOENT;
	ec = conf_of(cur, path);
	r = export_open_internal(&ec, cur->cow_dir, t->force, true, false, &g);
	if (r < 0)
		return r == -ENOMEM ? r : -ENOENT;
	if (strcmp(g->id, id) != 0) {
		export_unref(g);
		return -ENOENT;
	}
	if (export_vector_append(&t->gens, g) < 0) {
		export_unref(g);
		return -ENOMEM;
	}
	export_ref(g); /* the table's */
	log_notice("export '%s': serving generation %s (%s, %s, %" PRIu64 " bytes)",
		   g->name, g->id, g->real, g->fstype, g->size);
	if (t->changed)
		t->changed(t->changed_data);
	*ret = g;
	return 0;
}

int export_table_get(struct export_table *t, const char *name,
		     const struct sockaddr *peer, struct export **ret)
{
	const char *id = NULL;
	size_t len = strlen(name);
	int r = -ENOENT;
	bool exact = false;

	pthread_mutex_lock(&t->lock);
	gens_gc(t);
	/* A name that is configured as it is wins over NAME@ID. */
	for (size_t i = 0; i < t->n && *name; i++)
		exact |= strcmp(t->v[i]->name, name) == 0;
	if (!exact && *name && !export_split_generation(name, &len, &id))
		id = NULL;
	for (size_t i = 0; i < t->n; i++) {
		if (*name ? strlen(t->v[i]->name) != len ||
				    strncmp(t->v[i]->name, name, len) != 0
			  : i != t->default_index)
			continue;
		if (peer && !acl_allows(&t->v[i]->allow, peer)) {
			r = -EACCES;
			break;
		}
		refresh(t, i);
		if (id) {
			r = get_generation(t, t->v[i], id, ret);
			break;
		}
		*ret = export_ref(t->v[i]);
		r = 0;
		break;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

/* Called with the lock held: list NAME and each NAME@ID of export e. */
static int list_generations(struct export *e,
			    int (*fn)(void *data, const char *name,
				      const char *description),
			    void *data)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_strv_free_ char **ids = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	char buf[NBD_MAX_STRING + 1], desc[128], id[IDENTITY_LEN + 1];
	const char *base = strrchr(e->real, '/');
	size_t stem, ext;
	int r;

	r = fn(data, e->name, e->info_desc);
	if (r < 0 || !e->id[0])
		return r;
	snprintf(buf, sizeof(buf), "%s", e->canonical);
	snprintf(desc, sizeof(desc), "generation %s, current", e->id);
	r = fn(data, buf, desc);
	if (r < 0 || !base || !identity_from_name(base + 1, id, &stem, &ext))
		return r;
	/* The other generations: STEM-ID.EXT beside the current one. */
	dir = strndup(e->real, base - e->real + 1);
	base++;
	d = dir ? opendir(dir) : NULL;
	for (struct dirent *de; d && (de = readdir(d));) {
		if (strlen(de->d_name) != stem + 1 + IDENTITY_LEN + strlen(base + ext) ||
		    strncmp(de->d_name, base, stem) != 0 ||
		    !identity_from_name(de->d_name, id, NULL, NULL) ||
		    strcmp(de->d_name + stem + 1 + IDENTITY_LEN, base + ext) != 0 ||
		    strcmp(id, e->id) == 0)
			continue;
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		/* Out of memory: list what there is so far. */
		if (strv_extend(&ids, id) < 0)
			break;
	}
	if (ids)
		strv_sort(ids);
	for (char **i = ids; i && *i && r >= 0; i++) {
		snprintf(buf, sizeof(buf), "%s@%s", e->name, *i);
		snprintf(desc, sizeof(desc), "generation %s", *i);
		r = fn(data, buf, desc);
	}
	return r;
}

int export_table_list(struct export_table *t, const struct sockaddr *peer,
		      int (*fn)(void *data, const char *name, const char *description),
		      void *data)
{
	int r = 0;

	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n && r >= 0; i++) {
		if (peer && !acl_allows(&t->v[i]->allow, peer))
			continue;
		refresh(t, i);
		r = list_generations(t->v[i], fn, data);
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

int export_table_collect(struct export_table *t, struct export ***ret, size_t *ret_n)
{
	struct export **v;
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	gens_gc(t);
	v = calloc(t->n + t->gens.len + 1, sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&t->lock);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->n; i++)
		v[n++] = export_ref(t->v[i]);
	vector_foreach(g, &t->gens)
		v[n++] = export_ref(*g);
	pthread_mutex_unlock(&t->lock);
	*ret = v;
	*ret_n = n;
	return 0;
}
