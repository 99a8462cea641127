// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bootchroot --prune: remove old image generations, but none that a client
 * still reads. Which clients read what comes from nbdexport's status file
 * (nbdexport(8)): "export NAME CANONICAL PATH" and "client PEER CANONICAL PATH
 * SINCE" records whose PATH is the real path of the image file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootchroot.h"
#include "log.h"
#include "profile.h"
#include "util.h"
#include "vector.h"

/* A reader of a generation: a client attached to it, or an export serving it. */
struct reader {
	char *what; /* "10.0.0.5:41234" or "export debian" */
	char *path; /* real path of the image file */
	dev_t dev;
	ino_t ino;
	bool have_id;
	bool export;
};

DEFINE_VECTOR(reader_vector, struct reader);

struct status {
	reader_vector r;
	bool known; /* every status file was there, its server running */
	char *why; /* when not known */
};

static void status_done(struct status *s)
{
	vector_foreach(r, &s->r) {
		free(r->what);
		free(r->path);
	}
	reader_vector_reset(&s->r);
	free(s->why);
}

/* Undo the octal escapes (\040 \011 \012 \134) of a status file path, in place. */
static int unescape(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (*p != '\\') {
			*w++ = *p;
			continue;
		}
		if (p[1] < '0' || p[1] > '3' || p[2] < '0' || p[2] > '7' || p[3] < '0' ||
		    p[3] > '7')
			return -EBADMSG;
		*w++ = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
		p += 3;
	}
	*w = '\0';
	return 0;
}

static int add_reader(struct status *s, const char *what, const char *path, bool export)
{
	struct reader *r;
	struct stat st;

	if (reader_vector_reserve(&s->r, 1) < 0)
		return -ENOMEM;
	r = &s->r.ptr[s->r.len];
	memset(r, 0, sizeof(*r));
	r->export = export;
	r->what = strdup(what);
	r->path = strdup(path);
	if (!r->what || !r->path) {
		free(r->what);
		free(r->path);
		return -ENOMEM;
	}
	/* The same file under another name is the same generation. */
	if (stat(path, &st) == 0) {
		r->dev = st.st_dev;
		r->ino = st.st_ino;
		r->have_id = true;
	}
	s->r.len++;
	return 0;
}

static bool pid_running(long pid)
{
	return pid > 0 && pid <= INT_MAX && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static int read_status(const char *file, struct status *s)
{
	_cleanup_free_ char *text = NULL;
	long pid = 0;
	int r;

	r = read_file_at(AT_FDCWD, file, &text, NULL);
	if (r < 0) {
		if (!s->why &&
		    asprintf(&s->why, "cannot read %s: %s", file, strerror(-r)) < 0)
			return -ENOMEM;
		s->known = false;
		return 0;
	}
	for (char *line = text, *next; line && *line; line = next) {
		char *f[6] = { 0 }, *save = NULL, what[128];
		int nf = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		for (char *w = strtok_r(line, " ", &save); w && nf < 6;
		     w = strtok_r(NULL, " ", &save))
			f[nf++] = w;
		if (nf == 0)
			continue;
		if (strcmp(f[0], "pid") == 0 && nf == 2) {
			pid = strtol(f[1], NULL, 10);
		} else if (strcmp(f[0], "export") == 0 && nf == 4) {
			if (unescape(f[3]) < 0)
				goto bad;
			snprintf(what, sizeof(what), "nbdexport's export %s", f[1]);
			r = add_reader(s, what, f[3], true);
		} else if (strcmp(f[0], "client") == 0 && nf == 5) {
			if (unescape(f[3]) < 0)
				goto bad;
			r = add_reader(s, f[1], f[3], false);
		} else {
			/* A record of a later version: not ours to judge. */
			continue;
		}
		if (r < 0)
			return r;
	}
	if (!pid_running(pid)) {
		if (!s->why &&
		    asprintf(&s->why, "the nbdexport of %s (pid %ld) is not running",
			     file, pid) < 0)
			return -ENOMEM;
		s->known = false;
	}
	return 0;
bad:
	if (!s->why && asprintf(&s->why, "%s is not an nbdexport status file", file) < 0)
		return -ENOMEM;
	s->known = false;
	return 0;
}

/* "a, b, export c": who reads the generation at path (its real path, dev, ino). */
static char *readers_of(const struct status *s, const char *real, const struct stat *st)
{
	char *list = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&list, &len);
	bool first = true;

	if (!f)
		return NULL;
	/* Clients first; nbdexport also lists each generation a client reads as
	 * an export, so an export is named only when no client is (an image
	 * served by its own path, which new clients may still ask for). */
	for (int exports = 0; exports < 2 && first; exports++)
		for (size_t i = 0; i < s->r.len; i++) {
			const struct reader *r = &s->r.ptr[i];

			if (r->export != exports ||
			    (strcmp(r->path, real) != 0 &&
			     !(r->have_id && r->dev == st->st_dev &&
			       r->ino == st->st_ino)))
				continue;
			fprintf(f, "%s%s", first ? "" : ", ", r->what);
			first = false;
		}
	fclose(f);
	if (list && !*list) {
		free(list);
		list = NULL;
	}
	return list;
}

/* Whether name is NAME-<16 hex digits>.sqfs. */
static bool is_generation(const char *name, const char *base)
{
	size_t bl = strlen(base);

	if (strncmp(name, base, bl) != 0 || name[bl] != '-' ||
	    strlen(name) != bl + 1 + 16 + 5 || strcmp(name + bl + 17, ".sqfs") != 0)
		return false;
	for (size_t i = bl + 1; i < bl + 17; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return false;
	return true;
}

/*
 * The generations, oldest first: those in the history, in its order, after
 * any file in DIR that has a generation's name but is not in it (a publish
 * interrupted between the two, or a history edited by hand).
 */
static int list_generations(int dfd, const char *name, char ***ret)
{
	_cleanup_free_ char *hist = NULL;
	_cleanup_strv_free_ char **disk = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	char **l = NULL;
	size_t n = 0, nd;
	struct dirent *de;
	int r;

	r = image_read_history(dfd, name, &hist);
	if (r < 0)
		return r;
	d = fdopendir(dup(dfd));
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!is_generation(de->d_name, name) || strstr(hist, de->d_name))
			continue;
		r = strv_extend(&disk, de->d_name);
		if (r < 0)
			return r;
	}
	nd = strv_length(disk);
	l = calloc(nd + 1 + strlen(hist) / 2 + 1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	/* l takes the strings over. */
	for (size_t i = 0; i < nd; i++)
		l[n++] = disk[i];
	free(TAKE_PTR(disk));
	for (char *line = hist, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!*line || strv_contains(l, line))
			continue;
		l[n] = strdup(line);
		if (!l[n++]) {
			strv_free(l);
			return -ENOMEM;
		}
	}
	*ret = l;
	return 0;
}

/* Print the plan; returns how many generations to drop are read by a client. */
static int plan(const char *dir, char **gens, const bool *drop, const char *cur,
		const struct status *s, const struct prune_opts *o)
{
	bool say = log_get_level() >= LOG_LEVEL_NOTICE;
	int busy = 0;

	for (size_t i = 0; gens[i]; i++) {
		_cleanup_free_ char *path = NULL, *real = NULL, *who = NULL;
		struct stat st;

		if (asprintf(&path, "%s/%s", dir, gens[i]) < 0)
			return -ENOMEM;
		if (!drop[i]) {
			if (say)
				printf("keep %s (%s)\n", path,
				       strcmp(gens[i], cur) == 0 ? "current"
								 : "one of the newest");
			continue;
		}
		if (stat(path, &st) < 0) {
			if (say)
				printf("drop %s (already gone: only from the history)\n",
				       path);
			continue;
		}
		real = realpath(path, NULL);
		who = real ? readers_of(s, real, &st) : NULL;
		if (say)
			printf("drop %s (%s%s)\n", path, who ? "read by " : "",
			       who ? who
				   : (s->known ? "no client reads it"
					       : "which clients read it is unknown"));
		if (!who)
			continue;
		busy++;
		if (!o->force && !o->dry_run)
			log_error("%s is still read by %s: not pruning (--force to prune "
				  "anyway)",
				  path, who);
	}
	return busy;
}

static int prune(int dfd, const char *out, const char *dir, const char *name,
		 const char *cur, char **gens, struct status *s,
		 const struct prune_opts *o)
{
	static char *const default_status[] = { NBDEXPORT_STATUS, NULL };
	char *const *files = o->status_files ? o->status_files : default_status;
	_cleanup_free_ char *hfile = NULL, *hist = NULL;
	_cleanup_free_ bool *drop = NULL;
	size_t n = strv_length(gens), ndrop = 0, hlen = 0;
	FILE *hf;
	int r, busy;

	drop = calloc(n + 1, sizeof(*drop));
	if (!drop)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		drop[i] = strcmp(gens[i], cur) != 0 && i + o->keep < n;
		ndrop += drop[i];
	}
	if (!ndrop) {
		if (log_get_level() >= LOG_LEVEL_NOTICE)
			printf("nothing to prune: %s has %zu generation%s, %s current\n",
			       out, n, n == 1 ? "" : "s", cur);
		return 0;
	}
	for (char *const *f = files; *f; f++) {
		r = read_status(*f, s);
		if (r < 0)
			return r;
	}
	busy = plan(dir, gens, drop, cur, s, o);
	if (busy < 0)
		return busy;
	if (o->dry_run)
		return 0;
	if (!s->known && !o->force) {
		log_error(
			"cannot tell which clients read the generations: %s (--force to "
			"prune anyway)",
			s->why);
		return -EBUSY;
	}
	if (busy && !o->force)
		return -EBUSY;

	/* The history without them first: a prune cut short leaves files that the
	 * next one finds by their names. */
	hf = open_memstream(&hist, &hlen);
	if (!hf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!drop[i])
			fprintf(hf, "%s\n", gens[i]);
	fclose(hf);
	if (asprintf(&hfile, ".%s.generations", name) < 0)
		return -ENOMEM;
	r = write_file_atomic_at(dfd, hfile, hist ? hist : "", hlen, 0644);
	if (r < 0)
		return log_errno(r, "cannot write %s/%s", dir, hfile);
	r = 0;
	for (size_t i = 0; i < n; i++) {
		if (!drop[i])
			continue;
		if (unlinkat(dfd, gens[i], 0) < 0 && errno != ENOENT)
			return log_errno(-errno, "cannot remove %s/%s", dir, gens[i]);
		/* Its dm-verity parameters (image_publish --verity), if any. */
		{
			_cleanup_free_ char *vfile = NULL;

			if (asprintf(&vfile, "%s.verity", gens[i]) < 0)
				return -ENOMEM;
			if (unlinkat(dfd, vfile, 0) < 0 && errno != ENOENT)
				return log_errno(-errno, "cannot remove %s/%s", dir,
						 vfile);
		}
		r++;
	}
	fsync(dfd);
	if (log_get_level() >= LOG_LEVEL_NOTICE)
		printf("pruned %d generation%s of %s\n", r, r == 1 ? "" : "s", out);
	return r;
}

int image_prune(const char *out, const struct prune_opts *o)
{
	_cleanup_free_ char *dir = NULL, *name = NULL;
	_cleanup_close_ int dfd = -1;
	struct status s = { .known = true };
	const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
	char cur[PATH_MAX], **gens = NULL;
	ssize_t cl;
	int r;

	dfd = image_open_out(out, &dir, &name);
	if (dfd < 0)
		return dfd;
	cl = readlinkat(dfd, base, cur, sizeof(cur) - 1);
	if (cl < 0)
		return log_errno(-errno, "cannot read the link %s", out);
	cur[cl] = '\0';
	r = list_generations(dfd, name, &gens);
	if (r < 0)
		return log_errno(r, "cannot list the generations of %s", out);
	r = prune(dfd, out, dir, name, cur, gens, &s, o);
	strv_free(gens);
	status_done(&s);
	return r;
}
