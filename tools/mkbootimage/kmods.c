// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A kernel's modules in SYSROOT and the set that goes into the image: libkmod
 * on SYSROOT/lib/modules/KVER and SYSROOT's modprobe.d, each module added with
 * its dependencies and soft dependencies.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmods-internal.h"
#include "log.h"
#include "mkbootimage.h"
#include "rootdir.h"
#include "strbuf.h"
#include "strv.h"
#include "util.h"

char *modname_from_path(const char *path)
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

static void log_from_libkmod(void *data, int priority, const char *file, int line,
			     const char *fn, const char *format, va_list args)
{
	_cleanup_free_ char *msg = NULL;

	if (log_get_level() < LOG_LEVEL_DEBUG)
		return;
	if (vasprintf(&msg, format, args) < 0)
		return;
	log_debug("libkmod: %s", strstrip(msg));
}

static int read_builtin(struct kmods *m)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = index_open(m, "modules.builtin");
	char *line, *save = NULL;
	int r;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	r = read_fd_all(fd, &buf, NULL);
	if (r < 0)
		return r;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!*line || *line == '#')
			continue;
		r = strv_consume(&m->builtin, modname_from_path(line));
		if (r < 0)
			return r;
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
	size_t nconf = 0;
	ssize_t n;
	int r;

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

	r = depmod_prepare(m, opts, realdir, fdpath);
	if (r < 0)
		return r;

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
	/* conf is an empty list, not NULL, when SYSROOT has no modprobe.d: NULL
	 * would make libkmod read the host's. */
	m->ctx = kmod_new(m->kmoddir, conf);
	if (!m->ctx)
		return log_errno(-ENOMEM, "cannot initialise libkmod on %s", realdir);
	kmod_set_log_fn(m->ctx, log_from_libkmod, NULL);
	if (log_get_level() >= LOG_LEVEL_DEBUG)
		kmod_set_log_priority(m->ctx, 7);
	/* Map the index files up front; one missing (no modules.builtin.bin for a
	 * kernel without modules.builtin) only means libkmod opens them one by one. */
	r = kmod_load_resources(m->ctx);
	if (r < 0)
		log_debug("cannot preload the module index of %s: %s", opts->kver,
			  strerror(-r));
	r = read_builtin(m);
	if (r < 0)
		return log_errno(r, "cannot read modules.builtin of %s", opts->kver);
	*ret = TAKE_PTR(m);
	return 0;
}

static void entry_free(struct kmods_entry *e)
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
	vector_foreach(e, &m->v)
		entry_free(*e);
	entry_vector_reset(&m->v);
	strv_free(m->builtin);
	if (m->ctx)
		kmod_unref(m->ctx);
	shadow_remove(m);
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
	return strcmp(((const struct kmods_entry *)a)->name,
		      ((const struct kmods_entry *)b)->name);
}

struct kmods_entry *entry_find(struct kmods *m, const char *name)
{
	struct kmods_entry key = { .name = (char *)name };
	void *p = tfind(&key, &m->tree, name_cmp);

	return p ? *(struct kmods_entry **)p : NULL;
}

bool kmods_has(struct kmods *m, const char *name)
{
	_cleanup_free_ char *n = modname_from_path(name);

	return n && entry_find(m, n);
}

size_t kmods_count(struct kmods *m)
{
	return m->v.len;
}

size_t kmods_count_compressed(struct kmods *m)
{
	size_t n = 0;

	vector_foreach(ep, &m->v)
		if (strcmp((*ep)->rel, (*ep)->out) != 0)
			n++;
	return n;
}

static int add_module(struct kmods *m, struct kmod_module *mod);

/* Add the modules of list; e: record them as its dependencies, NULL: they are
 * soft dependencies, and one that has no module file is no error. */
static int add_list(struct kmods *m, struct kmod_list *list, struct kmods_entry *e)
{
	struct kmod_list *l;
	int r;

	kmod_list_foreach(l, list) {
		struct kmod_module *d = kmod_module_get_module(l);

		r = add_module(m, d);
		if (r == -ENOENT && !e)
			r = 0;
		if (r >= 0 && e && kmod_module_get_path(d))
			r = strv_extend(&e->deps, kmod_module_get_name(d));
		kmod_module_unref(d);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Add mod with what it needs; 0 also for a built-in module (nothing to add). */
static int add_module(struct kmods *m, struct kmod_module *mod)
{
	const char *name = kmod_module_get_name(mod), *path = kmod_module_get_path(mod);
	struct kmod_list *deps, *pre = NULL, *post = NULL;
	struct kmods_entry *e;
	size_t dlen = strlen(m->kmoddir);
	void *p;
	int r;

	if (entry_find(m, name))
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
	r = add_list(m, deps, e);
	kmod_module_unref_list(deps);
	if (r < 0)
		return r;
	if (kmod_module_get_softdeps(mod, &pre, &post) == 0) {
		r = add_list(m, pre, NULL);
		if (r >= 0)
			r = add_list(m, post, NULL);
		kmod_module_unref_list(pre);
		kmod_module_unref_list(post);
		if (r < 0)
			return r;
	}
	return 0;
}

int kmods_add(struct kmods *m, const char *name)
{
	struct kmod_list *list = NULL, *l;
	int count = 0, r = 0;

	r = kmod_module_new_from_lookup(m->ctx, name, &list);
	if (r < 0)
		return r;
	kmod_list_foreach(l, list) {
		struct kmod_module *mod = kmod_module_get_module(l);
		int q = add_module(m, mod);

		kmod_module_unref(mod);
		if (q == -ENOENT)
			continue;
		if (q < 0) {
			r = q;
			break;
		}
		count++;
	}
	kmod_module_unref_list(list);
	if (r < 0)
		return r;
	if (count == 0) {
		_cleanup_free_ char *n = modname_from_path(name);

		if (n && is_builtin(m, n))
			return 1;
	}
	return count;
}

/* What depmod writes comes from the index in use, the rest from SYSROOT. */
int index_open(struct kmods *m, const char *name)
{
	return root_open(is_depmod_output(name) ? m->indexfd : m->moddirfd, name,
			 O_RDONLY, 0);
}

int index_read(struct kmods *m, const char *name, char **ret)
{
	_cleanup_close_ int fd = index_open(m, name);

	if (fd < 0)
		return fd;
	return read_fd_all(fd, ret, NULL);
}

int kmods_add_tree(struct kmods *m, const char *prefix)
{
	_cleanup_free_ char *buf = NULL, *want = NULL;
	char *line, *save = NULL;
	int count = 0, r;

	if (asprintf(&want, "kernel/%s", prefix) < 0)
		return -ENOMEM;
	r = index_read(m, "modules.dep", &buf);
	if (r < 0)
		return r;
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
		r = kmods_add(m, name);
		if (r < 0)
			return r;
		count++;
	}
	return count;
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
