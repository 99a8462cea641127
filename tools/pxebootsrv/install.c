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

/* A file install writes: validated beside its place first, moved there last. */
struct staged {
	char *dest, *tmp; /* tmp NULL: already as it should be */
};

static void staged_free(struct staged *s)
{
	if (s->tmp)
		unlink(s->tmp);
	free(s->tmp);
	free(s->dest);
	*s = (struct staged){ 0 };
}

/*
 * Write text beside dest_path and have its server test it; which < 0 for a
 * file no server tests. 1: staged, 0: already so, negative: refused or failed.
 */
static int stage_one(const struct options *o, int which, const char *text, size_t len,
		     const char *dest_path, struct staged *s)
{
	int r;

	if (asprintf(&s->dest, "%s%s", o->root ? o->root : "", dest_path) < 0) {
		s->dest = NULL;
		return -ENOMEM;
	}
	if (same_content(s->dest, text, len))
		return 0;
	if (o->dry_run) {
		log_notice("would write %s", s->dest);
		return 1;
	}
	r = mkdir_parents(s->dest);
	if (r < 0)
		return r;
	if (asprintf(&s->tmp, "%s.pxebootsrv-new", s->dest) < 0) {
		s->tmp = NULL;
		return -ENOMEM;
	}
	r = write_file_atomic_at(AT_FDCWD, s->tmp, text, len, 0644);
	if (r < 0)
		return log_errno(r, "cannot write %s", s->tmp);
	return which >= 0 ? validate(which, s->tmp, s->dest) ?: 1 : 1;
}

/*
 * Reload or restart a service of this system. systemd's, when it runs (the
 * test of sd_booted(3)); else the init script through service(8), as Debian
 * without systemd has it. A service that is not running is left alone, as
 * systemctl's try-restart does.
 */
static int reload(const char *name, bool restart)
{
	_cleanup_free_ char *unit = NULL, *script = NULL;
	char msg[512];
	int r;

	if (access("/run/systemd/system", F_OK) == 0) {
		if (asprintf(&unit, "%s.service", name) < 0)
			return -ENOMEM;
		char *argv[] = { "systemctl",
				 restart ? "try-restart" : "try-reload-or-restart", unit,
				 NULL };
		r = run_quiet(argv, msg, sizeof(msg));
	} else {
		if (asprintf(&script, "/etc/init.d/%s", name) < 0)
			return -ENOMEM;
		if (access(script, X_OK) < 0) {
			log_warn("%s changed; no systemd and no %s: reload it yourself",
				 name, script);
			return 0;
		}
		char *status[] = { "service", (char *)name, "status", NULL };
		if (run_quiet(status, msg, sizeof(msg)) < 0) {
			log_notice("%s is not running: not reloaded", name);
			return 0;
		}
		char *argv[] = { "service", (char *)name,
				 restart ? "restart" : "force-reload", NULL };
		r = run_quiet(argv, msg, sizeof(msg));
	}
	if (r < 0)
		return log_errno(r, "cannot %s %s: %s", restart ? "restart" : "reload",
				 name, *msg ? msg : strerror(-r));
	log_notice("%s %s", restart ? "restarted" : "reloaded", name);
	return 0;
}

int cmd_install(const struct options *o)
{
	_cleanup_(config_free) struct pbs_config c;
	_cleanup_free_ char *boot = NULL, *unit = NULL;
	struct render r;
	struct staged st[ARRAY_SIZE(install_files) + 1] = { 0 };
	const size_t unit_st = ARRAY_SIZE(install_files);
	bool changed[ARRAY_SIZE(install_files) + 1] = { false };
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
	/* Every file is written beside its place and tested first: when one is
	 * refused, none replaces the old one, so no service is left with half a
	 * new configuration, and nothing is reloaded. */
	for (size_t i = 0; i < n_install_files; i++) {
		const struct gen *g = render_find(&r, install_files[i].gen);

		if (i == I_NBDEXPORT && !config_needs_nbd(&c))
			continue;
		if (i == I_LIGHTTPD && (!c.http || c.http_url))
			continue;
		if (i == I_DNSMASQ && c.mode == DHCP_OFF && !c.tftp)
			continue;
		k = stage_one(o, (int)i, g->text, g->len, install_files[i].dest, &st[i]);
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
			     install_files[I_NBDEXPORT].dest) < 0) {
			text = NULL;
			failed++;
		} else {
			k = stage_one(o, -1, text, strlen(text), NBD_DROPIN,
				      &st[unit_st]);
			if (k < 0)
				failed++;
			changed[unit_st] = k > 0;
		}
	}

	if (!failed && asprintf(&boot, "%s%s", o->root ? o->root : "", c.boot_dir) < 0) {
		boot = NULL;
		failed++;
	}
	if (failed) {
		/* staged_free below removes what was written beside the old files. */
	} else if (o->dry_run) {
		log_notice("would update %s", boot);
	} else {
		k = render_place_boot(&r, boot);
		if (k < 0)
			failed++;
		else if (k > 0)
			log_notice("updated %d files in %s", k, boot);
		for (size_t i = 0; !failed && i < ARRAY_SIZE(st); i++) {
			if (!st[i].tmp)
				continue;
			if (rename(st[i].tmp, st[i].dest) < 0) {
				log_errno(-errno, "cannot replace %s", st[i].dest);
				failed++;
				break;
			}
			free(st[i].tmp);
			st[i].tmp = NULL;
			log_notice("wrote %s", st[i].dest);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(st); i++)
		staged_free(&st[i]);
	render_free(&r);

	/* Services of another root are not this system's to reload. */
	if (!o->root && !o->dry_run && !failed) {
		if (changed[unit_st] && access("/run/systemd/system", F_OK) == 0) {
			char msg[256];
			char *argv[] = { "systemctl", "daemon-reload", NULL };

			run_quiet(argv, msg, sizeof(msg));
		}
		if (changed[I_DNSMASQ] &&
		    reload("dnsmasq", true) < 0) /* DHCP needs a restart */
			failed++;
		if (changed[I_LIGHTTPD] && reload("lighttpd", false) < 0)
			failed++;
		if ((changed[I_NBDEXPORT] || changed[unit_st]) &&
		    reload("nbdexport", false) < 0)
			failed++;
	}
	return failed ? 1 : 0;
}
