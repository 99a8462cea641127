// SPDX-License-Identifier: GPL-2.0-or-later
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "busybox.h"
#include "elfinfo.h"
#include "mkbootimage.h"
#include "rootdir.h"
#include "strv.h"
#include "util.h"

extern char **environ;

static bool applet_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '[';
}

int busybox_applets_from_image(const void *data, size_t size, char ***ret, size_t *ret_n)
{
	static const char start[] = "[\0[[\0";
	const char *d = data, *end = d + size;
	const char *p = memmem(d, size, start, sizeof(start) - 1);

	/* The table starts at a string boundary: the byte before is a NUL. */
	while (p && p > d && p[-1] != '\0')
		p = memmem(p + 1, end - p - 1, start, sizeof(start) - 1);
	while (p) {
		_cleanup_strv_free_ char **v = NULL;
		size_t n = 0;
		const char *prev = NULL, *s = p;
		bool good = true;

		while (s < end && *s) {
			const char *e = memchr(s, '\0', end - s);

			if (!e)
				break;
			for (const char *c = s; c < e; c++)
				if (!applet_char(*c))
					good = false;
			if (!good || (prev && strcmp(prev, s) >= 0))
				break;
			if (strv_extend(&v, s) < 0)
				return -ENOMEM;
			n++;
			prev = s;
			s = e + 1;
		}
		/* A real table is long (dozens at least) and ends with an empty name. */
		if (n >= 8 && s < end && *s == '\0') {
			*ret = TAKE_PTR(v);
			*ret_n = n;
			return 0;
		}
		/* p is inside the data (memmem found the start there). */
		if (end - p <= 1)
			break;
		p = memmem(p + 1, (size_t)(end - p - 1), start, sizeof(start) - 1);
	}
	return -ENOENT;
}

static uint16_t host_machine(void)
{
	_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct elf_info info;
	uint16_t m;

	if (fd < 0 || elf_parse_fd(fd, &info) < 0)
		return 0;
	m = info.machine;
	elf_info_done(&info);
	return m;
}

/* Ask a BusyBox for the host's machine to list its applets (busybox --list). */
static int applets_by_running(const char *path, char ***ret, size_t *ret_n)
{
	char *argv[] = { (char *)path, "--list", NULL };
	posix_spawn_file_actions_t fa;
	int pipefd[2], status, k;
	pid_t pid;
	_cleanup_free_ char *buf = NULL;
	_cleanup_strv_free_ char **v = NULL;
	char *line, *save = NULL;
	size_t n = 0;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	k = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (k != 0) {
		close(pipefd[0]);
		return -k;
	}
	k = read_fd_all(pipefd[0], &buf, NULL);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (k < 0)
		return k;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EIO;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strv_extend(&v, strstrip(line)) < 0)
			return -ENOMEM;
		n++;
	}
	if (n == 0)
		return -ENOENT;
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

enum bb_check {
	BB_OK,
	BB_NOT_ELF,
	BB_DYNAMIC,
	BB_MACHINE,
};

/* Inspect an open candidate; fills bb->machine and the applets. */
static int inspect(int fd, const char *hostpath, uint16_t machine, struct busybox *bb,
		   enum bb_check *ret)
{
	struct stat st;
	struct elf_info info;
	void *map;
	int k;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		*ret = BB_NOT_ELF;
		return 0;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	k = elf_parse(map, st.st_size, &info);
	if (k == -ENOEXEC) {
		munmap(map, st.st_size);
		*ret = BB_NOT_ELF;
		return 0;
	}
	if (k < 0) {
		munmap(map, st.st_size);
		return k;
	}
	bb->machine = info.machine;
	if (info.interp) {
		*ret = BB_DYNAMIC;
	} else if (machine && info.machine != machine) {
		*ret = BB_MACHINE;
	} else {
		*ret = BB_OK;
		k = busybox_applets_from_image(map, st.st_size, &bb->applets,
					       &bb->n_applets);
		if (k == -ENOENT && hostpath && info.machine == host_machine()) {
			log_debug("no applet table found in %s: asking it with --list",
				  hostpath);
			k = applets_by_running(hostpath, &bb->applets, &bb->n_applets);
		}
		if (k < 0)
			k = log_errno(k, "cannot find the applet list of %s", hostpath);
	}
	elf_info_done(&info);
	munmap(map, st.st_size);
	return k;
}

static const char *machine_str(uint16_t m)
{
	static char buf[32];
	const char *s = elf_machine_name(m);

	if (s)
		return s;
	snprintf(buf, sizeof(buf), "machine %u", m);
	return buf;
}

int busybox_find(int rootfd, const char *sysroot, const char *explicit_path,
		 uint16_t machine, struct busybox *bb)
{
	static const char *const in_root[] = { "bin/busybox", "usr/bin/busybox",
					       "sbin/busybox", "usr/sbin/busybox" };
	static const char *const on_host[] = { "/usr/bin/busybox", "/bin/busybox" };
	enum bb_check c;
	int k;

	memset(bb, 0, sizeof(*bb));
	if (explicit_path) {
		_cleanup_close_ int fd = open(explicit_path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return log_errno(-errno, "cannot open %s", explicit_path);
		k = inspect(fd, explicit_path, machine, bb, &c);
		if (k < 0)
			return k;
		switch (c) {
		case BB_NOT_ELF:
			log_error("%s is not an ELF program", explicit_path);
			return -ENOEXEC;
		case BB_DYNAMIC:
			log_error(
				"%s is dynamically linked: the initramfs needs a static "
				"BusyBox (Debian: busybox-static)",
				explicit_path);
			return -ENOEXEC;
		case BB_MACHINE:
			log_error("%s is for %s, the kernel's modules are for %s",
				  explicit_path, machine_str(bb->machine),
				  machine_str(machine));
			return -ENOEXEC;
		case BB_OK:
			break;
		}
		bb->path = strdup(explicit_path);
		return bb->path ? 0 : log_oom();
	}
	for (size_t i = 0; i < ARRAY_SIZE(in_root); i++) {
		_cleanup_close_ int fd = root_open(rootfd, in_root[i], O_RDONLY, 0);
		char fdpath[64], host[PATH_MAX];
		ssize_t n;

		if (fd < 0)
			continue;
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		n = readlink(fdpath, host, sizeof(host) - 1);
		if (n < 0)
			continue;
		host[n] = '\0';
		k = inspect(fd, host, machine, bb, &c);
		if (k < 0)
			return k;
		if (c == BB_OK) {
			log_info("using %s/%s", sysroot, in_root[i]);
			bb->path = strdup(in_root[i]);
			bb->in_root = true;
			return bb->path ? 0 : log_oom();
		}
		log_info("not using %s/%s: %s", sysroot, in_root[i],
			 c == BB_DYNAMIC   ? "dynamically linked"
			 : c == BB_MACHINE ? "another machine"
					   : "not an ELF program");
	}
	for (size_t i = 0; i < ARRAY_SIZE(on_host); i++) {
		_cleanup_close_ int fd = open(on_host[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			continue;
		k = inspect(fd, on_host[i], machine, bb, &c);
		if (k < 0)
			return k;
		if (c == BB_OK) {
			log_info("using the host's %s", on_host[i]);
			bb->path = strdup(on_host[i]);
			return bb->path ? 0 : log_oom();
		}
		log_info("not using %s: %s", on_host[i],
			 c == BB_DYNAMIC   ? "dynamically linked"
			 : c == BB_MACHINE ? "another machine"
					   : "not an ELF program");
	}
	log_error(
		"no static BusyBox for %s in %s or on this machine (install busybox-static "
		"or use --busybox)",
		machine ? machine_str(machine) : "this kernel", sysroot);
	return -ENOENT;
}

void busybox_done(struct busybox *bb)
{
	strv_free(bb->applets);
	free(bb->path);
	memset(bb, 0, sizeof(*bb));
}

int busybox_install(const struct busybox *bb, struct image *img)
{
	int k;

	k = image_add_file(img, "bin/busybox", bb->in_root ? SRC_ROOT : SRC_HOST,
			   bb->path, 0755);
	if (k == -EEXIST)
		log_warn("the skeleton has its own /bin/busybox: keeping it");
	else if (k < 0)
		return log_errno(k, "cannot add /bin/busybox");
	for (size_t i = 0; i < bb->n_applets; i++) {
		char path[PATH_MAX];

		if (strcmp(bb->applets[i], "busybox") == 0)
			continue;
		snprintf(path, sizeof(path), "bin/%s", bb->applets[i]);
		k = image_add_symlink(img, path, "busybox");
		if (k < 0 && k != -EEXIST)
			return log_errno(k, "cannot add /%s", path);
	}
	return 0;
}
