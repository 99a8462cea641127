// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfinfo.h"
#include "libs.h"
#include "mkbootimage.h"
#include "rootdir.h"
#include "strv.h"
#include "util.h"

struct libs {
	int rootfd;
	char *sysroot;
	char *realroot; /* SYSROOT as the kernel names it, to map fds back to paths */
	char **conf; /* ld.so.conf directories, a strv */
	bool conf_read;
};

int libs_new(int rootfd, const char *sysroot, struct libs **ret)
{
	struct libs *l = calloc(1, sizeof(*l));
	char fdpath[64], buf[PATH_MAX];
	ssize_t n;

	if (!l)
		return -ENOMEM;
	l->rootfd = rootfd;
	l->sysroot = strdup(sysroot);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", rootfd);
	n = readlink(fdpath, buf, sizeof(buf) - 1);
	if (n < 0) {
		libs_free(l);
		return -errno;
	}
	buf[n] = '\0';
	l->realroot = strdup(strcmp(buf, "/") == 0 ? "" : buf);
	if (!l->sysroot || !l->realroot) {
		libs_free(l);
		return -ENOMEM;
	}
	*ret = l;
	return 0;
}

void libs_free(struct libs *l)
{
	if (!l)
		return;
	strv_free(l->conf);
	free(l->sysroot);
	free(l->realroot);
	free(l);
}

static int read_conf(struct libs *l, const char *path, int depth);

/* "include PATTERN": a glob on the last component only, as glibc's files use. */
static int read_include(struct libs *l, const char *pattern, int depth)
{
	_cleanup_free_ char *dir = strdup(pattern);
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_close_ int fd = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	char *slash;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash || !strpbrk(slash, "*?["))
		return read_conf(l, pattern, depth + 1);
	*slash = '\0';
	fd = root_open(l->rootfd, *dir ? dir : "/", O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	TAKE_FD(fd);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && fnmatch(slash + 1, de->d_name, 0) == 0 &&
		    strv_extend(&names, de->d_name) < 0)
			return -ENOMEM;
	/* glob() sorts: so do we, the order of directories matters. */
	strv_sort(names);
	strv_foreach(name, names) {
		char p[PATH_MAX];
		int r;

		snprintf(p, sizeof(p), "%s/%s", dir, *name);
		r = read_conf(l, p, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_conf(struct libs *l, const char *path, int depth)
{
	_cleanup_free_ char *buf = NULL;
	char *line, *save = NULL;
	int k;

	if (depth > 8)
		return 0;
	k = root_read_file(l->rootfd, path, &buf, NULL);
	if (k < 0)
		return k == -ENOENT ? 0 : k;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *s, *hash = strchr(line, '#');

		if (hash)
			*hash = '\0';
		s = strstrip(line);
		if (!*s)
			continue;
		if (startswith(s, "include") && (s[7] == ' ' || s[7] == '\t')) {
			k = read_include(l, strstrip(s + 8), depth);
		} else if (startswith(s, "hwcap")) {
			continue;
		} else if (*s == '/') {
			k = strv_extend_uniq(&l->conf, s);
		} else {
			continue;
		}
		if (k < 0)
			return k;
	}
	return 0;
}

int libs_ldconfig_dirs(struct libs *l, char ***ret, size_t *ret_n)
{
	if (!l->conf_read) {
		int k = read_conf(l, "/etc/ld.so.conf", 0);

		if (k < 0)
			return k;
		l->conf_read = true;
	}
	*ret = l->conf;
	*ret_n = strv_length(l->conf);
	return 0;
}

/* Where path really is inside SYSROOT (links resolved, confined). */
static int canonical(struct libs *l, const char *path, char **ret, struct stat *st)
{
	_cleanup_close_ int fd = root_open(l->rootfd, path, O_PATH, 0);
	char fdpath[64], buf[PATH_MAX];
	size_t rl = strlen(l->realroot);
	ssize_t n;

	if (fd < 0)
		return fd;
	if (st && fstat(fd, st) < 0)
		return -errno;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	n = readlink(fdpath, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (strncmp(buf, l->realroot, rl) != 0 || buf[rl] != '/')
		return -EXDEV;
	*ret = strdup(buf + rl);
	return *ret ? 0 : -ENOMEM;
}

/* Add path as a file at its canonical place, and as a link where it was asked for. */
static int add_file(struct libs *l, struct image *img, const char *path, char **ret_canon)
{
	_cleanup_free_ char *canon = NULL;
	struct stat st;
	int k;

	k = canonical(l, path, &canon, &st);
	if (k < 0)
		return k;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	k = image_add_file(img, canon, SRC_ROOT, canon, st.st_mode & 07777);
	if (k < 0 && k != -EEXIST)
		return k;
	if (strcmp(canon, path) != 0) {
		k = image_add_symlink(img, path, canon);
		if (k < 0 && k != -EEXIST)
			return k;
	}
	if (ret_canon)
		*ret_canon = TAKE_PTR(canon);
	return 0;
}

static bool elf_matches(struct libs *l, const char *path, const struct elf_info *want)
{
	_cleanup_close_ int fd = root_open(l->rootfd, path, O_RDONLY, 0);
	struct elf_info info;
	bool ok;

	if (fd < 0 || elf_parse_fd(fd, &info) < 0)
		return false;
	ok = info.bits == want->bits && info.machine == want->machine &&
	     info.big_endian == want->big_endian;
	elf_info_done(&info);
	return ok;
}

/* Expand $ORIGIN / ${ORIGIN} and $LIB in one search path entry. */
static char *expand(const char *dir, const char *origin, const struct elf_info *info)
{
	char out[PATH_MAX];
	size_t o = 0;

	for (const char *s = dir; *s && o < sizeof(out) - 1;) {
		const char *rep = NULL;
		size_t skip = 0;

		if (startswith(s, "$ORIGIN") || startswith(s, "${ORIGIN}")) {
			rep = origin;
			skip = s[1] == '{' ? 9 : 7;
		} else if (startswith(s, "$LIB") || startswith(s, "${LIB}")) {
			rep = info->bits == 64 ? "lib64" : "lib";
			skip = s[1] == '{' ? 6 : 4;
		} else if (*s == '$') {
			return NULL; /* $PLATFORM and friends: skip this entry */
		}
		if (rep) {
			size_t n = strlen(rep);

			if (o + n >= sizeof(out))
				return NULL;
			memcpy(out + o, rep, n);
			o += n;
			s += skip;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
	return strdup(out);
}

static int search_list(struct libs *l, const char *list, const char *origin,
		       const struct elf_info *want, const char *name, char **ret)
{
	_cleanup_free_ char *copy = strdup(list);
	char *dir, *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *d = expand(dir, origin, want);
		char p[PATH_MAX];

		if (!d || d[0] != '/')
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, name);
		if (elf_matches(l, p, want)) {
			*ret = strdup(p);
			return *ret ? 1 : -ENOMEM;
		}
	}
	return 0;
}

static int find_library(struct libs *l, const char *name, const struct elf_info *obj,
			const char *origin, const char *exe_rpath, char **ret)
{
	const char *triplet = elf_multiarch(obj->machine, obj->bits, obj->big_endian);
	char defaults[1024];
	char **conf;
	size_t n_conf;
	int k;

	/* DT_RPATH counts only when there is no DT_RUNPATH; the program's own
	 * DT_RPATH applies to the libraries it loads too. */
	if (!obj->runpath) {
		if (obj->rpath &&
		    (k = search_list(l, obj->rpath, origin, obj, name, ret)) != 0)
			return k;
		if (exe_rpath &&
		    (k = search_list(l, exe_rpath, origin, obj, name, ret)) != 0)
			return k;
	} else if ((k = search_list(l, obj->runpath, origin, obj, name, ret)) != 0) {
		return k;
	}
	k = libs_ldconfig_dirs(l, &conf, &n_conf);
	if (k < 0)
		return k;
	for (size_t i = 0; i < n_conf; i++)
		if ((k = search_list(l, conf[i], origin, obj, name, ret)) != 0)
			return k;
	if (triplet)
		snprintf(defaults, sizeof(defaults),
			 "/lib/%s:/usr/lib/%s:/lib%s:/usr/lib%s:/lib:/usr/lib", triplet,
			 triplet, obj->bits == 64 ? "64" : "32",
			 obj->bits == 64 ? "64" : "32");
	else
		snprintf(defaults, sizeof(defaults), "/lib%s:/usr/lib%s:/lib:/usr/lib",
			 obj->bits == 64 ? "64" : "", obj->bits == 64 ? "64" : "");
	return search_list(l, defaults, origin, obj, name, ret);
}

static int add_object(struct libs *l, struct image *img, const char *path,
		      const char *exe_rpath, const char *neededby, int depth);

/* Drop "." and empty components and fold "..", as the path is absolute and its
 * directories are real ones ($ORIGIN is resolved). */
static char *normalize(const char *path)
{
	char *out = malloc(strlen(path) + 2);
	size_t o = 0;

	if (!out)
		return NULL;
	for (const char *s = path; *s;) {
		size_t len;

		while (*s == '/')
			s++;
		len = strcspn(s, "/");
		if (len == 0)
			break;
		if (len == 1 && s[0] == '.') {
			/* nothing */
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			out[o++] = '/';
			memcpy(out + o, s, len);
			o += len;
		}
		s += len;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

static int add_script(struct libs *l, struct image *img, const char *path, int depth)
{
	_cleanup_close_ int fd = root_open(l->rootfd, path, O_RDONLY, 0);
	char buf[256], *nl, *interp;
	ssize_t n;

	if (fd < 0)
		return fd;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 2 || buf[0] != '#' || buf[1] != '!')
		return 0;
	buf[n] = '\0';
	nl = strchr(buf, '\n');
	if (!nl)
		return 0;
	*nl = '\0';
	interp = strstrip(buf + 2);
	interp[strcspn(interp, " \t")] = '\0';
	if (interp[0] != '/')
		return 0;
	return add_object(l, img, interp, NULL, path, depth + 1);
}

static int add_object(struct libs *l, struct image *img, const char *path,
		      const char *exe_rpath, const char *neededby, int depth)
{
	_cleanup_free_ char *canon = NULL, *origin = NULL, *norm = normalize(path);
	_cleanup_close_ int fd = -1;
	struct elf_info info;
	bool seen;
	int k;

	if (!norm)
		return log_oom();
	path = norm;
	if (depth > 64)
		return -ELOOP;
	seen = image_has(img, path);
	k = add_file(l, img, path, &canon);
	if (k < 0)
		return log_errno(k, "cannot add %s%s%s from %s", path,
				 neededby ? " needed by " : "", neededby ? neededby : "",
				 l->sysroot);
	if (seen)
		return 0;
	fd = root_open(l->rootfd, canon, O_RDONLY, 0);
	if (fd < 0)
		return log_errno(fd, "cannot read %s/%s", l->sysroot, canon);
	k = elf_parse_fd(fd, &info);
	if (k == -ENOEXEC)
		return add_script(l, img, canon, depth);
	if (k < 0)
		return log_errno(k, "cannot read %s/%s", l->sysroot, canon);
	/* $ORIGIN is the directory the object was loaded from, links resolved. */
	origin = strdup(canon);
	if (!origin) {
		elf_info_done(&info);
		return log_oom();
	}
	*strrchr(origin, '/') = '\0';
	if (!exe_rpath && info.rpath && info.type == ET_EXEC)
		exe_rpath = info.rpath;
	if (info.interp) {
		k = add_object(l, img, info.interp, NULL, path, depth + 1);
		if (k < 0)
			goto out;
	}
	for (size_t i = 0; i < info.n_needed; i++) {
		_cleanup_free_ char *found = NULL;
		const char *name = info.needed[i];

		if (strchr(name, '/')) {
			k = add_object(l, img, name, exe_rpath, path, depth + 1);
			if (k < 0)
				goto out;
			continue;
		}
		k = find_library(l, name, &info, origin, exe_rpath, &found);
		if (k < 0) {
			log_errno(k, "cannot look for %s", name);
			goto out;
		}
		if (k == 0) {
			log_error("cannot find %s needed by %s in %s", name, path,
				  l->sysroot);
			k = -ENOENT;
			goto out;
		}
		k = add_object(l, img, found, exe_rpath, path, depth + 1);
		if (k < 0)
			goto out;
	}
	k = 0;
out:
	elf_info_done(&info);
	return k;
}

int libs_add_program(struct libs *l, struct image *img, const char *path)
{
	if (path[0] != '/') {
		log_error("--add %s: give an absolute path inside %s", path, l->sysroot);
		return -EINVAL;
	}
	return add_object(l, img, path, NULL, NULL, 0);
}
