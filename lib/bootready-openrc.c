// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What OpenRC needs on a client beyond the steps every init shares: its
 * shutdown.
 *
 * Debian's openrc package runs the tree's LSB init scripts. When the runlevel
 * changes, OpenRC stops every started service that the new runlevel does not
 * list, and at shutdown that is every one of them. SysV init stops a script
 * only in the runlevels of its Default-Stop header, and most boot scripts
 * (mountkernfs.sh, mountall.sh, hostname.sh, procps, kmod, ...) have none:
 * their stop does nothing, or says that "stop" is meaningless. Each one OpenRC
 * stops still runs openrc-run, lsb2rcconf, the script and its LSB function
 * library: under emulation a second or more each, twenty seconds of a
 * client's poweroff for nothing. OpenRC's rc_nostop names the services it
 * leaves running on a runlevel change; the scripts SysV init never stops go
 * there, so that both inits stop the same scripts, and sendsigs ends what
 * they left running, as it does under SysV init.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "bootready-internal.h"
#include "profile.h"
#include "rootdir.h"
#include "strbuf.h"
#include "strv.h"
#include "util.h"

#define RC_CONF "/etc/rc.conf"
#define NOSTOP_CONF "/etc/rc.conf.d/pxeroot.conf"
#define INIT_D "/etc/init.d"
/* An init script longer than this is not one whose header is read here. */
#define INIT_SCRIPT_MAX (1024 * 1024)

/*
 * Whether text is an LSB init script whose header names no Default-Stop
 * runlevel. A script without the header, or an OpenRC one (openrc-run reads
 * its own depend()), is not.
 */
static bool lsb_never_stopped(const char *text)
{
	const char *line = text, *next;
	bool in_header = false;

	if (startswith(text, "#!")) {
		size_t n = strcspn(text, "\n");

		if (memmem(text, n, "openrc-run", 10) || memmem(text, n, "runscript", 9))
			return false;
	}
	for (; *line; line = next) {
		size_t n = strcspn(line, "\n");
		const char *v;

		next = line[n] ? line + n + 1 : line + n;
		if (startswith(line, "### BEGIN INIT INFO")) {
			in_header = true;
			continue;
		}
		if (!in_header)
			continue;
		if (startswith(line, "### END INIT INFO"))
			return true;
		/* "# Default-Stop:", with any blanks after "#", in any case. */
		v = line[0] == '#' ? line + 1 + strspn(line + 1, " \t") : line;
		if (v == line || (size_t)(line + n - v) < strlen("Default-Stop:") ||
		    strncasecmp(v, "Default-Stop:", strlen("Default-Stop:")) != 0)
			continue;
		/* A runlevel is a digit or S; anything else on the line is space. */
		for (v += strlen("Default-Stop:"); v < line + n; v++)
			if (*v != ' ' && *v != '\t' && *v != '\r')
				return false;
		/* No runlevel: the same as no Default-Stop line. */
	}
	/* A header that never ends is not taken for one. */
	return false;
}

/* A name OpenRC takes as a service and rc.conf can hold unquoted. */
static bool plain_name(const char *name)
{
	if (name[0] == '.' || name[0] == '\0')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._+-@") == strlen(name);
}

/* The services of rc_nostop in /etc/rc.conf (the administrator's), added to *l. */
static int rc_conf_nostop(struct ctx *c, char ***l)
{
	_cleanup_free_ char *text = NULL, *value = NULL;
	char *line, *next;
	int r;

	r = root_read_file(c->rootfd, RC_CONF, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (line = text; line && *line; line = next) {
		const char *v;

		next = line_split(line);
		v = line + strspn(line, " \t");
		if (!startswith(v, "rc_nostop="))
			continue;
		v += strlen("rc_nostop=");
		/* The last assignment wins, as in the shell. */
		free(value);
		value = strndup(v + (*v == '"' || *v == '\''),
				strcspn(v + (*v == '"' || *v == '\''), "\"'#"));
		if (!value)
			return -ENOMEM;
	}
	for (char *w = value ? strtok(value, " \t") : NULL; w; w = strtok(NULL, " \t")) {
		r = strv_extend_uniq(l, w);
		if (r < 0)
			return r;
	}
	return 0;
}

int step_openrc_nostop(struct ctx *c)
{
	_cleanup_strv_free_ char **names = NULL, **nostop = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_strbuf_ struct strbuf out = { 0 };
	_cleanup_free_ char *joined = NULL;
	struct dirent *de;
	int r;

	if (c->p->init != INIT_OPENRC)
		return 0;
	r = root_opendir(c->rootfd, INIT_D, (void **)&d);
	if (r < 0 && r != -ENOENT && r != -ENOTDIR)
		return r;
	while (d && (de = readdir(d))) {
		if (!plain_name(de->d_name))
			continue;
		r = strv_extend(&names, de->d_name);
		if (r < 0)
			return r;
	}
	/* Directory order is not stable: sorted, for a reproducible file. */
	strv_sort(names);
	r = rc_conf_nostop(c, &nostop);
	if (r < 0)
		return r;
	strv_foreach(name, names) {
		_cleanup_free_ char *path = NULL, *text = NULL;
		struct stat st;

		if (asprintf(&path, INIT_D "/%s", *name) < 0)
			return -ENOMEM;
		if (root_stat(c->rootfd, path, true, &st) < 0 || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & 0111) || st.st_size > INIT_SCRIPT_MAX)
			continue;
		r = root_read_file(c->rootfd, path, &text, NULL);
		if (r < 0)
			return r;
		if (lsb_never_stopped(text)) {
			r = strv_extend_uniq(&nostop, *name);
			if (r < 0)
				return r;
		}
	}
	if (!nostop) {
		if (tree_has(c->rootfd, NOSTOP_CONF))
			return plan_remove(c, NOSTOP_CONF);
		return 0;
	}
	joined = strv_join(nostop, " ");
	if (!joined)
		return -ENOMEM;
	r = strbuf_appendf(
		&out,
		"# SPDX-License-Identifier: GPL-2.0-or-later\n"
		"# Written by mkbootready: the init scripts SysV init never stops (no\n"
		"# Default-Stop in their LSB header) are left running by OpenRC too when\n"
		"# the runlevel changes; sendsigs ends them at shutdown. The services of\n"
		"# rc_nostop in " RC_CONF " come first.\n"
		"rc_nostop=\"%s\"\n",
		joined);
	if (r == 0)
		r = plan_add(c, ACT_WRITE, NOSTOP_CONF, out.s, out.len, 0644);
	return r;
}
