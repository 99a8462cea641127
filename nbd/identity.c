// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Identities of image generations.
 *
 * A generation bootchroot published carries its identity in its name. A plain
 * image (sysrcd.dat, an ISO) has to be read whole: SHA-256 over 1 GiB took
 * 3.5 s on the build machine (2 cores, lib/hash.c; sha256sum 2.1 s), too long
 * to pay at every start and reload. So the result is kept in the file's
 * extended attribute user.pxeroot.sha256, as "SIZE MTIME INODE HEX": it is
 * trusted only while the file has the same size, modification time and inode,
 * which a rewrite in place (new mtime) or a copy (new inode, even with cp -a,
 * which copies the attribute) both change. An attribute rather than a sidecar
 * file: it needs no write access to the image's directory, cannot be left
 * behind or mixed up when files are renamed, and travels with the inode.
 * Where the file system keeps no user attributes (or the server may not
 * write them), a cache in memory spares at least the reloads.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "hash.h"
#include "identity.h"
#include "log.h"
#include "macro.h"
#include "util.h"

#define XATTR_NAME "user.pxeroot.sha256"

bool identity_valid(const char *s, size_t len)
{
	if (len != IDENTITY_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool identity_from_name(const char *base, char id[IDENTITY_LEN + 1], size_t *stem_len,
			size_t *ext_off)
{
	const char *dot = strrchr(base, '.');
	size_t end = dot ? (size_t)(dot - base) : strlen(base);

	/* At least one character of stem, the dash, the identity. */
	if (end < IDENTITY_LEN + 2 || base[end - IDENTITY_LEN - 1] != '-' ||
	    !identity_valid(base + end - IDENTITY_LEN, IDENTITY_LEN))
		return false;
	memcpy(id, base + end - IDENTITY_LEN, IDENTITY_LEN);
	id[IDENTITY_LEN] = '\0';
	if (stem_len)
		*stem_len = end - IDENTITY_LEN - 1;
	if (ext_off)
		*ext_off = end;
	return true;
}

struct entry {
	struct entry *next;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	bool busy; /* a thread computes it */
	char id[IDENTITY_LEN + 1];
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *cache;

static bool same_file(const struct entry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec &&
	       e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Called with cache_lock held. */
static struct entry *find(const struct stat *st, bool create)
{
	struct entry *e;

	for (e = cache; e; e = e->next)
		if (same_file(e, st))
			return e;
	if (!create)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	e->next = cache;
	cache = e;
	return e;
}

static void xattr_value(const struct stat *st, const char *hex, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 " %" PRId64 ".%09ld %" PRIu64 " %s",
		 (uint64_t)st->st_size, (int64_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		 (uint64_t)st->st_ino, hex);
}

int identity_cached(int fd, const struct stat *st, char id[IDENTITY_LEN + 1])
{
	char buf[160], want[160];
	struct entry *e;
	ssize_t n;

	pthread_mutex_lock(&cache_lock);
	e = find(st, false);
	if (e && e->id[0]) {
		memcpy(id, e->id, IDENTITY_LEN + 1);
		pthread_mutex_unlock(&cache_lock);
		return 0;
	}
	pthread_mutex_unlock(&cache_lock);

	n = fgetxattr(fd, XATTR_NAME, buf, sizeof(buf) - 1);
	if (n <= 64)
		return -ENOENT;
	buf[n] = '\0';
	/* The stored value names the file it was computed for: compare all of it. */
	xattr_value(st, buf + n - 64, want, sizeof(want));
	if (strcmp(buf, want) != 0 || !identity_valid(buf + n - 64, IDENTITY_LEN))
		return -ENOENT;
	memcpy(id, buf + n - 64, IDENTITY_LEN);
	id[IDENTITY_LEN] = '\0';
	return 0;
}

/*
 * SHA-256 of the whole file, leaving the page cache as it found it: what was
 * not cached before is dropped again, so that hashing at start does not make
 * a cold image look warm (the server defers reads of uncached data) nor push
 * out what clients use. Hand-written around lib/hash.c's sha256_update because
 * sha256_fd reads through the cache without looking.
 */
static int hash_file(int fd, uint64_t size, char hex[65])
{
	static const size_t chunk = 1u << 20;
	_cleanup_free_ uint8_t *buf = malloc(chunk);
	unsigned char vec[(1u << 20) / 4096];
	struct sha256_ctx c;
	uint8_t md[32];
	void *map = size ? mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0) : NULL;
	int r = 0;

	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	if (map == MAP_FAILED)
		map = NULL;
	sha256_init(&c);
	for (uint64_t off = 0; off < size;) {
		size_t len = MIN(chunk, size - off), pages = (len + 4095) / 4096;
		bool cached = map && mincore((uint8_t *)map + off, len, vec) == 0;
		ssize_t n;

		for (size_t i = 0; cached && i < pages; i++)
			cached = vec[i] & 1;
		n = pread(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO; /* shorter than it said */
			goto out;
		}
		sha256_update(&c, buf, n);
		if (!cached)
			posix_fadvise(fd, off, n, POSIX_FADV_DONTNEED);
		off += n;
	}
	sha256_final(&c, md);
	hex_string(md, sizeof(md), hex);
out:
	if (map)
		munmap(map, size);
	return r;
}

int identity_compute(int fd, const struct stat *st, char id[IDENTITY_LEN + 1])
{
	char hex[65], val[160];
	struct entry *e;
	int r;

	r = hash_file(fd, st->st_size, hex);
	if (r < 0)
		return r;
	memcpy(id, hex, IDENTITY_LEN);
	id[IDENTITY_LEN] = '\0';
	xattr_value(st, hex, val, sizeof(val));
	if (fsetxattr(fd, XATTR_NAME, val, strlen(val), 0) < 0)
		log_debug_errno(-errno, "cannot keep the identity in an attribute");
	pthread_mutex_lock(&cache_lock);
	e = find(st, true);
	if (e)
		memcpy(e->id, id, IDENTITY_LEN + 1);
	pthread_mutex_unlock(&cache_lock);
	return 0;
}

struct job {
	int fd;
	struct stat st;
};

static void *hash_thread(void *arg)
{
	struct job *j = arg;
	struct entry *e;
	char id[IDENTITY_LEN + 1];
	int r = identity_compute(j->fd, &j->st, id);

	if (r < 0)
		log_warn_errno(r, "cannot compute the identity of a replaced image");
	pthread_mutex_lock(&cache_lock);
	e = find(&j->st, false);
	if (e)
		e->busy = false;
	pthread_mutex_unlock(&cache_lock);
	close(j->fd);
	free(j);
	return NULL;
}

int identity_compute_async(const char *path)
{
	pthread_attr_t attr;
	pthread_t th;
	struct entry *e;
	struct job *j = calloc(1, sizeof(*j));
	int r;

	if (!j)
		return -ENOMEM;
	j->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (j->fd < 0 || fstat(j->fd, &j->st) < 0) {
		r = -errno;
		if (j->fd >= 0)
			close(j->fd);
		free(j);
		return r;
	}
	pthread_mutex_lock(&cache_lock);
	e = find(&j->st, true);
	if (!e || e->busy || e->id[0]) {
		pthread_mutex_unlock(&cache_lock);
		close(j->fd);
		free(j);
		return e ? 0 : -ENOMEM;
	}
	e->busy = true;
	pthread_mutex_unlock(&cache_lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = -pthread_create(&th, &attr, hash_thread, j);
	pthread_attr_destroy(&attr);
	if (r < 0) {
		pthread_mutex_lock(&cache_lock);
		e->busy = false;
		pthread_mutex_unlock(&cache_lock);
		close(j->fd);
		free(j);
	}
	return r;
}
