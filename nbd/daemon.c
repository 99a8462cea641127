// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What nbdexport does to become a daemon, in the order main.c calls it:
 * raise the descriptor limit, make the status directory while still root,
 * detach from the terminal, drop privileges, and find out whether syslog
 * listens before logging there.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "util.h"

int drop_privileges(const char *user)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw)
		return log_errno(errno ? -errno : -ENOENT, "unknown user '%s'", user);
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		return log_errno(-errno, "cannot switch to user '%s'", user);
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		log_error("could regain root after switching to '%s'", user);
		return -EPERM;
	}
	log_info("running as user '%s'", user);
	return 0;
}

/*
 * Detach from the terminal. The parent stays until the child says it is
 * serving (one byte on a pipe), so the exit status of the command that
 * started the daemon says whether it came up.
 */
int daemonize(int *notify)
{
	int p[2];
	pid_t pid;
	char ok;

	if (pipe2(p, O_CLOEXEC) < 0)
		return log_errno(-errno, "cannot create a pipe");
	pid = fork();
	if (pid < 0)
		return log_errno(-errno, "cannot fork");
	if (pid > 0) {
		close(p[1]);
		_exit(read(p[0], &ok, 1) == 1 ? EXIT_SUCCESS : EXIT_FAILURE);
	}
	close(p[0]);
	if (setsid() < 0)
		return log_errno(-errno, "cannot start a session");
	if (chdir("/") < 0)
		return log_errno(-errno, "cannot change to /");
	*notify = p[1];
	return 0;
}

/* keep_stderr: where the logs go when there is no syslog to take them. */
void detach_stdio(bool keep_stderr)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (!keep_stderr)
		dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/*
 * Is a syslog daemon listening on /dev/log? syslog(3) gives no sign when
 * its messages go nowhere, so a daemon that would log there asks first, as
 * openlog() would connect: a datagram socket, then a stream one.
 */
int syslog_probe(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	int r = 0;

	for (int type = SOCK_DGRAM;; type = SOCK_STREAM) {
		_cleanup_close_ int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return 0;
		r = -errno;
		/* A stream socket at /dev/log refuses a datagram one. */
		if (type == SOCK_STREAM || r != -EPROTOTYPE)
			return r;
	}
}

/*
 * The directory of the status file, /run/nbdexport by default, is made while
 * still root and given to --user, so the server can replace the file later.
 * A failure is not fatal: the server says so when it first writes the file.
 */
void status_dir(const struct config *c)
{
	_cleanup_free_ char *dir = strdup(c->status_file);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	struct passwd *pw;

	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0)
		return;
	if (c->user && (pw = getpwnam(c->user)) && chown(dir, pw->pw_uid, pw->pw_gid) < 0)
		log_debug_errno(-errno, "cannot give %s to '%s'", dir, c->user);
}

void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}
