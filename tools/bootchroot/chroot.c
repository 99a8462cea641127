// SPDX-License-Identifier: GPL-2.0-or-later
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootchroot.h"
#include "log.h"
#include "rootdir.h"
#include "util.h"

/*
 * Mount a new file system onto a directory of the tree, found by resolving path
 * inside it. The new mount API attaches to the resolved fd itself, so no path
 * is looked up again outside the tree. data is "key=value,..." options.
 */
static int mount_in(int rootfd, const char *path, const char *src, const char *type,
		    unsigned long flags, const char *data)
{
	_cleanup_close_ int target = root_open(rootfd, path, O_PATH | O_DIRECTORY, 0);
	_cleanup_close_ int fs = -1, mnt = -1;
	_cleanup_free_ char *opts = data ? strdup(data) : NULL;
	unsigned attr = 0;

	if (target < 0)
		return log_errno(target, "cannot open %s in the tree", path);
	fs = fsopen(type, FSOPEN_CLOEXEC);
	if (fs < 0)
		return log_errno(-errno, "cannot make a %s file system", type);
	fsconfig(fs, FSCONFIG_SET_STRING, "source", src, 0);
	for (char *o = opts, *save = NULL, *kv = opts ? strtok_r(o, ",", &save) : NULL;
	     kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		int r;

		if (eq) {
			*eq = '\0';
			r = fsconfig(fs, FSCONFIG_SET_STRING, kv, eq + 1, 0);
		} else {
			r = fsconfig(fs, FSCONFIG_SET_FLAG, kv, NULL, 0);
		}
		if (r < 0)
			return log_errno(-errno, "cannot set %s for %s", kv, type);
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return log_errno(-errno, "cannot create the %s file system", type);
	if (flags & MS_NOSUID)
		attr |= MOUNT_ATTR_NOSUID;
	if (flags & MS_NODEV)
		attr |= MOUNT_ATTR_NODEV;
	if (flags & MS_NOEXEC)
		attr |= MOUNT_ATTR_NOEXEC;
	if (flags & MS_RDONLY)
		attr |= MOUNT_ATTR_RDONLY;
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, attr);
	if (mnt < 0)
		return log_errno(-errno, "cannot mount %s", type);
	if (move_mount(mnt, "", target, "",
		       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return log_errno(-errno, "cannot mount %s on %s", type, path);
	return 0;
}

static int setup_dev(int rootfd)
{
	static const struct {
		const char *name;
		unsigned maj, min;
	} nodes[] = {
		{ "null", 1, 3 },   { "zero", 1, 5 },	 { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const char *const links[][2] = {
		{ "ptmx", "pts/ptmx" },		 { "fd", "/proc/self/fd" },
		{ "stdin", "/proc/self/fd/0" },	 { "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" },
	};
	_cleanup_close_ int dfd = -1;
	int r;

	r = mount_in(rootfd, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_NOEXEC,
		     "mode=0755");
	if (r < 0)
		return r;
	dfd = root_open(rootfd, "/dev", O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0)
		return dfd;
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
		if (mknodat(dfd, nodes[i].name, S_IFCHR | 0666,
			    makedev(nodes[i].maj, nodes[i].min)) < 0)
			return log_errno(-errno, "cannot make /dev/%s", nodes[i].name);
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][1], dfd, links[i][0]) < 0)
			return log_errno(-errno, "cannot link /dev/%s", links[i][0]);
	if (mkdirat(dfd, "pts", 0755) < 0 || mkdirat(dfd, "shm", 01777) < 0)
		return log_errno(-errno, "cannot make /dev/pts");
	r = mount_in(rootfd, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
		     "newinstance,ptmxmode=0666,mode=0620");
	if (r == 0)
		r = mount_in(rootfd, "/dev/shm", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV,
			     "mode=1777");
	return r;
}

/*
 * The host's resolv.conf, read-only, where the tree's /etc/resolv.conf leads.
 * A link into /run (systemd-resolved, pxeroot's own) leads into the fresh /run
 * tmpfs, where the file is made first.
 */
static int setup_resolv(int rootfd)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *target = NULL;
	fd = root_open(rootfd, "/etc/resolv.conf", O_PATH, 0);
	if (fd == -ENOENT && root_readlink(rootfd, "/etc/resolv.conf", &target) == 0 &&
	    (startswith(target, "/run/") || startswith(target, "../run/"))) {
		const char *t = target[0] == '/' ? target : target + 2;
		_cleanup_free_ char *dir = strndup(t, strrchr(t, '/') - t);

		if (dir && root_mkdir_p(rootfd, dir, 0755) == 0) {
			_cleanup_close_ int nfd =
				root_open(rootfd, t, O_WRONLY | O_CREAT, 0644);
		}
		fd = root_open(rootfd, "/etc/resolv.conf", O_PATH, 0);
	}
	if (fd < 0) {
		log_warn(
			"no /etc/resolv.conf in the tree: names will not resolve inside");
		return 0;
	}
	{
		_cleanup_close_ int tree = open_tree(AT_FDCWD, "/etc/resolv.conf",
						     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };

		if (tree < 0 ||
		    mount_setattr(tree, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0 ||
		    move_mount(tree, "", fd, "",
			       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			log_warn_errno(
				-errno,
				"cannot bind the host's resolv.conf into the tree");
	}
	return 0;
}

static int setup_mounts(int rootfd)
{
	int r;

	/* Nothing mounted here propagates back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return log_errno(-errno, "cannot make the mounts private");
	r = mount_in(rootfd, "/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     NULL);
	if (r == 0)
		r = mount_in(rootfd, "/sys", "sysfs", "sysfs",
			     MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
	if (r == 0)
		r = setup_dev(rootfd);
	if (r == 0)
		r = mount_in(rootfd, "/run", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV,
			     "mode=0755");
	if (r == 0)
		r = mount_in(rootfd, "/tmp", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV,
			     "mode=1777");
	if (r == 0)
		r = setup_resolv(rootfd);
	return r;
}

static int wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/*
 * The tree's fd was opened in the host's mount namespace, and a mount can only
 * be attached to a directory reached through our own namespace: open the tree
 * again here, by the path the kernel has for it, and check it is the same one.
 */
static int reopen_tree(int rootfd, const char *sysroot)
{
	int fd = fd_reopen_dir(rootfd);

	if (fd == -ESTALE)
		log_error("%s changed while bootchroot was starting", sysroot);
	else if (fd < 0)
		log_errno(fd, "cannot open %s again", sysroot);
	return fd;
}

/* pid 1 of the new PID namespace: run the command, reap orphans, and exit with
 * the command's status; the kernel then kills whatever is left. */
_noreturn_ static void ns_init(int rootfd, const struct chroot_opts *o)
{
	static char *const sh[] = { "/bin/sh", NULL };
	char *const *argv = o->argv ? o->argv : sh;
	pid_t cmd;
	int status, r = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	rootfd = reopen_tree(rootfd, o->sysroot);
	if (rootfd < 0 || setup_mounts(rootfd) < 0)
		_exit(127);
	cmd = fork();
	if (cmd < 0)
		_exit(127);
	if (cmd == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		if (fchdir(rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
			log_errno(-errno, "cannot enter %s", o->sysroot);
			_exit(127);
		}
		setenv("PATH",
		       "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
		setenv("SYSTEMD_OFFLINE", "1", 1);
		setenv("HOME", "/root", 1);
		execvp(argv[0], argv);
		log_errno(-errno, "cannot run %s", argv[0]);
		_exit(127);
	}
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	for (;;) {
		pid_t p = wait(&status);

		if (p < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p == cmd)
			r = WIFEXITED(status) ? WEXITSTATUS(status)
					      : 128 + WTERMSIG(status);
		if (p == cmd)
			break;
	}
	_exit(r);
}

static pid_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

int chroot_run(int rootfd, const struct chroot_opts *o)
{
	struct sigaction sa = { .sa_handler = forward }, old_term, old_hup;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	pid_t pid;
	int r;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		pid_t init;

		/* If bootchroot itself is killed, everything inside goes too. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWNS | CLONE_NEWPID) < 0) {
			log_errno(-errno, "cannot make new namespaces");
			_exit(127);
		}
		init = fork();
		if (init < 0)
			_exit(127);
		if (init == 0)
			ns_init(rootfd, o);
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		r = wait_status(init);
		_exit(r < 0 ? 127 : r);
	}
	child_pid = pid;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	r = wait_status(pid);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	child_pid = 0;
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "name size" of each entry of dir matching prefix, sorted, appended to out. */
static int list_dir(int rootfd, const char *dir, const char *prefix, FILE *out)
{
	char *names[512];
	size_t n = 0;
	void *vd;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r = root_opendir(rootfd, dir, &vd);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	d = vd;
	while ((de = readdir(d)) && n < ARRAY_SIZE(names)) {
		if (de->d_name[0] == '.' || !startswith(de->d_name, prefix))
			continue;
		names[n] = strdup(de->d_name);
		if (!names[n])
			break;
		n++;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = NULL;
		struct stat st = { 0 };

		if (asprintf(&p, "%s/%s", dir, names[i]) >= 0)
			root_stat(rootfd, p, true, &st);
		fprintf(out, "%s %lld %lld\n", p ? p : names[i], (long long)st.st_size,
			(long long)st.st_mtime);
		free(names[i]);
	}
	return 0;
}

int kernel_state(int rootfd, char **ret)
{
	size_t len;
	FILE *f = open_memstream(ret, &len);
	int r;

	if (!f)
		return -ENOMEM;
	r = list_dir(rootfd, "/boot", "vmlinuz", f);
	if (r == 0)
		r = list_dir(rootfd, "/lib/modules", "", f);
	fclose(f);
	return r;
}
