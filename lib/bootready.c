// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The entry points of the preparation: open and lock a tree, choose its
 * profile, and run the steps (lib/bootready-steps.c) in one of three modes,
 * carrying out what they plan (lib/bootready-action.c); undo from the journal.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "bootready-internal.h"
#include "journal.h"
#include "keep.h"
#include "log.h"
#include "profile.h"
#include "rootdir.h"
#include "stage.h"
#include "util.h"

/* What a run does with the steps' plans. */
enum run_mode {
	RUN_APPLY, /* carry them out */
	RUN_DRY_RUN, /* print them */
	RUN_CHECK, /* report which steps have something left to do */
};

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
		next = line_split(line);
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

/*
 * The tree's init, from what /sbin/init is: a link to systemd, OpenRC's own
 * init, or a program of its own (sysvinit's, or BusyBox's on Alpine) that
 * starts OpenRC when /etc/inittab says so and SysV rc otherwise. *ret_path is
 * /sbin/init's target inside the tree. -ENOENT: the tree has no /sbin/init;
 * -ENOPKG: it is an init of another kind (*ret_path says which).
 */
static int detect_init(int rootfd, enum init_system *ret, char **ret_path,
		       bool *ret_inittab)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *inittab = NULL, *rcs = NULL;
	char proc[64], top[PATH_MAX], target[PATH_MAX];
	const char *base, *rel;
	ssize_t n, tn;
	struct stat st;

	fd = root_open(rootfd, "/sbin/init", O_PATH, 0);
	if (fd < 0)
		return fd;
	/* Where the link leads, as a path inside the tree. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", rootfd);
	tn = readlink(proc, top, sizeof(top) - 1);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, target, sizeof(target) - 1);
	if (tn < 0 || n < 0)
		return -errno;
	top[tn] = target[n] = '\0';
	rel = target;
	if (strcmp(top, "/") != 0 && startswith(target, top) && target[tn] == '/')
		rel = target + tn;
	*ret_path = strdup(rel);
	if (!*ret_path)
		return -ENOMEM;
	base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	if (strcmp(base, "systemd") == 0) {
		*ret = INIT_SYSTEMD;
		return 0;
	}
	if (strcmp(base, "openrc-init") == 0) {
		*ret = INIT_OPENRC;
		return 0;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOENT;
	/* SysV init's own /etc/inittab runs pxeroot's jobs (not BusyBox's). */
	*ret_inittab = strcmp(base, "busybox") != 0 && tree_has(rootfd, "/etc/inittab");
	/* Alpine's inittab runs openrc; Debian's runs /etc/init.d/rcS, which
	 * openrc's package makes a wrapper of "openrc sysinit". */
	if ((root_read_file(rootfd, "/etc/inittab", &inittab, NULL) == 0 &&
	     strstr(inittab, "openrc")) ||
	    (root_read_file(rootfd, "/etc/init.d/rcS", &rcs, NULL) == 0 &&
	     strstr(rcs, "openrc"))) {
		*ret = INIT_OPENRC;
		return 0;
	}
	/* sysvinit's own program, run by /etc/inittab. Anything else (BusyBox's
	 * init without OpenRC, runit, s6, a script) is not one we know. */
	if (strcmp(base, "init") != 0 || !tree_has(rootfd, "/etc/inittab"))
		return -ENOPKG;
	*ret = INIT_SYSVINIT;
	return 0;
}

static int ctx_init(struct ctx *c, int rootfd, const struct bootready_opts *o)
{
	enum init_system init;
	int r;

	c->rootfd = rootfd;
	c->o = o;
	r = data_dir(&c->datadir);
	if (r < 0)
		return r;
	r = bootready_profile(rootfd, o->profile, &c->p);
	if (r < 0)
		return r;
	r = detect_init(rootfd, &init, &c->init_path, &c->inittab);
	if (r == -ENOMEM)
		return r;
	if (r == -ENOPKG && !o->profile) {
		log_error(
			"the tree's init is %s, not one mkbootready knows (systemd, sysvinit, "
			"openrc): give --profile to prepare it as that profile's init",
			c->init_path);
		return -EOPNOTSUPP;
	}
	if (r == -ENOPKG)
		log_warn(
			"the tree's init is %s, not one mkbootready knows: preparing it as "
			"profile %s's %s",
			c->init_path, c->p->name, init_name(c->p->init));
	if (r == 0 && !(c->p->inits & (1u << init))) {
		log_error(
			"the tree's init is %s (/sbin/init is %s), which profile %s does not "
			"handle",
			init_name(init), c->init_path, c->p->name);
		return -EOPNOTSUPP;
	}
	/* No /sbin/init (a tree being made, a test fixture): the profile's first. */
	if (r == 0)
		c->p->init = init;

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
	plan_clear(c);
	profile_free(c->p);
	free(c->datadir);
	free(c->domain);
	free(c->keeper);
	free(c->init_path);
}

/*
 * What a bootchroot that was killed leaves behind: its policy-rc.d, and the
 * keep directory (lib/keep.h) unless this run is bootchroot's own and uses it.
 * Neither is part of the tree as its distribution made it, so both are removed
 * without a journal entry (an undo must not bring them back). Returns how many
 * were found.
 */
static int leftovers(int rootfd, enum run_mode mode, bool quiet, bool keeping)
{
	_cleanup_free_ char *cur = NULL;
	static const char stage_dir[] = "the stage directory beside the tree";
	const char *found[3];
	size_t n = 0;
	int r;

	if (root_read_file(rootfd, BOOTCHROOT_POLICY_RC_D, &cur, NULL) == 0 &&
	    strcmp(cur, BOOTCHROOT_POLICY_RC_D_TEXT) == 0)
		found[n++] = BOOTCHROOT_POLICY_RC_D;
	if (!keeping && keep_clean(rootfd, true) > 0)
		found[n++] = KEEP_DIR;
	if (!keeping && stage_recover(rootfd, true) > 0)
		found[n++] = stage_dir;
	/* Objects bootchroot retired long enough ago go quietly (lib/keep.h):
	 * they are no part of the tree, and without a later bootchroot they
	 * would stay. */
	if (!keeping && mode == RUN_APPLY) {
		r = keep_retired_clean(rootfd, RETIRED_SECS, false);
		if (r < 0)
			return log_errno(r, "cannot remove %s", RETIRED_DIR);
	}
	if (n == 0 && mode == RUN_CHECK && !quiet)
		printf("leftovers: ready\n");
	for (size_t i = 0; i < n; i++) {
		if (!quiet && mode == RUN_CHECK)
			printf("leftovers: not ready (%s, left by an interrupted bootchroot)\n",
			       found[i]);
		else if (!quiet)
			printf("leftovers: remove %s (left by an interrupted bootchroot)\n",
			       found[i]);
		if (mode != RUN_APPLY)
			continue;
		if (found[i] == stage_dir)
			r = stage_recover(rootfd, false);
		else if (strcmp(found[i], KEEP_DIR) == 0)
			r = keep_clean(rootfd, false);
		else
			r = root_unlink(rootfd, found[i], 0);
		if (r < 0 && r != -ENOENT)
			return log_errno(r, "cannot remove %s", found[i]);
	}
	return n;
}

/*
 * The actions of one step's plan that are not done yet: reported (check),
 * printed (dry run) or carried out. Returns how many there were.
 */
static int run_plan(struct ctx *c, const struct step *step, enum run_mode mode,
		    struct journal *j, bool quiet)
{
	int pending = 0, r;

	vector_foreach(a, &c->acts) {
		if (action_satisfied(c->rootfd, a))
			continue;
		pending++;
		if (mode == RUN_CHECK) {
			if (!quiet && pending == 1)
				printf("%s: not ready (%s", step->name, a->path);
			else if (!quiet)
				printf(", %s", a->path);
			continue;
		}
		if (!quiet)
			action_describe(step->name, a);
		if (mode == RUN_DRY_RUN)
			continue;
		r = action_apply(j, c->o->keep, c->rootfd, a);
		if (r < 0)
			return log_errno(r, "cannot change %s", a->path);
	}
	if (mode == RUN_CHECK && pending && !quiet)
		printf(")\n");
	if (!pending && !quiet &&
	    (mode == RUN_CHECK || log_get_level() >= LOG_LEVEL_INFO))
		printf("%s: %s\n", step->name, mode == RUN_CHECK ? "ready" : "ok");
	return pending;
}

/* Run every step; returns the changes (made or planned) or the steps not ready. */
static int run(int rootfd, const struct bootready_opts *o, enum run_mode mode)
{
	_cleanup_(journal_freep) struct journal *j = NULL;
	_cleanup_(ctx_done) struct ctx c = { 0 };
	bool quiet = log_get_level() < LOG_LEVEL_NOTICE;
	int r, total = 0, notready = 0;

	r = ctx_init(&c, rootfd, o);
	if (r < 0)
		return r;
	if (!quiet)
		printf("profile: %s (init: %s, lease keeper: %s)\n", c.p->name,
		       init_name(c.p->init), c.keeper);
	if (mode == RUN_APPLY) {
		r = journal_open(rootfd, true, &j);
		if (r == 0)
			r = journal_recover(j);
		if (r < 0)
			return log_errno(r, "cannot open the journal %s", JOURNAL_DIR);
	}
	r = leftovers(rootfd, mode, quiet, o->keep != NULL);
	if (r < 0)
		return r;
	total += r;
	notready += r;
	if (strcmp(c.keeper, "none") == 0 && !quiet)
		log_warn(
			"no DHCP lease keeper of the profile (%s) is installed: clients keep "
			"the initramfs lease until it expires",
			c.p->lease && c.p->lease[0] ? c.p->lease[0] : "none");

	for (size_t s = 0; s < bootready_nsteps; s++) {
		const struct step *step = &bootready_steps[s];

		plan_clear(&c);
		r = step->plan(&c);
		if (r < 0)
			return log_errno(r, "step %s failed", step->name);
		r = run_plan(&c, step, mode, j, quiet);
		if (r < 0)
			return r;
		total += r;
		notready += r > 0;
	}

	r = check_package_db(&c, !quiet);
	if (mode == RUN_CHECK && !quiet)
		printf("package-db: %s %s\n", r == 0 ? "ready" : "not ready",
		       c.p->package_db ? c.p->package_db : "(none)");
	if (mode == RUN_CHECK && r < 0)
		notready++;
	return mode == RUN_CHECK ? notready : total;
}

int bootready_prepare(int rootfd, const struct bootready_opts *o)
{
	return run(rootfd, o, o->dry_run ? RUN_DRY_RUN : RUN_APPLY);
}

int bootready_check(int rootfd, const struct bootready_opts *o)
{
	return run(rootfd, o, RUN_CHECK);
}

bool bootready_is_prepared(int rootfd)
{
	return tree_has(rootfd, JOURNAL_DIR);
}

static int keep_journal_fn(void *data, const char *path, bool created)
{
	return keep_save(data, path, created);
}

static int undo(int rootfd, bool dry_run, bool maintain, struct keep *keep)
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
		if (keep_retired_clean(rootfd, 0, true) > 0)
			printf("undo: remove %s\n", RETIRED_DIR);
		leftovers(rootfd, RUN_DRY_RUN, false, false);
		return n;
	}
	/* What a killed bootchroot left goes first, so that the directory above
	 * the keep directory and the journal can go. */
	r = maintain ? 0 : leftovers(rootfd, RUN_APPLY, true, false);
	if (r >= 0 && !maintain)
		r = keep_retired_clean(rootfd, 0, false);
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
	return undo(rootfd, dry_run, false, NULL);
}

int bootready_undo_keep(int rootfd, struct keep *keep)
{
	return undo(rootfd, false, true, keep);
}
