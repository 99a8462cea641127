// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootchroot.h"
#include "hash.h"
#include "keep.h"
#include "log.h"
#include "util.h"
#include "verity.h"

static const char *out_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int image_split_out(const char *out, char **ret_dir, char **ret_name)
{
	_cleanup_free_ char *a = strdup(out), *b = strdup(out);
	char *name;
	size_t len;

	if (!a || !b)
		return -ENOMEM;
	*ret_dir = strdup(dirname(a));
	name = strdup(basename(b));
	if (!*ret_dir || !name)
		return -ENOMEM;
	len = strlen(name);
	if (len > 5 && strcmp(name + len - 5, ".sqfs") == 0)
		name[len - 5] = '\0';
	*ret_name = name;
	return 0;
}

int image_open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return log_errno(-errno, "cannot open %s", dir);
	/* One publish, rollback or prune at a time in a directory: each reads
	 * and rewrites the history. */
	if (flock(fd, LOCK_EX) < 0) {
		int r = -errno;

		close(fd);
		return log_errno(r, "cannot lock %s", dir);
	}
	return fd;
}

int image_open_out(const char *out, char **ret_dir, char **ret_name)
{
	int r = image_split_out(out, ret_dir, ret_name);

	return r < 0 ? r : image_open_dir(*ret_dir);
}

int run_wait(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(argv[0], argv);
		if (errno == ENOENT)
			log_error("%s not found (install squashfs-tools)", argv[0]);
		else
			log_errno(-errno, "cannot run %s", argv[0]);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	/* 127: the child could not run it, and said why. */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_error("%s failed (exit status %d)", argv[0],
			  WIFEXITED(status) ? WEXITSTATUS(status)
					    : 128 + WTERMSIG(status));
		return -EIO;
	}
	return 0;
}

int image_read_history(int dfd, const char *name, char **ret)
{
	_cleanup_free_ char *file = NULL;
	int r;

	if (asprintf(&file, ".%s.generations", name) < 0)
		return -ENOMEM;
	r = read_file_at(dfd, file, ret, NULL);
	if (r == -ENOENT) {
		*ret = strdup("");
		return *ret ? 0 : -ENOMEM;
	}
	return r;
}

/* Point DIR/NAME.sqfs at gen, atomically: a new link renamed over the old one. */
static int switch_link(int dfd, const char *out, const char *name, const char *gen)
{
	_cleanup_free_ char *link = NULL, *tmp = NULL;

	if (asprintf(&link, "%s.sqfs", name) < 0 ||
	    asprintf(&tmp, ".%s.sqfs.new", name) < 0)
		return -ENOMEM;
	unlinkat(dfd, tmp, 0);
	if (symlinkat(gen, dfd, tmp) < 0)
		return log_errno(-errno, "cannot make a link to %s", gen);
	if (renameat(dfd, tmp, dfd, link) < 0) {
		int r = -errno;

		unlinkat(dfd, tmp, 0);
		return log_errno(r, "cannot switch %s", out);
	}
	fsync(dfd);
	return 0;
}

int image_publish(const char *sysroot, const char *out, const char *comp, bool verity)
{
	_cleanup_free_ char *dir = NULL, *name = NULL, *tmp = NULL, *gen = NULL,
			    *hist = NULL, *hfile = NULL, *nhist = NULL, *vline = NULL,
			    *vfile = NULL;
	struct verity_info vi;
	_cleanup_close_ int dfd = -1, fd = -1;
	char hex[65], link[PATH_MAX];
	struct stat st;
	ssize_t n;
	int r;

	dfd = image_open_out(out, &dir, &name);
	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, out_base(out), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISLNK(st.st_mode))
		return log_errno(-EEXIST, "%s exists and is not a link to a generation",
				 out);
	if (asprintf(&tmp, "%s/.%s.new.sqfs", dir, name) < 0)
		return -ENOMEM;
	unlink(tmp);
	{
		_cleanup_free_ char *alg = strndup(comp, strcspn(comp, ":"));
		const char *level = strchr(comp, ':');
		/* The retired objects (lib/keep.h) are for the tree's NFS
		 * clients only. */
		char *argv[] = {
			"mksquashfs", (char *)sysroot,	       tmp,	"-noappend",
			"-quiet",     "-no-progress",	       "-comp", alg,
			"-e",	      (char *)RETIRED_DIR + 1, NULL,	NULL,
			NULL
		};

		if (!alg)
			return -ENOMEM;
		if (level) {
			argv[10] = "-Xcompression-level";
			argv[11] = (char *)level + 1;
		}

		log_info("building %s", tmp);
		r = run_wait(argv);
		if (r < 0) {
			unlink(tmp);
			return r;
		}
	}
	if (verity) {
		/* Before the generation is named: its identity covers the tree. */
		r = verity_append(tmp, &vi);
		r = r ?: verity_cmdline(&vi, &vline);
		if (r < 0) {
			unlink(tmp);
			return r;
		}
	}
	fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_errno(-errno, "cannot open %s", tmp);
	r = sha256_fd(fd, hex);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return log_errno(r, "cannot read %s", tmp);
	}
	if (asprintf(&gen, "%s-%.16s.sqfs", name, hex) < 0)
		return -ENOMEM;
	if (vline) {
		/* The parameters first: a generation is never served without them. */
		_cleanup_free_ char *text = NULL;

		if (asprintf(&vfile, "%s.verity", gen) < 0 ||
		    asprintf(&text, "%s\n", vline) < 0)
			return -ENOMEM;
		r = write_file_atomic_at(dfd, vfile, text, strlen(text), 0644);
		if (r < 0) {
			unlink(tmp);
			return log_errno(r, "cannot write %s/%s", dir, vfile);
		}
	}
	if (renameat(dfd, out_base(tmp), dfd, gen) < 0) {
		r = -errno;
		unlink(tmp);
		return log_errno(r, "cannot rename %s", tmp);
	}
	/* Record the generation before serving it, so a rollback always knows it. */
	r = image_read_history(dfd, name, &hist);
	if (r < 0)
		return r;
	n = readlinkat(dfd, out_base(out), link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	if (asprintf(&hfile, ".%s.generations", name) < 0)
		return -ENOMEM;
	{
		/* The history is the chain of what was served: drop a repeat of the
		 * current generation (publishing an unchanged tree). */
		size_t hl = strlen(hist);
		bool same = n > 0 && strcmp(link, gen) == 0;

		if (asprintf(&nhist, "%s%s%s\n", hist,
			     (hl && hist[hl - 1] != '\n') ? "\n" : "",
			     same ? "" : gen) < 0)
			return -ENOMEM;
		if (same)
			nhist[strlen(nhist) - 1] = '\0';
		if (!same) {
			r = write_file_atomic_at(dfd, hfile, nhist, strlen(nhist), 0644);
			if (r < 0)
				return log_errno(r, "cannot write %s/%s", dir, hfile);
		}
	}
	r = switch_link(dfd, out, name, gen);
	if (r < 0)
		return r;
	if (log_get_level() >= LOG_LEVEL_NOTICE) {
		printf("published %s/%s (%s -> %s)\n", dir, gen, out, gen);
		if (vline)
			printf("dm-verity: %s (in %s/%s)\n", vline, dir, vfile);
	}
	return 0;
}

int image_rollback(const char *out)
{
	_cleanup_free_ char *dir = NULL, *name = NULL, *hist = NULL;
	_cleanup_close_ int dfd = -1;
	char link[PATH_MAX], *prev = NULL;
	ssize_t n;
	int r;

	dfd = image_open_out(out, &dir, &name);
	if (dfd < 0)
		return dfd;
	n = readlinkat(dfd, out_base(out), link, sizeof(link) - 1);
	if (n < 0)
		return log_errno(-errno, "cannot read the link %s", out);
	link[n] = '\0';
	r = image_read_history(dfd, name, &hist);
	if (r < 0)
		return r;
	for (char *line = hist, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strcmp(line, link) == 0)
			break;
		prev = line;
	}
	if (!prev) {
		log_error("%s: no generation before %s", out, link);
		return -ENOENT;
	}
	if (faccessat(dfd, prev, R_OK, 0) < 0)
		return log_errno(-errno, "cannot use generation %s/%s", dir, prev);
	r = switch_link(dfd, out, name, prev);
	if (r < 0)
		return r;
	if (log_get_level() >= LOG_LEVEL_NOTICE)
		printf("rolled back %s -> %s (was %s)\n", out, prev, link);
	return 0;
}

/*
 * ALG or ALG:LEVEL, a mksquashfs -comp name and its -Xcompression-level (gzip,
 * lzo and zstd have levels). zstd alone means level 3: its own default, as fast
 * to build as lz4 and smaller than gzip (mksquashfs's default, 15, is ten times
 * slower).
 */
const char *image_parse_compression(const char *arg)
{
	static const char *const algs[] = { "gzip", "xz", "lz4", "lzo", "lzma", "zstd" };
	size_t len = strcspn(arg, ":");
	const char *level = arg[len] ? arg + len + 1 : NULL;
	char *end;

	for (size_t i = 0; i < ARRAY_SIZE(algs); i++) {
		if (strlen(algs[i]) != len || strncmp(arg, algs[i], len) != 0)
			continue;
		if (!level)
			return strcmp(algs[i], "zstd") == 0 ? "zstd:3" : arg;
		if (strcmp(algs[i], "gzip") && strcmp(algs[i], "lzo") &&
		    strcmp(algs[i], "zstd")) {
			log_error("%s has no compression level", algs[i]);
			return NULL;
		}
		errno = 0;
		long n = strtol(level, &end, 10);
		if (errno || *end || end == level || n < 1 ||
		    n > (strcmp(algs[i], "zstd") == 0 ? 22 : 9)) {
			log_error("invalid compression level '%s' for %s", level,
				  algs[i]);
			return NULL;
		}
		return arg;
	}
	log_error("unknown compression '%.*s'", (int)len, arg);
	return NULL;
}
