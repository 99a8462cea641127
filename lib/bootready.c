// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
/* nfsidmap.h uses uid_t without including its header. */
#include <nfsidmap.h>

#include "bootready.h"
#include "journal.h"
#include "keep.h"
#include "log.h"
#include "profile.h"
#include "rootdir.h"
#include "util.h"

/* Where the client finds what the initramfs learned by DHCP (doc/initramfs.md). */
#define CLIENT_RESOLV "/run/pxeroot/resolv.conf"
#define COMMENT_PREFIX "#pxeroot# "
#define CLIENT_CONF "/etc/pxeroot/client.conf"

enum act_kind {
	ACT_WRITE,
	ACT_LINK,
	ACT_REMOVE,
	ACT_MKDIR,
};

struct action {
	enum act_kind kind;
	char *path;
	char *data; /* file content or link target */
	size_t len;
	mode_t mode; /* 0: keep the file's mode (0644 for a new file) */
};

struct ctx {
	int rootfd;
	const struct profile *p;
	const struct bootready_opts *o;
	const char *datadir;
	char *domain;
	bool domain_kept; /* given by --idmap-domain, now or to an earlier run */
	char *keeper; /* the lease keeper chosen for this tree */
	struct action *acts;
	size_t n;
};

static void ctx_clear(struct ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->acts[i].path);
		free(c->acts[i].data);
	}
	free(c->acts);
	c->acts = NULL;
	c->n = 0;
}

static int add(struct ctx *c, enum act_kind kind, const char *path, const char *data,
	       size_t len, mode_t mode)
{
	struct action *na = realloc(c->acts, (c->n + 1) * sizeof(*na));
	struct action *a;

	if (!na)
		return -ENOMEM;
	c->acts = na;
	a = &c->acts[c->n];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->mode = mode;
	a->len = len;
	a->path = strdup(path);
	if (data) {
		a->data = malloc(len + 1);
		if (a->data) {
			memcpy(a->data, data, len);
			a->data[len] = '\0';
		}
	}
	if (!a->path || (data && !a->data)) {
		free(a->path);
		free(a->data);
		return -ENOMEM;
	}
	c->n++;
	return 0;
}

static int add_write(struct ctx *c, const char *path, const char *text, mode_t mode)
{
	return add(c, ACT_WRITE, path, text, strlen(text), mode);
}

static int add_link(struct ctx *c, const char *path, const char *target)
{
	return add(c, ACT_LINK, path, target, strlen(target), 0);
}

static int add_remove(struct ctx *c, const char *path)
{
	return add(c, ACT_REMOVE, path, NULL, 0, 0);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool exists(int rootfd, const char *path)
{
	struct stat st;

	return root_stat(rootfd, path, false, &st) == 0;
}

/* Whether the action's result is in the tree already. */
static bool satisfied(int rootfd, const struct action *a)
{
	_cleanup_free_ char *cur = NULL;
	struct stat st;
	size_t len;
	int r = root_stat(rootfd, a->path, false, &st);

	switch (a->kind) {
	case ACT_REMOVE:
		return r == -ENOENT;
	case ACT_MKDIR:
		/* A link to a directory will do. */
		return root_stat(rootfd, a->path, true, &st) == 0 && S_ISDIR(st.st_mode);
	case ACT_LINK:
		if (r < 0 || !S_ISLNK(st.st_mode))
			return false;
		return root_readlink(rootfd, a->path, &cur) == 0 &&
		       strcmp(cur, a->data) == 0;
	case ACT_WRITE:
		if (r < 0 || !S_ISREG(st.st_mode))
			return false;
		if (a->mode && (st.st_mode & 07777) != a->mode)
			return false;
		if ((size_t)st.st_size != a->len)
			return false;
		return root_read_file(rootfd, a->path, &cur, &len) == 0 &&
		       len == a->len && memcmp(cur, a->data, len) == 0;
	}
	return false;
}

static void describe(const char *step, const struct action *a)
{
	switch (a->kind) {
	case ACT_WRITE:
		printf("%s: write %s\n", step, a->path);
		break;
	case ACT_LINK:
		printf("%s: link %s -> %s\n", step, a->path, a->data);
		break;
	case ACT_REMOVE:
		printf("%s: remove %s\n", step, a->path);
		break;
	case ACT_MKDIR:
		printf("%s: mkdir %s\n", step, a->path);
		break;
	}
}

static int ensure_dir(struct journal *j, struct keep *k, int rootfd, const char *path,
		      mode_t mode, int depth);

/* Create the missing directories above path, each journaled first. */
static int ensure_parents(struct journal *j, struct keep *k, int rootfd, const char *path,
			  int depth)
{
	_cleanup_free_ char *p = strdup(path);
	char *s;
	int r;

	if (!p)
		return -ENOMEM;
	for (s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		r = ensure_dir(j, k, rootfd, p, 0755, depth);
		if (r < 0)
			return r;
		*s = '/';
	}
	return 0;
}

/*
 * The target of the link at path as a path from the tree's root: an absolute
 * target is already one (RESOLVE_IN_ROOT reads it so), a relative one is
 * joined to the link's directory, "." and ".." folded.
 */
static int link_target_path(int rootfd, const char *path, char **ret)
{
	_cleanup_free_ char *target = NULL, *joined = NULL;
	char *out, *w, *seg, *save = NULL;
	int r;

	r = root_readlink(rootfd, path, &target);
	if (r < 0)
		return r;
	if (target[0] == '/')
		joined = strdup(target);
	else if (asprintf(&joined, "%.*s/%s", (int)(strrchr(path, '/') - path), path,
			  target) < 0)
		joined = NULL;
	if (!joined)
		return -ENOMEM;
	out = calloc(1, strlen(joined) + 2);
	if (!out)
		return -ENOMEM;
	w = out;
	for (seg = strtok_r(joined, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			char *up = strrchr(out, '/');

			w = up ? up : out;
			*w = '\0';
			continue;
		}
		w += sprintf(w, "/%s", seg);
	}
	if (!*out)
		strcpy(out, "/");
	*ret = out;
	return 0;
}

/*
 * Make path a directory (or leave the one there), journaled first. A dangling
 * link on the way (an absolute link into a /run or /var that the tree leaves
 * empty, say) is followed: what it names is created inside the tree, so the
 * link keeps the meaning its distribution gave it. A directory bootchroot kept
 * (k, may be NULL) is put back instead of a new one, so NFS clients' handles to
 * it stay good.
 */
static int ensure_dir(struct journal *j, struct keep *k, int rootfd, const char *path,
		      mode_t mode, int depth)
{
	_cleanup_close_ int dfd = -1;
	struct stat st;
	const char *base;
	int r;

	if (depth > 16)
		return -ELOOP;
	r = root_stat(rootfd, path, true, &st);
	if (r == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (r != -ENOENT)
		return r;
	r = ensure_parents(j, k, rootfd, path, depth);
	if (r < 0)
		return r;
	r = root_stat(rootfd, path, false, &st);
	if (r == 0 && S_ISLNK(st.st_mode)) {
		_cleanup_free_ char *target = NULL;

		r = link_target_path(rootfd, path, &target);
		if (r < 0)
			return r;
		return ensure_dir(j, k, rootfd, target, mode, depth + 1);
	}
	if (r == 0)
		return -ENOTDIR;
	r = journal_record(j, path);
	if (r < 0)
		return r;
	dfd = root_open_parent(rootfd, path, &base);
	if (dfd < 0)
		return dfd;
	if (k && keep_take_dir(k, path, dfd, base, mode) == 0)
		return 0;
	if (mkdirat(dfd, base, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int apply(struct journal *j, struct keep *k, int rootfd, const struct action *a)
{
	struct root_meta meta = { .mode = a->mode ? a->mode : 0644,
				  .uid = -1,
				  .gid = -1 };
	struct stat st;
	int r;

	if (a->kind == ACT_MKDIR)
		return ensure_dir(j, k, rootfd, a->path, a->mode ? a->mode : 0755, 0);
	r = ensure_parents(j, k, rootfd, a->path, 0);
	if (r < 0)
		return r;
	r = journal_record(j, a->path);
	if (r < 0)
		return r;
	r = root_stat(rootfd, a->path, false, &st);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0 && S_ISDIR(st.st_mode) && a->kind != ACT_MKDIR)
		return -EISDIR;
	switch (a->kind) {
	case ACT_WRITE:
		/* An edited file keeps its owner and, unless told, its mode. */
		if (r == 0 && S_ISREG(st.st_mode)) {
			meta.uid = st.st_uid;
			meta.gid = st.st_gid;
			if (!a->mode)
				meta.mode = st.st_mode & 07777;
		}
		return root_replace(rootfd, a->path, a->data, a->len, NULL, &meta);
	case ACT_LINK:
		return root_replace(rootfd, a->path, NULL, 0, a->data, NULL);
	case ACT_REMOVE:
		if (r == -ENOENT)
			return 0;
		r = root_unlink(rootfd, a->path, 0);
		return r == -ENOENT ? 0 : r;
	case ACT_MKDIR:
		break;
	}
	return -EINVAL;
}

/* ---- helpers for the steps ---- */

static int read_text(int rootfd, const char *path, char **ret)
{
	int r = root_read_file(rootfd, path, ret, NULL);

	if (r == -ENOENT) {
		*ret = strdup("");
		return *ret ? 0 : -ENOMEM;
	}
	return r;
}

/* A growing string. */
struct buf {
	char *s;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = MAX(b->cap * 2, b->len + len + 256);
		char *ns = realloc(b->s, cap);

		if (!ns)
			return -ENOMEM;
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
	return 0;
}

static int buf_puts(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

static const char *unit_path(struct ctx *c, const char *unit, char *out, size_t len)
{
	static const char *const dirs[] = { "/etc/systemd/system",
					    "/usr/lib/systemd/system",
					    "/lib/systemd/system" };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		struct stat st;

		snprintf(out, len, "%s/%s", dirs[i], unit);
		if (root_stat(c->rootfd, out, false, &st) == 0 && !S_ISLNK(st.st_mode))
			return out;
	}
	return NULL;
}

static bool has_unit(struct ctx *c, const char *unit)
{
	char buf[512];

	return unit_path(c, unit, buf, sizeof(buf)) != NULL;
}

static bool has_any(struct ctx *c, const char *const *paths)
{
	for (; *paths; paths++)
		if (exists(c->rootfd, *paths))
			return true;
	return false;
}

/* Whether a lease keeper or network tool is installed in the tree. */
static bool tool_installed(struct ctx *c, const char *tool)
{
	static const char *const dhclient[] = { "/usr/sbin/dhclient", "/sbin/dhclient",
						NULL };
	static const char *const udhcpc[] = { "/sbin/udhcpc", "/usr/sbin/udhcpc",
					      "/bin/busybox", NULL };
	static const char *const ifupdown[] = { "/sbin/ifup", "/usr/sbin/ifup", NULL };
	bool openrc = c->p->init == INIT_OPENRC;

	if (strcmp(tool, "networkd") == 0)
		return !openrc && has_unit(c, "systemd-networkd.service");
	if (strcmp(tool, "networkmanager") == 0)
		return openrc ? exists(c->rootfd, "/etc/init.d/networkmanager")
			      : has_unit(c, "NetworkManager.service");
	if (strcmp(tool, "wicked") == 0)
		return has_unit(c, "wicked.service");
	if (strcmp(tool, "ifupdown") == 0)
		return has_any(c, ifupdown);
	if (strcmp(tool, "dhclient") == 0)
		return has_any(c, dhclient);
	if (strcmp(tool, "udhcpc") == 0)
		return has_any(c, udhcpc);
	return strcmp(tool, "none") == 0;
}

static int install_data(struct ctx *c, const char *name, const char *dest, mode_t mode)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	int r;

	if (asprintf(&path, "%s/client/%s", c->datadir, name) < 0)
		return -ENOMEM;
	r = read_file_at(AT_FDCWD, path, &text, NULL);
	if (r < 0)
		return log_errno(r, "cannot read %s", path);
	return add_write(c, dest, text, mode);
}

/* ---- the steps ---- */

static int step_mtab(struct ctx *c)
{
	return add_link(c, "/etc/mtab", "../proc/self/mounts");
}

static int step_resolv(struct ctx *c)
{
	return add_link(c, "/etc/resolv.conf", CLIENT_RESOLV);
}

static bool is_disk_spec(const char *spec)
{
	static const char *const prefixes[] = {
		"UUID=",	"LABEL=",     "PARTUUID=", "PARTLABEL=", "/dev/sd",
		"/dev/vd",	"/dev/hd",    "/dev/nvme", "/dev/xvd",	 "/dev/mmcblk",
		"/dev/mapper/", "/dev/disk/", "/dev/md",   "/dev/dm-"
	};

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (startswith(spec, prefixes[i]))
			return true;
	return false;
}

/*
 * fstab: no entry for a disk the clients do not have (the root, swap, /boot),
 * since systemd would wait for each and fsck them; tmpfs where clients write.
 * Lines are commented out, not deleted, so an administrator sees what was there.
 */
static int step_fstab(struct ctx *c)
{
	_cleanup_free_ char *text = NULL;
	struct buf out = { 0 };
	char **mounted = NULL;
	bool header = false;
	char *line, *next;
	int r;

	r = read_text(c->rootfd, "/etc/fstab", &text);
	if (r < 0)
		return r;
	for (line = text; line && *line; line = next) {
		char copy[4096], *fields[6] = { 0 }, *save = NULL;
		int nf = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		snprintf(copy, sizeof(copy), "%s", line);
		for (char *w = strtok_r(copy, " \t", &save); w && nf < 6;
		     w = strtok_r(NULL, " \t", &save))
			fields[nf++] = w;
		if (nf >= 3 && fields[0][0] != '#' &&
		    (strcmp(fields[1], "/") == 0 || strcmp(fields[2], "swap") == 0 ||
		     is_disk_spec(fields[0]))) {
			r = buf_puts(&out, COMMENT_PREFIX);
		} else if (nf >= 2 && fields[0][0] != '#') {
			size_t k = strv_length(mounted);
			char **nm = realloc(mounted, (k + 2) * sizeof(*nm));

			if (!nm) {
				r = -ENOMEM;
				break;
			}
			mounted = nm;
			nm[k] = strdup(fields[1]);
			nm[k + 1] = NULL;
		}
		if (r == 0)
			r = buf_puts(&out, line);
		if (r == 0)
			r = buf_puts(&out, "\n");
		if (r < 0)
			break;
	}
	for (char **t = c->p->tmpfs; r == 0 && t && *t; t++) {
		_cleanup_free_ char *path = strndup(*t, strcspn(*t, ":"));
		char entry[600];

		if (!path) {
			r = -ENOMEM;
			break;
		}
		if (strv_contains(mounted, path))
			continue;
		if (!header) {
			r = buf_puts(&out,
				     "# pxeroot: writable in RAM on every client\n");
			header = true;
		}
		snprintf(entry, sizeof(entry),
			 "tmpfs %s tmpfs mode=%s,nosuid,nodev 0 0\n", path,
			 strchr(*t, ':') + 1);
		if (r == 0)
			r = buf_puts(&out, entry);
	}
	strv_free(mounted);
	if (r == 0)
		r = add(c, ACT_WRITE, "/etc/fstab", out.s ? out.s : "", out.len, 0);
	free(out.s);
	return r;
}

/*
 * A tmpfs mounted over /var/log on the clients hides what the tree has there:
 * the directories that packages made (/var/log/apt, a daemon's own log
 * directory) would be missing, and a daemon that expects its directory fails
 * to start. The directories under each tmpfs path, with their modes and
 * owners, are made again on every client at boot: by systemd-tmpfiles, or by
 * pxeroot-client-setup under OpenRC, from this file.
 */
#define TMPFS_DIRS "/etc/tmpfiles.d/pxeroot-tmpfs.conf"
#define TMPFS_DIRS_MAX 4096

static int tmpfs_dirs_walk(struct ctx *c, const char *dir, int depth, struct buf *out,
			   size_t *count)
{
	char **names = NULL;
	void *vd;
	DIR *d;
	struct dirent *de;
	int r;

	r = root_opendir(c->rootfd, dir, &vd);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0)
		return r;
	d = vd;
	while ((de = readdir(d))) {
		size_t n = strv_length(names);
		char **nn;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		nn = realloc(names, (n + 2) * sizeof(*nn));
		if (!nn) {
			r = -ENOMEM;
			break;
		}
		names = nn;
		names[n] = strdup(de->d_name);
		names[n + 1] = NULL;
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
	}
	closedir(d);
	if (r == 0 && names)
		qsort(names, strv_length(names), sizeof(*names), cmp_strp);
	for (char **nm = names; r == 0 && nm && *nm; nm++) {
		_cleanup_free_ char *path = NULL;
		char line[PATH_MAX + 64];
		struct stat st;

		if (asprintf(&path, "%s/%s", dir, *nm) < 0) {
			r = -ENOMEM;
			break;
		}
		/* Real directories only: a link is not followed out of the tree's
		 * skeleton, and a name tmpfiles.d would need quoted is left out. */
		if (root_stat(c->rootfd, path, false, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    strpbrk(path, " \t\n\\\"'%"))
			continue;
		if (++*count > TMPFS_DIRS_MAX) {
			log_warn(
				"more than %d directories under the tmpfs paths: the rest "
				"is not made on clients",
				TMPFS_DIRS_MAX);
			break;
		}
		snprintf(line, sizeof(line), "d %s %04o %u %u -\n", path,
			 (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
			 (unsigned)st.st_gid);
		r = buf_puts(out, line);
		if (r == 0 && depth < 8)
			r = tmpfs_dirs_walk(c, path, depth + 1, out, count);
	}
	strv_free(names);
	return r;
}

static int step_tmpfs_dirs(struct ctx *c)
{
	struct buf out = { 0 };
	size_t count = 0;
	int r;

	r = buf_puts(&out,
		     "# SPDX-License-Identifier: GPL-2.0-or-later\n"
		     "# Written by mkbootready: the directories the tree has under "
		     "the\n# paths that clients mount as tmpfs, made again at boot.\n");
	for (char **t = c->p->tmpfs; r == 0 && t && *t; t++) {
		_cleanup_free_ char *path = strndup(*t, strcspn(*t, ":"));

		r = path ? tmpfs_dirs_walk(c, path, 0, &out, &count) : -ENOMEM;
	}
	if (r == 0 && count)
		r = add(c, ACT_WRITE, TMPFS_DIRS, out.s, out.len, 0644);
	else if (r == 0 && exists(c->rootfd, TMPFS_DIRS))
		r = add_remove(c, TMPFS_DIRS);
	free(out.s);
	return r;
}

static int mask_unit(struct ctx *c, const char *unit)
{
	char path[512];

	if (!has_unit(c, unit))
		return 0;
	snprintf(path, sizeof(path), "/etc/systemd/system/%s", unit);
	return add_link(c, path, "/dev/null");
}

/* OpenRC has no mask: a service is kept off by taking it out of every runlevel. */
static int unlist_service(struct ctx *c, const char *svc)
{
	static const char *const levels[] = { "sysinit", "boot", "default", "shutdown" };

	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		char path[512];
		int r;

		snprintf(path, sizeof(path), "/etc/runlevels/%s/%s", levels[i], svc);
		if (!exists(c->rootfd, path))
			continue;
		r = add_remove(c, path);
		if (r < 0)
			return r;
	}
	return 0;
}

static int step_fsck(struct ctx *c)
{
	if (c->p->init == INIT_OPENRC)
		return unlist_service(c, "fsck");
	return mask_unit(c, "systemd-fsck-root.service");
}

static int step_mask(struct ctx *c)
{
	for (char **u = c->p->mask; u && *u; u++) {
		int r = c->p->init == INIT_OPENRC ? unlist_service(c, *u)
						  : mask_unit(c, *u);
		if (r < 0)
			return r;
	}
	return 0;
}

static int enable_link(struct ctx *c, const char *target, const char *unit,
		       const char *unit_file)
{
	char path[512];

	snprintf(path, sizeof(path), "/etc/systemd/system/%s.wants/%s", target, unit);
	return add_link(c, path, unit_file);
}

/*
 * The boot interface belongs to the initramfs: every network tool of the tree
 * is told to leave it alone at start and at shutdown, and one of them (the
 * keeper) renews its DHCP lease without ever taking the address away. Which
 * interface it is, is known only on the client at boot, so the static part is
 * here and pxeroot-client-setup writes the rest under /run (client/README).
 */
static int step_network(struct ctx *c)
{
	struct buf conf = { 0 };
	char line[512];
	int r = 0;

	r = buf_puts(&conf,
		     "# SPDX-License-Identifier: GPL-2.0-or-later\n"
		     "# Written by mkbootready: read by pxeroot-client-setup at boot.\n");
	snprintf(line, sizeof(line), "PROFILE=%s\nLEASE=%s\nNETWORK=\"", c->p->name,
		 c->keeper);
	if (r == 0)
		r = buf_puts(&conf, line);
	for (char **n = c->p->network; r == 0 && n && *n; n++) {
		if (!tool_installed(c, *n))
			continue;
		if (conf.s[conf.len - 1] != '"')
			r = buf_puts(&conf, " ");
		if (r == 0)
			r = buf_puts(&conf, *n);
	}
	if (r == 0)
		r = buf_puts(&conf, "\"\n");
	if (r == 0 && c->domain_kept) {
		snprintf(line, sizeof(line), "IDMAP_DOMAIN=%s\n", c->domain);
		r = buf_puts(&conf, line);
	}
	if (r == 0)
		r = add(c, ACT_WRITE, CLIENT_CONF, conf.s, conf.len, 0644);
	free(conf.s);
	if (r < 0)
		return r;

	if (c->p->init == INIT_SYSTEMD && strv_contains(c->p->network, "ifupdown") &&
	    has_unit(c, "networking.service") && tool_installed(c, "ifupdown")) {
		r = install_data(c, "networking.service.conf",
				 "/etc/systemd/system/networking.service.d/pxeroot.conf",
				 0644);
		if (r == 0 && has_unit(c, "ifup@.service"))
			r = install_data(
				c, "ifup@.service.conf",
				"/etc/systemd/system/ifup@.service.d/pxeroot.conf", 0644);
		if (r < 0)
			return r;
	}
	if (c->p->init == INIT_OPENRC && strv_contains(c->p->network, "ifupdown") &&
	    exists(c->rootfd, "/etc/init.d/networking")) {
		/* OpenRC's networking service reads its interfaces file from
		 * $cfgfile: the client's copy leaves out the boot interface. */
		_cleanup_free_ char *text = NULL;
		struct buf b = { 0 };

		r = read_text(c->rootfd, "/etc/conf.d/networking", &text);
		if (r < 0)
			return r;
		r = buf_puts(&b, text);
		if (r == 0 && !strstr(text, "cfgfile=/run/pxeroot/interfaces"))
			r = buf_puts(&b, (b.len && b.s[b.len - 1] != '\n')
						 ? "\ncfgfile=/run/pxeroot/interfaces\n"
						 : "cfgfile=/run/pxeroot/interfaces\n");
		if (r == 0)
			r = add(c, ACT_WRITE, "/etc/conf.d/networking", b.s, b.len, 0);
		free(b.s);
		if (r < 0)
			return r;
	}
	if (strcmp(c->keeper, "networkd") == 0) {
		char unit[512];

		if (unit_path(c, "systemd-networkd.service", unit, sizeof(unit)))
			r = enable_link(c, "multi-user.target",
					"systemd-networkd.service", unit);
		if (r == 0 && unit_path(c, "systemd-networkd.socket", unit, sizeof(unit)))
			r = enable_link(c, "sockets.target", "systemd-networkd.socket",
					unit);
	}
	return r;
}

static int step_units(struct ctx *c)
{
	int r;

	r = add(c, ACT_MKDIR, "/usr/lib/pxeroot", NULL, 0, 0755);
	if (r == 0)
		r = install_data(c, "pxeroot-client-setup",
				 "/usr/lib/pxeroot/client-setup", 0755);
	if (r == 0 && c->p->init == INIT_SYSTEMD) {
		r = install_data(c, "pxeroot-client.service",
				 "/etc/systemd/system/pxeroot-client.service", 0644);
		if (r == 0)
			r = install_data(c, "pxeroot-lease.service",
					 "/etc/systemd/system/pxeroot-lease.service",
					 0644);
		if (r == 0)
			r = enable_link(c, "sysinit.target", "pxeroot-client.service",
					"/etc/systemd/system/pxeroot-client.service");
		if (r == 0)
			r = enable_link(c, "multi-user.target", "pxeroot-lease.service",
					"/etc/systemd/system/pxeroot-lease.service");
	} else if (r == 0) {
		r = install_data(c, "pxeroot-client.openrc", "/etc/init.d/pxeroot-client",
				 0755);
		if (r == 0)
			r = install_data(c, "pxeroot-lease.openrc",
					 "/etc/init.d/pxeroot-lease", 0755);
		if (r == 0)
			r = add_link(c, "/etc/runlevels/boot/pxeroot-client",
				     "/etc/init.d/pxeroot-client");
		if (r == 0)
			r = add_link(c, "/etc/runlevels/default/pxeroot-lease",
				     "/etc/init.d/pxeroot-lease");
	}
	if (r == 0)
		r = install_data(c, "lease-hook", "/usr/lib/pxeroot/lease-hook", 0755);
	if (r == 0 && c->p->init == INIT_SYSTEMD)
		r = install_data(c, "pxeroot-ssh-keys.service",
				 "/etc/systemd/system/pxeroot-ssh-keys.service", 0644);
	if (r == 0 && c->p->init == INIT_SYSTEMD)
		r = enable_link(c, "multi-user.target", "pxeroot-ssh-keys.service",
				"/etc/systemd/system/pxeroot-ssh-keys.service");
	return r;
}

static int step_machine_id(struct ctx *c)
{
	struct stat st;
	int r;

	/* Empty, not absent: systemd then makes one per client at boot and
	 * bind-mounts it over this file, with no "first boot" presets run. */
	r = add_write(c, "/etc/machine-id", "", 0444);
	if (r == 0 && root_stat(c->rootfd, "/var/lib/dbus/machine-id", false, &st) == 0 &&
	    !S_ISLNK(st.st_mode))
		r = add_link(c, "/var/lib/dbus/machine-id", "/etc/machine-id");
	return r;
}

/* Remove the entries of dir whose name matches pattern. */
static int remove_glob(struct ctx *c, const char *pattern)
{
	_cleanup_free_ char *dir = NULL;
	const char *base = strrchr(pattern, '/');
	char **names = NULL;
	void *vd;
	DIR *d;
	struct dirent *de;
	int r;

	if (!base || !strpbrk(base, "*?["))
		return exists(c->rootfd, pattern) ? add_remove(c, pattern) : 0;
	dir = strndup(pattern, base - pattern);
	if (!dir)
		return -ENOMEM;
	r = root_opendir(c->rootfd, *dir ? dir : "/", &vd);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0)
		return r;
	d = vd;
	while ((de = readdir(d))) {
		size_t n = strv_length(names);
		char **nn;

		if (fnmatch(base + 1, de->d_name, FNM_PERIOD) != 0)
			continue;
		nn = realloc(names, (n + 2) * sizeof(*nn));
		if (!nn) {
			r = -ENOMEM;
			break;
		}
		names = nn;
		if (asprintf(&names[n], "%s/%s", dir, de->d_name) < 0) {
			names[n] = NULL;
			r = -ENOMEM;
			break;
		}
		names[n + 1] = NULL;
	}
	closedir(d);
	if (r >= 0) {
		/* Directory order is not stable: sort for a reproducible plan. */
		size_t n = strv_length(names);

		for (size_t i = 1; i < n; i++)
			for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0;
			     k--) {
				char *t = names[k];
				names[k] = names[k - 1];
				names[k - 1] = t;
			}
		r = 0;
		for (size_t i = 0; i < n && r == 0; i++)
			r = add_remove(c, names[i]);
	}
	strv_free(names);
	return r;
}

static int step_ssh_keys(struct ctx *c)
{
	/* Shared host keys would let one client impersonate every other: each
	 * client makes its own at boot, before sshd (pxeroot-client-setup). */
	return remove_glob(c, "/etc/ssh/ssh_host_*");
}

static int step_persistent_net(struct ctx *c)
{
	int r = remove_glob(c, "/etc/udev/rules.d/70-persistent-net.rules");

	if (r == 0)
		r = remove_glob(c, "/etc/udev/rules.d/75-persistent-net-generator.rules");
	return r;
}

static int step_journald(struct ctx *c)
{
	if (c->p->init != INIT_SYSTEMD)
		return 0;
	return add_write(c, "/etc/systemd/journald.conf.d/90-pxeroot.conf",
			 "# SPDX-License-Identifier: GPL-2.0-or-later\n"
			 "# Written by mkbootready: clients keep their journal in RAM.\n"
			 "[Journal]\nStorage=volatile\nRuntimeMaxUse=32M\n",
			 0644);
}

static int step_reset(struct ctx *c)
{
	int r = 0;

	for (char **p = c->p->remove; r == 0 && p && *p; p++)
		r = remove_glob(c, *p);
	for (char **p = c->p->empty; r == 0 && p && *p; p++)
		if (exists(c->rootfd, *p))
			r = add_write(c, *p, "", 0);
	return r;
}

/*
 * The package database stays in the tree: bootchroot updates it, clients only
 * read it. Nothing to change, but a database under a tmpfs would be hidden on
 * clients, and a tree without one is not what the profile says it is.
 */
static int check_package_db(struct ctx *c, bool report)
{
	struct stat st;

	if (!c->p->package_db)
		return 0;
	if (root_stat(c->rootfd, c->p->package_db, true, &st) < 0 ||
	    !S_ISDIR(st.st_mode)) {
		if (report)
			log_warn("package database %s is not in the tree",
				 c->p->package_db);
		return -ENOENT;
	}
	for (char **t = c->p->tmpfs; t && *t; t++) {
		size_t len = strcspn(*t, ":");

		if (strncmp(c->p->package_db, *t, len) == 0 &&
		    (c->p->package_db[len] == '/' || c->p->package_db[len] == '\0')) {
			if (report)
				log_warn("package database %s is under tmpfs %.*s",
					 c->p->package_db, (int)len, *t);
			return -EINVAL;
		}
	}
	return 0;
}

/* Replace or add "Domain = X" in idmapd.conf's [General] section. */
static int step_idmapd(struct ctx *c)
{
	_cleanup_free_ char *text = NULL;
	struct buf out = { 0 };
	bool in_general = false, done = false, seen_general = false;
	char *line, *next, dline[400];
	int r;

	if (!c->domain)
		return 0;
	snprintf(dline, sizeof(dline), "Domain = %s\n", c->domain);
	r = read_text(c->rootfd, "/etc/idmapd.conf", &text);
	if (r < 0)
		return r;
	for (line = text; r == 0 && line && *line; line = next) {
		char *s;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		s = line + strspn(line, " \t");
		if (*s == '[') {
			if (in_general && !done) {
				r = buf_puts(&out, dline);
				done = true;
			}
			in_general = strncasecmp(s, "[General]", 9) == 0;
			seen_general |= in_general;
		} else if (in_general && !done && strncasecmp(s, "Domain", 6) == 0 &&
			   strchr(" \t=", s[6])) {
			if (r == 0)
				r = buf_puts(&out, dline);
			done = true;
			continue;
		}
		if (r == 0)
			r = buf_puts(&out, line);
		if (r == 0)
			r = buf_puts(&out, "\n");
	}
	if (r == 0 && in_general && !done) {
		r = buf_puts(&out, dline);
		done = true;
	}
	if (r == 0 && !seen_general) {
		struct buf b = { 0 };

		r = buf_puts(&b, "[General]\n");
		if (r == 0)
			r = buf_puts(&b, dline);
		if (r == 0 && out.len)
			r = buf_puts(&b, "\n");
		if (r == 0 && out.len)
			r = buf_add(&b, out.s, out.len);
		free(out.s);
		out = b;
	}
	if (r == 0)
		r = add(c, ACT_WRITE, "/etc/idmapd.conf", out.s, out.len, 0);
	free(out.s);
	return r;
}

struct step {
	const char *name;
	int (*fn)(struct ctx *c);
};

static const struct step steps[] = {
	{ "mtab", step_mtab },	       { "resolv", step_resolv },
	{ "fstab", step_fstab },       { "tmpfs-dirs", step_tmpfs_dirs },
	{ "fsck", step_fsck },	       { "network", step_network },
	{ "boot-units", step_units },  { "machine-id", step_machine_id },
	{ "ssh-keys", step_ssh_keys }, { "persistent-net", step_persistent_net },
	{ "journald", step_journald }, { "reset", step_reset },
	{ "idmapd", step_idmapd },     { "mask", step_mask },
};

/* ---- the entry points ---- */

int bootready_open(const char *sysroot, bool force_host, int *ret_rootfd)
{
	_cleanup_close_ int fd = -1;
	struct stat st, host;

	fd = open(sysroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return log_errno(-errno, "cannot open %s", sysroot);
	if (fstat(fd, &st) < 0 || stat("/", &host) < 0)
		return log_errno(-errno, "cannot stat %s", sysroot);
	if (st.st_dev == host.st_dev && st.st_ino == host.st_ino && !force_host) {
		log_error(
			"%s is the running system's root: refusing without --force-host",
			sysroot);
		return -EPERM;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			log_error("%s is in use by another mkbootready or bootchroot",
				  sysroot);
			return -EBUSY;
		}
		return log_errno(-errno, "cannot lock %s", sysroot);
	}
	*ret_rootfd = TAKE_FD(fd);
	return 0;
}

int bootready_saved_domain(int rootfd, char **ret)
{
	_cleanup_free_ char *text = NULL;
	int r = root_read_file(rootfd, CLIENT_CONF, &text, NULL);

	if (r < 0)
		return r;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (startswith(line, "IDMAP_DOMAIN=") && line[13] &&
		    !strpbrk(line + 13, " \t\"'$`\\")) {
			*ret = strdup(line + 13);
			return *ret ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}

static int host_idmap_domain(char **ret)
{
	char domain[256] = "";
	int r;

	r = nfs4_init_name_mapping(NULL);
	if (r == 0)
		r = nfs4_get_default_domain(NULL, domain, sizeof(domain));
	if (r != 0 || !domain[0])
		return r < 0 ? r : -ENOENT;
	*ret = strdup(domain);
	return *ret ? 0 : -ENOMEM;
}

int bootready_profile(int rootfd, const char *profile, struct profile **ret)
{
	_cleanup_free_ char *pdir = NULL, *name = NULL;
	struct os_release osr;
	int r;

	r = profile_dir(&pdir);
	if (r < 0)
		return r;
	if (profile) {
		name = strdup(profile);
		if (!name)
			return -ENOMEM;
	} else {
		r = os_release_read(rootfd, &osr);
		if (r < 0)
			return log_errno(r, "cannot read the tree's os-release");
		r = profile_detect(pdir, osr.id, osr.id_like, &name);
		if (r == -ENOENT)
			log_error("no profile for ID=%s ID_LIKE=%s (use --profile)",
				  osr.id ? osr.id : "", osr.id_like ? osr.id_like : "");
		os_release_done(&osr);
		if (r < 0)
			return r;
	}
	return profile_load(pdir, name, ret);
}

static int ctx_init(struct ctx *c, int rootfd, const struct bootready_opts *o,
		    struct profile **ret_profile, char **ret_datadir)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->rootfd = rootfd;
	c->o = o;
	r = data_dir(ret_datadir);
	if (r < 0)
		return r;
	c->datadir = *ret_datadir;
	r = bootready_profile(rootfd, o->profile, ret_profile);
	if (r < 0)
		return r;
	c->p = *ret_profile;

	if (o->idmap_domain) {
		c->domain = strdup(o->idmap_domain);
		if (!c->domain)
			return -ENOMEM;
		c->domain_kept = true;
	} else if (bootready_saved_domain(rootfd, &c->domain) == 0) {
		/* Given to an earlier run: --check and re-runs keep it. */
		c->domain_kept = true;
	} else if (host_idmap_domain(&c->domain) < 0) {
		log_warn(
			"no NFSv4 ID-mapping domain on this host: idmapd.conf left as is "
			"(use --idmap-domain)");
		c->domain = NULL;
	}

	for (char **k = c->p->lease; k && *k; k++)
		if (tool_installed(c, *k)) {
			c->keeper = strdup(*k);
			break;
		}
	if (!c->keeper)
		c->keeper = strdup("none");
	return c->keeper ? 0 : -ENOMEM;
}

static void ctx_done(struct ctx *c)
{
	ctx_clear(c);
	free(c->domain);
	free(c->keeper);
}

/*
 * What a bootchroot that was killed leaves behind: its policy-rc.d, and the
 * keep directory (lib/keep.h) unless this run is bootchroot's own and uses it.
 * Neither is part of the tree as its distribution made it, so both are removed
 * without a journal entry (an undo must not bring them back). Returns how many
 * were found.
 */
static int leftovers(int rootfd, int mode, bool quiet, bool keeping)
{
	_cleanup_free_ char *cur = NULL;
	const char *found[2];
	size_t n = 0;
	int r;

	if (root_read_file(rootfd, BOOTCHROOT_POLICY_RC_D, &cur, NULL) == 0 &&
	    strcmp(cur, BOOTCHROOT_POLICY_RC_D_TEXT) == 0)
		found[n++] = BOOTCHROOT_POLICY_RC_D;
	if (!keeping && keep_clean(rootfd, true) > 0)
		found[n++] = KEEP_DIR;
	if (n == 0 && mode == 2 && !quiet)
		printf("leftovers: ready\n");
	for (size_t i = 0; i < n; i++) {
		if (!quiet && mode == 2)
			printf("leftovers: not ready (%s, left by an interrupted bootchroot)\n",
			       found[i]);
		else if (!quiet)
			printf("leftovers: remove %s (left by an interrupted bootchroot)\n",
			       found[i]);
		if (mode != 0)
			continue;
		if (strcmp(found[i], KEEP_DIR) == 0)
			r = keep_clean(rootfd, false);
		else
			r = root_unlink(rootfd, found[i], 0);
		if (r < 0 && r != -ENOENT)
			return log_errno(r, "cannot remove %s", found[i]);
	}
	return n;
}

/* Run every step; mode 0 apply, 1 dry run, 2 check. Returns changes or not-ready steps.
 */
static int run(int rootfd, const struct bootready_opts *o, int mode)
{
	_cleanup_(profile_freep) struct profile *p = NULL;
	_cleanup_(journal_freep) struct journal *j = NULL;
	_cleanup_free_ char *datadir = NULL;
	struct ctx c;
	int r, total = 0, notready = 0;
	bool quiet = log_get_level() < LOG_LEVEL_NOTICE;

	r = ctx_init(&c, rootfd, o, &p, &datadir);
	if (r < 0) {
		ctx_done(&c);
		return r;
	}
	if (!quiet)
		printf("profile: %s (lease keeper: %s)\n", p->name, c.keeper);
	if (mode == 0) {
		r = journal_open(rootfd, true, &j);
		if (r == 0)
			r = journal_recover(j);
		if (r < 0) {
			ctx_done(&c);
			return log_errno(r, "cannot open the journal %s", JOURNAL_DIR);
		}
	}
	r = leftovers(rootfd, mode, quiet, o->keep != NULL);
	if (r < 0) {
		ctx_done(&c);
		return r;
	}
	total += r;
	notready += r;
	if (strcmp(c.keeper, "none") == 0 && !quiet)
		log_warn(
			"no DHCP lease keeper of the profile (%s) is installed: clients keep "
			"the initramfs lease until it expires",
			p->lease && p->lease[0] ? p->lease[0] : "none");

	for (size_t s = 0; s < ARRAY_SIZE(steps); s++) {
		size_t pending = 0;

		ctx_clear(&c);
		r = steps[s].fn(&c);
		if (r < 0) {
			log_errno(r, "step %s failed", steps[s].name);
			break;
		}
		for (size_t i = 0; i < c.n; i++) {
			if (satisfied(rootfd, &c.acts[i]))
				continue;
			pending++;
			if (mode == 2) {
				if (!quiet && pending == 1)
					printf("%s: not ready (", steps[s].name);
				else if (!quiet)
					printf(", ");
				if (!quiet)
					printf("%s", c.acts[i].path);
				continue;
			}
			if (!quiet)
				describe(steps[s].name, &c.acts[i]);
			if (mode == 1)
				continue;
			r = apply(j, o->keep, rootfd, &c.acts[i]);
			if (r < 0) {
				log_errno(r, "cannot change %s", c.acts[i].path);
				break;
			}
			/* A hook for the crash tests: stop here so a test can kill us
			 * between two changes. */
			const char *delay = getenv("PXEROOT_TEST_DELAY_MS");
			if (delay)
				usleep(atoi(delay) * 1000);
		}
		if (r < 0)
			break;
		if (mode == 2 && pending && !quiet)
			printf(")\n");
		if (!pending && !quiet &&
		    (mode == 2 || log_get_level() >= LOG_LEVEL_INFO))
			printf("%s: %s\n", steps[s].name, mode == 2 ? "ready" : "ok");
		total += pending;
		notready += pending > 0;
	}
	if (r >= 0 && strcmp(steps[ARRAY_SIZE(steps) - 1].name, "mask") == 0) {
		int pr = check_package_db(&c, !quiet);

		if (mode == 2 && !quiet)
			printf("package-db: %s %s\n", pr == 0 ? "ready" : "not ready",
			       p->package_db ? p->package_db : "(none)");
		if (mode == 2 && pr < 0)
			notready++;
	}
	ctx_done(&c);
	if (r < 0)
		return r;
	return mode == 2 ? notready : total;
}

int bootready_prepare(int rootfd, const struct bootready_opts *o)
{
	return run(rootfd, o, o->dry_run ? 1 : 0);
}

int bootready_check(int rootfd, const struct bootready_opts *o)
{
	return run(rootfd, o, 2);
}

bool bootready_is_prepared(int rootfd)
{
	return exists(rootfd, JOURNAL_DIR);
}

static int keep_journal_fn(void *data, const char *path, bool created)
{
	return keep_save(data, path, created);
}

static int undo(int rootfd, bool dry_run, struct keep *keep)
{
	_cleanup_(journal_freep) struct journal *j = NULL;
	size_t n;
	int r;

	r = journal_open(rootfd, false, &j);
	if (r < 0)
		return log_errno(r, "cannot read the journal %s", JOURNAL_DIR);
	n = journal_count(j);
	if (dry_run) {
		for (size_t i = n; i > 0; i--)
			printf("undo: restore %s\n", journal_path(j, i - 1));
		leftovers(rootfd, 1, false, false);
		return n;
	}
	/* What a killed bootchroot left goes first, so that the directory above
	 * the keep directory and the journal can go. */
	r = keep ? 0 : leftovers(rootfd, 0, true, false);
	if (r > 0 && !bootready_is_prepared(rootfd)) {
		r = root_unlink(rootfd, "/var/lib/pxeroot", AT_REMOVEDIR);
		if (r == -ENOENT || r == -ENOTEMPTY)
			r = 0;
	}
	if (r >= 0)
		r = journal_recover(j);
	if (r >= 0)
		r = journal_undo(j, keep ? keep_journal_fn : NULL, keep);
	if (r < 0)
		return r;
	return n;
}

int bootready_undo(int rootfd, bool dry_run)
{
	return undo(rootfd, dry_run, NULL);
}

int bootready_undo_keep(int rootfd, struct keep *keep)
{
	return undo(rootfd, false, keep);
}
