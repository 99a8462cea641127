// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Is the module index of a kernel in SYSROOT fresh? When it is not, depmod
 * runs: in SYSROOT when the tree may be written, else on a private copy of the
 * index (a shadow directory of links to SYSROOT's module trees).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmods-internal.h"
#include "log.h"
#include "mkbootimage.h"
#include "rootdir.h"

extern char **environ;

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
	int r = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	TAKE_FD(fd);
	while (r == 0 && (de = readdir(d))) {
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
				r = -ENOMEM;
				break;
			}
			r = find_newer(sub, p, t, ret);
		} else if (S_ISREG(st.st_mode) && is_module_file(de->d_name) &&
			   (st.st_mtim.tv_sec > t->tv_sec ||
			    (st.st_mtim.tv_sec == t->tv_sec &&
			     st.st_mtim.tv_nsec > t->tv_nsec))) {
			if (asprintf(ret, "%s%s", prefix, de->d_name) < 0)
				r = -ENOMEM;
			else
				r = 1;
		}
	}
	return r;
}

int kmods_moddep_state(int rootfd, const char *kver, enum moddep_state *ret,
		       char **ret_newer)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dfd = -1;
	struct stat st, bin;
	int r;

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
	r = find_newer(dfd, "", &st.st_mtim, ret_newer);
	if (r < 0)
		return r;
	*ret = r > 0 ? MODDEP_STALE : MODDEP_FRESH;
	return 0;
}

static int run_depmod(const char *base, const char *kver)
{
	char *argv[] = { "depmod", "-b", (char *)base, (char *)kver, NULL };
	pid_t pid;
	int status, r;

	r = posix_spawnp(&pid, "depmod", NULL, NULL, argv, environ);
	if (r != 0)
		return log_errno(-r, "cannot run depmod");
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
bool is_depmod_output(const char *name)
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

void shadow_remove(struct kmods *m)
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

/*
 * Make sure the index in use is fresh: SYSROOT's when it is, else one depmod
 * writes into SYSROOT or into a private copy (see make_shadow). Sets kmoddir
 * (what libkmod is given) and indexfd.
 */
int depmod_prepare(struct kmods *m, const struct kmods_opts *opts, const char *realdir,
		   const char *fdpath)
{
	enum moddep_state state;
	_cleanup_free_ char *newer = NULL;
	int r;

	r = kmods_moddep_state(m->rootfd, opts->kver, &state, &newer);
	if (r < 0)
		return log_errno(r, "cannot check %s/%s/modules.dep", opts->sysroot,
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
			r = make_shadow(m, realdir);
			if (r < 0)
				return r;
		} else {
			log_notice("modules.dep of %s %s%s: running depmod -b %s %s",
				   opts->kver, why, newer ? newer : "", opts->sysroot,
				   opts->kver);
			r = run_depmod(opts->sysroot, opts->kver);
			if (r < 0)
				return r;
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
	return 0;
}
