// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pxebootsrv run: check, lock, place the boot files, render into
 * STATE-DIR/run, start dnsmasq, lighttpd and nbdexport as children, and
 * supervise them until SIGTERM. Everything that can be refused (the
 * configuration, a missing boot file, a second instance, a port in use) is
 * refused before anything is started or written.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "pxebootsrv.h"
#include "render.h"
#include "supervise.h"
#include "util.h"

enum {
	CH_DNSMASQ,
	CH_LIGHTTPD,
	CH_NBDEXPORT,
	N_CHILDREN
};

struct server {
	const struct options *o;
	struct pbs_config c;
	struct render r;
	char *state, *run_dir, *lock_path, *pid_path, *log_path;
	int log_fd; /* the log file, -1 until opened */
	char *conf[N_CHILDREN]; /* their configuration files in run_dir */
	char *nbdexport; /* the nbdexport binary */
	char *nbd_pid, *nbd_status;
	struct child ch[N_CHILDREN];
};

/* nbdexport from the same build or installation as this program, else $PATH. */
static char *find_nbdexport(void)
{
	char self[PATH_MAX], *slash, *p = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (asprintf(&p, "%s/nbdexport", self) >= 0 &&
			    access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return strdup("nbdexport");
}

/* Whether this nbdexport keeps a status file (--status-file, in newer builds). */
static bool has_status_file(const char *bin)
{
	_cleanup_free_ char *cmd = NULL;
	char line[512];
	bool found = false;
	FILE *f;

	if (strchr(bin, '\'') || asprintf(&cmd, "'%s' --help 2>/dev/null", bin) < 0)
		return false;
	f = popen(cmd, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, "--status-file") != NULL;
	pclose(f);
	return found;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void set_children(struct server *s)
{
	const struct pbs_config *c = &s->c;
	struct child *ch = s->ch;

	ch[CH_DNSMASQ].wanted = c->mode != DHCP_OFF || c->tftp;
	ch[CH_LIGHTTPD].wanted = c->http && !c->http_url;
	ch[CH_NBDEXPORT].wanted = config_needs_nbd(c);
}

static int setup(struct server *s)
{
	static const char *const names[] = { "dnsmasq", "lighttpd", "nbdexport" };
	static const char *const files[] = { R_DNSMASQ, R_LIGHTTPD, R_NBDEXPORT };
	struct child *ch = s->ch;

	if (asprintf(&s->run_dir, "%s/run", s->state) < 0 ||
	    asprintf(&s->lock_path, "%s/lock", s->state) < 0 ||
	    asprintf(&s->pid_path, "%s/pxebootsrv.pid", s->state) < 0 ||
	    asprintf(&s->log_path, "%s/pxebootsrv.log", s->state) < 0 ||
	    asprintf(&s->nbd_pid, "%s/nbdexport.pid", s->run_dir) < 0 ||
	    asprintf(&s->nbd_status, "%s/nbdexport.status", s->run_dir) < 0 ||
	    !(s->nbdexport = find_nbdexport()))
		return -ENOMEM;
	for (int i = 0; i < N_CHILDREN; i++) {
		if (asprintf(&s->conf[i], "%s/%s", s->run_dir, files[i]) < 0)
			return -ENOMEM;
		ch[i] = (struct child){ .name = names[i], .out = -1, .backoff = 1 };
	}
	set_children(s);
	ch[CH_DNSMASQ].argv[0] = "dnsmasq";
	ch[CH_DNSMASQ].argv[1] = "--keep-in-foreground";
	ch[CH_DNSMASQ].argv[2] = "--log-facility=-";
	ch[CH_DNSMASQ].argv[3] = "--pid-file=";
	if (asprintf(&ch[CH_DNSMASQ].argv[4], "--conf-file=%s", s->conf[CH_DNSMASQ]) < 0)
		return -ENOMEM;
	ch[CH_LIGHTTPD].argv[0] = "lighttpd";
	ch[CH_LIGHTTPD].argv[1] = "-D";
	ch[CH_LIGHTTPD].argv[2] = "-f";
	ch[CH_LIGHTTPD].argv[3] = s->conf[CH_LIGHTTPD];
	ch[CH_NBDEXPORT].argv[0] = s->nbdexport;
	ch[CH_NBDEXPORT].argv[1] = "-f";
	ch[CH_NBDEXPORT].argv[2] = "-c";
	ch[CH_NBDEXPORT].argv[3] = s->conf[CH_NBDEXPORT];
	ch[CH_NBDEXPORT].argv[4] = "--pidfile";
	ch[CH_NBDEXPORT].argv[5] = s->nbd_pid;
	if (ch[CH_NBDEXPORT].wanted && has_status_file(s->nbdexport)) {
		ch[CH_NBDEXPORT].argv[6] = "--status-file";
		ch[CH_NBDEXPORT].argv[7] = s->nbd_status;
	}
	return 0;
}

static void teardown(struct server *s)
{
	for (int i = 0; i < N_CHILDREN; i++) {
		free(s->conf[i]);
		if (s->ch[i].out >= 0)
			close(s->ch[i].out);
	}
	free(s->ch[CH_DNSMASQ].argv[4]);
	free(s->run_dir);
	free(s->lock_path);
	free(s->pid_path);
	free(s->log_path);
	if (s->log_fd >= 0) {
		log_set_file(-1);
		close(s->log_fd);
	}
	free(s->nbd_pid);
	free(s->nbd_status);
	free(s->nbdexport);
	free(s->state);
	render_free(&s->r);
	config_free(&s->c);
}

/* Load and render a configuration, and check its files; nothing is changed. */
static int prepare(const struct options *o, struct pbs_config *c, struct render *r)
{
	int k;

	config_init(c);
	*r = (struct render){ 0 };
	k = config_load(c, o->config, o->root);
	if (k < 0)
		return k;
	k = render_all(c, r);
	if (k < 0)
		return render_failed(k, o->config);
	if (check_files(r) + check_programs(c) > 0)
		return -ENOENT;
	return 0;
}

static int take_lock(struct server *s, bool *created)
{
	_cleanup_close_ int fd = -1;
	char pid[32];
	int n;

	*created = mkdir(s->state, 0755) == 0;
	if (!*created && errno != EEXIST)
		return log_errno(-errno, "cannot create %s", s->state);
	fd = open(s->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_errno(-errno, "cannot open %s", s->lock_path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = read(fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		log_error("another pxebootsrv is running from %s (pid %s)", s->state,
			  *pid ? strstrip(pid) : "unknown");
		return -EBUSY;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || write_full(fd, pid, n) < 0)
		return log_errno(-errno, "cannot write %s", s->lock_path);
	return TAKE_FD(fd);
}

/*
 * The log file beside the lock: everything stderr gets, and pxebootsrv's own
 * informational lines even with -q. Opened again on SIGHUP, after a log
 * rotation moved it.
 */
static void open_log(struct server *s)
{
	int fd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	if (fd < 0) {
		log_warn_errno(-errno, "cannot open %s", s->log_path);
		return;
	}
	if (s->log_fd >= 0)
		close(s->log_fd);
	s->log_fd = fd;
	log_set_file(fd);
}

static void start_wanted(struct server *s)
{
	for (int i = 0; i < N_CHILDREN; i++)
		if (s->ch[i].wanted && s->ch[i].pid == 0 && !s->ch[i].restart_at)
			if (child_start(&s->ch[i]) < 0)
				s->ch[i].restart_at = now_ms() + 1000;
}

static bool gen_changed(const struct render *a, const struct render *b, const char *path)
{
	const struct gen *x = render_find(a, path), *y = render_find(b, path);

	return !x || !y || x->len != y->len || memcmp(x->text, y->text, x->len) != 0;
}

/* SIGHUP: the new configuration, if it is good, and only what it changes. */
static void reload(struct server *s)
{
	struct pbs_config c;
	struct render r;
	bool restart[N_CHILDREN];
	int k;

	open_log(s);
	log_notice("reloading %s", s->o->config);
	k = prepare(s->o, &c, &r);
	if (k < 0) {
		log_error("reload refused: the running configuration stays");
		render_free(&r);
		config_free(&c);
		return;
	}
	for (int i = 0; i < N_CHILDREN; i++) {
		static const char *const files[] = { R_DNSMASQ, R_LIGHTTPD, R_NBDEXPORT };

		restart[i] = gen_changed(&s->r, &r, files[i]);
	}
	k = render_place_boot(&r, c.boot_dir);
	if (k >= 0)
		k = render_write_dir(&r, s->run_dir);
	if (k < 0) {
		log_error("reload failed: the running configuration stays");
		render_free(&r);
		config_free(&c);
		return;
	}
	render_free(&s->r);
	config_free(&s->c);
	s->c = c;
	s->r = r;
	s->r.c = &s->c;
	set_children(s);
	for (int i = 0; i < N_CHILDREN; i++) {
		struct child *ch = &s->ch[i];

		if (!ch->wanted) {
			child_stop(ch, 5000);
			continue;
		}
		if (!restart[i] || ch->pid == 0)
			continue;
		/* nbdexport re-reads its file; dnsmasq and lighttpd start again. */
		if (i == CH_NBDEXPORT) {
			log_notice("nbdexport: new exports, reloading it");
			kill(ch->pid, SIGHUP);
		} else {
			log_notice("%s: new configuration, restarting it", ch->name);
			child_stop(ch, 5000);
		}
	}
	start_wanted(s);
	log_notice("reloaded");
}

static int serve(struct server *s, int sfd)
{
	for (;;) {
		struct pollfd pfd[1 + N_CHILDREN];
		struct signalfd_siginfo si;
		int n = 0, timeout = -1;
		uint64_t t = now_ms();

		for (int i = 0; i < N_CHILDREN; i++) {
			struct child *ch = &s->ch[i];

			if (ch->restart_at && ch->restart_at <= t && ch->wanted)
				if (child_start(ch) < 0)
					ch->restart_at = t + ch->backoff * 1000ull;
			if (ch->restart_at) {
				int left = (int)(ch->restart_at > t ? ch->restart_at - t
								    : 0);

				timeout = timeout < 0 ? left : MIN(timeout, left);
			}
		}
		pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		for (int i = 0; i < N_CHILDREN; i++)
			if (s->ch[i].out >= 0)
				pfd[n++] = (struct pollfd){ .fd = s->ch[i].out,
							    .events = POLLIN };
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			return log_errno(-errno, "poll");
		for (int i = 0; i < N_CHILDREN; i++)
			if (s->ch[i].out >= 0)
				child_read(&s->ch[i]);
		if (!(pfd[0].revents & POLLIN))
			continue;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_notice("stopping on signal %u", si.ssi_signo);
			return 0;
		case SIGHUP:
			reload(s);
			break;
		case SIGCHLD:
			for (;;) {
				int status;
				pid_t pid = waitpid(-1, &status, WNOHANG);

				if (pid <= 0)
					break;
				for (int i = 0; i < N_CHILDREN; i++)
					if (s->ch[i].pid == pid)
						child_exited(&s->ch[i], status);
			}
			break;
		}
	}
}

int cmd_run(const struct options *o)
{
	struct server s = { .o = o, .log_fd = -1 };
	_cleanup_close_ int lock = -1, sfd = -1;
	bool created = false;
	sigset_t mask;
	char pid[32];
	int k, n;

	k = prepare(o, &s.c, &s.r);
	if (k < 0)
		goto out;
	s.state = strdup(s.c.state_dir);
	k = s.state ? setup(&s) : -ENOMEM;
	if (k < 0)
		goto out;

	k = lock = take_lock(&s, &created);
	if (k < 0) {
		if (created)
			rmdir(s.state);
		goto out;
	}
	if (check_ports(&s.c) > 0) {
		k = -EADDRINUSE;
		goto unlock;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		k = log_errno(-errno, "signalfd");
		goto unlock;
	}
	open_log(&s);
	k = render_place_boot(&s.r, s.c.boot_dir);
	if (k >= 0)
		k = render_write_dir(&s.r, s.run_dir);
	if (k < 0)
		goto unlock;

	start_wanted(&s);
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	k = write_file_atomic_at(AT_FDCWD, s.pid_path, pid, n, 0644);
	if (k >= 0) {
		log_notice("serving %s from %s", s.c.address, s.c.boot_dir);
		k = serve(&s, sfd);
	}
	for (int i = 0; i < N_CHILDREN; i++)
		child_stop(&s.ch[i], 5000);
	unlink(s.pid_path);
	nftw(s.run_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
unlock:
	unlink(s.lock_path);
	rmdir(s.state); /* only if nothing else is in it */
out:
	if (s.state)
		teardown(&s);
	else {
		render_free(&s.r);
		config_free(&s.c);
	}
	return k < 0 ? 1 : 0;
}
