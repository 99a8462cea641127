// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "profile.h"
#include "rootdir.h"
#include "strv.h"
#include "util.h"

#ifndef PXEROOT_DATADIR
#define PXEROOT_DATADIR "/usr/local/share/pxeroot"
#endif

/* Split value on blanks and append each word. */
static int strv_push_words(char ***l, char *value)
{
	char *save = NULL;

	for (char *w = strtok_r(value, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save)) {
		int r = strv_extend(l, w);
		if (r < 0)
			return r;
	}
	return 0;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	free(p->name);
	strv_free(p->match);
	free(p->package_db);
	strv_free(p->package_cache);
	strv_free(p->lease);
	strv_free(p->network);
	strv_free(p->mask);
	strv_free(p->remove);
	strv_free(p->empty);
	strv_free(p->tmpfs);
	strv_free(p->ssh_units);
	free(p->offline);
	free(p->unit_dir);
	free(p);
}

static const char *const known_network[] = { "networkd", "networkmanager", "ifupdown",
					     "wicked", NULL };
static const char *const known_lease[] = { "networkd", "networkmanager", "wicked",
					   "dhclient", "udhcpc",	 "none",
					   NULL };

static const char *const init_names[_INIT_MAX] = {
	[INIT_SYSTEMD] = "systemd",
	[INIT_OPENRC] = "openrc",
	[INIT_SYSVINIT] = "sysvinit",
};

const char *init_name(enum init_system i)
{
	return i >= 0 && i < _INIT_MAX ? init_names[i] : "unknown";
}

/* "init = systemd sysvinit": the first is the default, every one is handled. */
static int parse_inits(struct profile *p, char *value, const char *name, unsigned lineno)
{
	char *save = NULL;

	p->inits = 0;
	for (char *w = strtok_r(value, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save)) {
		enum init_system i;

		for (i = 0; i < _INIT_MAX; i++)
			if (strcmp(w, init_names[i]) == 0)
				break;
		if (i == _INIT_MAX) {
			log_error("%s:%u: unknown init '%s' (systemd, sysvinit, openrc)",
				  name, lineno, w);
			return -EINVAL;
		}
		if (!p->inits)
			p->init = i;
		p->inits |= 1u << i;
	}
	if (!p->inits) {
		log_error("%s:%u: no init named", name, lineno);
		return -EINVAL;
	}
	return 0;
}

static bool in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

static int set_string(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

int profile_parse(const char *text, const char *name, struct profile **ret)
{
	_cleanup_(profile_freep) struct profile *p = NULL;
	_cleanup_free_ char *copy = strdup(text);
	char *line, *save = NULL;
	unsigned lineno = 0;
	int r = 0;

	p = calloc(1, sizeof(*p));
	if (!p || !copy)
		return -ENOMEM;
	/* strtok_r would merge empty lines and lose the numbering. */
	for (line = copy; line; line = save) {
		char *key, *value, *eq;

		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		key = strstrip(line);
		if (*key == '#' || *key == '\0')
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			log_error("%s:%u: expected KEY = VALUE", name, lineno);
			return -EINVAL;
		}
		*eq = '\0';
		key = strstrip(key);
		value = strstrip(eq + 1);
		if (strcmp(key, "name") == 0)
			r = set_string(&p->name, value);
		else if (strcmp(key, "match") == 0)
			r = strv_push_words(&p->match, value);
		else if (strcmp(key, "init") == 0)
			r = parse_inits(p, value, name, lineno);
		else if (strcmp(key, "package-db") == 0)
			r = set_string(&p->package_db, value);
		else if (strcmp(key, "package-cache") == 0)
			r = strv_push_words(&p->package_cache, value);
		else if (strcmp(key, "lease") == 0)
			r = strv_push_words(&p->lease, value);
		else if (strcmp(key, "network") == 0)
			r = strv_push_words(&p->network, value);
		else if (strcmp(key, "mask") == 0)
			r = strv_push_words(&p->mask, value);
		else if (strcmp(key, "remove") == 0)
			r = strv_push_words(&p->remove, value);
		else if (strcmp(key, "empty") == 0)
			r = strv_push_words(&p->empty, value);
		else if (strcmp(key, "tmpfs") == 0)
			r = strv_push_words(&p->tmpfs, value);
		else if (strcmp(key, "ssh-units") == 0)
			r = strv_push_words(&p->ssh_units, value);
		else if (strcmp(key, "offline") == 0)
			r = set_string(&p->offline, value);
		else if (strcmp(key, "unit-dir") == 0)
			r = set_string(&p->unit_dir, value);
		else {
			log_error("%s:%u: unknown key '%s'", name, lineno, key);
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (!p->name) {
		log_error("%s: no 'name ='", name);
		return -EINVAL;
	}
	for (char **n = p->network; n && *n; n++)
		if (!in_list(known_network, *n)) {
			log_error("%s: unknown network tool '%s'", name, *n);
			return -EINVAL;
		}
	for (char **n = p->lease; n && *n; n++)
		if (!in_list(known_lease, *n)) {
			log_error("%s: unknown lease keeper '%s'", name, *n);
			return -EINVAL;
		}
	for (char **t = p->tmpfs; t && *t; t++)
		if ((*t)[0] != '/' || !strchr(*t, ':')) {
			log_error("%s: tmpfs entry '%s' is not /PATH:MODE", name, *t);
			return -EINVAL;
		}
	if (!p->inits)
		p->inits = 1u << p->init;
	if (!p->offline)
		r = set_string(&p->offline,
			       p->init == INIT_OPENRC ? "openrc" : "systemd");
	if (r == 0 && !p->unit_dir)
		r = set_string(&p->unit_dir, "/usr/lib/systemd/system");
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

int profile_load(const char *dir, const char *name, struct profile **ret)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	int r;

	if (!*name || strchr(name, '/') || name[0] == '.')
		return log_errno(-EINVAL, "invalid profile name '%s'", name);
	if (asprintf(&path, "%s/%s.conf", dir, name) < 0)
		return -ENOMEM;
	r = read_file_at(AT_FDCWD, path, &text, NULL);
	if (r < 0)
		return log_errno(r, "cannot read profile %s", path);
	return profile_parse(text, path, ret);
}

int profile_detect(const char *dir, const char *id, const char *id_like, char **ret_name)
{
	_cleanup_free_ char *like = id_like ? strdup(id_like) : strdup("");
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	char *save = NULL;
	size_t n;
	struct profile **profiles = NULL;
	struct dirent *de;
	int r = -ENOENT;

	if (!like)
		return -ENOMEM;
	d = opendir(dir);
	if (!d)
		return log_errno(-errno, "cannot open profile directory %s", dir);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len <= 5 || strcmp(de->d_name + len - 5, ".conf") ||
		    de->d_name[0] == '.')
			continue;
		r = strv_extendn(&names, de->d_name, len - 5);
		if (r < 0)
			return r;
		r = -ENOENT;
	}
	strv_sort(names);
	n = strv_length(names);
	profiles = calloc(n + 1, sizeof(*profiles));
	if (!profiles)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (profile_load(dir, names[i], &profiles[i]) < 0)
			profiles[i] = NULL;
	/* ID first, then each ID_LIKE word in order. */
	for (size_t i = 0; i < n && id && r == -ENOENT; i++)
		if (profiles[i] && strv_contains(profiles[i]->match, id)) {
			*ret_name = strdup(profiles[i]->name);
			r = *ret_name ? 0 : -ENOMEM;
		}
	for (char *w = strtok_r(like, " \t", &save); w && r == -ENOENT;
	     w = strtok_r(NULL, " \t", &save))
		for (size_t i = 0; i < n && r == -ENOENT; i++)
			if (profiles[i] && strv_contains(profiles[i]->match, w)) {
				*ret_name = strdup(profiles[i]->name);
				r = *ret_name ? 0 : -ENOMEM;
			}
	for (size_t i = 0; i < n; i++)
		profile_free(profiles[i]);
	free(profiles);
	return r;
}

int data_dir(char **ret)
{
	const char *env = getenv("PXEROOT_DATADIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		*ret = strdup(env);
		return *ret ? 0 : -ENOMEM;
	}
	/* Running from the build tree: build/PROG next to build/share/. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;
		struct stat st;
		_cleanup_free_ char *cand = NULL;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (asprintf(&cand, "%s/share/profiles", exe) < 0)
				return -ENOMEM;
			if (stat(cand, &st) == 0 && S_ISDIR(st.st_mode)) {
				cand[strlen(cand) - strlen("/profiles")] = '\0';
				*ret = TAKE_PTR(cand);
				return 0;
			}
		}
	}
	*ret = strdup(PXEROOT_DATADIR);
	return *ret ? 0 : -ENOMEM;
}

int profile_dir(char **ret)
{
	const char *env = getenv("PXEROOT_PROFILES");
	_cleanup_free_ char *d = NULL;
	int r;

	if (env && *env) {
		*ret = strdup(env);
		return *ret ? 0 : -ENOMEM;
	}
	r = data_dir(&d);
	if (r < 0)
		return r;
	return asprintf(ret, "%s/profiles", d) < 0 ? -ENOMEM : 0;
}

static char *unquote(char *v)
{
	size_t len = strlen(v);

	if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
		v[len - 1] = '\0';
		v++;
	}
	return v;
}

int os_release_read(int rootfd, struct os_release *ret)
{
	_cleanup_free_ char *text = NULL;
	char *line, *save = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = root_read_file(rootfd, "/etc/os-release", &text, NULL);
	if (r == -ENOENT)
		r = root_read_file(rootfd, "/usr/lib/os-release", &text, NULL);
	if (r < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '='), **dst = NULL;

		if (!eq || line[0] == '#')
			continue;
		*eq = '\0';
		if (strcmp(line, "ID") == 0)
			dst = &ret->id;
		else if (strcmp(line, "ID_LIKE") == 0)
			dst = &ret->id_like;
		else if (strcmp(line, "PRETTY_NAME") == 0)
			dst = &ret->pretty_name;
		if (dst && !*dst) {
			*dst = strdup(unquote(strstrip(eq + 1)));
			if (!*dst)
				return -ENOMEM;
		}
	}
	return 0;
}

void os_release_done(struct os_release *o)
{
	free(o->id);
	free(o->id_like);
	free(o->pretty_name);
	memset(o, 0, sizeof(*o));
}
