// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The preparation steps: each looks at the tree and its profile and plans the
 * actions that make it fit for a shared read-only root (lib/bootready-internal.h).
 * None changes the tree itself.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "bootready-internal.h"
#include "log.h"
#include "profile.h"
#include "rootdir.h"
#include "strbuf.h"
#include "strv.h"
#include "util.h"

/* Where the client finds what the initramfs learned by DHCP (doc/initramfs.md). */
#define CLIENT_RESOLV "/run/pxeroot/resolv.conf"
#define COMMENT_PREFIX "#pxeroot# "

static int read_text(int rootfd, const char *path, char **ret)
{
	int r = root_read_file(rootfd, path, ret, NULL);

	if (r == -ENOENT) {
		*ret = strdup("");
		return *ret ? 0 : -ENOMEM;
	}
	return r;
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
		if (tree_has(c->rootfd, *paths))
			return true;
	return false;
}

/* Whether a lease keeper or network tool is installed in the tree. */
bool tool_installed(struct ctx *c, const char *tool)
{
	static const char *const dhclient[] = { "/usr/sbin/dhclient", "/sbin/dhclient",
						NULL };
	static const char *const udhcpc[] = { "/sbin/udhcpc", "/usr/sbin/udhcpc",
					      "/bin/busybox", NULL };
	static const char *const ifupdown[] = { "/sbin/ifup", "/usr/sbin/ifup", NULL };
	bool systemd = c->p->init == INIT_SYSTEMD;

	/* networkd and wicked run under systemd only; a tree can have their
	 * units without systemd as its init (a package pulled in systemd). */
	if (strcmp(tool, "networkd") == 0)
		return systemd && has_unit(c, "systemd-networkd.service");
	if (strcmp(tool, "networkmanager") == 0)
		return systemd ? has_unit(c, "NetworkManager.service")
			       : tree_has(c->rootfd, "/etc/init.d/networkmanager") ||
					 tree_has(c->rootfd,
						  "/etc/init.d/network-manager");
	if (strcmp(tool, "wicked") == 0)
		return systemd && has_unit(c, "wicked.service");
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
	return plan_write(c, dest, text, mode);
}

/* ---- the steps ---- */

static int step_mtab(struct ctx *c)
{
	/* Debian's SysV boot scripts (initscripts) replace any other link with
	 * this one, and warn on the console at every boot. */
	if (c->p->init != INIT_SYSTEMD &&
	    tree_has(c->rootfd, "/lib/init/mount-functions.sh"))
		return plan_link(c, "/etc/mtab", "/proc/mounts");
	return plan_link(c, "/etc/mtab", "../proc/self/mounts");
}

static int step_resolv(struct ctx *c)
{
	return plan_link(c, "/etc/resolv.conf", CLIENT_RESOLV);
}

/*
 * An optical drive (a disk install lists the installer's): kept when it is
 * mounted on demand only (noauto), since a client may have one; else the
 * boot would wait for a drive the client may not have.
 */
static bool is_boot_cdrom(const char *spec, const char *opts)
{
	static const char *const prefixes[] = { "/dev/sr", "/dev/cdrom", "/dev/scd" };
	bool cd = false;

	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		cd |= startswith(spec, prefixes[i]);
	if (!cd)
		return false;
	for (const char *o = opts; o && *o; o += strcspn(o, ","), o += *o == ',')
		if (strncmp(o, "noauto", 6) == 0 && (o[6] == ',' || o[6] == '\0'))
			return false;
	return true;
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
	_cleanup_strbuf_ struct strbuf out = { 0 };
	_cleanup_strv_free_ char **mounted = NULL;
	bool header = false;
	char *line, *next;
	int r;

	r = read_text(c->rootfd, "/etc/fstab", &text);
	if (r < 0)
		return r;
	for (line = text; line && *line; line = next) {
		char copy[4096], *fields[6] = { 0 }, *save = NULL;
		int nf = 0;

		next = line_split(line);
		snprintf(copy, sizeof(copy), "%s", line);
		for (char *w = strtok_r(copy, " \t", &save); w && nf < 6;
		     w = strtok_r(NULL, " \t", &save))
			fields[nf++] = w;
		if (nf >= 3 && fields[0][0] != '#' &&
		    (strcmp(fields[1], "/") == 0 || strcmp(fields[2], "swap") == 0 ||
		     is_disk_spec(fields[0]) || is_boot_cdrom(fields[0], fields[3]))) {
			r = strbuf_appends(&out, COMMENT_PREFIX);
		} else if (nf >= 2 && fields[0][0] != '#') {
			r = strv_extend(&mounted, fields[1]);
		}
		if (r == 0)
			r = strbuf_appends(&out, line);
		if (r == 0)
			r = strbuf_appends(&out, "\n");
		if (r < 0)
			break;
	}
	for (char **t = c->p->tmpfs; r == 0 && t && *t; t++) {
		_cleanup_free_ char *path = strndup(*t, strcspn(*t, ":"));

		if (!path) {
			r = -ENOMEM;
			break;
		}
		if (strv_contains(mounted, path))
			continue;
		if (!header) {
			r = strbuf_appends(
				&out, "# pxeroot: writable in RAM on every client\n");
			header = true;
		}
		if (r == 0)
			r = strbuf_appendf(&out,
					   "tmpfs %s tmpfs mode=%s,nosuid,nodev 0 0\n",
					   path, strchr(*t, ':') + 1);
	}
	if (r == 0)
		r = plan_add(c, ACT_WRITE, "/etc/fstab", strbuf_str(&out), out.len, 0);
	return r;
}

/*
 * initramfs-tools' resume device (what a disk install sets to its swap): the
 * clients have neither that disk nor a use for it, and every initramfs the
 * tree's own tools build (a kernel update in bootchroot) would look for it.
 */
#define RESUME_CONF "/etc/initramfs-tools/conf.d/resume"

static int step_resume(struct ctx *c)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = root_read_file(c->rootfd, RESUME_CONF, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return plan_write(
		c, RESUME_CONF,
		"# pxeroot (mkbootready): diskless clients resume from no disk.\n"
		"RESUME=none\n",
		0);
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

static int tmpfs_dirs_walk(struct ctx *c, const char *dir, int depth, struct strbuf *out,
			   size_t *count)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r;

	r = root_opendir(c->rootfd, dir, (void **)&d);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		r = strv_extend(&names, de->d_name);
		if (r < 0)
			return r;
	}
	/* Directory order is not stable: sorted, for a reproducible plan. */
	strv_sort(names);
	for (char **nm = names; r == 0 && nm && *nm; nm++) {
		_cleanup_free_ char *path = NULL;
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
		r = strbuf_appendf(out, "d %s %04o %u %u -\n", path,
				   (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid,
				   (unsigned)st.st_gid);
		if (r == 0 && depth < 8)
			r = tmpfs_dirs_walk(c, path, depth + 1, out, count);
	}
	return r;
}

static int step_tmpfs_dirs(struct ctx *c)
{
	_cleanup_strbuf_ struct strbuf out = { 0 };
	size_t count = 0;
	int r;

	r = strbuf_appends(
		&out, "# SPDX-License-Identifier: GPL-2.0-or-later\n"
		      "# Written by mkbootready: the directories the tree has under "
		      "the\n# paths that clients mount as tmpfs, made again at boot.\n");
	for (char **t = c->p->tmpfs; r == 0 && t && *t; t++) {
		_cleanup_free_ char *path = strndup(*t, strcspn(*t, ":"));

		r = path ? tmpfs_dirs_walk(c, path, 0, &out, &count) : -ENOMEM;
	}
	if (r == 0 && count)
		r = plan_add(c, ACT_WRITE, TMPFS_DIRS, out.s, out.len, 0644);
	else if (r == 0 && tree_has(c->rootfd, TMPFS_DIRS))
		r = plan_remove(c, TMPFS_DIRS);
	return r;
}

static int mask_unit(struct ctx *c, const char *unit)
{
	char path[512];

	if (!has_unit(c, unit))
		return 0;
	snprintf(path, sizeof(path), "/etc/systemd/system/%s", unit);
	return plan_link(c, path, "/dev/null");
}

/*
 * OpenRC has no mask: a service is kept off by taking it out of every runlevel
 * (Debian's openrc has an "off" runlevel too, which its rc script starts
 * before shutdown).
 */
static int unlist_service(struct ctx *c, const char *svc)
{
	static const char *const levels[] = { "sysinit", "boot", "default", "shutdown",
					      "off" };

	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		char path[512];
		int r;

		snprintf(path, sizeof(path), "/etc/runlevels/%s/%s", levels[i], svc);
		if (!tree_has(c->rootfd, path))
			continue;
		r = plan_remove(c, path);
		if (r < 0)
			return r;
	}
	return 0;
}

static int step_fsck(struct ctx *c)
{
	/* SysV's checkroot.sh checks the root only when fstab lists it: the
	 * fstab step comments that line out. */
	if (c->p->init == INIT_SYSVINIT)
		return 0;
	if (c->p->init == INIT_OPENRC)
		return unlist_service(c, "fsck");
	return mask_unit(c, "systemd-fsck-root.service");
}

static int step_mask(struct ctx *c)
{
	/* SysV rc links are ordered by insserv's dependency files, which only
	 * insserv writes: nothing is taken out of a SysV tree's runlevels here. */
	if (c->p->init == INIT_SYSVINIT)
		return 0;
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
	return plan_link(c, path, unit_file);
}

/*
 * SysV init starts pxeroot's two jobs from /etc/inittab, its own list of what
 * to run: the client's set-up as a sysinit entry ahead of rcS, so that it is
 * done before any boot script (hostname.sh, udev, networking, ssh) runs, and
 * the lease keeper as a respawn entry of the multi-user runlevels, which init
 * restarts if it dies and stops before the shutdown scripts. Entries in
 * /etc/inittab need no rc links: the rc links of a Debian tree are ordered by
 * insserv's dependency files, which only insserv may write.
 */
#define INITTAB_SETUP "pxc::sysinit:/usr/lib/pxeroot/client-setup sysinit"
#define INITTAB_LEASE "pxl:2345:respawn:/usr/lib/pxeroot/client-setup lease"
#define INITTAB_COMMENT "# pxeroot (mkbootready): this client's set-up, before rcS\n"
#define INITTAB_LEASE_COMMENT                                                   \
	"# pxeroot (mkbootready): keep the boot interface's DHCP lease, never " \
	"its address\n"

static int plan_inittab(struct ctx *c)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_strbuf_ struct strbuf out = { 0 };
	/* Under OpenRC, the lease keeper is an OpenRC service. */
	bool lease = c->p->init == INIT_SYSVINIT && (strcmp(c->keeper, "dhclient") == 0 ||
						     strcmp(c->keeper, "udhcpc") == 0);
	bool placed = false;
	char *line, *next;
	int r;

	r = read_text(c->rootfd, "/etc/inittab", &text);
	if (r < 0)
		return r;
	for (line = text; r == 0 && line && *line; line = next) {
		char *f3;

		next = line_split(line);
		/* An earlier run's lines go; they are written again below. */
		if (startswith(line, "pxc:") || startswith(line, "pxl:") ||
		    startswith(line, "# pxeroot (mkbootready)"))
			continue;
		/* id:runlevels:action:process; the first sysinit entry (rcS). */
		f3 = strchr(line, ':');
		f3 = f3 ? strchr(f3 + 1, ':') : NULL;
		if (!placed && line[0] != '#' && f3 && startswith(f3 + 1, "sysinit:")) {
			r = strbuf_appendf(&out, "%s%s\n", INITTAB_COMMENT,
					   INITTAB_SETUP);
			placed = true;
		}
		if (r == 0)
			r = strbuf_appendf(&out, "%s\n", line);
	}
	if (r == 0 && !placed)
		r = strbuf_appendf(&out, "%s%s\n", INITTAB_COMMENT, INITTAB_SETUP);
	if (r == 0 && lease)
		r = strbuf_appendf(&out, "%s%s\n", INITTAB_LEASE_COMMENT, INITTAB_LEASE);
	if (r == 0)
		r = plan_add(c, ACT_WRITE, "/etc/inittab", strbuf_str(&out), out.len, 0);
	return r;
}

/*
 * Set KEY=VALUE in a shell-style settings file (/etc/default/halt): the line
 * that sets KEY is replaced, or one is added at the end.
 */
static int plan_setting(struct ctx *c, const char *path, const char *key,
			const char *value, const char *why)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_strbuf_ struct strbuf out = { 0 };
	size_t klen = strlen(key);
	bool done = false;
	char *line, *next;
	int r;

	r = read_text(c->rootfd, path, &text);
	if (r < 0)
		return r;
	for (line = text; r == 0 && line && *line; line = next) {
		next = line_split(line);
		if (!done && strncmp(line, key, klen) == 0 && line[klen] == '=') {
			r = strbuf_appendf(&out, "%s=%s\n", key, value);
			done = true;
			continue;
		}
		r = strbuf_appendf(&out, "%s\n", line);
	}
	if (r == 0 && !done)
		r = strbuf_appendf(&out, "# %s\n%s=%s\n", why, key, value);
	if (r == 0)
		r = plan_add(c, ACT_WRITE, path, strbuf_str(&out), out.len, 0);
	return r;
}

/*
 * The boot interface belongs to the initramfs: every network tool of the tree
 * is told to leave it alone at start and at shutdown, and one of them (the
 * keeper) renews its DHCP lease without ever taking the address away. Which
 * interface it is, is known only on the client at boot, so the static part is
 * here and pxeroot-client-setup writes the rest under /run (data/client/pxeroot-client-setup).
 */
static int step_network(struct ctx *c)
{
	_cleanup_strbuf_ struct strbuf conf = { 0 };
	int r;

	r = strbuf_appends(
		&conf,
		"# SPDX-License-Identifier: GPL-2.0-or-later\n"
		"# Written by mkbootready: read by pxeroot-client-setup at boot.\n");
	if (r == 0)
		r = strbuf_appendf(&conf, "PROFILE=%s\nINIT=%s\nLEASE=%s\nNETWORK=\"",
				   c->p->name, init_name(c->p->init), c->keeper);
	for (char **n = c->p->network; r == 0 && n && *n; n++) {
		if (!tool_installed(c, *n))
			continue;
		if (conf.s[conf.len - 1] != '"')
			r = strbuf_appends(&conf, " ");
		if (r == 0)
			r = strbuf_appends(&conf, *n);
	}
	if (r == 0)
		r = strbuf_appends(&conf, "\"\n");
	if (r == 0 && c->domain_kept)
		r = strbuf_appendf(&conf, "IDMAP_DOMAIN=%s\n", c->domain);
	if (r == 0)
		r = plan_add(c, ACT_WRITE, CLIENT_CONF, conf.s, conf.len, 0644);
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
	    tree_has(c->rootfd, "/etc/init.d/networking") && !c->inittab) {
		/* Only an OpenRC service reads /etc/conf.d (Alpine's); Debian's
		 * networking script under OpenRC is its SysV one, and
		 * client-setup puts the copy in the place of
		 * /etc/network/interfaces instead. */
		/* OpenRC's networking service reads its interfaces file from
		 * $cfgfile: the client's copy leaves out the boot interface. */
		_cleanup_free_ char *text = NULL;
		_cleanup_strbuf_ struct strbuf b = { 0 };

		r = read_text(c->rootfd, "/etc/conf.d/networking", &text);
		if (r < 0)
			return r;
		r = strbuf_appends(&b, text);
		if (r == 0 && !strstr(text, "cfgfile=/run/pxeroot/interfaces"))
			r = strbuf_appends(&b,
					   (b.len && b.s[b.len - 1] != '\n')
						   ? "\ncfgfile=/run/pxeroot/interfaces\n"
						   : "cfgfile=/run/pxeroot/interfaces\n");
		if (r == 0)
			r = plan_add(c, ACT_WRITE, "/etc/conf.d/networking", b.s, b.len,
				     0);
		if (r < 0)
			return r;
	}
	/* Debian's halt script takes every interface down before the final halt
	 * unless told not to: the root is mounted over the boot interface, and
	 * the last writes back to it would hang. */
	if (c->p->init != INIT_SYSTEMD && tree_has(c->rootfd, "/etc/init.d/halt") &&
	    tree_has(c->rootfd, "/etc/default/halt")) {
		r = plan_setting(
			c, "/etc/default/halt", "NETDOWN", "no",
			"pxeroot (mkbootready): the root is mounted over the network");
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

	r = plan_add(c, ACT_MKDIR, "/usr/lib/pxeroot", NULL, 0, 0755);
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
	} else if (r == 0 && c->p->init == INIT_SYSVINIT) {
		r = plan_inittab(c);
	} else if (r == 0 && c->inittab) {
		/* OpenRC started by SysV init (Debian's openrc): the boot scripts
		 * are in OpenRC's sysinit runlevel, which the set-up must precede,
		 * so it is an inittab entry ahead of rcS as under SysV init. */
		r = plan_inittab(c);
		if (r == 0)
			r = install_data(c, "pxeroot-lease.openrc",
					 "/etc/init.d/pxeroot-lease", 0755);
		if (r == 0)
			r = plan_link(c, "/etc/runlevels/default/pxeroot-lease",
				      "/etc/init.d/pxeroot-lease");
	} else if (r == 0) {
		r = install_data(c, "pxeroot-client.openrc", "/etc/init.d/pxeroot-client",
				 0755);
		if (r == 0)
			r = install_data(c, "pxeroot-lease.openrc",
					 "/etc/init.d/pxeroot-lease", 0755);
		if (r == 0)
			r = plan_link(c, "/etc/runlevels/boot/pxeroot-client",
				      "/etc/init.d/pxeroot-client");
		if (r == 0)
			r = plan_link(c, "/etc/runlevels/default/pxeroot-lease",
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
	r = plan_write(c, "/etc/machine-id", "", 0444);
	if (r == 0 && root_stat(c->rootfd, "/var/lib/dbus/machine-id", false, &st) == 0 &&
	    !S_ISLNK(st.st_mode))
		r = plan_link(c, "/var/lib/dbus/machine-id", "/etc/machine-id");
	return r;
}

/* Remove the entries of dir whose name matches pattern. */
static int remove_glob(struct ctx *c, const char *pattern)
{
	_cleanup_free_ char *dir = NULL;
	const char *base = strrchr(pattern, '/');
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r;

	if (!base || !strpbrk(base, "*?["))
		return tree_has(c->rootfd, pattern) ? plan_remove(c, pattern) : 0;
	dir = strndup(pattern, base - pattern);
	if (!dir)
		return -ENOMEM;
	r = root_opendir(c->rootfd, *dir ? dir : "/", (void **)&d);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		char *path;

		if (fnmatch(base + 1, de->d_name, FNM_PERIOD) != 0)
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			return -ENOMEM;
		r = strv_consume(&names, path);
		if (r < 0)
			return r;
	}
	/* Directory order is not stable: sorted, for a reproducible plan. */
	strv_sort(names);
	strv_foreach(name, names) {
		r = plan_remove(c, *name);
		if (r < 0)
			return r;
	}
	return 0;
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
	return plan_write(c, "/etc/systemd/journald.conf.d/90-pxeroot.conf",
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
	for (char **p = c->p->empty; r == 0 && p && *p; p++) {
		if (!tree_has(c->rootfd, *p))
			continue;
		/* systemd reads an empty /etc/hostname as "not set" and takes the
		 * name DHCP gave; the boot scripts of SysV init and OpenRC would
		 * set an empty name and fail. There, the tree says "localhost"
		 * and client-setup writes the DHCP-given name at boot. */
		if (c->p->init != INIT_SYSTEMD && strcmp(*p, "/etc/hostname") == 0)
			r = plan_write(c, *p, "localhost\n", 0644);
		else
			r = plan_write(c, *p, "", 0);
	}
	return r;
}

/*
 * The package database stays in the tree: bootchroot updates it, clients only
 * read it. Nothing to change, but a database under a tmpfs would be hidden on
 * clients, and a tree without one is not what the profile says it is.
 */
int check_package_db(struct ctx *c, bool report)
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
	_cleanup_free_ char *text = NULL, *dline = NULL;
	_cleanup_strbuf_ struct strbuf out = { 0 };
	bool in_general = false, done = false, seen_general = false;
	char *line, *next;
	int r;

	if (!c->domain)
		return 0;
	if (asprintf(&dline, "Domain = %s\n", c->domain) < 0)
		return -ENOMEM;
	r = read_text(c->rootfd, "/etc/idmapd.conf", &text);
	if (r < 0)
		return r;
	for (line = text; r == 0 && line && *line; line = next) {
		char *s;

		next = line_split(line);
		s = line + strspn(line, " \t");
		if (*s == '[') {
			if (in_general && !done) {
				r = strbuf_appends(&out, dline);
				done = true;
			}
			in_general = strncasecmp(s, "[General]", 9) == 0;
			seen_general |= in_general;
		} else if (in_general && !done && strncasecmp(s, "Domain", 6) == 0 &&
			   strchr(" \t=", s[6])) {
			if (r == 0)
				r = strbuf_appends(&out, dline);
			done = true;
			continue;
		}
		if (r == 0)
			r = strbuf_appends(&out, line);
		if (r == 0)
			r = strbuf_appends(&out, "\n");
	}
	if (r == 0 && in_general && !done) {
		r = strbuf_appends(&out, dline);
		done = true;
	}
	if (r == 0 && !seen_general) {
		/* No [General] section: one goes first, before what is there. */
		_cleanup_strbuf_ struct strbuf b = { 0 };

		r = strbuf_appendf(&b, "[General]\n%s%s", dline, out.len ? "\n" : "");
		if (r == 0)
			r = strbuf_append(&b, out.s, out.len);
		if (r == 0) {
			strbuf_done(&out);
			out = b;
			b = (struct strbuf){ 0 };
		}
	}
	if (r == 0)
		r = plan_add(c, ACT_WRITE, "/etc/idmapd.conf", strbuf_str(&out), out.len,
			     0);
	return r;
}

const struct step bootready_steps[] = {
	{ "mtab", step_mtab },
	{ "resolv", step_resolv },
	{ "fstab", step_fstab },
	{ "resume", step_resume },
	{ "tmpfs-dirs", step_tmpfs_dirs },
	{ "fsck", step_fsck },
	{ "network", step_network },
	{ "boot-units", step_units },
	{ "machine-id", step_machine_id },
	{ "ssh-keys", step_ssh_keys },
	{ "persistent-net", step_persistent_net },
	{ "journald", step_journald },
	{ "reset", step_reset },
	{ "idmapd", step_idmapd },
	{ "shutdown", step_openrc_nostop },
	{ "mask", step_mask },
};

const size_t bootready_nsteps = ARRAY_SIZE(bootready_steps);
