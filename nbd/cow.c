// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "config.h"
#include "cow.h"
#include "io.h"
#include "log.h"
#include "macro.h"
#include "outq.h"
#include "util.h"

/*
 * A kept overlay's map starts with a header naming the generation it was made
 * on. Version 1 (PXRCOW01) named the image file by device and inode only and
 * its files were named after the export name, not the generation: such an
 * overlay could have been made on any earlier image of that name, so it is
 * never applied (cow_check_legacy says so).
 */
#define MAP_MAGIC "PXRCOW02"
#define MAP_MAGIC_V1 "PXRCOW01"
#define MAP_HEADER 64

struct cow {
	struct cow *next; /* in the registry of kept overlays */
	int refs;
	pthread_mutex_t lock;
	struct export *e;
	int fd;
	uint8_t *map;
	uint64_t nblocks;
	char *key; /* NAME@KEY for kept overlays */
	char *path; /* their data file */
	char *map_path;
	bool map_dirty;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cow *registry;

static bool test_bit(const struct cow *c, uint64_t b)
{
	return c->map[b / 8] & (1u << (b % 8));
}

static void set_bit(struct cow *c, uint64_t b)
{
	c->map[b / 8] |= (uint8_t)(1u << (b % 8));
}

/* pread_full (io.h), but what lies past the end of the file reads as zeroes. */
static int pread_zero_past_end(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, off + done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			/* Past the end of the file: an overlay is sparse, zeroes are
			 * right. */
			memset(buf + done, 0, len - done);
			return 0;
		}
		done += n;
	}
	return 0;
}

static void sanitize(char *s)
{
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '_';
}

static void map_header(const struct cow *c, uint8_t *h)
{
	memset(h, 0, MAP_HEADER);
	memcpy(h, MAP_MAGIC, 8);
	memcpy(h + 8, c->e->id, IDENTITY_LEN);
	put64(h + 24, c->e->size);
	put32(h + 32, COW_BLOCK);
	put64(h + 36, c->nblocks);
}

static int map_save(struct cow *c)
{
	size_t maplen = (c->nblocks + 7) / 8;
	_cleanup_free_ uint8_t *buf = malloc(MAP_HEADER + maplen);

	if (!c->map_path || !c->map_dirty)
		return 0;
	if (!buf)
		return -ENOMEM;
	map_header(c, buf);
	memcpy(buf + MAP_HEADER, c->map, maplen);
	c->map_dirty = false;
	return write_file_atomic_at(AT_FDCWD, c->map_path, buf, MAP_HEADER + maplen,
				    0600);
}

/*
 * A kept overlay from an earlier connection of the same client, if it was made
 * on this generation (its name says so; the header checks it).
 */
static void map_load(struct cow *c)
{
	_cleanup_free_ char *buf = NULL;
	size_t len, maplen = (c->nblocks + 7) / 8;
	uint8_t h[MAP_HEADER];

	if (read_file_at(AT_FDCWD, c->map_path, &buf, &len) < 0)
		return;
	map_header(c, h);
	if (len != MAP_HEADER + maplen || memcmp(buf, h, MAP_HEADER) != 0) {
		log_notice("overlay %s does not match generation %s; starting a new one",
			   c->path, c->e->canonical);
		if (ftruncate(c->fd, 0) < 0 || ftruncate(c->fd, c->e->size) < 0)
			log_warn_errno(-errno, "cannot reset %s", c->path);
		unlink(c->map_path);
		return;
	}
	memcpy(c->map, buf + MAP_HEADER, maplen);
	log_info("overlay %s: reusing what the client wrote before", c->path);
}

static void cow_free(struct cow *c)
{
	if (c->map_path)
		map_save(c);
	if (c->fd >= 0)
		close(c->fd);
	export_unref(c->e);
	free(c->map);
	free(c->key);
	free(c->path);
	free(c->map_path);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int open_tmp(const char *dir)
{
	_cleanup_free_ char *tmpl = NULL;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
		return fd < 0 ? -errno : fd;
	if (asprintf(&tmpl, "%s/.overlay.XXXXXX", dir) < 0)
		return -ENOMEM;
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(tmpl);
	return fd;
}

int cow_open(struct export *e, const char *key, struct cow **ret)
{
	_cleanup_free_ char *fullkey = NULL;
	struct cow *c;
	int r;

	/* Kept only for an image with an identity: see export_open(). */
	if (key && !e->id[0])
		key = NULL;
	if (key) {
		/* The generation's canonical name, NAME@ID: never another image's. */
		if (asprintf(&fullkey, "%s@%s", e->canonical, key) < 0)
			return -ENOMEM;
		sanitize(fullkey);
		pthread_mutex_lock(&registry_lock);
		for (c = registry; c; c = c->next) {
			if (strcmp(c->key, fullkey) != 0)
				continue;
			if (strcmp(c->e->canonical, e->canonical) != 0) {
				/* Two names that differ only where sanitize() changed
				   them: this connection gets a private overlay. */
				log_warn(
					"overlay %s is in use by export '%s'; this connection's writes will not be kept",
					fullkey, c->e->canonical);
				key = NULL;
				break;
			}
			c->refs++;
			pthread_mutex_unlock(&registry_lock);
			*ret = c;
			return 0;
		}
		if (key == NULL)
			pthread_mutex_unlock(&registry_lock);
	}

	c = calloc(1, sizeof(*c));
	if (!c) {
		if (key)
			pthread_mutex_unlock(&registry_lock);
		return -ENOMEM;
	}
	c->refs = 1;
	c->fd = -1;
	pthread_mutex_init(&c->lock, NULL);
	c->e = export_ref(e);
	c->nblocks = (e->size + COW_BLOCK - 1) / COW_BLOCK;
	c->map = calloc((c->nblocks + 7) / 8 + 1, 1);
	if (!c->map) {
		r = -ENOMEM;
		goto fail;
	}
	if (key) {
		c->key = TAKE_PTR(fullkey);
		if (asprintf(&c->path, "%s/%s.cow", e->cow_dir, c->key) < 0 ||
		    asprintf(&c->map_path, "%s/%s.map", e->cow_dir, c->key) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		c->fd = open(c->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (c->fd < 0) {
			r = log_errno(-errno, "cannot open overlay %s", c->path);
			goto fail;
		}
	} else {
		c->fd = open_tmp(e->cow_dir);
		if (c->fd < 0) {
			r = log_errno(c->fd, "cannot create an overlay in %s",
				      e->cow_dir);
			goto fail;
		}
	}
	if (ftruncate(c->fd, e->size) < 0) {
		r = log_errno(-errno, "cannot size overlay in %s", e->cow_dir);
		goto fail;
	}
	if (key) {
		map_load(c);
		c->next = registry;
		registry = c;
		pthread_mutex_unlock(&registry_lock);
	}
	*ret = c;
	return 0;
fail:
	if (key)
		pthread_mutex_unlock(&registry_lock);
	cow_free(c);
	return r;
}

int cow_check_legacy(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	_cleanup_free_ char *first = NULL;
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char magic[8];
		_cleanup_close_ int fd = -1;

		if (len < 5 || strcmp(de->d_name + len - 4, ".map") != 0)
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 || read(fd, magic, sizeof(magic)) != (ssize_t)sizeof(magic) ||
		    memcmp(magic, MAP_MAGIC_V1, sizeof(magic)) != 0)
			continue;
		if (n++ == 0) {
			first = strndup(de->d_name, len - 4);
			if (!first)
				return -ENOMEM;
		}
	}
	if (n > 0)
		log_warn(
			"%s: %zu overlay%s kept by name only (such as %s.cow), not by "
			"generation: not applied to any image; remove them when no longer needed",
			dir, n, n == 1 ? "" : "s", first);
	return (int)MIN(n, (size_t)INT_MAX);
}

static struct cow *cow_ref(struct cow *c)
{
	pthread_mutex_lock(&registry_lock);
	c->refs++;
	pthread_mutex_unlock(&registry_lock);
	return c;
}

void cow_close(struct cow *c)
{
	pthread_mutex_lock(&registry_lock);
	if (--c->refs > 0) {
		pthread_mutex_unlock(&registry_lock);
		return;
	}
	/* Gone from the registry before anyone can find it with no reference. */
	for (struct cow **p = &registry; c->key && *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	cow_free(c);
}

int cow_pread(struct cow *c, uint8_t *buf, uint32_t len, uint64_t off)
{
	uint64_t end = off + len;
	int r = 0;

	pthread_mutex_lock(&c->lock);
	while (off < end && r == 0) {
		uint64_t b = off / COW_BLOCK;
		bool in = test_bit(c, b);
		uint64_t run = off;

		/* The longest run of blocks with the same state. */
		while (run < end && test_bit(c, run / COW_BLOCK) == in)
			run = MIN((run / COW_BLOCK + 1) * COW_BLOCK, end);
		r = pread_zero_past_end(in ? c->fd : c->e->fd, buf, run - off, off);
		buf += run - off;
		off = run;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

/* All of it from the page cache, or -EAGAIN. */
static int pread_nowait(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	struct iovec iov = { buf, len };

	return preadv2(fd, &iov, 1, off, RWF_NOWAIT) == (ssize_t)len ? 0 : -EAGAIN;
}

int cow_pread_nowait(struct cow *c, uint8_t *buf, uint32_t len, uint64_t off)
{
	uint64_t end = off + len;
	int r = 0;

	if (pthread_mutex_trylock(&c->lock) != 0)
		return -EAGAIN;
	while (off < end && r == 0) {
		bool in = test_bit(c, off / COW_BLOCK);
		uint64_t run = off;

		while (run < end && test_bit(c, run / COW_BLOCK) == in)
			run = MIN((run / COW_BLOCK + 1) * COW_BLOCK, end);
		r = pread_nowait(in ? c->fd : c->e->fd, buf, run - off, off);
		buf += run - off;
		off = run;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

/* Write into one block at off (len within the block), copying the rest of it up first. */
static int write_partial(struct cow *c, const uint8_t *data, size_t len, uint64_t off)
{
	uint64_t b = off / COW_BLOCK, start = b * COW_BLOCK;
	uint64_t blen = MIN((uint64_t)COW_BLOCK, c->e->size - start);
	uint8_t block[COW_BLOCK];
	int r;

	if (test_bit(c, b))
		return data ? pwrite_full(c->fd, data, len, off) : 0;
	r = pread_zero_past_end(c->e->fd, block, blen, start);
	if (r < 0)
		return r;
	if (data)
		memcpy(block + (off - start), data, len);
	else
		memset(block + (off - start), 0, len);
	r = pwrite_full(c->fd, block, blen, start);
	if (r < 0)
		return r;
	set_bit(c, b);
	c->map_dirty = true;
	return 0;
}

/* data == NULL writes zeroes. */
static int cow_write(struct cow *c, const uint8_t *data, uint32_t len, uint64_t off)
{
	uint64_t end = off + len;
	int r = 0;

	pthread_mutex_lock(&c->lock);
	while (off < end) {
		uint64_t bstart = off / COW_BLOCK * COW_BLOCK;
		uint64_t bend = MIN(bstart + COW_BLOCK, c->e->size);
		uint64_t n;

		if (off == bstart && end >= bend) {
			/* Whole blocks: write them as one range. */
			uint64_t last = end == c->e->size ? end
							  : end / COW_BLOCK * COW_BLOCK;

			n = last - off;
			if (data) {
				r = pwrite_full(c->fd, data, n, off);
			} else if (fallocate(c->fd, FALLOC_FL_ZERO_RANGE, off, n) < 0) {
				static const uint8_t zeroes[COW_BLOCK];
				for (uint64_t o = 0; o < n && r == 0; o += COW_BLOCK)
					r = pwrite_full(c->fd, zeroes,
							MIN(n - o, (uint64_t)COW_BLOCK),
							off + o);
			}
			if (r < 0)
				break;
			for (uint64_t b = off / COW_BLOCK; b * COW_BLOCK < last; b++)
				set_bit(c, b);
			c->map_dirty = true;
		} else {
			n = MIN(bend, end) - off;
			r = write_partial(c, data, n, off);
			if (r < 0)
				break;
		}
		if (data)
			data += n;
		off += n;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

int cow_pwrite(struct cow *c, const uint8_t *buf, uint32_t len, uint64_t off)
{
	return cow_write(c, buf, len, off);
}

int cow_zero(struct cow *c, uint32_t len, uint64_t off)
{
	return cow_write(c, NULL, len, off);
}

int cow_flush(struct cow *c)
{
	int r = 0;

	/* Not under the lock: a sync may take long, and needs none. */
	if (fdatasync(c->fd) < 0)
		return -errno;
	pthread_mutex_lock(&c->lock);
	r = map_save(c);
	pthread_mutex_unlock(&c->lock);
	return r;
}

uint64_t cow_extent(struct cow *c, uint64_t off, uint64_t len, uint32_t *status)
{
	uint64_t end = off + len, run = off;
	bool in;

	pthread_mutex_lock(&c->lock);
	in = test_bit(c, off / COW_BLOCK);
	while (run < end && test_bit(c, run / COW_BLOCK) == in)
		run = MIN((run / COW_BLOCK + 1) * COW_BLOCK, end);
	pthread_mutex_unlock(&c->lock);
	*status = 0;
	return run - off;
}

enum {
	JOB_QUEUED,
	JOB_DONE,
	JOB_ABANDONED,
};

/* Enough to keep a few slow flushes from holding up everyone's overlay I/O. */
#define POOL_THREADS 8

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct cow_job *head, *tail;
	pthread_t threads[POOL_THREADS];
	unsigned int nthreads;
	bool stop;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

struct cow_job *cow_job_new(struct cow *c, enum cow_op op, uint32_t len, uint64_t off,
			    bool fua)
{
	struct cow_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	/* A write's payload is handed over by the caller. */
	if (op == COW_OP_READ && len) {
		j->buf = malloc(len);
		if (!j->buf) {
			free(j);
			return NULL;
		}
	}
	j->cow = cow_ref(c);
	j->op = op;
	j->len = len;
	j->off = off;
	j->fua = fua;
	atomic_init(&j->state, JOB_QUEUED);
	return j;
}

void cow_job_free(struct cow_job *j)
{
	if (!j)
		return;
	cow_close(j->cow);
	free(j->buf);
	free(j);
}

static void run(struct cow_job *j)
{
	int r = 0;

	switch (j->op) {
	case COW_OP_READ:
		r = cow_pread(j->cow, j->buf, j->len, j->off);
		break;
	case COW_OP_WRITE:
		r = cow_pwrite(j->cow, j->buf, j->len, j->off);
		break;
	case COW_OP_ZERO:
		r = j->len ? cow_zero(j->cow, j->len, j->off) : 0;
		break;
	case COW_OP_FLUSH:
		r = cow_flush(j->cow);
		break;
	case COW_OP_NONE:
		break;
	}
	if (r == 0 && j->fua)
		r = cow_flush(j->cow);
	j->result = r;
}

static void *pool_main(void *arg)
{
	for (;;) {
		struct cow_job *j;
		int expected = JOB_QUEUED;

		pthread_mutex_lock(&pool.lock);
		while (!pool.head && !pool.stop)
			pthread_cond_wait(&pool.cond, &pool.lock);
		j = pool.head;
		if (!j) {
			pthread_mutex_unlock(&pool.lock);
			return NULL;
		}
		pool.head = j->next;
		if (!pool.head)
			pool.tail = NULL;
		pthread_mutex_unlock(&pool.lock);
		j->next = NULL;
		/* Abandoned while queued: the result interests no one. */
		if (atomic_load(&j->state) != JOB_ABANDONED)
			run(j);
		if (atomic_compare_exchange_strong(&j->state, &expected, JOB_DONE))
			j->complete(j);
		else
			cow_job_free(j);
	}
}

void cow_submit(struct cow_job *j)
{
	pthread_mutex_lock(&pool.lock);
	/* Started with the first job: servers without overlays have no threads. */
	while (pool.nthreads < POOL_THREADS && !pool.stop) {
		sigset_t all, old;
		int r;

		/* Signals are for the main thread. */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		r = pthread_create(&pool.threads[pool.nthreads], NULL, pool_main, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (r != 0) {
			if (pool.nthreads == 0)
				log_errno(-r, "cannot start an overlay thread");
			break;
		}
		pool.nthreads++;
	}
	if (pool.nthreads == 0) {
		/* No thread at all: do it here rather than never. */
		pthread_mutex_unlock(&pool.lock);
		run(j);
		atomic_store(&j->state, JOB_DONE);
		j->complete(j);
		return;
	}
	if (pool.tail)
		pool.tail->next = j;
	else
		pool.head = j;
	pool.tail = j;
	pthread_cond_signal(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
}

bool cow_job_done(struct cow_job *j)
{
	return atomic_load(&j->state) == JOB_DONE;
}

bool cow_job_abandon(struct cow_job *j)
{
	int expected = JOB_QUEUED;

	j->owner = NULL;
	return atomic_compare_exchange_strong(&j->state, &expected, JOB_ABANDONED);
}

void cow_pool_stop(void)
{
	pthread_mutex_lock(&pool.lock);
	pool.stop = true;
	pthread_cond_broadcast(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
	for (unsigned int i = 0; i < pool.nthreads; i++)
		pthread_join(pool.threads[i], NULL);
	pool.nthreads = 0;
}

int cow_check_dir(const struct config *c, bool at_start)
{
	struct stat st;
	bool used = false;

	for (size_t i = 0; i < c->n_exports; i++)
		used |= c->exports[i].cow != COW_OFF;
	if (!used)
		return 0;
	if (stat(c->cow_dir, &st) < 0)
		return log_errno(-errno, "cannot use overlay directory %s", c->cow_dir);
	if (!S_ISDIR(st.st_mode)) {
		log_error("%s: not a directory", c->cow_dir);
		return -ENOTDIR;
	}
	for (size_t i = 0; at_start && i < c->n_exports; i++)
		if (c->exports[i].cow == COW_KEEP) {
			/* Only a warning: the server does not use them anyway. */
			cow_check_legacy(c->cow_dir);
			break;
		}
	return 0;
}
