// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <limits.h>
#include <search.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmods.h"
#include "mkbootimage.h"
#include "log.h"
#include "rootdir.h"
#include "strbuf.h"
#include "strv.h"
#include "util.h"
#include "vector.h"

extern char **environ;

struct kmod_entry {
	char *name; /* normalised: '_' for '-' */
	char *rel; /* path under lib/modules/KVER, as in SYSROOT */
	char *out; /* the same, without a compression suffix */
	struct kmod_module *mod;
	char **deps; /* modules.dep order (names), a strv */
	unsigned int mark;
};

DEFINE_VECTOR(entry_vector, struct kmod_entry *)

struct kmods {
	int rootfd;
	char *kver;
	char *moddir; /* "lib/modules/KVER" */
	int moddirfd; /* SYSROOT's lib/modules/KVER (O_PATH) */
	int indexfd; /* where modules.dep & co are (SYSROOT's or the shadow's) */
	char *kmoddir; /* the directory libkmod is given */
	char *shadow; /* a private directory with a fresh index, removed at the end */
	int conffds[4]; /* SYSROOT's modprobe.d directories */
	struct kmod_ctx *ctx;
	void *tree; /* by name */
	entry_vector v;
	char **builtin; /* names in modules.builtin, a strv */
	unsigned int gen;
};

static char *modname_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name, *dot;

	base = base ? base + 1 : path;
	name = strdup(base);
	if (!name)
		return NULL;
	dot = strstr(name, ".ko");
	if (dot && (dot[3] == '\0' || dot[3] == '.'))
		*dot = '\0';
	for (char *p = name; *p; p++)
		if (*p == '-')
			*p = '_';
	return name;
}

static char *strip_compression(const char *rel)
{
	char *s = strdup(rel);
	char *dot;

	if (!s)
		return NULL;
	dot = strrchr(s, '/');
	dot = strstr(dot ? dot : s, ".ko.");
	if (dot)
		dot[3] = '\0';
	return s;
}

static int version_cmp(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

int kmods_find_kver(int rootfd, char **ret)
{
	_cleanup_close_ int fd =
		root_open(rootfd, "lib/modules", O_RDONLY | O_DIRECTORY, 0);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	_cleanup_free_ char *best = NULL;

	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	TAKE_FD(fd);
	while ((de = readdir(d))) {
		char sub[NAME_MAX + 16];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		/* A kernel's directory has its modules under kernel/; leftovers of a
		 * removed kernel do not. */
		snprintf(sub, sizeof(sub), "%s/kernel", de->d_name);
		if (fstatat(dirfd(d), sub, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (!best || strverscmp(de->d_name, best) > 0) {
			free(best);
			best = strdup(de->d_name);
			if (!best)
				return -ENOMEM;
		}
	}
	if (!best)
		return -ENOENT;
	*ret = TAKE_PTR(best);
	return 0;
}

static bool is_module_file(const char *name)
{
	const char *ko = strstr(name, ".ko");

	return ko && (strcmp(ko, ".ko") == 0 || strcmp(ko, ".ko.xz") == 0 ||
		      strcmp(ko, ".ko.zst") == 0 || strcmp(ko, ".ko.gz") == 0);
}

/* Find a module newer than t below dfd (not following links). */
static int find_newer(int dfd, const char *prefix, const struct timespec *t, char **ret)
{
	_cleanup_close_ int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int k = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	TAKE_FD(fd);
	while (k == 0 && (de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub =
				openat(dirfd(d), de->d_name,
				       O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_free_ char *p = NULL;

			if (sub < 0)
				continue;
			if (asprintf(&p, "%s%s/", prefix, de->d_name) < 0) {
				k = -ENOMEM;
				break;
			}
			k = find_newer(sub, p, t, ret);
		} else if (S_ISREG(st.st_mode) && is_module_file(de->d_name) &&
			   (st.st_mtim.tv_sec > t->tv_sec ||
			    (st.st_mtim.tv_sec == t->tv_sec &&
			     st.st_mtim.tv_nsec > t->tv_nsec))) {
			if (asprintf(ret, "%s%s", prefix, de->d_name) < 0)
				k = -ENOMEM;
			else
				k = 1;
		}
	}
	return k;
}

int kmods_moddep_state(int rootfd, const char *kver, enum moddep_state *ret,
		       char **ret_newer)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dfd = -1;
	struct stat st, bin;
	int k;

	*ret_newer = NULL;
	if (asprintf(&dir, "lib/modules/%s", kver) < 0)
		return -ENOMEM;
	dfd = root_open(rootfd, dir, O_PATH | O_DIRECTORY, 0);
	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, "modules.dep", &st, 0) < 0 || st.st_size == 0 ||
	    fstatat(dfd, "modules.dep.bin", &bin, 0) < 0 || bin.st_size == 0) {
		*ret = MODDEP_MISSING;
		return 0;
	}
	k = find_newer(dfd, "", &st.st_mtim, ret_newer);
	if (k < 0)
		return k;
	*ret = k > 0 ? MODDEP_STALE : MODDEP_FRESH;
	return 0;
}

static void kmod_log(void *data, int priority, const char *file, int line, const char *fn,
		     const char *format, va_list args)
{
	_cleanup_free_ char *msg = NULL;

	if (log_get_level() < LOG_LEVEL_DEBUG)
		return;
	if (vasprintf(&msg, format, args) < 0)
		return;
	log_debug("libkmod: %s", strstrip(msg));
}

static int run_depmod(const char *base, const char *kver)
{
	char *argv[] = { "depmod", "-b", (char *)base, (char *)kver, NULL };
	pid_t pid;
	int status, k;

	k = posix_spawnp(&pid, "depmod", NULL, NULL, argv, environ);
	if (k != 0)
		return log_errno(-k, "cannot run depmod");
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return log_errno(-errno, "cannot wait for depmod");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_error("depmod -b %s %s failed", base, kver);
		return -EIO;
	}
	return 0;
}

/* The index files depmod writes; everything else of the module directory is input. */
static bool is_depmod_output(const char *name)
{
	static const char *const outputs[] = {
		"modules.dep",	       "modules.dep.bin",     "modules.alias",
		"modules.alias.bin",   "modules.softdep",     "modules.symbols",
		"modules.symbols.bin", "modules.builtin.bin", "modules.builtin.alias.bin",
		"modules.devname",     "modules.weakdep",
	};

	for (size_t i = 0; i < ARRAY_SIZE(outputs); i++)
		if (strcmp(name, outputs[i]) == 0)
			return true;
	return false;
}

static void remove_shadow(struct kmods *m)
{
	_cleanup_free_ char *dir = NULL;
	struct dirent *de;

	if (!m->shadow)
		return;
	if (asprintf(&dir, "%s/lib/modules/%s", m->shadow, m->kver) >= 0) {
		_cleanup_closedir_ DIR *d = opendir(dir);

		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.')
				unlinkat(dirfd(d), de->d_name, 0);
		rmdir(dir);
	}
	free(dir);
	dir = NULL;
	if (asprintf(&dir, "%s/lib/modules", m->shadow) >= 0)
		rmdir(dir);
	free(dir);
	dir = NULL;
	if (asprintf(&dir, "%s/lib", m->shadow) >= 0)
		rmdir(dir);
	rmdir(m->shadow);
	free(m->shadow);
	m->shadow = NULL;
}

/* A fresh index for SYSROOT's modules in a private directory: depmod -b runs on
 * links to SYSROOT's module trees and leaves SYSROOT untouched. */
static int make_shadow(struct kmods *m, const char *realdir)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int fd = -1;
	char tmpl[] = "/tmp/mkbootimage.XXXXXX";
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	if (!mkdtemp(tmpl))
		return log_errno(-errno, "cannot create a temporary directory");
	m->shadow = strdup(tmpl);
	if (!m->shadow || asprintf(&dir, "%s/lib/modules/%s", tmpl, m->kver) < 0)
		return log_oom();
	for (char *slash = strchr(dir + strlen(tmpl) + 1, '/');;
	     slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return log_errno(-errno, "cannot create %s", dir);
		if (!slash)
			break;
		*slash = '/';
	}
	fd = openat(m->moddirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return log_errno(-errno, "cannot read %s", realdir);
	d = fdopendir(fd);
	if (!d)
		return log_errno(-errno, "cannot read %s", realdir);
	TAKE_FD(fd);
	while ((de = readdir(d))) {
		_cleanup_free_ char *from = NULL, *to = NULL;

		if (de->d_name[0] == '.' || is_depmod_output(de->d_name))
			continue;
		if (asprintf(&from, "%s/%s", realdir, de->d_name) < 0 ||
		    asprintf(&to, "%s/%s", dir, de->d_name) < 0)
			return log_oom();
		if (symlink(from, to) < 0)
			return log_errno(-errno, "cannot create %s", to);
	}
	return run_depmod(m->shadow, m->kver);
}

static int open_index(struct kmods *m, const char *name);

static int read_builtin(struct kmods *m)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = open_index(m, "modules.builtin");
	char *line, *save = NULL;
	int k;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	k = read_fd_all(fd, &buf, NULL);
	if (k < 0)
		return k;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!*line || *line == '#')
			continue;
		k = strv_consume(&m->builtin, modname_from_path(line));
		if (k < 0)
			return k;
	}
	return 0;
}

static bool is_builtin(struct kmods *m, const char *name)
{
	return strv_contains(m->builtin, name);
}

int kmods_open(int rootfd, const struct kmods_opts *opts, struct kmods **ret)
{
	_cleanup_(kmods_freep) struct kmods *m = NULL;
	static const char *const confdirs[] = { "etc/modprobe.d", "run/modprobe.d",
						"usr/lib/modprobe.d", "lib/modprobe.d" };
	const char *conf[ARRAY_SIZE(confdirs) + 1] = { 0 };
	char confpaths[ARRAY_SIZE(confdirs)][64];
	char fdpath[64], realdir[PATH_MAX];
	enum moddep_state state;
	_cleanup_free_ char *newer = NULL;
	size_t nconf = 0;
	ssize_t n;
	int k;

	m = calloc(1, sizeof(*m));
	if (!m)
		return log_oom();
	m->rootfd = rootfd;
	m->moddirfd = m->indexfd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(m->conffds); i++)
		m->conffds[i] = -1;
	m->kver = strdup(opts->kver);
	if (!m->kver || asprintf(&m->moddir, "lib/modules/%s", opts->kver) < 0)
		return log_oom();
	m->moddirfd = root_open(rootfd, m->moddir, O_PATH | O_DIRECTORY, 0);
	if (m->moddirfd < 0)
		return log_errno(m->moddirfd, "cannot open %s/%s", opts->sysroot,
				 m->moddir);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", m->moddirfd);
	n = readlink(fdpath, realdir, sizeof(realdir) - 1);
	if (n < 0)
		return log_errno(-errno, "cannot resolve %s/%s", opts->sysroot,
				 m->moddir);
	realdir[n] = '\0';

	k = kmods_moddep_state(rootfd, opts->kver, &state, &newer);
	if (k < 0)
		return log_errno(k, "cannot check %s/%s/modules.dep", opts->sysroot,
				 m->moddir);
	if (state != MODDEP_FRESH) {
		const char *why = state == MODDEP_MISSING ? "is missing"
							  : "is older than ";
		char hostpath[PATH_MAX];
		bool shadow = opts->shadow;

		/* depmod -b resolves links in SYSROOT as the host sees them: run it on
		 * the tree only when that lands where the confined lookup did. */
		if (!shadow &&
		    (!realpath(opts->sysroot, hostpath) ||
		     strlen(hostpath) + strlen(m->moddir) + 2 > sizeof(hostpath)))
			shadow = true;
		if (!shadow) {
			_cleanup_free_ char *want = NULL;

			if (asprintf(&want, "%s/%s",
				     strcmp(hostpath, "/") ? hostpath : "",
				     m->moddir) < 0)
				return log_oom();
			if (!realpath(want, hostpath) || strcmp(hostpath, realdir) != 0 ||
			    access(realdir, W_OK) < 0)
				shadow = true;
		}
		if (shadow) {
			log_notice(
				"modules.dep of %s %s%s: running depmod on a private copy "
				"of the index",
				opts->kver, why, newer ? newer : "");
			k = make_shadow(m, realdir);
			if (k < 0)
				return k;
		} else {
			log_notice("modules.dep of %s %s%s: running depmod -b %s %s",
				   opts->kver, why, newer ? newer : "", opts->sysroot,
				   opts->kver);
			k = run_depmod(opts->sysroot, opts->kver);
			if (k < 0)
				return k;
		}
	}

	if (m->shadow) {
		if (asprintf(&m->kmoddir, "%s/lib/modules/%s", m->shadow, m->kver) < 0)
			return log_oom();
		m->indexfd = open(m->kmoddir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (m->indexfd < 0)
			return log_errno(-errno, "cannot open %s", m->kmoddir);
	} else {
		m->kmoddir = strdup(fdpath);
		m->indexfd = fcntl(m->moddirfd, F_DUPFD_CLOEXEC, 3);
		if (!m->kmoddir || m->indexfd < 0)
			return log_oom();
	}

	for (size_t i = 0; i < ARRAY_SIZE(confdirs); i++) {
		int fd = root_open(rootfd, confdirs[i], O_PATH | O_DIRECTORY, 0);

		if (fd < 0)
			continue;
		m->conffds[nconf] = fd;
		snprintf(confpaths[nconf], sizeof(confpaths[nconf]), "/proc/self/fd/%d",
			 fd);
		conf[nconf] = confpaths[nconf];
		nconf++;
	}
	/* An empty list (not NULL) so that libkmod never reads the host's /etc. */
	if (nconf == 0) {
		snprintf(confpaths[0], sizeof(confpaths[0]), "/proc/self/fd/%d",
			 m->indexfd);
		conf[0] = NULL;
	}
	m->ctx = kmod_new(m->kmoddir, conf);
	if (!m->ctx)
		return log_errno(-ENOMEM, "cannot initialise libkmod on %s", realdir);
	kmod_set_log_fn(m->ctx, kmod_log, NULL);
	if (log_get_level() >= LOG_LEVEL_DEBUG)
		kmod_set_log_priority(m->ctx, 7);
	/* Map the index files up front; one missing (no modules.builtin.bin for a
	 * kernel without modules.builtin) only means libkmod opens them one by one. */
	k = kmod_load_resources(m->ctx);
	if (k < 0)
		log_debug("cannot preload the module index of %s: %s", opts->kver,
			  strerror(-k));
	k = read_builtin(m);
	if (k < 0)
		return log_errno(k, "cannot read modules.builtin of %s", opts->kver);
	*ret = TAKE_PTR(m);
	return 0;
}

static void entry_free(struct kmod_entry *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->rel);
	free(e->out);
	strv_free(e->deps);
	if (e->mod)
		kmod_module_unref(e->mod);
	free(e);
}

static void noop_free(void *p)
{
}

void kmods_free(struct kmods *m)
{
	if (!m)
		return;
	tdestroy(m->tree, noop_free);
	vector_foreach(e, &m->v) entry_free(*e);
	entry_vector_reset(&m->v);
	strv_free(m->builtin);
	if (m->ctx)
		kmod_unref(m->ctx);
	remove_shadow(m);
	for (size_t i = 0; i < ARRAY_SIZE(m->conffds); i++)
		if (m->conffds[i] >= 0)
			close(m->conffds[i]);
	if (m->moddirfd >= 0)
		close(m->moddirfd);
	if (m->indexfd >= 0)
		close(m->indexfd);
	free(m->kmoddir);
	free(m->moddir);
	free(m->kver);
	free(m);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kmod_entry *)a)->name,
		      ((const struct kmod_entry *)b)->name);
}

static struct kmod_entry *find(struct kmods *m, const char *name)
{
	struct kmod_entry key = { .name = (char *)name };
	void *p = tfind(&key, &m->tree, name_cmp);

	return p ? *(struct kmod_entry **)p : NULL;
}

bool kmods_has(struct kmods *m, const char *name)
{
	_cleanup_free_ char *n = modname_from_path(name);

	return n && find(m, n);
}

size_t kmods_count(struct kmods *m)
{
	return m->v.len;
}

static int add_module(struct kmods *m, struct kmod_module *mod);

/* Add the modules of list; e: record them as its dependencies, NULL: they are
 * soft dependencies, and one that has no module file is no error. */
static int add_list(struct kmods *m, struct kmod_list *list, struct kmod_entry *e)
{
	struct kmod_list *l;
	int k;

	kmod_list_foreach(l, list)
	{
		struct kmod_module *d = kmod_module_get_module(l);

		k = add_module(m, d);
		if (k == -ENOENT && !e)
			k = 0;
		if (k >= 0 && e && kmod_module_get_path(d))
			k = strv_extend(&e->deps, kmod_module_get_name(d));
		kmod_module_unref(d);
		if (k < 0)
			return k;
	}
	return 0;
}

/* Add mod with what it needs; 0 also for a built-in module (nothing to add). */
static int add_module(struct kmods *m, struct kmod_module *mod)
{
	const char *name = kmod_module_get_name(mod), *path = kmod_module_get_path(mod);
	struct kmod_list *deps, *pre = NULL, *post = NULL;
	struct kmod_entry *e;
	size_t dlen = strlen(m->kmoddir);
	void *p;
	int k;

	if (find(m, name))
		return 0;
	if (!path) {
		if (is_builtin(m, name))
			return 0;
		log_debug("module %s has no file in %s", name, m->moddir);
		return -ENOENT;
	}
	if (strncmp(path, m->kmoddir, dlen) != 0 || path[dlen] != '/') {
		log_warn("module %s is outside %s: %s", name, m->moddir, path);
		return -EXDEV;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->name = strdup(name);
	e->rel = strdup(path + dlen + 1);
	e->out = strip_compression(path + dlen + 1);
	e->mod = kmod_module_ref(mod);
	if (!e->name || !e->rel || !e->out) {
		entry_free(e);
		return -ENOMEM;
	}
	if (entry_vector_reserve(&m->v, 1) < 0) {
		entry_free(e);
		return -ENOMEM;
	}
	p = tsearch(e, &m->tree, name_cmp);
	if (!p) {
		entry_free(e);
		return -ENOMEM;
	}
	m->v.ptr[m->v.len++] = e;

	deps = kmod_module_get_dependencies(mod);
	k = add_list(m, deps, e);
	kmod_module_unref_list(deps);
	if (k < 0)
		return k;
	if (kmod_module_get_softdeps(mod, &pre, &post) == 0) {
		k = add_list(m, pre, NULL);
		if (k >= 0)
			k = add_list(m, post, NULL);
		kmod_module_unref_list(pre);
		kmod_module_unref_list(post);
		if (k < 0)
			return k;
	}
	return 0;
}

int kmods_add(struct kmods *m, const char *name)
{
	struct kmod_list *list = NULL, *l;
	int count = 0, k = 0;

	k = kmod_module_new_from_lookup(m->ctx, name, &list);
	if (k < 0)
		return k;
	kmod_list_foreach(l, list)
	{
		struct kmod_module *mod = kmod_module_get_module(l);
		int r = add_module(m, mod);

		kmod_module_unref(mod);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			k = r;
			break;
		}
		count++;
	}
	kmod_module_unref_list(list);
	if (k < 0)
		return k;
	if (count == 0) {
		_cleanup_free_ char *n = modname_from_path(name);

		if (n && is_builtin(m, n))
			return 1;
	}
	return count;
}

/* What depmod writes comes from the index in use, the rest from SYSROOT. */
static int open_index(struct kmods *m, const char *name)
{
	return root_open(is_depmod_output(name) ? m->indexfd : m->moddirfd, name,
			 O_RDONLY, 0);
}

static int read_index(struct kmods *m, const char *name, char **ret)
{
	_cleanup_close_ int fd = open_index(m, name);

	if (fd < 0)
		return fd;
	return read_fd_all(fd, ret, NULL);
}

int kmods_add_tree(struct kmods *m, const char *prefix)
{
	_cleanup_free_ char *buf = NULL, *want = NULL;
	char *line, *save = NULL;
	int count = 0, k;

	if (asprintf(&want, "kernel/%s", prefix) < 0)
		return -ENOMEM;
	k = read_index(m, "modules.dep", &buf);
	if (k < 0)
		return k;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		_cleanup_free_ char *name = NULL;

		if (!colon || !startswith(line, want))
			continue;
		*colon = '\0';
		name = modname_from_path(line);
		if (!name)
			return -ENOMEM;
		k = kmods_add(m, name);
		if (k < 0)
			return k;
		count++;
	}
	return count;
}

static int read_small(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	strstrip(buf);
	return 0;
}

int kmods_add_host_nics(struct kmods *m, const char *sysfs)
{
	_cleanup_free_ char *classdir = NULL, *devroot = NULL;
	DIR *d;
	struct dirent *de;
	int devices = 0, k = 0;

	if (asprintf(&classdir, "%s/class/net", sysfs) < 0)
		return -ENOMEM;
	d = opendir(classdir);
	if (!d)
		return -errno;
	if (asprintf(&devroot, "%s/devices", sysfs) < 0) {
		closedir(d);
		return -ENOMEM;
	}
	while (k >= 0 && (de = readdir(d))) {
		_cleanup_free_ char *path = NULL, *dev = NULL, *link = NULL, *top = NULL;
		char target[PATH_MAX], buf[512];
		size_t rootlen;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s/device", classdir, de->d_name) < 0) {
			k = -ENOMEM;
			break;
		}
		dev = realpath(path, NULL);
		if (!dev)
			continue; /* a virtual interface: nothing to load for it */
		devices++;
		/* The module bound to the device now, when it is one. */
		if (asprintf(&link, "%s/driver/module", dev) < 0) {
			k = -ENOMEM;
			break;
		}
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			log_debug("%s: bound module %s", de->d_name, target);
			k = kmods_add(m, strrchr(target, '/') ? strrchr(target, '/') + 1
							      : target);
			if (k < 0)
				break;
		}
		/* The device's modalias and its parents' (virtio_pci under virtio_net,
		 * a USB host controller under a USB adapter). */
		top = realpath(devroot, NULL);
		if (!top)
			break;
		rootlen = strlen(top);
		while (strlen(dev) > rootlen && strncmp(dev, top, rootlen) == 0) {
			_cleanup_free_ char *f = NULL;
			char *slash;

			if (asprintf(&f, "%s/modalias", dev) < 0) {
				k = -ENOMEM;
				break;
			}
			if (read_small(f, buf, sizeof(buf)) == 0 && buf[0]) {
				k = kmods_add(m, buf);
				log_debug("%s: %s -> %d module(s)", de->d_name, buf, k);
				if (k < 0)
					break;
				k = 0;
			}
			slash = strrchr(dev, '/');
			if (!slash)
				break;
			*slash = '\0';
		}
	}
	closedir(d);
	return k < 0 ? k : devices;
}

char *kmods_names(struct kmods *m)
{
	_cleanup_free_ const char **names = calloc(m->v.len + 1, sizeof(char *));
	_cleanup_strbuf_ struct strbuf b = { 0 };

	if (!names)
		return NULL;
	for (size_t i = 0; i < m->v.len; i++)
		names[i] = m->v.ptr[i]->name;
	qsort(names, m->v.len, sizeof(char *), version_cmp);
	for (size_t i = 0; i < m->v.len; i++)
		if (strbuf_appendf(&b, "%s%s", i ? " " : "", names[i]) < 0)
			return NULL;
	return strbuf_steal(&b);
}

/*
 * Depth first: dependencies, then the module. Soft dependencies are not in the
 * line: BusyBox's modprobe gives up on a module when anything in its line fails
 * to load, and a soft dependency may fail by design (crc32c-intel on a CPU
 * without SSE 4.2). The kernel asks /sbin/modprobe for what it needs of them
 * (crypto-crc32c, a PHY's driver), and the coldplug loads the rest.
 */
static int visit(struct kmods *m, struct kmod_entry *e, entry_vector *order)
{
	if (e->mark == m->gen || e->mark == m->gen + 1)
		return 0;
	e->mark = m->gen + 1; /* in progress: a cycle ends here */
	for (size_t i = strv_length(e->deps); i > 0; i--) {
		struct kmod_entry *d = find(m, e->deps[i - 1]);

		if (d && visit(m, d, order) < 0)
			return -ENOMEM;
	}
	e->mark = m->gen;
	return entry_vector_append(order, e);
}

static int dep_line(struct kmods *m, struct kmod_entry *e, char **ret)
{
	entry_vector order = { 0 };
	_cleanup_strbuf_ struct strbuf b = { 0 };
	int k;

	m->gen += 2;
	k = visit(m, e, &order);
	if (k >= 0)
		k = strbuf_appendf(&b, "%s:", e->out);
	/* BusyBox loads the list from its end: the deepest dependency first. */
	for (size_t i = order.len; k >= 0 && i > 0; i--)
		if (order.ptr[i - 1] != e)
			k = strbuf_appendf(&b, " %s", order.ptr[i - 1]->out);
	entry_vector_reset(&order);
	if (k < 0)
		return k;
	*ret = strbuf_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

int kmods_dep_line(struct kmods *m, const char *name, char **ret)
{
	_cleanup_free_ char *n = modname_from_path(name);
	struct kmod_entry *e = n ? find(m, n) : NULL;

	if (!e)
		return -ENOENT;
	return dep_line(m, e, ret);
}

static int out_cmp(struct kmod_entry *const *a, struct kmod_entry *const *b)
{
	return strcmp((*a)->out, (*b)->out);
}

/*
 * Keep the lines of an index file whose module (field number field, from 0) is
 * in the set. A missing file gives an empty one.
 */
static int filter_index(struct kmods *m, struct image *img, const char *name, int field)
{
	_cleanup_free_ char *buf = NULL, *path = NULL;
	_cleanup_strbuf_ struct strbuf out = { 0 };
	char *line, *save = NULL;
	size_t len;
	int k;

	k = read_index(m, name, &buf);
	if (k < 0 && k != -ENOENT)
		return log_errno(k, "cannot read %s/%s", m->moddir, name);
	for (line = buf ? strtok_r(buf, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char copy[4096], *tok, *tsave = NULL;
		int i = 0;
		bool keep = false;

		if (*line == '#' || strlen(line) >= sizeof(copy))
			continue;
		strcpy(copy, line);
		for (tok = strtok_r(copy, " \t", &tsave); tok;
		     tok = strtok_r(NULL, " \t", &tsave)) {
			if (i++ == field) {
				keep = kmods_has(m, tok);
				break;
			}
		}
		if (keep && strbuf_appendf(&out, "%s\n", line) < 0)
			return log_oom();
	}
	if (asprintf(&path, "%s/%s", m->moddir, name) < 0)
		return log_oom();
	len = out.len;
	return image_add_data(img, path, strbuf_steal(&out), len, 0644);
}

static int copy_index(struct kmods *m, struct image *img, const char *name)
{
	_cleanup_free_ char *buf = NULL, *path = NULL;
	size_t len;
	_cleanup_close_ int fd = open_index(m, name);
	int k;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return log_errno(fd, "cannot read %s/%s", m->moddir, name);
	k = read_fd_all(fd, &buf, &len);
	if (k < 0)
		return log_errno(k, "cannot read %s/%s", m->moddir, name);
	if (asprintf(&path, "%s/%s", m->moddir, name) < 0)
		return log_oom();
	return image_add_data(img, path, TAKE_PTR(buf), len, 0644);
}

/* Where the kernel looks for firmware, first match wins. */
static int add_firmware(struct kmods *m, struct image *img, const char *fw, bool *found)
{
	const char *dirs[] = { "lib/firmware/updates/", "lib/firmware/updates/",
			       "lib/firmware/", "lib/firmware/" };
	static const char *const sfx[] = { "", ".zst", ".xz" };

	*found = false;
	if (strstr(fw, "..") || fw[0] == '/')
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		for (size_t j = 0; j < ARRAY_SIZE(sfx); j++) {
			_cleanup_free_ char *path = NULL;
			struct stat st;
			int k;

			/* The even entries are the kernel version's own directories. */
			if (asprintf(&path, "%s%s%s%s%s", dirs[i],
				     i % 2 == 0 ? m->kver : "", i % 2 == 0 ? "/" : "", fw,
				     sfx[j]) < 0)
				return -ENOMEM;
			if (root_stat(m->rootfd, path, true, &st) < 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			*found = true;
			k = image_add_file(img, path, SRC_ROOT, path, 0644);
			return k == -EEXIST ? 0 : k;
		}
	return 0;
}

int kmods_emit(struct kmods *m, struct image *img, size_t *ret_fw, size_t *ret_fw_missing)
{
	_cleanup_strbuf_ struct strbuf dep = { 0 };
	_cleanup_free_ char *deppath = NULL;
	size_t fw = 0, fw_missing = 0, len;
	int k;

	entry_vector_sort(&m->v, out_cmp);
	vector_foreach(ep, &m->v)
	{
		struct kmod_entry *e = *ep;
		_cleanup_free_ char *from = NULL, *to = NULL, *line = NULL;
		struct kmod_list *info = NULL, *l;

		if (asprintf(&from, "%s/%s", m->moddir, e->rel) < 0 ||
		    asprintf(&to, "%s/%s", m->moddir, e->out) < 0)
			return log_oom();
		k = image_add_file(img, to, SRC_ROOT_KMOD, from, 0644);
		if (k < 0)
			return log_errno(k, "cannot add %s", to);
		k = dep_line(m, e, &line);
		if (k < 0 || strbuf_appendf(&dep, "%s\n", line) < 0)
			return log_oom();
		if (kmod_module_get_info(e->mod, &info) < 0) {
			log_debug("cannot read the module information of %s", e->name);
			continue;
		}
		kmod_list_foreach(l, info)
		{
			bool found;

			if (strcmp(kmod_module_info_get_key(l), "firmware") != 0)
				continue;
			k = add_firmware(m, img, kmod_module_info_get_value(l), &found);
			if (k < 0) {
				kmod_module_info_free_list(info);
				return log_errno(k, "cannot add firmware %s",
						 kmod_module_info_get_value(l));
			}
			if (found)
				fw++;
			else
				fw_missing++;
		}
		kmod_module_info_free_list(info);
	}
	if (asprintf(&deppath, "%s/modules.dep", m->moddir) < 0)
		return log_oom();
	len = dep.len;
	k = image_add_data(img, deppath, strbuf_steal(&dep), len, 0644);
	if (k < 0)
		return log_errno(k, "cannot add %s", deppath);
	if ((k = filter_index(m, img, "modules.alias", 2)) < 0 ||
	    (k = filter_index(m, img, "modules.softdep", 1)) < 0 ||
	    (k = filter_index(m, img, "modules.symbols", 2)) < 0 ||
	    (k = copy_index(m, img, "modules.builtin")) < 0 ||
	    (k = copy_index(m, img, "modules.builtin.modinfo")) < 0)
		return k;
	{
		/* modules.order: the modules of the set in the kernel's order. */
		k = filter_index(m, img, "modules.order", 0);
		if (k < 0)
			return k;
	}
	if (ret_fw)
		*ret_fw = fw;
	if (ret_fw_missing)
		*ret_fw_missing = fw_missing;
	return 0;
}
