// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "rootdir.h"
#include "util.h"
#include "vector.h"

#define JOURNAL_MAGIC "pxeroot-journal 1\n"

struct journal {
	int rootfd;
	int dirfd;
	char **paths; /* index = sequence number - 1 */
	size_t n, cap;
};

void journal_free(struct journal *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++)
		free(j->paths[i]);
	free(j->paths);
	if (j->dirfd >= 0)
		close(j->dirfd);
	free(j);
}

size_t journal_count(const struct journal *j)
{
	size_t c = 0;

	for (size_t i = 0; i < j->n; i++)
		c += j->paths[i] != NULL;
	return c;
}

const char *journal_path(const struct journal *j, size_t n)
{
	for (size_t i = 0; i < j->n; i++) {
		if (!j->paths[i])
			continue;
		if (n-- == 0)
			return j->paths[i];
	}
	return NULL;
}

bool journal_has(const struct journal *j, const char *path)
{
	for (size_t i = 0; i < j->n; i++)
		if (j->paths[i] && strcmp(j->paths[i], path) == 0)
			return true;
	return false;
}

/* One parsed entry: the header fields and the data that follows it. */
struct entry {
	char *path;
	char type; /* a(bsent) f(ile) l(ink) d(irectory) */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec mtime;
	const char *data;
	size_t len;
};

static int parse_entry(char *buf, size_t len, struct entry *e)
{
	char *p = buf, *end = buf + len;

	if (!startswith(buf, JOURNAL_MAGIC))
		return -EBADMSG;
	p += strlen(JOURNAL_MAGIC);
	memset(e, 0, sizeof(*e));
	while (p < end) {
		char *nl = memchr(p, '\n', end - p);
		unsigned long long a, b;

		if (!nl)
			return -EBADMSG;
		*nl = '\0';
		if (*p == '\0') {
			e->data = nl + 1;
			break;
		}
		if (startswith(p, "path "))
			e->path = p + 5;
		else if (startswith(p, "type ") && strlen(p) == 6)
			e->type = p[5];
		else if (sscanf(p, "mode %llo", &a) == 1)
			e->mode = a;
		else if (sscanf(p, "owner %llu %llu", &a, &b) == 2) {
			e->uid = a;
			e->gid = b;
		} else if (sscanf(p, "mtime %llu %llu", &a, &b) == 2) {
			e->mtime.tv_sec = a;
			e->mtime.tv_nsec = b;
		} else if (sscanf(p, "size %llu", &a) == 1)
			e->len = a;
		p = nl + 1;
	}
	if (!e->path || !e->data || !strchr("afld", e->type) || !e->type)
		return -EBADMSG;
	if ((size_t)(end - e->data) != e->len)
		return -EBADMSG;
	return 0;
}

static int read_entry(struct journal *j, size_t seq, char **ret_buf, struct entry *e)
{
	_cleanup_free_ char *buf = NULL;
	char name[32];
	size_t len;
	int r;

	snprintf(name, sizeof(name), "%06zu", seq);
	r = read_file_at(j->dirfd, name, &buf, &len);
	if (r < 0)
		return r;
	r = parse_entry(buf, len, e);
	if (r < 0)
		return r;
	*ret_buf = TAKE_PTR(buf);
	return 0;
}

/*
 * The journal lives in the tree it journals, under /var/lib; a tree without
 * /var or /var/lib gets them, and the list of what was made here, in the file
 * CREATED_LIST, so that undo takes them away again.
 */
#define CREATED_LIST "created"

static int make_journal_dir(int rootfd)
{
	static const char *const parents[] = { "/var", "/var/lib" };
	_cleanup_close_ int dfd = -1;
	char created[64] = "";
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(parents); i++) {
		struct stat st;

		r = root_stat(rootfd, parents[i], true, &st);
		if (r == -ENOENT) {
			r = root_mkdir_p(rootfd, parents[i], 0755);
			if (r < 0)
				return r;
			strcat(created, parents[i]);
			strcat(created, "\n");
		} else if (r < 0) {
			return r;
		}
	}
	r = root_mkdir_p(rootfd, "/var/lib/pxeroot", 0755);
	if (r == 0)
		r = root_mkdir_p(rootfd, JOURNAL_DIR, 0700);
	if (r < 0 || !created[0])
		return r;
	dfd = root_open(rootfd, JOURNAL_DIR, O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0)
		return dfd;
	return write_file_atomic_at(dfd, CREATED_LIST, created, strlen(created), 0600);
}

int journal_open(int rootfd, bool create, struct journal **ret)
{
	_cleanup_(journal_freep) struct journal *j = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r;

	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->rootfd = rootfd;
	j->dirfd = root_open(rootfd, JOURNAL_DIR, O_RDONLY | O_DIRECTORY, 0);
	if (j->dirfd == -ENOENT && create) {
		r = make_journal_dir(rootfd);
		if (r < 0)
			return r;
		j->dirfd = root_open(rootfd, JOURNAL_DIR, O_RDONLY | O_DIRECTORY, 0);
	}
	if (j->dirfd == -ENOENT) {
		j->dirfd = -1;
		*ret = TAKE_PTR(j);
		return 0;
	}
	if (j->dirfd < 0)
		return j->dirfd;

	d = fdopendir(dup(j->dirfd));
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		size_t seq;
		char *endp;

		if (de->d_name[0] == '.') {
			/* A temporary entry of an interrupted run: never renamed into
			 * place, so its path was not touched yet. */
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				unlinkat(j->dirfd, de->d_name, 0);
			continue;
		}
		if (strcmp(de->d_name, CREATED_LIST) == 0)
			continue;
		seq = strtoul(de->d_name, &endp, 10);
		if (*endp || seq == 0 || seq > 1000000)
			return -EBADMSG;
		if (seq > j->n) {
			r = vector_reserve((void **)&j->paths, &j->cap, seq,
					   sizeof(*j->paths));
			if (r < 0)
				return r;
			memset(j->paths + j->n, 0, (seq - j->n) * sizeof(*j->paths));
			j->n = seq;
		}
	}
	for (size_t i = 0; i < j->n; i++) {
		_cleanup_free_ char *buf = NULL;
		struct entry e;

		r = read_entry(j, i + 1, &buf, &e);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		j->paths[i] = strdup(e.path);
		if (!j->paths[i])
			return -ENOMEM;
	}
	*ret = TAKE_PTR(j);
	return 0;
}

int journal_record(struct journal *j, const char *path)
{
	_cleanup_free_ char *hdr = NULL, *data = NULL, *buf = NULL;
	size_t len = 0, hlen;
	struct stat st;
	char type, name[32], tmp[40];
	int r;

	if (journal_has(j, path))
		return 0;
	if (j->dirfd < 0)
		return -EBADF;
	if (strchr(path, '\n'))
		return -EINVAL;
	r = root_stat(j->rootfd, path, false, &st);
	if (r == -ENOENT) {
		type = 'a';
		memset(&st, 0, sizeof(st));
	} else if (r < 0) {
		return r;
	} else if (S_ISREG(st.st_mode)) {
		type = 'f';
		r = root_read_file(j->rootfd, path, &data, &len);
		if (r < 0)
			return r;
	} else if (S_ISLNK(st.st_mode)) {
		type = 'l';
		r = root_readlink(j->rootfd, path, &data);
		if (r < 0)
			return r;
		len = strlen(data);
	} else if (S_ISDIR(st.st_mode)) {
		type = 'd';
	} else {
		return -EOPNOTSUPP;
	}
	if (asprintf(&hdr,
		     JOURNAL_MAGIC
		     "path %s\ntype %c\nmode %o\nowner %u %u\nmtime %llu %lu\n"
		     "size %zu\n\n",
		     path, type, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
		     (unsigned)st.st_gid, (unsigned long long)st.st_mtim.tv_sec,
		     (unsigned long)st.st_mtim.tv_nsec, len) < 0)
		return -ENOMEM;
	hlen = strlen(hdr);
	buf = malloc(hlen + len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, hdr, hlen);
	if (len)
		memcpy(buf + hlen, data, len);

	snprintf(name, sizeof(name), "%06zu", j->n + 1);
	snprintf(tmp, sizeof(tmp), ".%s", name);
	{
		_cleanup_close_ int fd = openat(
			j->dirfd, tmp,
			O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return -errno;
		r = write_full(fd, buf, hlen + len);
		if (r == 0 && fsync(fd) < 0)
			r = -errno;
	}
	if (r == 0 && renameat(j->dirfd, tmp, j->dirfd, name) < 0)
		r = -errno;
	if (r == 0 && fsync(j->dirfd) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(j->dirfd, tmp, 0);
		return r;
	}
	r = vector_reserve((void **)&j->paths, &j->cap, j->n + 1, sizeof(*j->paths));
	if (r < 0)
		return r;
	j->paths[j->n] = strdup(path);
	if (!j->paths[j->n])
		return -ENOMEM;
	j->n++;
	return 0;
}

int journal_recover(struct journal *j)
{
	for (size_t i = 0; i < j->n; i++) {
		int r;

		if (!j->paths[i])
			continue;
		r = root_remove_tmp(j->rootfd, j->paths[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Remove whatever is at path now, if anything. */
static int remove_present(int rootfd, const char *path)
{
	struct stat st;
	int r = root_stat(rootfd, path, false, &st);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = root_unlink(rootfd, path, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0);
	return r == -ENOENT ? 0 : r;
}

static int restore(struct journal *j, const struct entry *e)
{
	struct root_meta meta = { .mode = e->mode, .uid = e->uid, .gid = e->gid };
	_cleanup_free_ char *target = NULL;
	struct stat st;
	int r;

	r = root_remove_tmp(j->rootfd, e->path);
	if (r < 0)
		return r;
	switch (e->type) {
	case 'a':
		return remove_present(j->rootfd, e->path);
	case 'd':
		r = root_stat(j->rootfd, e->path, false, &st);
		if (r == 0 && !S_ISDIR(st.st_mode)) {
			r = remove_present(j->rootfd, e->path);
			if (r < 0)
				return r;
			r = -ENOENT;
		}
		if (r == -ENOENT) {
			_cleanup_close_ int dfd = -1;
			const char *base;

			dfd = root_open_parent(j->rootfd, e->path, &base);
			if (dfd < 0)
				return dfd;
			if (mkdirat(dfd, base, 0700) < 0)
				return -errno;
		} else if (r < 0) {
			return r;
		}
		{
			_cleanup_close_ int fd =
				root_open(j->rootfd, e->path, O_RDONLY | O_DIRECTORY, 0);
			if (fd < 0)
				return fd;
			if (fchown(fd, e->uid, e->gid) < 0 || fchmod(fd, e->mode) < 0)
				return -errno;
		}
		return 0;
	case 'f':
		meta.mtime = &e->mtime;
		/* A directory put where the file was cannot be renamed over. */
		r = root_stat(j->rootfd, e->path, false, &st);
		if (r == 0 && S_ISDIR(st.st_mode)) {
			r = remove_present(j->rootfd, e->path);
			if (r < 0)
				return r;
		}
		return root_replace(j->rootfd, e->path, e->data, e->len, NULL, &meta);
	case 'l':
		target = strndup(e->data, e->len);
		if (!target)
			return -ENOMEM;
		r = root_stat(j->rootfd, e->path, false, &st);
		if (r == 0 && S_ISDIR(st.st_mode)) {
			r = remove_present(j->rootfd, e->path);
			if (r < 0)
				return r;
		}
		return root_replace(j->rootfd, e->path, NULL, 0, target, &meta);
	}
	return -EBADMSG;
}

int journal_undo(struct journal *j, journal_keep_fn keep, void *data)
{
	_cleanup_free_ char *created = NULL;
	char name[32];
	int r;

	if (j->dirfd < 0)
		return 0;
	for (size_t i = j->n; i > 0; i--) {
		_cleanup_free_ char *buf = NULL;
		struct entry e;

		if (!j->paths[i - 1])
			continue;
		r = read_entry(j, i, &buf, &e);
		if (r < 0)
			return r;
		if (keep) {
			r = keep(data, e.path, e.type == 'a');
			if (r < 0)
				return log_errno(r, "cannot keep %s", e.path);
		}
		r = restore(j, &e);
		if (r < 0)
			return log_errno(r, "cannot restore %s", e.path);
		log_info("restored %s", e.path);
		snprintf(name, sizeof(name), "%06zu", i);
		if (unlinkat(j->dirfd, name, 0) < 0)
			return -errno;
		free(j->paths[i - 1]);
		j->paths[i - 1] = NULL;
	}
	r = read_file_at(j->dirfd, CREATED_LIST, &created, NULL);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0 && unlinkat(j->dirfd, CREATED_LIST, 0) < 0)
		return -errno;
	close(j->dirfd);
	j->dirfd = -1;
	j->n = 0;
	r = root_unlink(j->rootfd, JOURNAL_DIR, AT_REMOVEDIR);
	if (r < 0 && r != -ENOENT)
		return r;
	/* The directory above the journal is pxeroot's own; it goes when empty. */
	r = root_unlink(j->rootfd, "/var/lib/pxeroot", AT_REMOVEDIR);
	if (r < 0 && r != -ENOENT && r != -ENOTEMPTY)
		return r;
	/* And what was made to hold it, deepest first, when nothing else uses it. */
	if (created) {
		char *lines[8], *save = NULL;
		size_t n = 0;

		for (char *l = strtok_r(created, "\n", &save); l && n < ARRAY_SIZE(lines);
		     l = strtok_r(NULL, "\n", &save))
			lines[n++] = l;
		while (n-- > 0) {
			r = root_unlink(j->rootfd, lines[n], AT_REMOVEDIR);
			if (r < 0 && r != -ENOENT && r != -ENOTEMPTY)
				return r;
		}
	}
	return 0;
}
