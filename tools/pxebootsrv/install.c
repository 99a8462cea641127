// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pxebootsrv install: drop-ins for the distribution's own dnsmasq, lighttpd
 * and nbdexport, and the boot directory. Each drop-in is tested by its
 * server before it replaces the old one; a service is reloaded only when its
 * file changed and passed. A second install with the same configuration
 * changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "install.h"
#include "log.h"
#include "pxebootsrv.h"
#include "render.h"
#include "util.h"

enum {
	I_DNSMASQ,
	I_LIGHTTPD,
	I_NBDEXPORT
};

const struct install_file install_files[] = {
	[I_DNSMASQ] = { R_DNSMASQ, "/etc/dnsmasq.d/pxeroot.conf" },
	[I_LIGHTTPD] = { R_LIGHTTPD, "/etc/lighttpd/conf-enabled/50-pxeroot.conf" },
	[I_NBDEXPORT] = { R_NBDEXPORT, "/etc/pxeroot/nbdexport.conf" },
};
const size_t n_install_files = ARRAY_SIZE(install_files);

#define NBD_UNIT "/lib/systemd/system/nbdexport.service"
#define NBD_DROPIN "/etc/systemd/system/nbdexport.service.d/pxeroot.conf"

/* Run argv quietly; its first non-empty line of output goes into msg. */
static int run_quiet(char *const argv[], char *msg, size_t msglen)
{
	int p[2], status;
	pid_t pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	n = read_full_or_eof(p[0], msg, msglen - 1);
	msg[n > 0 ? n : 0] = '\0';
	/* dnsmasq starts its complaint with an empty line. */
	n = strspn(msg, "\n");
	memmove(msg, msg + n, strlen(msg + n) + 1);
	msg[strcspn(msg, "\n")] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int mkdir_parents(const char *path)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return log_errno(-errno, "cannot create %s", p);
		*s = '/';
	}
	return 0;
}

/* Ask the server whether it accepts the new file (written at tmp). */
static int validate(int which, const char *tmp, const char *dest)
{
	_cleanup_free_ char *arg = NULL, *wrapper = NULL, *text = NULL;
	char msg[512] = "";
	int r = 0;

	if (which == I_DNSMASQ) {
		if (asprintf(&arg, "--conf-file=%s", tmp) < 0)
			return -ENOMEM;
		char *argv[] = { "dnsmasq", "--test", arg, NULL };
		r = run_quiet(argv, msg, sizeof(msg));
	} else if (which == I_LIGHTTPD) {
		/* The drop-in inside a minimal main configuration. */
		if (asprintf(&wrapper, "%s.test", tmp) < 0 ||
		    asprintf(
			    &text,
			    "server.document-root = \"/\"\nserver.port = 80\ninclude \"%s\"\n",
			    tmp) < 0)
			return -ENOMEM;
		r = write_file_atomic_at(AT_FDCWD, wrapper, text, strlen(text), 0644);
		if (r < 0)
			return log_errno(r, "cannot write %s", wrapper);
		char *argv[] = { "lighttpd", "-tt", "-f", wrapper, NULL };
		r = run_quiet(argv, msg, sizeof(msg));
		unlink(wrapper);
	}
	if (r < 0)
		log_error("%s: refused by %s: %s", dest,
			  which == I_DNSMASQ ? "dnsmasq" : "lighttpd",
			  *msg ? msg : strerror(-r));
	return r;
}

static bool same_content(const char *path, const char *text, size_t len)
{
	_cleanup_free_ char *cur = NULL;
	size_t cur_len;

	return read_file_at(AT_FDCWD, path, &cur, &cur_len) == 0 && cur_len == len &&
	       memcmp(cur, text, len) == 0;
}

/* 1: replaced, 0: already so, negative: refused or failed. */
static int install_one(const struct options *o, int which, const char *text, size_t len,
		       const char *dest_path)
{
	_cleanup_free_ char *dest = NULL, *tmp = NULL;
	int r;

	if (asprintf(&dest, "%s%s", o->root ? o->root : "", dest_path) < 0)
		return -ENOMEM;
	if (same_content(dest, text, len))
		return 0;
	if (o->dry_run) {
		log_notice("would write %s", dest);
		return 1;
	}
	r = mkdir_parents(dest);
	if (r < 0)
		return r;
	if (asprintf(&tmp, "%s.pxebootsrv-new", dest) < 0)
		return -ENOMEM;
	r = write_file_atomic_at(AT_FDCWD, tmp, text, len, 0644);
	if (r < 0)
		return log_errno(r, "cannot write %s", tmp);
	r = validate(which, tmp, dest);
	if (r >= 0 && rename(tmp, dest) < 0)
		r = log_errno(-errno, "cannot replace %s", dest);
	unlink(tmp);
	if (r < 0)
		return r;
	log_notice("wrote %s", dest);
	return 1;
}

static void reload(const char *unit, bool restart)
{
	char msg[256];
	char *argv[] = { "systemctl", restart ? "try-restart" : "try-reload-or-restart",
			 (char *)unit, NULL };

	if (run_quiet(argv, msg, sizeof(msg)) < 0)
		log_warn("cannot reload %s (%s): reload it yourself", unit, msg);
	else
		log_notice("reloaded %s", unit);
}

int cmd_install(const struct options *o)
{
	_cleanup_(config_free) struct pbs_config c;
	_cleanup_free_ char *boot = NULL, *unit = NULL, *dropin = NULL;
	struct render r;
	bool changed[ARRAY_SIZE(install_files)] = { false }, unit_changed = false;
	int k, failed = 0;

	config_init(&c);
	k = config_load(&c, o->config, NULL);
	if (k < 0)
		return 1;
	k = render_dropin(&c, &r);
	if (k < 0) {
		render_free(&r);
		return log_errno(k, "cannot render %s", o->config);
	}
	if (check_files(&r) > 0) {
		render_free(&r);
		return 1;
	}
	for (size_t i = 0; i < n_install_files; i++) {
		const struct gen *g = render_find(&r, install_files[i].gen);

		if (i == I_NBDEXPORT && !config_needs_nbd(&c))
			continue;
		if (i == I_LIGHTTPD && (!c.http || c.http_url))
			continue;
		if (i == I_DNSMASQ && c.mode == DHCP_OFF && !c.tftp)
			continue;
		k = install_one(o, (int)i, g->text, g->len, install_files[i].dest);
		if (k < 0)
			failed++;
		changed[i] = k > 0;
	}

	/* nbdexport's own unit, when installed, reads this configuration. */
	if (config_needs_nbd(&c) &&
	    asprintf(&unit, "%s" NBD_UNIT, o->root ? o->root : "") >= 0 &&
	    access(unit, F_OK) == 0) {
		_cleanup_free_ char *text = NULL;
		char self[PATH_MAX], *slash;
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		self[n > 0 ? n : 0] = '\0';
		slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		if (asprintf(&text,
			     "# generated by pxebootsrv install\n[Service]\nExecStart=\n"
			     "ExecStart=%s/nbdexport -f -c %s\n",
			     *self ? self : "/usr/sbin",
			     install_files[I_NBDEXPORT].dest) < 0)
			return -ENOMEM;
		k = install_one(o, -1, text, strlen(text), NBD_DROPIN);
		if (k < 0)
			failed++;
		unit_changed = k > 0;
	}

	if (asprintf(&boot, "%s%s", o->root ? o->root : "", c.boot_dir) < 0)
		return -ENOMEM;
	if (o->dry_run) {
		log_notice("would update %s", boot);
	} else {
		k = render_place_boot(&r, boot);
		if (k < 0)
			failed++;
		else if (k > 0)
			log_notice("updated %d files in %s", k, boot);
	}
	render_free(&r);

	/* Services of another root are not this system's to reload. */
	if (!o->root && !o->dry_run) {
		if (unit_changed) {
			char msg[256];
			char *argv[] = { "systemctl", "daemon-reload", NULL };

			run_quiet(argv, msg, sizeof(msg));
		}
		if (changed[I_DNSMASQ]) /* DHCP settings need a restart */
			reload("dnsmasq.service", true);
		if (changed[I_LIGHTTPD])
			reload("lighttpd.service", false);
		if (changed[I_NBDEXPORT] || unit_changed)
			reload("nbdexport.service", false);
	}
	return failed ? 1 : 0;
}
